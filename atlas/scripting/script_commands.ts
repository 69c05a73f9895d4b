/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, registered into a Store as extension commands.
 *
 * A script runs inside ONE store command: each redis.call is a store.execute with the caller's
 * context (same nowMs, same random source), and the script's log is the concatenation of those
 * commands' logs, i.e. its effects (Redis 7's effects replication). The AOF and replays therefore
 * never see the script, only the plain commands it ran, in one record.
 *
 * Kept outside atlas/store: fengari reads process.env when it loads, which the pure store must not.
 */
import { splitInlineArgs } from "../resp/inline.ts";
import type { CommandSpec } from "../store/command_table.ts";
import { ERR_NOT_INTEGER, ERR_OOM } from "../store/errors.ts";
import { parseInt64 } from "../store/numbers.ts";
import type { ExecContext } from "../store/keyspace.ts";
import { array, bulk, error, integer, OK, type Reply, simple } from "../store/reply.ts";
import type { ExecResult, Store } from "../store/store.ts";
import { registerFunctionCommands } from "./function_commands.ts";
import { FUNCTION_FLAGS, LuaVm } from "./lua_vm.ts";
import { runScript } from "./script_run.ts";
import { scriptHost } from "./script_host.ts";
import { sha1hex } from "./sha1.ts";

export interface ScriptingOptions {
  /**
   * Lua instructions one script may run before it is stopped with an error; 0: no budget (Redis's
   * way, for a server whose scripts pause past busy-reply-threshold and can be killed). A store
   * that runs every script to its end (a Raft replica) needs one: nothing else stops a runaway
   * loop there, and an instruction count stops it at the same point on every replica.
   */
  instructionsMax: number;
  /**
   * Keep the script cache in the store's snapshots (the "scripts" section). A Raft cluster needs
   * it: its log holds EVALSHA and SCRIPT LOAD as they came, so a replica restored from a snapshot
   * without the scripts loaded before it answered NOSCRIPT to EVALSHA entries that the others
   * ran, and the replicas diverged. Standalone, the cache is lost on a restart, as in Redis.
   */
  cacheInSnapshots: boolean;
}

/** The store section holding the script cache when `cacheInSnapshots`. */
export const SCRIPTS_SECTION = "scripts";

export const DEFAULT_SCRIPT_INSTRUCTIONS_MAX = 100_000_000;

/**
 * Redis's flags for the family (COMMAND INFO); "may-replicate" on the writers marks them as
 * possibly writing for the layers that route writes (the durability sync, Raft).
 */
const EVAL_FLAGS = "noscript stale skip-monitor no-mandatory-keys movablekeys may-replicate";
const EVAL_RO_FLAGS = "readonly noscript stale skip-monitor no-mandatory-keys movablekeys";

const NOSCRIPT = error("NOSCRIPT No matching script. Please use EVAL.");

/** SCRIPT HELP, in ATLAS's words: what each subcommand does here. */
const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    There is no Lua debugger. To a client of atlasd, YES and SYNC answer OK and the",
  "    next EVAL then ends the debugging session at once, with an error and without",
  "    running the script (NO cancels); elsewhere they are refused.",
  "EXISTS <sha1> [<sha1> ...]",
  "    For each <sha1>, 1 if the script cache holds a script with that SHA1, else 0.",
  "FLUSH [ASYNC|SYNC]",
  "    Empty the script cache (EVALSHA then answers NOSCRIPT until the scripts are",
  "    loaded again). Both modes are accepted; the cache is emptied at once either way.",
  "KILL",
  "    Stop the script running past busy-reply-threshold (one that wrote nothing yet);",
  "    NOTBUSY when none is.",
  "LOAD <script>",
  "    Compile <script> and add it to the script cache without running it; replies",
  "    its SHA1, for EVALSHA.",
  "HELP",
  "    Prints this help.",
];

function spec(name: string, arity: number, flags: string): CommandSpec {
  return {
    name,
    arity,
    flags: flags.split(" ") as CommandSpec["flags"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "scripting",
  };
}

/**
 * A script's `#!lua flags=a,b` first line (Redis 7 evalExtractShebangFlags): its flags (null for
 * a script without a shebang, Redis's compatibility mode) and how many characters to skip before
 * compiling (the line without its newline, so line numbers stay right), or Redis's error text.
 */
interface Shebang {
  flags: readonly string[] | null;
  skip: number;
}

function parseShebang(body: string): Shebang | Reply {
  if (!body.startsWith("#!")) return { flags: null, skip: 0 };
  const end = body.indexOf("\n");
  if (end === -1) return error("ERR Invalid script shebang");
  const parts = splitInlineArgs(body.slice(0, end));
  if (parts === null || parts.length === 0) return error("ERR Invalid engine in script shebang");
  if (parts[0] !== "#!lua") {
    return error(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  }
  const flags = new Set<string>();
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return error(`ERR Unknown lua shebang option: ${part}`);
    const list = part.slice(6);
    // sdssplitlen: nothing for "", an empty name for each empty field ("a,," is refused).
    for (const flag of list === "" ? [] : list.split(",")) {
      if (!(FUNCTION_FLAGS as readonly string[]).includes(flag)) {
        return error(`ERR Unexpected flag in script shebang: ${flag}`);
      }
      flags.add(flag);
    }
  }
  return { flags: [...flags], skip: end };
}

/** The script cache (body by SHA1) and the Lua state, created on first use. */
class Scripting {
  readonly #bodies = new Map<string, string>();
  readonly #shebangs = new Map<string, Shebang>();
  readonly #instructionsMax: number;
  #vm: LuaVm | null = null;

  constructor(options: Partial<ScriptingOptions>) {
    this.#instructionsMax = options.instructionsMax ?? DEFAULT_SCRIPT_INSTRUCTIONS_MAX;
  }

  /** Compiles and caches body; returns its sha, or an error reply. */
  load(body: string): string | Reply {
    const sha = sha1hex(body);
    if (!this.#bodies.has(sha)) {
      const shebang = parseShebang(body);
      if (!("skip" in shebang)) return shebang;
      this.#shebangs.set(sha, shebang);
    }
    const failed = this.#compiled(sha, body);
    if (failed !== null) {
      if (!this.#bodies.has(sha)) this.#shebangs.delete(sha);
      return failed;
    }
    this.#bodies.set(sha, body);
    return sha;
  }

  /** Compiles body (after its shebang line) into the VM unless it is there already. */
  #compiled(sha: string, body: string): Reply | null {
    this.#vm ??= new LuaVm(this.#instructionsMax);
    const skip = this.#shebangs.get(sha)?.skip ?? 0;
    const failed = this.#vm.compile(sha, skip === 0 ? body : body.slice(skip));
    return failed === null ? null : error(failed);
  }

  eval(store: Store, argv: string[], ctx: ExecContext, bySha: boolean, readOnly: boolean) {
    const fail = (reply: Reply): ExecResult => ({ reply, log: null });
    // Redis's evalShaCommand answers NOSCRIPT for a SHA of the wrong length before numkeys.
    if (bySha && argv[1].length !== 40) return fail(NOSCRIPT);
    // numkeys as Redis reads it: string2ll ("01", "-0" and "+1" refused, any int64 taken), then
    // "greater than" before "negative".
    const parsed = parseInt64(argv[2]);
    if (parsed === null) return fail(ERR_NOT_INTEGER);
    if (parsed > argv.length - 3) {
      return fail(error("ERR Number of keys can't be greater than number of args"));
    }
    if (parsed < 0) return fail(error("ERR Number of keys can't be negative"));
    const numkeys = Number(parsed);
    let sha: string;
    if (bySha) {
      sha = argv[1].toLowerCase();
      const body = this.#bodies.get(sha);
      if (body === undefined) return fail(NOSCRIPT);
      const failed = this.#compiled(sha, body); // the VM may be new since SCRIPT LOAD
      if (failed !== null) return fail(failed);
    } else {
      const loaded = this.load(argv[1]);
      if (typeof loaded !== "string") return fail(loaded);
      sha = loaded;
    }
    // Redis's scriptPrepareForRun: a script with a shebang is checked against its flags; one
    // without (compatibility mode) is not.
    const flags = this.#shebangs.get(sha)?.flags ?? null;
    const noWrites = flags !== null && flags.includes("no-writes");
    // Evicting first, as Redis before any command: whether memory is still over maxmemory.
    const fits = store.fitsMaxmemory();
    if (flags !== null && !noWrites) {
      // Without allow-oom the script is denyoom: Redis's generic OOM error comes first.
      if (!flags.includes("allow-oom") && !fits) return fail(ERR_OOM);
      if (store.writeRefusal !== null && ctx.replaying !== true) return fail(store.writeRefusal);
      if (readOnly) {
        return fail(error("ERR Can not execute a script with write flag using *_ro command."));
      }
    }
    const log: string[][] = [];
    // A script without flags (compatibility mode) starts anyway; its first write may be refused.
    const host = scriptHost(store, ctx, readOnly || noWrites, log, flags === null && !fits);
    const vm = this.#vm as LuaVm;
    const fault = (cause: unknown): Reply => {
      // A fault inside the VM (not a Lua error): start a fresh state rather than trust this one.
      if (this.#vm === vm) this.#vm = null;
      return error(`ERR Error running script (call to f_${sha}): ${String(cause)}`);
    };
    return runScript({
      vm,
      kind: "eval",
      name: sha,
      argv,
      start: () => {
        const seed = Math.floor(ctx.random() * 2 ** 32);
        const keys = argv.slice(3, 3 + numkeys);
        return vm.run(sha, keys, argv.slice(3 + numkeys), host, seed, ctx.scriptPauseAfterMs);
      },
      wrote: host.wrote,
      log,
      onFault: fault,
    });
  }

  /** The cached bodies as a section payload (JSON of binary strings), null when empty. */
  dump(): string | null {
    return this.#bodies.size === 0 ? null : JSON.stringify([...this.#bodies.values()]);
  }

  /** Replaces the cache with a dump() payload; the bodies compile on their first use. */
  restore(payload: string): void {
    let bodies: unknown;
    try {
      bodies = JSON.parse(payload);
    } catch {
      throw new RangeError("Invalid scripts section");
    }
    if (!Array.isArray(bodies) || bodies.some((b) => typeof b !== "string")) {
      throw new RangeError("Invalid scripts section");
    }
    this.flush();
    for (const body of bodies as string[]) {
      const shebang = parseShebang(body);
      if (!("skip" in shebang)) continue; // it was cached, so it parsed: never here
      const sha = sha1hex(body);
      this.#shebangs.set(sha, shebang);
      this.#bodies.set(sha, body);
    }
  }

  /** The flags a script declares in its shebang (EVALSHA: the cached one's), null for none. */
  declaredFlags(bySha: boolean, script: string): readonly string[] | null {
    if (bySha) return this.#shebangs.get(script.toLowerCase())?.flags ?? null;
    const shebang = parseShebang(script);
    return "skip" in shebang ? shebang.flags : null;
  }

  get cachedScripts(): number {
    return this.#bodies.size;
  }

  /** The bytes of the cached scripts' bodies. */
  get cachedBytes(): number {
    let bytes = 0;
    for (const body of this.#bodies.values()) bytes += body.length;
    return bytes;
  }

  flush(): void {
    this.#bodies.clear();
    this.#shebangs.clear();
    this.#vm = null; // drops every compiled function with the state
  }

  script(argv: string[]): Reply {
    const sub = argv[1].toLowerCase();
    const arity = (ok: boolean) =>
      ok ? null : error(`ERR wrong number of arguments for 'script|${sub}' command`);
    switch (sub) {
      case "load": {
        const bad = arity(argv.length === 3);
        if (bad !== null) return bad;
        const loaded = this.load(argv[2]);
        return typeof loaded === "string" ? bulk(loaded) : loaded;
      }
      case "exists":
        return arity(argv.length >= 3) ??
          array(argv.slice(2).map((s) => integer(this.#bodies.has(s.toLowerCase()) ? 1 : 0)));
      case "flush": {
        // Any count of arguments (script|flush is -2): more than one mode is this error too.
        if (
          argv.length > 3 ||
          (argv.length === 3 && !["sync", "async"].includes(argv[2].toLowerCase()))
        ) {
          return error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        }
        this.flush();
        return OK;
      }
      case "debug": {
        const bad = arity(argv.length === 3);
        if (bad !== null) return bad;
        const mode = argv[2].toLowerCase();
        if (mode === "no") return OK; // debugging is never on
        if (mode !== "yes" && mode !== "sync") return error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
        return error("ERR SCRIPT DEBUG YES/SYNC is not supported: atlasd has no Lua debugger");
      }
      case "kill": // a busy script's KILL is the server's (atlas/server/busy_script.ts)
        return arity(argv.length === 2) ?? error("NOTBUSY No scripts in execution right now.");
      case "help":
        return arity(argv.length === 2) ?? array(SCRIPT_HELP.map(simple));
      default:
        return error(
          `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try SCRIPT HELP.`,
        );
    }
  }
}

/**
 * Adds the scripting commands to a store (each store keeps its own script cache and VM): EVAL and
 * SCRIPT here, FCALL and FUNCTION from function_commands.ts.
 */
export function registerScriptingCommands(
  store: Store,
  options: Partial<ScriptingOptions> = {},
): void {
  const scripting = new Scripting(options);
  store.registerCommand(
    spec("eval", -3, EVAL_FLAGS),
    (s, argv, ctx) => scripting.eval(s, argv, ctx, false, false),
  );
  store.registerCommand(
    spec("evalsha", -3, EVAL_FLAGS),
    (s, argv, ctx) => scripting.eval(s, argv, ctx, true, false),
  );
  store.registerCommand(
    spec("eval_ro", -3, EVAL_RO_FLAGS),
    (s, argv, ctx) => scripting.eval(s, argv, ctx, false, true),
  );
  store.registerCommand(
    spec("evalsha_ro", -3, EVAL_RO_FLAGS),
    (s, argv, ctx) => scripting.eval(s, argv, ctx, true, true),
  );
  store.registerCommand(
    spec("script", -2, "noscript may-replicate"),
    (_s, argv) => ({ reply: scripting.script(argv), log: null }),
  );
  if (options.cacheInSnapshots) {
    store.registerSection(SCRIPTS_SECTION, {
      dump: () => scripting.dump(),
      load: (payload) => scripting.restore(payload),
      reset: () => scripting.flush(),
    });
  }
  const functions = registerFunctionCommands(store, {
    instructionsMax: options.instructionsMax ?? DEFAULT_SCRIPT_INSTRUCTIONS_MAX,
  });
  store.scriptFlags = (argv) => {
    if (argv.length < 2) return null;
    switch (argv[0].toLowerCase()) {
      case "eval":
      case "eval_ro":
        return scripting.declaredFlags(false, argv[1]);
      case "evalsha":
      case "evalsha_ro":
        return scripting.declaredFlags(true, argv[1]);
      case "fcall":
      case "fcall_ro":
        return functions.declaredFlags(argv[1]);
      default:
        return null;
    }
  };
  store.scriptingStats = () => ({
    cachedScripts: scripting.cachedScripts,
    scriptBytes: scripting.cachedBytes,
    libraries: functions.libraryCount,
    functions: functions.functionCount,
    libraryBytes: functions.codeBytes,
  });
}
