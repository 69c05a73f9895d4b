/**
 * Redis 7.0 functions: FUNCTION LOAD / DELETE / FLUSH / LIST / DUMP / RESTORE / STATS / KILL /
 * HELP, FCALL and FCALL_RO, registered into a Store next to EVAL (see script_commands.ts).
 *
 * Libraries live in their own Lua state (as in Redis, apart from EVAL's). They are server state,
 * not keys, so:
 *   - FUNCTION LOAD / DELETE / FLUSH / RESTORE log themselves when they change something: AOF
 *     replay (and every Raft replica) runs them again and rebuilds the same libraries;
 *   - FCALL logs the commands its function ran (effects, as EVAL does);
 *   - the libraries are a store section ("functions"), so snapshots carry them; its payload is
 *     the FUNCTION DUMP payload, Redis's own format (RDB_OPCODE_FUNCTION2 + library code, RDB
 *     version, CRC64), which FUNCTION RESTORE reads from redis-server too.
 */
import { splitInlineArgs } from "../resp/inline.ts";
import type { CommandSpec } from "../store/command_table.ts";
import { crc64LittleEndian } from "../store/crc64.ts";
import { globMatch } from "../store/glob.ts";
import { ERR_OOM } from "../store/errors.ts";
import type { ExecContext } from "../store/keyspace.ts";
import { RdbFormatError, RdbLimitError, RdbReader } from "../store/rdb_reader.ts";
import { RDB_VERSION, verifyDumpPayload } from "../store/rdb_types.ts";
import { rdbLength } from "../store/rdb_writer.ts";
import { array, bulk, error, integer, NIL, OK, type Reply, simple } from "../store/reply.ts";
import type { ExecResult, Store } from "../store/store.ts";
import { binaryToBytes, bytesToBinary } from "../store/binary.ts";
import { LuaVm, type RegisteredFunction } from "./lua_vm.ts";
import { runScript } from "./script_run.ts";
import { scriptHost } from "./script_host.ts";

/** RDB opcodes of a library in a payload: the 7.0 GA one, and the pre-GA one Redis refuses. */
const RDB_OPCODE_FUNCTION2 = 245;
const RDB_OPCODE_FUNCTION_PRE_GA = 246;
/** The payload's footer: RDB version (2 bytes) and CRC64 (8 bytes). */
const FOOTER_BYTES = 10;

/** The store section holding the libraries in snapshots. */
export const FUNCTIONS_SECTION = "functions";

const ENGINE = "LUA";

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Load a Lua library; its first line names it (#!lua name=<library>). REPLACE",
  "    lets it take the place of a library of that name. Replies the library's name.",
  "DELETE <LIBRARY NAME>",
  "    Remove the library and the functions it registered.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    One map per library: library_name, engine and functions (name, description and",
  "    flags of each), plus library_code with WITHCODE. LIBRARYNAME keeps the libraries",
  "    whose names the glob pattern matches, ignoring case.",
  "STATS",
  "    running_script (always nil here: a function runs within its one command) and,",
  "    per engine, its library and function counts.",
  "KILL",
  "    Stop the function running past busy-reply-threshold (one that wrote nothing yet);",
  "    NOTBUSY when none is.",
  "FLUSH [ASYNC|SYNC]",
  "    Remove every library. Both modes are accepted; the removal is immediate either way.",
  "DUMP",
  "    Every library in one binary payload, for FUNCTION RESTORE.",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Load the libraries of a FUNCTION DUMP payload, all of them or none. What happens",
  "    to the libraries already loaded:",
  "    * FLUSH: they are all dropped, and the payload's take their place.",
  "    * APPEND (the default): they stay; a library or function name already taken",
  "      fails the restore.",
  "    * REPLACE: a library with the name of a restored one gives way to it; a function",
  "      name that another library still registers fails the restore.",
  "HELP",
  "    Prints this help.",
];

/** Subcommand arities (Redis's, the container counted as argv[0]). */
const SUBCOMMAND_ARITY: Readonly<Record<string, number>> = {
  load: -3,
  delete: 3,
  flush: -2,
  list: -2,
  dump: 2,
  restore: -3,
  stats: 2,
  kill: 2,
  help: 2,
};

const NAME_ERROR = "Library names can only contain letters, numbers, or underscores(_) and must " +
  "be at least one character long";

interface FunctionInfo extends RegisteredFunction {
  readonly library: LibraryInfo;
}

interface LibraryInfo {
  readonly name: string;
  /** The whole code as loaded, shebang line included (what LIST WITHCODE and DUMP give). */
  readonly code: string;
  readonly functions: FunctionInfo[];
}

/** A set of libraries and the index of their functions (Redis's functionsLibCtx). */
class LibraryCtx {
  readonly libraries = new Map<string, LibraryInfo>();
  /** By lower-case name: function names are case-insensitive, as in Redis. */
  readonly functions = new Map<string, FunctionInfo>();

  link(lib: LibraryInfo): void {
    for (const f of lib.functions) this.functions.set(f.name.toLowerCase(), f);
    this.libraries.set(lib.name, lib);
  }

  unlink(lib: LibraryInfo): void {
    for (const f of lib.functions) this.functions.delete(f.name.toLowerCase());
    this.libraries.delete(lib.name);
  }

  get functionCount(): number {
    let n = 0;
    for (const lib of this.libraries.values()) n += lib.functions.length;
    return n;
  }
}

interface Metadata {
  engine: string;
  name: string;
  /** The code after the shebang line, from its newline on (line numbers stay right). */
  body: string;
}

/** Redis's functionExtractLibMetaData: "#!<engine> name=<library>" on the first line. */
function extractMetadata(code: string): Metadata | string {
  if (!code.startsWith("#!")) return "Missing library metadata";
  const end = code.indexOf("\n");
  if (end < 0) return "Invalid library metadata";
  const parts = splitInlineArgs(code.slice(0, end));
  if (parts === null || parts.length === 0) return "Invalid library metadata";
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) return "Invalid metadata value, name argument was given multiple times";
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === null) return "Library name was not given";
  return { engine: parts[0].slice(2), name, body: code.slice(end) };
}

function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

export interface FunctionsOptions {
  /** Lua instructions a function (or a library's loading code) may run. */
  instructionsMax: number;
}

/** The libraries of one store and the Lua state that runs them. */
export class Functions {
  #ctx = new LibraryCtx();
  #vm: LuaVm | null = null;
  readonly #instructionsMax: number;
  readonly #maxStringBytes: number;

  constructor(instructionsMax: number, maxStringBytes: number) {
    this.#instructionsMax = instructionsMax;
    this.#maxStringBytes = maxStringBytes;
  }

  get #lua(): LuaVm {
    this.#vm ??= new LuaVm(this.#instructionsMax);
    return this.#vm;
  }

  get libraryCount(): number {
    return this.#ctx.libraries.size;
  }

  /** The flags function `name` declares, or null when there is no such function. */
  declaredFlags(name: string): readonly string[] | null {
    return this.#ctx.functions.get(name.toLowerCase())?.flags ?? null;
  }

  get functionCount(): number {
    return this.#ctx.functionCount;
  }

  /** The bytes of the loaded libraries' code. */
  get codeBytes(): number {
    let bytes = 0;
    for (const lib of this.#ctx.libraries.values()) bytes += lib.code.length;
    return bytes;
  }

  /** Redis's functionsCreateWithLibraryCtx: the library's name, or the error text. */
  #create(code: string, replace: boolean, ctx: LibraryCtx): { name: string } | { error: string } {
    const md = extractMetadata(code);
    if (typeof md === "string") return { error: md };
    if (!validName(md.name)) return { error: NAME_ERROR };
    if (md.engine.toUpperCase() !== ENGINE) return { error: `Engine '${md.engine}' not found` };
    const old = ctx.libraries.get(md.name);
    if (old !== undefined && !replace) return { error: `Library '${md.name}' already exists` };
    if (old !== undefined) ctx.unlink(old);
    const vm = this.#lua;
    const registered = vm.loadLibrary(md.body);
    let failure: string | null = null;
    if (typeof registered === "string") failure = registered;
    else if (registered.length === 0) failure = "No functions registered";
    else {
      const taken = registered.find((f) => ctx.functions.has(f.name.toLowerCase()));
      if (taken !== undefined) failure = `Function ${taken.name} already exists`;
    }
    if (failure !== null) {
      if (typeof registered !== "string") { for (const f of registered) vm.release(f.ref); }
      if (old !== undefined) ctx.link(old);
      return { error: failure };
    }
    const functions: FunctionInfo[] = [];
    const lib: LibraryInfo = { name: md.name, code, functions };
    for (const f of registered as RegisteredFunction[]) functions.push({ ...f, library: lib });
    ctx.link(lib);
    if (old !== undefined) this.#free(old);
    return { name: md.name };
  }

  #free(lib: LibraryInfo): void {
    if (this.#vm === null) return;
    for (const f of lib.functions) this.#vm.release(f.ref);
  }

  load(code: string, replace: boolean): { name: string } | { error: string } {
    return this.#create(code, replace, this.#ctx);
  }

  delete(name: string): boolean {
    const lib = this.#ctx.libraries.get(name);
    if (lib === undefined) return false;
    this.#ctx.unlink(lib);
    this.#free(lib);
    return true;
  }

  /** Drops every library and the Lua state with them (a fresh state, as Redis's flush). */
  flush(): void {
    this.#ctx = new LibraryCtx();
    this.#vm = null;
  }

  /** FUNCTION DUMP's payload (Redis's format). */
  dump(): string {
    let body = "";
    for (const lib of this.#ctx.libraries.values()) {
      // The code starts with "#!": never one of the integer encodings rdbSaveRawString tries.
      body += String.fromCharCode(RDB_OPCODE_FUNCTION2) + rdbLength(lib.code.length) + lib.code;
    }
    body += String.fromCharCode(RDB_VERSION & 0xff, RDB_VERSION >> 8);
    return body + bytesToBinary(crc64LittleEndian(binaryToBytes(body)));
  }

  /** FUNCTION RESTORE: null on success, else the error text. */
  restore(payload: string, policy: "flush" | "append" | "replace"): string | null {
    const bytes = binaryToBytes(payload);
    if (!verifyDumpPayload(bytes)) return "DUMP payload version or checksum are wrong";
    const incoming = new LibraryCtx();
    const failed = this.#readPayload(bytes, incoming);
    if (failed !== null) {
      this.#discard(incoming);
      return failed;
    }
    if (policy === "flush") {
      for (const lib of this.#ctx.libraries.values()) this.#free(lib);
      this.#ctx = incoming;
      return null;
    }
    const joined = this.#join(incoming, policy === "replace");
    if (joined !== null) this.#discard(incoming);
    return joined;
  }

  #readPayload(bytes: Uint8Array, into: LibraryCtx): string | null {
    const reader = new RdbReader(
      bytes.subarray(0, bytes.length - FOOTER_BYTES),
      this.#maxStringBytes,
    );
    while (reader.remaining > 0) {
      const type = reader.byte();
      if (type === RDB_OPCODE_FUNCTION_PRE_GA) return "Pre-GA function format not supported";
      if (type !== RDB_OPCODE_FUNCTION2) return "given type is not a function";
      let code: string;
      try {
        code = reader.string();
      } catch (cause) {
        if (cause instanceof RdbFormatError || cause instanceof RdbLimitError) {
          return "Failed loading library payload";
        }
        throw cause;
      }
      const created = this.#create(code, false, into);
      if ("error" in created) return created.error;
    }
    return null;
  }

  #discard(ctx: LibraryCtx): void {
    for (const lib of ctx.libraries.values()) this.#free(lib);
  }

  /** Redis's libraryJoin: all of `src` into the current libraries, or nothing. */
  #join(src: LibraryCtx, replace: boolean): string | null {
    const dst = this.#ctx;
    const replaced: LibraryInfo[] = [];
    let failure: string | null = null;
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) {
        failure = `Library ${lib.name} already exists`;
        break;
      }
      dst.unlink(old);
      replaced.push(old);
    }
    if (failure === null) {
      for (const f of src.functions.values()) {
        if (dst.functions.has(f.name.toLowerCase())) {
          failure = `Function ${f.name} already exists`;
          break;
        }
      }
    }
    if (failure !== null) {
      for (const old of replaced) dst.link(old);
      return failure;
    }
    for (const lib of src.libraries.values()) dst.link(lib);
    for (const old of replaced) this.#free(old);
    return null;
  }

  list(pattern: string | null, withCode: boolean): Reply {
    const out: Reply[] = [];
    const lowered = pattern?.toLowerCase() ?? null;
    for (const lib of this.#ctx.libraries.values()) {
      if (lowered !== null && !globMatch(lowered, lib.name.toLowerCase())) continue;
      const fields: [Reply, Reply][] = [
        [bulk("library_name"), bulk(lib.name)],
        [bulk("engine"), bulk(ENGINE)],
        [bulk("functions"), array(lib.functions.map(describe))],
      ];
      if (withCode) fields.push([bulk("library_code"), bulk(lib.code)]);
      out.push({ kind: "map", value: fields });
    }
    return array(out);
  }

  stats(): Reply {
    return {
      kind: "map",
      value: [
        [bulk("running_script"), NIL], // a busy one is the server's (busy_script.ts)
        [bulk("engines"), {
          kind: "map",
          value: [[bulk(ENGINE), {
            kind: "map",
            value: [
              [bulk("libraries_count"), integer(this.#ctx.libraries.size)],
              [bulk("functions_count"), integer(this.#ctx.functionCount)],
            ],
          }]],
        }],
      ],
    };
  }

  fcall(store: Store, argv: string[], ctx: ExecContext, ro: boolean): ExecResult {
    const fail = (text: string): ExecResult => ({ reply: error(text), log: null });
    const fn = this.#ctx.functions.get(argv[1].toLowerCase());
    if (fn === undefined) return fail("ERR Function not found");
    const numkeys = parseLongLong(argv[2]);
    if (numkeys === null) return fail("ERR Bad number of keys provided");
    if (numkeys > argv.length - 3) {
      return fail("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) return fail("ERR Number of keys can't be negative");
    const noWrites = fn.flags.includes("no-writes");
    // Without no-writes or allow-oom Redis flags the call denyoom, so over maxmemory (after
    // evicting what the policy allows) it is refused before it starts (processCommand's generic
    // OOM error, ahead of the *_ro refusal). Functions always declare flags: nothing is refused
    // once one runs.
    if (!noWrites && !fn.flags.includes("allow-oom") && !store.fitsMaxmemory()) {
      return { reply: ERR_OOM, log: null };
    }
    if (!noWrites && store.writeRefusal !== null && ctx.replaying !== true) {
      return { reply: store.writeRefusal, log: null };
    }
    if (!noWrites && ro) {
      return fail("ERR Can not execute a script with write flag using *_ro command.");
    }
    const log: string[][] = [];
    const host = scriptHost(store, ctx, noWrites, log);
    const n = Number(numkeys);
    const keys = argv.slice(3, 3 + n);
    const args = argv.slice(3 + n);
    const vm = this.#lua;
    const fault = (cause: unknown): Reply =>
      error(`ERR Error running function ${fn.name}: ${String(cause)}`);
    return runScript({
      vm,
      kind: "function",
      name: fn.name,
      argv,
      start: () => {
        const seed = Math.floor(ctx.random() * 2 ** 32);
        return vm.callFunction(fn.ref, fn.name, keys, args, host, seed, ctx.scriptPauseAfterMs);
      },
      wrote: host.wrote,
      log,
      onFault: fault,
    });
  }

  /** The store section: the DUMP payload, loaded as RESTORE FLUSH into a fresh Lua state. */
  sectionLoad(payload: string): void {
    this.flush();
    const failed = this.restore(payload, "flush");
    if (failed !== null) throw new RangeError(`Invalid functions section: ${failed}`);
  }
}

function describe(f: FunctionInfo): Reply {
  return {
    kind: "map",
    value: [
      [bulk("name"), bulk(f.name)],
      [bulk("description"), f.description === null ? NIL : bulk(f.description)],
      [bulk("flags"), { kind: "set", value: f.flags.map(simple) }],
    ],
  };
}

/** Redis's string2ll: a canonical signed 64-bit integer, else null. */
function parseLongLong(text: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(text)) return null;
  const v = BigInt(text);
  return v < -(2n ** 63n) || v >= 2n ** 63n ? null : v;
}

function subcommandSyntaxError(argv: string[]): Reply {
  return error(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1].slice(0, 128).replace(/[\r\n]/g, " ")
    }'. Try FUNCTION HELP.`,
  );
}

/** Whether `argv` is FUNCTION LOAD or RESTORE (the denyoom subcommands) with a valid arity. */
function deniesOnOom(argv: string[]): boolean {
  const sub = argv[1].toLowerCase();
  if (sub !== "load" && sub !== "restore") return false;
  const arity = SUBCOMMAND_ARITY[sub];
  return arity > 0 ? argv.length === arity : argv.length >= -arity;
}

/** FUNCTION <subcommand>: the reply, and whether the state changed (then the command is logged). */
function functionCommand(fns: Functions, argv: string[]): { reply: Reply; changed: boolean } {
  const done = (reply: Reply, changed = false) => ({ reply, changed });
  const sub = argv[1].toLowerCase();
  const arity = Object.hasOwn(SUBCOMMAND_ARITY, sub) ? SUBCOMMAND_ARITY[sub] : undefined;
  if (arity === undefined) {
    return done(error(
      `ERR unknown subcommand '${
        argv[1].slice(0, 128).replace(/[\r\n]/g, " ")
      }'. Try FUNCTION HELP.`,
    ));
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return done(error(`ERR wrong number of arguments for 'function|${sub}' command`));
  }
  switch (sub) {
    case "load": {
      let replace = false;
      let at = 2;
      while (at < argv.length - 1) {
        const option = argv[at++];
        if (option.toLowerCase() === "replace") replace = true;
        else return done(error(`ERR Unknown option given: ${option}`));
      }
      const loaded = fns.load(argv[at], replace);
      if ("error" in loaded) return done(error(`ERR ${loaded.error}`));
      return done(bulk(loaded.name), true);
    }
    case "delete":
      return fns.delete(argv[2]) ? done(OK, true) : done(error("ERR Library not found"));
    case "flush": {
      if (argv.length > 3) return done(subcommandSyntaxError(argv));
      if (argv.length === 3 && !["sync", "async"].includes(argv[2].toLowerCase())) {
        return done(error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
      }
      fns.flush();
      return done(OK, true);
    }
    case "list": {
      let withCode = false;
      let pattern: string | null = null;
      for (let i = 2; i < argv.length; i++) {
        const word = argv[i].toLowerCase();
        if (!withCode && word === "withcode") {
          withCode = true;
        } else if (pattern === null && word === "libraryname") {
          if (i >= argv.length - 1) return done(error("ERR library name argument was not given"));
          pattern = argv[++i];
        } else {
          return done(error(`ERR Unknown argument ${argv[i]}`));
        }
      }
      return done(fns.list(pattern, withCode));
    }
    case "dump":
      return done(bulk(fns.dump()));
    case "restore": {
      if (argv.length > 4) return done(subcommandSyntaxError(argv));
      let policy: "flush" | "append" | "replace" = "append";
      if (argv.length === 4) {
        const word = argv[3].toLowerCase();
        if (word !== "flush" && word !== "append" && word !== "replace") {
          return done(
            error(
              "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
          );
        }
        policy = word;
      }
      const failed = fns.restore(argv[2], policy);
      return failed === null ? done(OK, true) : done(error(`ERR ${failed}`));
    }
    case "stats":
      return done(fns.stats());
    case "kill":
      return done(error("NOTBUSY No scripts in execution right now."));
    default: // help
      return done(array(FUNCTION_HELP.map(simple)));
  }
}

interface DocumentedSpec extends CommandSpec {
  readonly since: string;
}

function spec(name: string, arity: number, flags: string): DocumentedSpec {
  return {
    name,
    arity,
    flags: flags.split(" ") as CommandSpec["flags"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "scripting",
    since: "7.0.0",
  };
}

/**
 * Adds FCALL, FCALL_RO and FUNCTION to a store, and the "functions" section to its snapshots.
 * FCALL carries "may-replicate" like EVAL (its function may write); FUNCTION too, since LOAD,
 * DELETE, FLUSH and RESTORE change server state the log must carry.
 */
export function registerFunctionCommands(
  store: Store,
  options: FunctionsOptions,
): Functions {
  const fns = new Functions(options.instructionsMax, store.limits.valueBytesMax);
  store.registerCommand(
    spec(
      "fcall",
      -3,
      "noscript stale skip-monitor no-mandatory-keys movablekeys may-replicate",
    ),
    (s, argv, ctx) => fns.fcall(s, argv, ctx, false),
  );
  store.registerCommand(
    spec(
      "fcall_ro",
      -3,
      "readonly noscript stale skip-monitor no-mandatory-keys movablekeys",
    ),
    (s, argv, ctx) => fns.fcall(s, argv, ctx, true),
  );
  store.registerCommand(
    spec("function", -2, "noscript may-replicate"),
    (s, argv) => {
      // FUNCTION LOAD and RESTORE are denyoom: over maxmemory they are refused once their arity
      // checked out, as Redis's processCommand refuses them.
      if (deniesOnOom(argv) && !s.fitsMaxmemory()) return { reply: ERR_OOM, log: null };
      const { reply, changed } = functionCommand(fns, argv);
      return { reply, log: changed ? [argv] : null };
    },
  );
  store.registerSection(FUNCTIONS_SECTION, {
    dump: () => fns.libraryCount === 0 ? null : fns.dump(),
    load: (payload) => fns.sectionLoad(payload),
    reset: () => fns.flush(),
  });
  return fns;
}
