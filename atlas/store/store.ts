/**
 * The ATLAS store: a pure, deterministic command layer over the keyspace. `execute` takes argv and
 * the time/randomness of this call and returns the reply plus the log form(s) to append to the AOF
 * or replicate. Nothing here reads a clock, does I/O, or sets timers.
 */
import { type AtlasLimits, resolveLimits } from "../limits.ts";
import type { BuiltinHandler, CommandSpec } from "./command_table.ts";
import { BUILTIN_COMMANDS } from "./commands.ts";
import { ERR_OOM, unknownCommand, wrongArity } from "./errors.ts";
import {
  EVICTION_POLICIES,
  type EvictionPolicy,
  Evictor,
  policyTracksLfu,
  policyTracksLru,
} from "./evict.ts";
import { datasetDigest, valueDigest } from "./digest.ts";
import { activeExpire, type ExpireBudget } from "./expire.ts";
import type { LfuSettings } from "./lfu.ts";
import {
  type EncodingLimits,
  type ExecContext,
  type FlushListener,
  Keyspace,
  type ProcessMemory,
  selectForm,
  type ServerMemory,
} from "./keyspace.ts";
import { error, type Reply } from "./reply.ts";
import { deserializeValue, serializeValue, TAG_DATABASE, TAG_SECTION } from "./serialize.ts";
import { rdbFileObject } from "./rdb_file.ts";
import { encodeDumpPayload } from "./rdb_encode.ts";
import { encodingOf } from "./keys_commands.ts";
import {
  DatabasesView,
  KeyspaceView,
  type SnapshotEntry,
  type SnapshotView,
} from "./snapshot_view.ts";

/** See Store.scriptCommandHook. */
export interface ScriptCommandHook {
  /** Whether the calls are to be timed (read at each call). */
  readonly timed: boolean;
  /** `db`: the database the script had selected when it ran the command. */
  ran(argv: readonly string[], us: number, reply: Reply, db: number): void;
  /**
   * The script's call of `argv` was refused before it ran (unknown command, arity, noscript, a
   * write from a read-only script, ACL, OOM) with `reply` (Redis counts it as a rejected call).
   */
  rejected?(argv: readonly string[], reply: Reply): void;
  /**
   * Why the script may not run `argv` (the ACL of the user running it), or null; asked after the
   * command was found and its arity checked, before it runs.
   */
  refuse?(argv: readonly string[]): Reply | null;
  /** Whether the user running the script may run `argv` (redis.acl_check_cmd; nothing logged). */
  permits?(argv: readonly string[]): boolean;
}

/** What the scripting module holds, for INFO memory (Store.scriptingStats). */
export interface ScriptingStats {
  /** EVAL's script cache: scripts and the bytes of their bodies. */
  cachedScripts: number;
  scriptBytes: number;
  /** FUNCTION's libraries, their functions, and the bytes of the libraries' code. */
  libraries: number;
  functions: number;
  libraryBytes: number;
}

/** A command as a script's call sees it: Redis's arity and flags (ScriptServerHook.lookup). */
export interface ScriptCommandInfo {
  readonly arity: number;
  readonly flags: readonly string[];
}

/** See Store.setScriptServerHook. */
export interface ScriptServerHook {
  /**
   * The command `argv` names as Redis's script dispatch looks it up (lookupCommand: a container's
   * subcommand when argv has one), store commands included: its arity and flags; null when the
   * server knows no such command or subcommand.
   */
  lookup(argv: readonly string[]): ScriptCommandInfo | null;
  /**
   * Runs a server command a script called (PUBLISH, INFO, PUBSUB...) under the script's context
   * and answers its reply. Under Raft the server makes what it answers deterministic where it
   * must (PUBLISH's receiver count); see docs/atlas_store.md "Scripting".
   */
  call(argv: string[], ctx: ExecContext): Reply;
}

export interface ExecResult {
  reply: Reply;
  /** Deterministic command(s) to append to the AOF / replicate; null when nothing changed. */
  log: string[][] | null;
  /**
   * Set when the command paused half-way (a script past ExecContext.scriptPauseAfterMs): `reply`
   * and `log` mean nothing yet; the caller resumes it until it ends. Nothing else may run on the
   * store meanwhile, except reading what `PausedScript` tells.
   */
  paused?: PausedScript;
}

/** The placeholder reply of a paused command (ExecResult.paused): never sent to a client. */
export const PAUSED_REPLY: Reply = Object.freeze({ kind: "error", value: "ERR script paused" });

/**
 * A script that paused half-way, as Redis's script past busy-reply-threshold: the server answers
 * other clients BUSY until it ends, and lets SCRIPT KILL / FUNCTION KILL stop it.
 */
export interface PausedScript {
  /** Runs it on for a while: its result, or again a paused one. */
  resume(): ExecResult;
  /** "eval" for EVAL / EVALSHA (and _RO), "function" for FCALL (and _RO): Redis's BUSY texts. */
  readonly kind: "eval" | "function";
  /** The function's name or the script's SHA1. */
  readonly name: string;
  /** The command that runs it (FUNCTION STATS shows it). */
  readonly argv: readonly string[];
  /** performance.now() when it started. */
  readonly startedMs: number;
  /** Whether it called a write command (Redis's SCRIPT_WRITE_DIRTY): then it cannot be killed. */
  wrote(): boolean;
  /** Makes it end, at its next resume, with Redis's "Script killed by user" error. */
  kill(): void;
}

/** An extension command (e.g. the job queue's JOB.*): may call store.execute for primitives. */
export type CommandHandler = (store: Store, argv: string[], ctx: ExecContext) => ExecResult;

/**
 * Server state kept outside the keyspace that snapshots must carry (the function libraries of
 * FUNCTION LOAD). A snapshot view holds each non-empty section as one TAG_SECTION entry.
 */
export interface StoreSection {
  /** The state as a payload, or null when there is nothing to keep. */
  dump(): string | null;
  /** Replaces the state with a dump() payload; throws RangeError when it is malformed. */
  load(payload: string): void;
  /** Drops the state (a whole-state restore). */
  reset(): void;
}

export interface StoreOptions {
  limits: Partial<AtlasLimits>;
  /** 0 = no limit. Compared against the estimate in stats.usedMemoryBytes plus baseMemoryBytes. */
  maxmemoryBytes: number;
  /**
   * Bytes counted against maxmemory besides the data (a server's own, SERVER_BASE_MEMORY_BYTES).
   * Default 0: the data alone.
   */
  baseMemoryBytes: number;
  maxmemoryPolicy: EvictionPolicy;
  /**
   * Reads hide expired keys instead of deleting them, so a read never returns a log (useful when
   * only replicated writes may change state, e.g. under Raft). Default false: like Redis, any
   * access deletes an expired key and logs the DEL.
   */
  readsHideExpired: boolean;
  /**
   * Reads the process's memory (Deno.memoryUsage) for MEMORY STATS / DOCTOR / MALLOC-STATS; the
   * store does no I/O itself. Absent: those report the process's figures as 0.
   */
  processMemory: () => ProcessMemory;
  /** Numbered databases (SELECT 0 to databases - 1; Redis's `databases`). Default 1. */
  databases: number;
}

export interface StoreStats {
  keys: number;
  volatileKeys: number;
  expiredKeysTotal: number;
  evictedKeysTotal: number;
  usedMemoryBytes: number;
  /** The server's base (StoreOptions.baseMemoryBytes): maxmemory counts it with the data. */
  baseMemoryBytes: number;
  maxmemoryBytes: number;
  maxmemoryPolicy: EvictionPolicy;
  commandsTotal: number;
  /** Estimated average remaining TTL of volatile keys, ms (0: none, or not sampled yet). */
  avgTtlMs: number;
  /** Read lookups that found / missed their key (INFO keyspace_hits / keyspace_misses). */
  keyspaceHits: number;
  keyspaceMisses: number;
  /** INFO lazyfreed_objects (Keyspace.lazyfreedObjects). */
  lazyfreedObjects: number;
}

/**
 * How many databases a snapshot's entries need (1 + the highest index of their TAG_DATABASE
 * entries; 1 without any), so a loader can make a store that holds them.
 */
export function databasesHeldBy(entries: Iterable<{ key: string; payload: string }>): number {
  let count = 1;
  for (const e of entries) {
    if (e.payload[0] === TAG_DATABASE) count = Math.max(count, Number(e.key) + 1);
  }
  return count;
}

/** One non-empty database's figures (INFO keyspace's `dbN:` line). */
export interface DatabaseStats {
  index: number;
  keys: number;
  volatileKeys: number;
  /** Estimated average remaining TTL of its volatile keys, ms (0: none, or not sampled yet). */
  avgTtlMs: number;
}

interface Entry {
  readonly spec: CommandSpec;
  readonly builtin: BuiltinHandler | null;
  readonly external: CommandHandler | null;
  readonly write: boolean;
  readonly denyoom: boolean;
  readonly checkElements: boolean;
}

const NO_RANDOM: ExecContext = { nowMs: 0, random: () => 0 };

/** The keyspace's per-command state, saved around work done outside execute(). */
interface Saved {
  log: string[][] | null;
  ctx: ExecContext;
  writing: boolean;
  logDb: number;
}

export class Store {
  readonly limits: AtlasLimits;
  readonly #ks: Keyspace;
  readonly #table = new Map<string, Entry>();
  readonly #specs = new Map<string, CommandSpec>();
  /** The last command's name as sent and its entry (see execute). */
  #lastName = "";
  #lastEntry: Entry | undefined = undefined;
  /** One per database: each walks its own keys. */
  #evictors: Evictor[];
  /** The database the next eviction starts looking at (they take turns, see #evict). */
  #evictDb = 0;
  /** The database active expiry starts its next cycle at (Redis's current_db). */
  #expireDb = 0;
  /** The database restoreValue loads into (a snapshot's TAG_DATABASE entries move it). */
  #restoreDb = 0;
  #maxmemoryBytes: number;
  readonly #baseMemoryBytes: number;
  #clientsMemory: (() => number) | null = null;
  #policy: EvictionPolicy;
  #depth = 0;
  /** Above 0 while commands run that were admitted as a unit (withoutOomRefusal: EXEC's). */
  #admitted = 0;
  /** The script the command running now paused (see ExecResult.paused), until #inCommand ends. */
  #paused: PausedScript | null = null;
  /** See setScriptCommandHook (read by the script host). */
  scriptCommandHook: ScriptCommandHook | null = null;
  /** See setScriptServerHook (read by the script host). */
  scriptServerHook: ScriptServerHook | null = null;
  /**
   * When set, write commands are refused with this reply (NOREPLICAS: the server's
   * min-replicas-to-write asks for replicas it does not have). The server checks it for the
   * commands clients send; scripts check it here for the writes they call.
   */
  writeRefusal: Reply | null = null;
  /**
   * Set while V8's heap is near its limit (atlas/heap_guard.ts, from the engine's timer): the
   * memory-growing writes clients send are refused as under maxmemory with noeviction, instead of
   * V8 aborting the process. Never set on a Raft replica, whose writes must apply alike everywhere
   * (its executor refuses them before proposing instead).
   */
  heapFull = false;
  /**
   * DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may call commands flagged noscript (Redis's hack
   * for its tests of replies a script cannot otherwise get, DEBUG PROTOCOL's).
   */
  scriptDenyDisabled = false;
  /**
   * Set by the scripting module: the flags the script of an EVAL / EVALSHA (and _RO) or FCALL
   * (and _RO) command declares (a shebang's, a function's), or null when it declares none
   * (compatibility mode) or is unknown. Redis derives such a command's flags from them: a
   * `no-writes` script is no write (CLIENT PAUSE WRITE lets it run).
   */
  scriptFlags: ((argv: readonly string[]) => readonly string[] | null) | null = null;
  /** Set by the scripting module (registerScriptingCommands): its caches' sizes for INFO. */
  scriptingStats: (() => ScriptingStats) | null = null;
  #commandsTotal = 0;
  readonly #sections = new Map<string, StoreSection>();
  /** Sections a snapshot held that no module registered (yet): kept and saved again as is. */
  readonly #pendingSections = new Map<string, string>();

  constructor(options: Partial<StoreOptions> = {}) {
    this.limits = resolveLimits(options.limits);
    this.#ks = new Keyspace(this.limits, options.databases ?? 1);
    this.#maxmemoryBytes = 0;
    this.#baseMemoryBytes = options.baseMemoryBytes ?? 0;
    if (!Number.isSafeInteger(this.#baseMemoryBytes) || this.#baseMemoryBytes < 0) {
      throw new RangeError(`Invalid baseMemoryBytes ${this.#baseMemoryBytes}`);
    }
    this.#policy = "noeviction";
    this.#evictors = this.#newEvictors();
    this.setMaxmemory(options.maxmemoryBytes ?? 0, options.maxmemoryPolicy ?? "noeviction");
    this.#ks.readsHideExpired = options.readsHideExpired === true;
    this.#ks.processMemory = options.processMemory ?? null;
    this.#ks.baseMemoryBytes = this.#baseMemoryBytes;
    for (const c of BUILTIN_COMMANDS) this.#add(c.spec, c.handler, null);
  }

  /**
   * Changes maxmemory and its policy (CONFIG SET). Nothing is evicted here: evictToMaxmemory
   * does (the server calls it next), or else the next write command (or is refused with OOM under
   * noeviction). Leaving an
   * LFU policy counts every present key as accessed at `nowMs` (the store reads no clock).
   * Throws RangeError on a bad value.
   */
  setMaxmemory(bytes: number, policy: EvictionPolicy = this.#policy, nowMs = 0): void {
    if (!EVICTION_POLICIES.includes(policy)) {
      throw new RangeError(`Unknown maxmemory policy "${policy}"`);
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`Invalid maxmemoryBytes ${bytes}`);
    }
    this.#maxmemoryBytes = bytes;
    if (policy !== this.#policy) {
      this.#policy = policy;
      this.#evictors = this.#newEvictors();
    }
    // Access times (OBJECT IDLETIME) unless an LFU policy keeps counters instead, as Redis's
    // object header holds one or the other. Off before on: both count the same per-key overhead.
    const lfu = policyTracksLfu(policy);
    if (lfu) this.#ks.setLruTracking(false, nowMs);
    else this.#ks.setLfuTracking(false, nowMs);
    if (lfu) this.#ks.setLfuTracking(true, nowMs);
    else this.#ks.setLruTracking(true, nowMs);
    this.#ks.setLruOrdered(bytes > 0 && policyTracksLru(policy));
  }

  #newEvictors(): Evictor[] {
    return this.#ks.databases.map((db) => new Evictor(this.#policy, db.expireCursor));
  }

  /** How many numbered databases there are (SELECT's range). */
  get databases(): number {
    return this.#ks.databases.length;
  }

  /** The OBJECT ENCODING thresholds; CONFIG SET changes the fields in place. */
  get encodingLimits(): EncodingLimits {
    return this.#ks.encoding;
  }

  /** maxmemory in bytes (0: no limit); read before every command by a server that evicts. */
  get maxmemoryBytes(): number {
    return this.#maxmemoryBytes;
  }

  /** lfu-log-factor / lfu-decay-time; CONFIG SET changes the fields in place. */
  get lfuSettings(): LfuSettings {
    return this.#ks.lfuSettings;
  }

  /** Lower-case name → spec, for COMMAND INFO/COUNT/DOCS, MULTI, WATCH and routing. */
  get commands(): ReadonlyMap<string, CommandSpec> {
    return this.#specs;
  }

  /** Runs one command. argv[0] is the name in any case; every item is a binary string. */
  execute(argv: string[], ctx: ExecContext): ExecResult {
    const name = argv[0];
    if (name === undefined) return { reply: unknownCommand([""]), log: null };
    // Pipelines repeat one command: comparing a short name beats hashing a fresh string (the
    // parser makes a new one per command) for the Map.
    let entry = name === this.#lastName ? this.#lastEntry : this.#table.get(name);
    if (entry === undefined) {
      entry = this.#table.get(name.toLowerCase());
      if (entry === undefined) return { reply: unknownCommand(argv), log: null };
    }
    this.#lastName = name;
    this.#lastEntry = entry;
    const arity = entry.spec.arity;
    if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
      return { reply: wrongArity(entry.spec.name), log: null };
    }
    this.#commandsTotal++;
    const db = ctx.db ?? 0;
    if (db !== this.#ks.dbIndex && (db < 0 || db >= this.databases || !Number.isInteger(db))) {
      return { reply: error("ERR DB index is out of range"), log: null };
    }
    return this.#inCommand(entry, ctx, null, 0, argv, null);
  }

  /**
   * Runs command `entry` under `ctx` — `argv`, or the rest of `resumed` — with the keyspace's
   * per-command state set around it and restored after (also when it throws: a programmer error
   * leaves the store usable). `log` and `logDb`: where the command's log starts (null and 0; a
   * resumed command's so far). A command that paused (a script) keeps its log for its resume,
   * and the keys it touched unflushed.
   */
  #inCommand(
    entry: Entry,
    ctx: ExecContext,
    log: string[][] | null,
    logDb: number,
    argv: string[],
    resumed: PausedScript | null,
  ): ExecResult {
    const ks = this.#ks;
    const savedLog = ks.log;
    const savedCtx = ks.ctx;
    const savedWriting = ks.writing;
    const savedDb = ks.dbIndex;
    const savedLogDb = ks.logDb;
    const db = ctx.db ?? 0;
    if (db !== savedDb) ks.select(db);
    // Every log starts at database 0: a command of another one logs a SELECT first (emit), so an
    // AOF record replays on its own.
    ks.logDb = logDb;
    ks.log = log;
    ks.ctx = ctx;
    ks.nowMs = ctx.nowMs;
    ks.replaying = ctx.replaying === true;
    ks.writing = entry.write;
    this.#depth++;
    let reply: Reply;
    let endLog: string[][] | null;
    let endLogDb: number;
    try {
      reply = resumed === null ? this.#run(entry, argv, ctx) : this.#resumeRun(resumed);
      endLog = ks.log as string[][] | null; // (set by the handler: not the value assigned above)
      endLogDb = ks.logDb;
      // A nested command's log (a script's, a module's) goes back to database 0 at its end, so
      // the caller can append it as it is (Keyspace.emitLog).
      if (endLog !== null && this.#depth > 1 && endLogDb !== 0) endLog.push(selectForm(0));
    } finally {
      this.#depth--;
      if (ks.dbIndex !== savedDb) ks.select(savedDb);
      ks.logDb = savedLogDb;
      ks.log = savedLog;
      ks.ctx = savedCtx;
      ks.nowMs = savedCtx.nowMs;
      ks.replaying = savedCtx.replaying === true;
      ks.writing = savedWriting;
    }
    const paused = this.#paused;
    if (paused !== null) {
      this.#paused = null;
      return {
        reply: PAUSED_REPLY,
        log: null,
        paused: this.#resumable(entry, ctx, paused, endLog, endLogDb, argv),
      };
    }
    if (this.#depth === 0) ks.flushTouched();
    return { reply, log: endLog };
  }

  /** The rest of a paused script, inside its command (see #inCommand). */
  #resumeRun(inner: PausedScript): Reply {
    const result = inner.resume();
    if (result.paused !== undefined) {
      this.#paused = result.paused;
      return PAUSED_REPLY;
    }
    if (result.log !== null) this.#ks.emitLog(result.log);
    return result.reply;
  }

  /** A paused script that resumes inside its command again (see #inCommand). */
  #resumable(
    entry: Entry,
    ctx: ExecContext,
    inner: PausedScript,
    log: string[][] | null,
    logDb: number,
    argv: string[],
  ): PausedScript {
    return {
      kind: inner.kind,
      name: inner.name,
      argv: inner.argv,
      startedMs: inner.startedMs,
      wrote: () => inner.wrote(),
      kill: () => inner.kill(),
      resume: () => this.#inCommand(entry, ctx, log, logDb, argv, inner),
    };
  }

  #run(entry: Entry, argv: string[], ctx: ExecContext): Reply {
    if (argv.length > this.limits.argsMax) {
      return error(`ERR too many arguments: more than ${this.limits.argsMax} (argsMax)`);
    }
    if (entry.write) {
      const bad = this.#checkLimits(entry, argv);
      if (bad !== null) return bad;
      // Memory is checked once per command a client sent, as Redis's processCommand does: not for
      // the commands a script runs (its host applies Redis's rule: script_host.ts). A command of
      // an admitted EXEC evicts what it can but is not refused: the block cannot stop half-way.
      if (
        (this.#maxmemoryBytes > 0 || this.heapFull) && this.#depth === 1 && !this.fitsMaxmemory()
      ) {
        if (entry.denyoom && this.#admitted === 0) return ERR_OOM;
      }
    }
    if (entry.builtin !== null) return entry.builtin(this.#ks, argv);
    const result = (entry.external as CommandHandler)(this, argv, ctx);
    if (result.paused !== undefined) {
      this.#paused = result.paused; // read by #inCommand as it returns
      return PAUSED_REPLY;
    }
    if (result.log !== null) this.#ks.emitLog(result.log);
    return result.reply;
  }

  /**
   * Evicts what the policy allows until the data fits maxmemory (less the base); false when it
   * still does not — Redis's performEvictions before a command. Always true without a limit and
   * while replaying a log, which holds the evictions' DELs and never refuses what it ran. Call it
   * only inside a command (a handler): the evictions' DELs go to that command's log.
   */
  fitsMaxmemory(): boolean {
    if (this.#ks.replaying) return true;
    if (this.heapFull) return false; // evicting frees no known amount of heap: refuse instead
    return this.#maxmemoryBytes === 0 || this.#evict();
  }

  /**
   * Runs `body` (synchronous) without refusing its denyoom writes for memory (they still evict
   * what the policy allows): a transaction whose memory was checked as a whole before it started
   * (EXEC), as Redis runs an EXEC's commands.
   */
  withoutOomRefusal<T>(body: () => T): T {
    this.#admitted++;
    try {
      return body();
    } finally {
      this.#admitted--;
    }
  }

  /**
   * What the data may take: maxmemory less the base and what clients hold (negative: nothing
   * fits). Redis compares its whole allocation, clients' buffers included, with maxmemory: output
   * piling up for clients that do not read evicts keys, or refuses writes under noeviction.
   */
  get #dataBudget(): number {
    return this.#maxmemoryBytes - this.#baseMemoryBytes - (this.#clientsMemory?.() ?? 0);
  }

  /**
   * Evicts until used memory fits maxmemory; false when it cannot. With several databases holding
   * keys they take turns victim by victim (Redis samples every database into one pool: the same
   * spread, less exact on which database's key is the best victim).
   */
  #evict(): boolean {
    const ks = this.#ks;
    const dbs = ks.databases;
    const home = ks.dbIndex;
    const budget = this.#dataBudget;
    if (dbs.length === 1) return this.#evictors[0].evict(ks, budget);
    let fits = ks.usedBytes <= budget;
    for (
      let idle = 0;
      !fits && idle < dbs.length;
      this.#evictDb = (this.#evictDb + 1) % dbs.length
    ) {
      const index = this.#evictDb;
      if (dbs[index].data.size === 0) {
        idle++;
        continue;
      }
      ks.select(index);
      const before = ks.evictedKeysTotal;
      fits = this.#evictors[index].evict(ks, budget, 1);
      idle = ks.evictedKeysTotal === before ? idle + 1 : 0;
    }
    if (ks.dbIndex !== home) ks.select(home);
    return fits;
  }

  #checkLimits(entry: Entry, argv: string[]): Reply | null {
    const limits = this.limits;
    const spec = entry.spec;
    const argc = argv.length;
    const lastKey = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
    let keyCreation = false;
    for (let i = spec.firstKey; i > 0 && i <= lastKey && i < argc; i += spec.step) {
      if (argv[i].length > limits.keyBytesMax) {
        return error(`ERR key exceeds the limit of ${limits.keyBytesMax} bytes (keyBytesMax)`);
      }
      if (entry.denyoom && this.#ks.totalKeys() >= limits.keysMax && !this.#ks.data.has(argv[i])) {
        keyCreation = true;
      }
    }
    if (keyCreation) return error(`ERR keyspace is full: ${limits.keysMax} keys (keysMax)`);
    const max = entry.checkElements ? limits.elementBytesMax : limits.valueBytesMax;
    for (let i = 1; i < argc; i++) {
      if (argv[i].length > max) return error(`ERR argument exceeds the limit of ${max} bytes`);
    }
    return null;
  }

  /** Adds an extension command; its name must not exist yet. */
  registerCommand(spec: CommandSpec, handler: CommandHandler): void {
    this.#add(spec, null, handler);
  }

  #add(spec: CommandSpec, builtin: BuiltinHandler | null, external: CommandHandler | null): void {
    const name = spec.name.toLowerCase();
    if (this.#specs.has(name)) throw new Error(`Command "${name}" is already registered`);
    const keysOk = spec.firstKey === 0 ||
      (Number.isInteger(spec.firstKey) && spec.firstKey > 0 && Number.isInteger(spec.step) &&
        spec.step > 0 && Number.isInteger(spec.lastKey));
    if (!Number.isInteger(spec.arity) || spec.arity === 0 || !keysOk || name.length === 0) {
      throw new Error(`Command "${name}" has an invalid spec (arity, firstKey/lastKey/step)`);
    }
    const entry: Entry = {
      spec: { ...spec, name },
      builtin,
      external,
      write: spec.flags.includes("write"),
      denyoom: spec.flags.includes("denyoom"),
      checkElements: spec.group !== "string" && spec.group !== "generic",
    };
    this.#specs.set(name, entry.spec);
    this.#table.set(name, entry);
    this.#table.set(name.toUpperCase(), entry); // clients mostly send one of the two cases
  }

  /** Adds a section to snapshots; a section already loaded from a snapshot is handed over. */
  registerSection(name: string, section: StoreSection): void {
    if (this.#sections.has(name)) throw new Error(`Section "${name}" is already registered`);
    this.#sections.set(name, section);
    const pending = this.#pendingSections.get(name);
    if (pending !== undefined) {
      this.#pendingSections.delete(name);
      section.load(pending);
    }
  }

  #sectionEntries(): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    for (const [key, section] of this.#sections) {
      const payload = section.dump();
      if (payload !== null) out.push({ key, payload: TAG_SECTION + payload, expireAtMs: null });
    }
    for (const [key, payload] of this.#pendingSections) {
      out.push({ key, payload: TAG_SECTION + payload, expireAtMs: null });
    }
    return out;
  }

  /**
   * Runs an active expiry cycle (call it ~10 times a second). The returned log holds one DEL per
   * expired key; append/replicate it like a command's log.
   */
  activeExpireCycle(ctx: ExecContext, budget: ExpireBudget = {}): {
    expired: number;
    log: string[][];
  } {
    const ks = this.#ks;
    const saved = this.#enter(ctx);
    const home = ks.dbIndex;
    const dbs = ks.databases;
    let expired = 0;
    if (dbs.length === 1) expired = activeExpire(ks, ks.db.expireCursor, budget);
    else {
      // Like Redis's activeExpireCycle over its databases: each gets its share of the keys, the
      // next cycle starts where this one stopped.
      const keysMax = budget.keysMax ?? 2000;
      let left = keysMax;
      for (let n = 0; n < dbs.length && left > 0; n++) {
        const index = this.#expireDb;
        this.#expireDb = (index + 1) % dbs.length;
        if (dbs[index].expires.size === 0) {
          dbs[index].avgTtlMs = 0;
          continue;
        }
        ks.select(index);
        const share = Math.max(1, Math.min(left, Math.ceil(keysMax / dbs.length)));
        expired += activeExpire(ks, ks.db.expireCursor, { ...budget, keysMax: share });
        left -= share;
        if (budget.timeUp?.() === true) break;
      }
      if (ks.dbIndex !== home) ks.select(home);
    }
    const log = ks.log ?? [];
    this.#leave(saved);
    return { expired, log };
  }

  /**
   * Evicts now what the policy allows until the data fits maxmemory, outside any command: CONFIG
   * SET maxmemory does, as Redis's does at once. Returns the keys evicted and their DELs for the
   * log (the caller appends them, as for active expiry). Nothing while replaying.
   */
  evictToMaxmemory(ctx: ExecContext): { evicted: number; log: string[][] } {
    const ks = this.#ks;
    if (this.#maxmemoryBytes === 0 || ctx.replaying === true) return { evicted: 0, log: [] };
    const saved = this.#enter(ctx);
    const before = ks.evictedKeysTotal;
    this.#evict();
    const log = ks.log ?? [];
    this.#leave(saved);
    return { evicted: ks.evictedKeysTotal - before, log };
  }

  #enter(ctx: ExecContext): Saved {
    const ks = this.#ks;
    const saved = { log: ks.log, ctx: ks.ctx, writing: ks.writing, logDb: ks.logDb };
    ks.writing = true; // active expiry deletes; restore writes
    ks.logDb = 0;
    ks.log = null;
    ks.ctx = ctx;
    ks.nowMs = ctx.nowMs;
    ks.replaying = ctx.replaying === true;
    return saved;
  }

  #leave(saved: Saved): void {
    const ks = this.#ks;
    ks.writing = saved.writing;
    ks.logDb = saved.logDb;
    ks.log = saved.log;
    ks.ctx = saved.ctx;
    ks.nowMs = saved.ctx.nowMs;
    ks.replaying = saved.ctx.replaying === true;
    if (this.#depth === 0) ks.flushTouched();
  }

  /**
   * The server's memory figures (used, startup, peak, clients, script caches) MEMORY STATS
   * reports, as INFO memory does. Without one: the base plus the data, the store's own peak.
   */
  setServerMemory(fn: (() => ServerMemory) | null): void {
    this.#ks.serverMemory = fn;
  }

  /**
   * What the server's clients hold (their buffers: client_memory.ts), counted against maxmemory
   * with the data and the base. Without one: nothing.
   */
  setClientsMemory(fn: (() => number) | null): void {
    this.#clientsMemory = fn;
  }

  /**
   * Called before FLUSHALL / FLUSHDB empty a database or SWAPDB replaces its contents, with its
   * keys then and what replaces them (Keyspace.flushListener).
   */
  setFlushListener(fn: FlushListener | null): void {
    this.#ks.flushListener = fn;
  }

  /**
   * DEBUG OBJECT's facts of `key` as stored — an expired key not yet deleted included, as Redis's
   * dictFind sees it, and nothing expired or touched by looking: its OBJECT ENCODING, its DUMP
   * payload's length less the type byte, version and checksum (Redis's rdbSavedObjectLen) and its
   * idle seconds (0 under an LFU policy). null when the database does not hold it.
   */
  debugObject(
    key: string,
    db: number,
    nowMs: number,
  ): { encoding: string; serializedLength: number; idleSeconds: number } | null {
    const ks = this.#ks;
    const home = ks.dbIndex;
    const savedNow = ks.nowMs;
    ks.select(db);
    ks.nowMs = nowMs;
    try {
      const value = ks.data.get(key);
      if (value === undefined) return null;
      const idleSeconds = ks.lfu !== null
        ? 0
        : Math.max(0, ks.lruClock() - (ks.lru?.get(key) ?? ks.lruClock()));
      return {
        encoding: encodingOf(ks, key, value),
        serializedLength: encodeDumpPayload(value, ks.encoding).length - 11,
        idleSeconds,
      };
    } finally {
      ks.select(home);
      ks.nowMs = savedNow;
    }
  }

  /** Whether database `db` holds `key`, expired or not (WATCH's stale keys). */
  holdsKey(key: string, db = 0): boolean {
    return this.#ks.databases[db]?.data.has(key) ?? false;
  }

  /**
   * Called after every key change (incl. expiry/eviction deletes); null key = everything;
   * `expired`: expiry deleted it (a change made by no client, for NOLOOP).
   */
  setModificationListener(
    fn: ((key: string | null, db: number, expired?: boolean) => void) | null,
  ): void {
    this.#ks.listener = fn;
    if (fn === null) this.#ks.untouch(0);
  }

  /**
   * Told each command a script runs (redis.call / redis.pcall from EVAL or FCALL, not one refused
   * before running) with its reply, and how long it took in µs when `timed` (else -1); not while
   * replaying. Redis's scripts run them through call(), as a client's: the server counts them
   * (INFO commandstats, the slow log...).
   */
  setScriptCommandHook(hook: ScriptCommandHook | null): void {
    this.scriptCommandHook = hook;
  }

  /**
   * The server's commands for scripts: what redis.call looks up (arity, flags) and the server
   * commands Redis lets scripts run (PUBLISH, SPUBLISH, PUBSUB, INFO, SELECT, COMMAND, LASTSAVE,
   * SLOWLOG, CLUSTER...). Without one, scripts reach the store's commands only.
   */
  setScriptServerHook(hook: ScriptServerHook | null): void {
    this.scriptServerHook = hook;
  }

  /**
   * Called after a command that signalled keys to blocked stream readers, as Redis's
   * signalKeyAsReady does: a key created, replaced or deleted (null: a flush), XADD, XGROUP
   * DESTROY. Narrower than the modification listener (XSETID, XGROUP CREATE... are not signals).
   */
  setReadyListener(fn: ((key: string | null, db: number) => void) | null): void {
    this.#ks.readyListener = fn;
    if (fn === null) this.#ks.signalled.length = 0;
  }

  /**
   * Keyspace events (notify.ts): `fn` receives each event of a class in `flags` while a command
   * runs, in Redis's order. flags 0 or fn null turns them off (the default).
   */
  setKeyspaceEventListener(
    flags: number,
    fn: ((event: string, key: string, db: number) => void) | null,
  ): void {
    const ks = this.#ks;
    ks.notifyFlags = fn === null ? 0 : flags;
    ks.notifier = fn ?? (() => {});
  }

  /** The key's value as a binary payload (type + data), or null when absent. No expiry check. */
  dumpValue(key: string, db = 0): string | null {
    const value = this.#ks.databases[db]?.data.get(key);
    return value === undefined ? null : serializeValue(value);
  }

  /** Stores a dumpValue payload under key (snapshot loading). Throws RangeError on a bad payload. */
  restoreValue(key: string, payload: string, expireAtMs: number | null): void {
    if (payload[0] === TAG_SECTION) {
      const section = this.#sections.get(key);
      if (section === undefined) this.#pendingSections.set(key, payload.slice(1));
      else section.load(payload.slice(1));
      return;
    }
    if (payload[0] === TAG_DATABASE) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= this.#ks.databases.length) {
        throw new RangeError(
          `The data holds database ${key}; this store has ${this.#ks.databases.length} (databases)`,
        );
      }
      this.#restoreDb = index;
      return;
    }
    // No #enter/#leave: nothing here logs or reads the clock, and loading runs this per key.
    const ks = this.#restoreKeyspace();
    ks.setValue(key, deserializeValue(payload));
    if (expireAtMs !== null) ks.setExpire(key, expireAtMs);
    if (this.#depth === 0 && (ks.touched.length !== 0 || ks.signalled.length !== 0)) {
      ks.flushTouched();
    }
  }

  /**
   * restoreValue for a string value the caller already holds as a flat binary string (snapshot
   * loading): no payload to decode, no copy. Same effect as restoreValue with its dump.
   */
  restoreString(key: string, value: string, expireAtMs: number | null): void {
    const ks = this.#restoreKeyspace();
    ks.setValue(key, value);
    if (expireAtMs !== null) ks.setExpire(key, expireAtMs);
    if (this.#depth === 0 && (ks.touched.length !== 0 || ks.signalled.length !== 0)) {
      ks.flushTouched();
    }
  }

  /** The keyspace with the database restoreValue loads into selected. */
  #restoreKeyspace(): Keyspace {
    const ks = this.#ks;
    if (ks.dbIndex !== this.#restoreDb) ks.select(this.#restoreDb);
    return ks;
  }

  /** The deadline of a key (ms since epoch), or null. */
  expireAtMs(key: string, db = 0): number | null {
    return this.#ks.databases[db]?.expires.get(key) ?? null;
  }

  /**
   * Opens a copy-on-write point-in-time view of every key (see snapshot_view.ts). Its entries hold
   * serializeValue payloads, or with "rdb" each value's RDB object (type byte and value, as DUMP
   * writes it; rdb_file.ts makes a Redis RDB file of them).
   */
  snapshotView(format: "atlas" | "rdb" = "atlas"): SnapshotView {
    const ks = this.#ks;
    // Database 0 takes part in every view (the others only while they hold keys).
    if (ks.databases[0].hooks.length >= this.limits.snapshotViewsMax) {
      throw new Error(
        `Too many open snapshot views (snapshotViewsMax ${this.limits.snapshotViewsMax})`,
      );
    }
    const encode = format === "rdb"
      ? (v: Parameters<typeof rdbFileObject>[0]) => rdbFileObject(v, ks.encoding)
      : undefined;
    // Database 0 first and without a marker: a single-database snapshot is what it always was.
    const views = ks.databases.map((db, index) => {
      if (index !== 0 && db.data.size === 0) return null;
      const view = new KeyspaceView(
        db,
        (v) => {
          const i = db.hooks.indexOf(v);
          if (i >= 0) db.hooks.splice(i, 1);
        },
        index === 0 ? this.#sectionEntries() : [],
        encode,
      );
      db.hooks.push(view);
      return view;
    });
    return new DatabasesView(views);
  }

  /**
   * Whether memory is over maxmemory with nothing the policy may evict (noeviction, or no key of
   * the kind it evicts): then Redis refuses what a client queues in MULTI (EXECABORT follows),
   * not only the denyoom commands a write's own check refuses.
   */
  outOfMemory(): boolean {
    if (this.heapFull) return true;
    const ks = this.#ks;
    if (this.#maxmemoryBytes === 0 || ks.usedBytes <= this.#dataBudget) return false;
    const policy = this.#policy;
    if (policy === "noeviction") return true;
    return policy.startsWith("volatile-") ? ks.totalVolatileKeys() === 0 : ks.totalKeys() === 0;
  }

  /**
   * While `held`, reads treat an expired key as gone without deleting it (no DEL logged), as
   * Redis's lookups do while clients are paused; writes still delete it. The engine also stops
   * its active expiry meanwhile (AtlasEngine.holdExpiry).
   */
  holdExpiry(held: boolean): void {
    this.#ks.expiryHeld = held;
  }

  /** Each non-empty database's figures, by index (INFO keyspace). */
  databaseStats(): DatabaseStats[] {
    const out: DatabaseStats[] = [];
    this.#ks.databases.forEach((db, index) => {
      if (db.data.size === 0) return;
      const volatileKeys = db.expires.size;
      const avgTtlMs = volatileKeys === 0 ? 0 : Math.round(db.avgTtlMs);
      out.push({ index, keys: db.data.size, volatileKeys, avgTtlMs });
    });
    return out;
  }

  get stats(): StoreStats {
    const ks = this.#ks;
    return {
      keys: ks.totalKeys(),
      volatileKeys: ks.totalVolatileKeys(),
      expiredKeysTotal: ks.expiredKeysTotal,
      evictedKeysTotal: ks.evictedKeysTotal,
      usedMemoryBytes: ks.usedBytes,
      baseMemoryBytes: this.#baseMemoryBytes,
      maxmemoryBytes: this.#maxmemoryBytes,
      maxmemoryPolicy: this.#policy,
      commandsTotal: this.#commandsTotal,
      avgTtlMs: ks.databases[0].expires.size === 0 ? 0 : Math.round(ks.databases[0].avgTtlMs),
      keyspaceHits: ks.keyspaceHits,
      keyspaceMisses: ks.keyspaceMisses,
      lazyfreedObjects: ks.lazyfreedObjects,
    };
  }

  /**
   * DEBUG RELOAD's load (the server saved a snapshot first): every value is rebuilt from its
   * snapshot form, as a restart loads it, so what a value remembers beyond its contents starts
   * over as after Redis's RDB load — the sizes OBJECT ENCODING answers from, the raw/embstr
   * distinction, the access time unless an LRU policy keeps it (Redis saves it then; an LFU
   * counter is kept too). Keys past their deadline are dropped unannounced, as Redis's load skips
   * them. Nothing is logged: the data does not change. Watched keys count as touched. Returns
   * the number of keys reloaded.
   */
  reloadValues(nowMs: number): number {
    const ks = this.#ks;
    const saved = this.#enter({ nowMs, random: NO_RANDOM.random });
    const savedDb = ks.dbIndex;
    const keepLru = this.#policy.endsWith("-lru");
    let reloaded = 0;
    try {
      for (let index = 0; index < ks.databases.length; index++) {
        if (ks.databases[index].data.size === 0) continue;
        ks.select(index);
        // Under an LRU policy the access times survive, in their order (exact LRU evicts by it).
        const lruBefore = keepLru && ks.lru !== null ? [...ks.lru] : null;
        for (const [key, value] of [...ks.data]) {
          const at = ks.expires.get(key);
          if (at !== undefined && at <= nowMs) {
            ks.deleteKey(key);
            continue;
          }
          ks.setValue(
            key,
            typeof value === "string" ? value : deserializeValue(serializeValue(value)),
            true,
          );
          reloaded++;
        }
        if (lruBefore !== null) {
          const lru = ks.lru!;
          lru.clear();
          for (const [key, stamp] of lruBefore) if (ks.data.has(key)) lru.set(key, stamp);
        }
      }
    } finally {
      if (ks.dbIndex !== savedDb) ks.select(savedDb);
      this.#leave(saved);
    }
    return reloaded;
  }

  /** DEBUG DIGEST: Redis's digest of every database's keys and values, as 40 hex digits. */
  datasetDigest(): string {
    return datasetDigest(
      this.#ks.databases.map((db, index) => ({ index, data: db.data, expires: db.expires })),
    );
  }

  /**
   * DEBUG DIGEST-VALUE: each key's value digest in database `db` (Redis's, 40 hex digits; zeros
   * for a missing key). Like Redis, a key past its deadline still counts: nothing is expired.
   */
  valueDigests(db: number, keys: readonly string[]): string[] {
    const database = this.#ks.databases[db];
    return keys.map((key) =>
      valueDigest(database?.data.get(key), database?.expires.has(key) ?? false)
    );
  }

  /** CONFIG RESETSTAT: zeroes the counters Redis resets (hits, misses, expired, evicted keys). */
  resetStats(): void {
    const ks = this.#ks;
    ks.keyspaceHits = 0;
    ks.keyspaceMisses = 0;
    ks.expiredKeysTotal = 0;
    ks.evictedKeysTotal = 0;
    ks.lazyfreedObjects = 0;
  }

  /**
   * Deletes every key and resets every section, for a whole-state restore (not logged: the caller
   * decides; FLUSHALL via execute logs itself and keeps the sections, as Redis keeps functions).
   */
  flushAll(): void {
    const saved = this.#enter(NO_RANDOM);
    this.#ks.flushAll();
    this.#restoreDb = 0;
    this.#leave(saved);
    for (const section of this.#sections.values()) section.reset();
    this.#pendingSections.clear();
  }
}
