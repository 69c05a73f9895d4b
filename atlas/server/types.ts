/** Shared types of the RESP server: handler results, command entries, hooks it is given. */
import type { EncodingLimits, FlushListener, ServerMemory } from "../store/keyspace.ts";
import type { LfuSettings } from "../store/lfu.ts";
import type { SnapshotView } from "../store/snapshot_view.ts";
import type { Reply } from "../store/reply.ts";
import type { ScriptCommandHook, ScriptingStats, ScriptServerHook } from "../store/store.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";

/** A command that waits (BLPOP...): the connection stops processing input until it settles. */
export class Blocked {
  /**
   * At the top of a connection's batch the promise may also give a ReplyList (a command held by
   * CLIENT PAUSE that answers several replies, a reply silenced by CLIENT REPLY): the connection
   * encodes either.
   */
  constructor(readonly promise: Promise<Reply>) {}
}

/** Several replies from one command (SUBSCRIBE a b c answers once per channel). */
export class ReplyList {
  constructor(readonly replies: Reply[]) {}
}

export type HandlerResult = Reply | Promise<Reply> | Blocked | ReplyList;

export type Handler = (ctx: ServerContext, client: Client, argv: string[]) => HandlerResult;

/** The command table row the store exports (CommandSpec); only these fields are read. */
export interface CommandSpecLike {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly group?: string;
  readonly since?: string;
}

/**
 * A command's counters (INFO commandstats and latencystats, LATENCY HISTOGRAM, metrics). A
 * container's subcommands count on their own, under their full name (`config|get`), as in Redis 7.
 */
export interface CommandStats {
  /** `get`, or a subcommand's full name `config|get`. */
  readonly name: string;
  calls: number;
  durationUs: number;
  failedCalls: number;
  rejectedCalls: number;
  /** Calls per latency bucket for LATENCY HISTOGRAM (see latency_histogram.ts); null: none yet. */
  latencyHistogram: Float64Array | null;
}

/** One row of the server's dispatch table, with its counters (INFO commandstats, metrics). */
export interface CommandEntry extends CommandSpecLike, CommandStats {
  readonly write: boolean;
  /** Allowed before AUTH. */
  readonly noAuth: boolean;
  /** Allowed in RESP2 subscribed mode. */
  readonly pubsubOk: boolean;
  /** Runs immediately even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET). */
  readonly multiControl: boolean;
  /** Refused inside MULTI (SAVE, SHUTDOWN: flag "no-multi"). */
  readonly noMulti: boolean;
  /** Server-level implementation; null means "run on the executor". */
  readonly handler: Handler | null;
  /** A container's subcommands by lower-case name (`get` of CONFIG); null for other commands. */
  readonly subcommands: ReadonlyMap<string, CommandStats> | null;
}

/** What the server needs from the store: change notifications and the command table. */
export interface StoreHooks {
  /** Numbered databases (SELECT's range); absent: 1. */
  readonly databases?: number;
  /**
   * Each changed key (null: every key of the database) with its database (-1 with null: every
   * database, FLUSHALL), after the command.
   */
  setModificationListener(
    listener: ((key: string | null, db: number, expired?: boolean) => void) | null,
  ): void;
  /**
   * The keys signalled to blocked stream readers (Redis's signalKeyAsReady: a key created,
   * replaced or deleted, XADD, XGROUP DESTROY); null = every key. Without it, every change counts.
   */
  setReadyListener?(listener: ((key: string | null, db: number) => void) | null): void;
  /** The commands scripts run, for the slow log and command statistics (Store's). */
  setScriptCommandHook?(hook: ScriptCommandHook | null): void;
  /** What scripts' redis.call looks up and the server commands they run (Store's). */
  setScriptServerHook?(hook: ScriptServerHook | null): void;
  /** The server's memory figures MEMORY STATS reports (Store's; info.ts's serverMemory). */
  setServerMemory?(fn: (() => ServerMemory) | null): void;
  /** What clients hold, counted against maxmemory with the data (Store.setClientsMemory). */
  setClientsMemory?(fn: (() => number) | null): void;
  /**
   * Told before a flush empties a database or SWAPDB replaces its contents, with its keys then and
   * what replaces them (null for a flush).
   */
  setFlushListener?(listener: FlushListener | null): void;
  /** DEBUG OBJECT's facts of a key as stored, expired or not (Store.debugObject). */
  debugObject?(
    key: string,
    db: number,
    nowMs: number,
  ): { encoding: string; serializedLength: number; idleSeconds: number } | null;
  /** Whether database `db` holds `key`, expired or not (Store.holdsKey). */
  holdsKey?(key: string, db?: number): boolean;
  /** Keyspace events of the classes in `flags` (store/notify.ts), as commands run; null: off. */
  setKeyspaceEventListener?(
    flags: number,
    listener: ((event: string, key: string, db: number) => void) | null,
  ): void;
  readonly commands?: unknown;
  /** A key's expiry deadline in Unix ms, or null (WATCH: a watched key that expires dirties). */
  expireAtMs?(key: string, db?: number): number | null;
  /**
   * CONFIG SET maxmemory / maxmemory-policy (Store.setMaxmemory; `nowMs`: when keys count as
   * last accessed if LRU tracking turns on). Throws RangeError.
   */
  setMaxmemory?(bytes: number, policy?: string, nowMs?: number): void;
  /**
   * The OBJECT ENCODING thresholds (Store.encodingLimits), changed in place by CONFIG SET
   * hash-max-listpack-entries and the like.
   */
  readonly encodingLimits?: EncodingLimits;
  /** lfu-log-factor / lfu-decay-time (Store.lfuSettings), changed in place by CONFIG SET. */
  readonly lfuSettings?: LfuSettings;
  /**
   * A point-in-time view of the keyspace whose values are RDB objects (Store.snapshotView("rdb")):
   * SYNC / PSYNC make the RDB file of `redis-cli --rdb` from it (rdb_sync.ts). Throws when too
   * many views are open.
   */
  snapshotView?(format: "rdb"): SnapshotView;
  /** Keyspace facts for INFO (Store.stats). */
  readonly stats?: {
    readonly keys: number;
    readonly volatileKeys: number;
    readonly usedMemoryBytes: number;
    readonly expiredKeysTotal: number;
    /** INFO lazyfreed_objects. */
    readonly lazyfreedObjects?: number;
    readonly evictedKeysTotal: number;
    readonly maxmemoryBytes?: number;
    readonly maxmemoryPolicy?: string;
    /** The server's base maxmemory counts with the data (StoreOptions.baseMemoryBytes). */
    readonly baseMemoryBytes?: number;
    /** Estimated average remaining TTL of volatile keys in ms (INFO keyspace avg_ttl). */
    readonly avgTtlMs?: number;
    /** Read lookups that found / missed their key (INFO keyspace_hits / keyspace_misses). */
    readonly keyspaceHits?: number;
    readonly keyspaceMisses?: number;
  };
  /** maxmemory in bytes, 0 for none (Store.maxmemoryBytes): read before every command. */
  readonly maxmemoryBytes?: number;
  /** Over maxmemory with nothing to evict (Store.outOfMemory): MULTI queues nothing then. */
  outOfMemory?(): boolean;
  /** Writes are refused with this reply when set (Store.writeRefusal: min-replicas-to-write). */
  writeRefusal?: Reply | null;
  /** Scripts may call noscript commands (Store.scriptDenyDisabled, set by DEBUG). */
  scriptDenyDisabled?: boolean;
  /** The flags a script command's script declares (Store.scriptFlags). */
  readonly scriptFlags?: ((argv: readonly string[]) => readonly string[] | null) | null;
  /** The scripting module's cache sizes (Store.scriptingStats), for INFO memory. */
  readonly scriptingStats?: (() => ScriptingStats) | null;
  /** Runs `body` without refusing its writes for memory (Store.withoutOomRefusal: EXEC's). */
  withoutOomRefusal?<T>(body: () => T): T;
  /** Each non-empty database's keys, volatile keys and avg_ttl (INFO keyspace's dbN lines). */
  databaseStats?(): { index: number; keys: number; volatileKeys: number; avgTtlMs: number }[];
  /** CONFIG RESETSTAT: zero the keyspace counters (Store.resetStats). */
  resetStats?(): void;
  /** DEBUG RELOAD: rebuilds every value from its snapshot form (Store.reloadValues). */
  reloadValues?(nowMs: number): number;
  /** DEBUG DIGEST / DIGEST-VALUE: Redis's digests of the data (Store.datasetDigest...). */
  datasetDigest?(): string;
  valueDigests?(db: number, keys: readonly string[]): string[];
}

/** `save <seconds> <changes>`: a snapshot once `changes` writes happened and that much time passed. */
export interface SaveRuleLike {
  readonly afterMs: number;
  readonly changes: number;
}

/** Persistence operations and facts, provided by the durability engine (all optional). */
export interface PersistenceHooks {
  /** SAVE: a snapshot now, resolved when durable. */
  save?(): Promise<void> | void;
  /** BGSAVE: starts a snapshot without waiting. */
  bgsave?(): Promise<void> | void;
  /** BGREWRITEAOF. */
  rewriteAof?(): Promise<void> | void;
  /** Unix ms of the last successful snapshot (LASTSAVE, INFO rdb_last_save_time). */
  lastSaveMs?(): number;
  /** Extra INFO persistence fields, Redis names (aof_enabled, rdb_changes_since_last_save...). */
  info?(): Record<string, string | number>;
  /** "yes"/"no" for CONFIG GET appendonly. */
  appendonly?: string;
  /** Redis spelling of the sync mode: "always" (every), "everysec" (interval), "no" (none). */
  readonly appendfsync?: string;
  /** CONFIG SET appendfsync with a Redis spelling; returns an error text, or null. */
  setAppendfsync?(value: string): string | null;
  /** The snapshot schedule as Redis's `save` rules (CONFIG GET save). */
  saveRules?(): readonly SaveRuleLike[];
  /** CONFIG SET save: replaces the schedule ([]: none). Missing: the schedule is fixed. */
  setSaveRules?(rules: readonly SaveRuleLike[]): void;
  /**
   * auto-aof-rewrite-percentage / -min-size: the AOF growth that triggers a snapshot (the
   * engine's), and its change. Missing (a Raft node): the Raft log compacts by its own threshold.
   */
  aofRewrite?(): { percentage: number; minBytes: number };
  setAofRewrite?(setting: { percentage?: number; minBytes?: number }): void;
  /**
   * DEBUG SET-ACTIVE-EXPIRE 0|1: active expiry off or on (the engine's). Missing (a Raft node):
   * the leader's ticks expire keys through the log.
   */
  setActiveExpire?(on: boolean): void;
  /**
   * DEBUG LOADAOF: the AOF made durable, then the data set loaded back from the data directory
   * (AtlasEngine.reloadFromDisk); resolves with the keys loaded. Missing (a Raft node): refused.
   */
  loadAof?(): Promise<number>;
  /**
   * Every log record from now on (AtlasEngine.onLogged): the replication stream SYNC's
   * connections follow. Returns the function that stops it. Missing (a Raft node): SYNC sends the
   * RDB file only.
   */
  onLogged?(
    listener: (log: readonly (readonly string[])[], atomic: boolean) => void,
  ): () => void;
  /**
   * DEBUG PAUSE-CRON 1|0: the engine's periodic work (active expiry, save-rule snapshots) stops
   * or resumes. Missing (a Raft node): refused.
   */
  pauseCron?(paused: boolean): void;
  /** Time may have moved in this run (DEBUG SLEEP, an EXEC): the next command reads the clock. */
  clockMoved?(): void;
  /** Redis's hz as ATLAS has it: active expiry cycles a second (the engine's), and its change. */
  hz?(): number;
  setHz?(hz: number): void;
  /** The data directory (CONFIG GET dir). */
  dir?: string;
  /**
   * CLIENT PAUSE: while `held`, the dataset stays as it is — no active expiry, and reads treat an
   * expired key as gone without deleting it — as Redis keeps it while clients are paused. Missing
   * (a Raft node): expiry goes on, through the log every replica applies.
   */
  holdExpiry?(held: boolean): void;
  /**
   * EXEC starts / ends (standalone): the engine holds its commands' log forms back and writes
   * them as one AOF record, so recovery applies the block whole or not at all.
   */
  beginTransaction?(): void;
  endTransaction?(): void;
  /**
   * Evict down to maxmemory now, logging the evictions: at CONFIG SET maxmemory /
   * maxmemory-policy, and before each command a client sends, as Redis does. Missing (a Raft
   * node): the next write evicts.
   */
  evictToMaxmemory?(): void;
  /**
   * busy-reply-threshold (lua-time-limit), in milliseconds: how long a client's script runs before
   * it pauses and the others are answered BUSY (AtlasEngine). Missing (a Raft node): scripts run
   * to their end on every replica.
   */
  busyReplyThreshold?(): number;
  setBusyReplyThreshold?(ms: number): void;
}

/** What WAIT and ROLE learn from replication (a Raft cluster); a standalone server has none. */
export interface ReplicationHooks {
  /** A position at or after every write acknowledged so far (the Raft commit index). */
  offset(): number;
  /** How many replicas hold the log up to `offset`. */
  replicasAt(offset: number): number;
}

export interface ServerLogger {
  /** The least severe level written, when the logger has one (CONFIG GET loglevel). */
  readonly level?: "debug" | "info" | "warn" | "error";
  /** Changes it at run time (CONFIG SET loglevel); absent: loglevel is fixed. */
  setLevel?(level: "debug" | "info" | "warn" | "error"): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
