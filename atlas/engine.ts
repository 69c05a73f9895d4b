/**
 * AtlasEngine: the durable ATLAS store. It owns the pure Store plus everything with time and I/O:
 * recovery at open, the AOF (group commit), snapshots with AOF compaction, the active-expiry
 * timer, and the statistics behind the atlas_* metrics. The RESP server and the gateway run
 * commands through it as a CommandExecutor.
 *
 * Durability contract (executor.ts): a caller releases a write's reply only after a `sync()` made
 * after that write resolved. Under `every` that is after the fsync of its batch; a failed write or
 * fsync rejects `sync()` with AofWriteError and from then on write commands answer MISCONF.
 */
import { setImmediate } from "node:timers";
import { denoDisk, type Disk } from "./aof/disk.ts";
import { AofWriteError } from "./aof/errors.ts";
import { aofPath, classifyNames, snapshotPath } from "./aof/layout.ts";
import { type DataDirLock, lockDataDir } from "./aof/lock.ts";
import { recover, type RecoveryResult } from "./aof/recovery.ts";
import { AofWriter, FSYNC_MODES, type FsyncMode } from "./aof/writer.ts";
import type { CommandExecutor } from "./executor.ts";
import { HEAP_CHECK_INTERVAL_MS, HeapGuard, logHeapChange } from "./heap_guard.ts";
import { writeSnapshot } from "./snapshot/writer.ts";
import type { ExecContext } from "./store/keyspace.ts";
import { error, integer, OK, type Reply, simple } from "./store/reply.ts";
import type { SnapshotView } from "./store/snapshot_view.ts";
import { mayWrite } from "./store/command_table.ts";
import type { ExpireBudget } from "./store/expire.ts";
import { type ExecResult, type PausedScript, Store, type StoreOptions } from "./store/store.ts";
import { busyReply } from "./store/errors.ts";

export interface AtlasLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface AtlasEngineHooks {
  /**
   * Every AOF fsync, with its duration (atlas_aof_fsync_duration_seconds) and the mode it ran
   * under (`every`: on the reply path, Redis's latency event aof-fsync-always).
   */
  onFsync?(seconds: number, mode: FsyncMode): void;
  /** Every active expiry cycle, with its duration (Redis's latency event expire-cycle). */
  onExpireCycle?(seconds: number): void;
  /** Every finished snapshot, with its duration (atlas_snapshot_duration_seconds). */
  onSnapshot?(seconds: number): void;
}

/** Timer functions, injectable so tests can drive the fsync/expiry/snapshot timers by hand. */
export interface AtlasTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(id: unknown): void;
}

export interface AtlasEngineOptions {
  dataDir: string;
  /** `every` (default): group commit, fsync before replies; `interval`: fsync each second; `none`. */
  fsync?: FsyncMode;
  /**
   * `every`: fsync on the event loop's thread, like Redis (default false: a worker thread). For a
   * server of remote clients; see AofWriterOptions.blockingFsync and `setBlockingFsync`.
   */
  blockingFsync?: boolean;
  /**
   * `every`: zero bytes preallocated ahead of the AOF's records, per step (default 1 MiB; 0 =
   * off). Makes each fdatasync cheaper: see AofWriterOptions.preallocateBytes.
   */
  aofPreallocateBytes?: number;
  /** Interval mode's fsync period (default 1000). */
  fsyncIntervalMs?: number;
  /**
   * When to snapshot, as Redis's `save` rules; replaces the three options below when given
   * (CONFIG SET save changes them at run time: `setSaveRules`).
   */
  saveRules?: readonly SaveRule[];
  /** Snapshot when this much time passed with changes (default 300000; 0 = off). */
  snapshotIntervalMs?: number;
  /** Snapshot after this many logged commands (default 0 = off)... */
  snapshotIntervalCmds?: number;
  /**
   * ... but not sooner than this after the previous snapshot or the engine's start (default
   * 60000; 0 = no floor), as Redis's `save 60 10000`: under a heavy write load a bare count
   * would snapshot the whole keyspace every second or so.
   */
  snapshotMinIntervalMs?: number;
  /**
   * Snapshot (which compacts the AOF) when the live AOF exceeds both of these (Redis's
   * auto-aof-rewrite-min-size, default 64 MiB)...
   */
  aofRewriteMinBytes?: number;
  /** ... and this percentage of the last snapshot's size (auto-aof-rewrite-percentage, default 100; 0: never). */
  aofRewritePercentage?: number;
  /** Cut a torn final AOF record at startup (default true); false refuses to start instead. */
  aofLoadTruncated?: boolean;
  /** Target size of one snapshot chunk, the work done between event-loop yields (default 1 MiB). */
  snapshotChunkBytes?: number;
  /** Active expiry cycles per second (default 10 like Redis hz; 0 = off). */
  activeExpireHz?: number;
  clock?: () => number;
  random?: () => number;
  logger?: AtlasLogger;
  hooks?: AtlasEngineHooks;
  store?: Partial<StoreOptions>;
  /**
   * Called with the new store before recovery: register extension commands here if their
   * handlers log their own names (handlers that log primitive commands may register later).
   */
  extend?: (store: Store) => void;
  /** File system (default: the real one); tests pass a SimDisk. */
  disk?: Disk;
  /** Hold `atlas.lock` in the data directory (default: true on the real file system). */
  lockDataDir?: boolean;
  timers?: AtlasTimers;
  /**
   * Refuses memory-growing writes while V8's heap is near its limit, instead of the process
   * aborting (atlas/heap_guard.ts). Default: a guard on the running isolate; null: none.
   */
  heapGuard?: HeapGuard | null;
}

export interface AtlasEngineStats {
  keys: number;
  expiredKeysTotal: number;
  evictedKeysTotal: number;
  usedMemoryBytes: number;
  aofFsyncMode: FsyncMode;
  /** Bytes of the live AOF parts (atlas_aof_size_bytes). */
  aofSizeBytes: number;
  aofLastWriteStatus: "ok" | "err";
  aofLastWriteError: string | null;
  /** Records appended but not yet fsynced. */
  aofPendingRecords: number;
  aofFsyncsTotal: number;
  /** 0 until the first snapshot (atlas_last_snapshot_timestamp_seconds). */
  lastSnapshotTimestampSeconds: number;
  lastSnapshotDurationSeconds: number;
  lastSnapshotStatus: "ok" | "err" | "none";
  snapshotInProgress: boolean;
  /** Unix ms when the running snapshot started; null when none runs. */
  snapshotStartedAtMs: number | null;
  /** A snapshot BGREWRITEAOF ("aof") or BGSAVE SCHEDULE ("rdb") queued behind the running one. */
  snapshotQueued: "rdb" | "aof" | null;
  /** Bytes of the latest snapshot file (written, or loaded at start); 0 when there is none. */
  lastSnapshotSizeBytes: number;
  snapshotsTotal: number;
  changesSinceLastSnapshot: number;
  recovery: RecoveryResult;
}

export interface SnapshotInfo {
  path: string;
  keys: number;
  sizeBytes: number;
  /** The log position: the snapshot holds the state from before AOF part `aofSeq`. */
  aofSeq: number;
  durationSeconds: number;
}

/** After a failed automatic snapshot, wait this long before the next automatic one. */
const SNAPSHOT_RETRY_DELAY_MS = 5_000;
const NOOP_LOGGER: AtlasLogger = { info() {}, warn() {}, error() {} };
/** Redis's default busy-reply-threshold (lua-time-limit). */
export const DEFAULT_BUSY_REPLY_THRESHOLD_MS = 5000;

const DEFAULT_TIMERS: AtlasTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id as number),
};
/** Commands the engine answers itself (they need I/O). */
const ENGINE_COMMANDS = new Set(["save", "bgsave", "bgrewriteaof", "lastsave"]);

/** Cheap pre-check so the hot path lowercases almost no command names. */
function isEngineCommandCandidate(name: string): boolean {
  const first = name.charCodeAt(0) | 0x20; // ASCII lower case
  switch (name.length) {
    case 4: // save
    case 6: // bgsave
    case 8: // lastsave
    case 12: // bgrewriteaof
      return first === 0x73 || first === 0x62 || first === 0x6c; // s, b, l
    default:
      return false;
  }
}

/**
 * Redis's `save <seconds> <changes>`: snapshot once at least `changes` writes were logged and at
 * least `afterMs` passed since the last snapshot (or since the engine opened, if later).
 */
export interface SaveRule {
  readonly afterMs: number;
  readonly changes: number;
}

/** The share of each active expiry period one cycle may take (Redis: 25% of its cron period). */
const EXPIRE_CYCLE_SHARE = 0.25;
/** ... and the most keys it samples even so (a bound on a cycle's AOF records). */
const EXPIRE_CYCLE_KEYS_MAX = 200_000;

/** How often the save rules are checked (Redis checks them in its 100 ms cron). */
const SAVE_CHECK_MS = 1000;

/** The rules the older options stand for: "time with changes" and "count, with a floor". */
function saveRulesOf(o: AtlasEngineOptions): SaveRule[] {
  if (o.saveRules !== undefined) return [...o.saveRules];
  const older = {
    snapshotIntervalMs: o.snapshotIntervalMs ?? 300_000,
    snapshotIntervalCmds: o.snapshotIntervalCmds ?? 0,
    snapshotMinIntervalMs: o.snapshotMinIntervalMs ?? 60_000,
  };
  for (const [name, value] of Object.entries(older)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Invalid ${name} ${value}: expected a non-negative integer`);
    }
  }
  const rules: SaveRule[] = [];
  if (older.snapshotIntervalMs > 0) rules.push({ afterMs: older.snapshotIntervalMs, changes: 1 });
  if (older.snapshotIntervalCmds > 0) {
    rules.push({ afterMs: older.snapshotMinIntervalMs, changes: older.snapshotIntervalCmds });
  }
  return rules;
}

function validateSaveRules(rules: readonly SaveRule[]): void {
  for (const { afterMs, changes } of rules) {
    if (
      !Number.isSafeInteger(afterMs) || afterMs < 0 || !Number.isSafeInteger(changes) || changes < 0
    ) {
      throw new RangeError(`Invalid save rule ${afterMs} ms / ${changes} changes`);
    }
  }
}

interface Resolved {
  dataDir: string;
  fsync: FsyncMode;
  blockingFsync: boolean;
  aofPreallocateBytes: number;
  fsyncIntervalMs: number;
  saveRules: SaveRule[];
  aofRewriteMinBytes: number;
  aofRewritePercentage: number;
  activeExpireHz: number;
  snapshotChunkBytes: number;
  clock: () => number;
  random: () => number;
  logger: AtlasLogger;
  hooks: AtlasEngineHooks;
  disk: Disk;
  timers: AtlasTimers;
  /** undefined: the default guard, made once the store exists. */
  heapGuard: HeapGuard | null | undefined;
}

function resolveOptions(options: AtlasEngineOptions): Resolved {
  const fsync = options.fsync ?? "every";
  if (!FSYNC_MODES.includes(fsync)) throw new RangeError(`Unknown fsync mode "${fsync}"`);
  const resolved: Resolved = {
    dataDir: options.dataDir,
    fsync,
    blockingFsync: options.blockingFsync ?? false,
    aofPreallocateBytes: options.aofPreallocateBytes ?? 1024 * 1024,
    fsyncIntervalMs: options.fsyncIntervalMs ?? 1000,
    saveRules: saveRulesOf(options),
    aofRewriteMinBytes: options.aofRewriteMinBytes ?? 64 * 1024 * 1024,
    aofRewritePercentage: options.aofRewritePercentage ?? 100,
    activeExpireHz: options.activeExpireHz ?? 10,
    snapshotChunkBytes: options.snapshotChunkBytes ?? 1024 * 1024,
    clock: options.clock ?? Date.now,
    random: options.random ?? Math.random,
    logger: options.logger ?? NOOP_LOGGER,
    hooks: options.hooks ?? {},
    disk: options.disk ?? denoDisk,
    timers: options.timers ?? DEFAULT_TIMERS,
    heapGuard: options.heapGuard,
  };
  const integers = [
    "fsyncIntervalMs",
    "aofPreallocateBytes",
    "snapshotChunkBytes",
    "aofRewriteMinBytes",
    "aofRewritePercentage",
  ] as const;
  for (const name of integers) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Invalid ${name} ${value}: expected a non-negative integer`);
    }
  }
  validateSaveRules(resolved.saveRules);
  if (resolved.activeExpireHz < 0 || resolved.activeExpireHz > 500) {
    throw new RangeError(`Invalid activeExpireHz ${resolved.activeExpireHz}: expected 0-500`);
  }
  return resolved;
}

/**
 * Commands whose log holds only the lazy expiry of keys they came across (Redis's
 * `touches-arbitrary-keys` flag): not one atomic change, each DEL stands alone (onLogged).
 */
const TOUCHES_ARBITRARY_KEYS = new Set(["scan", "randomkey"]);

/** See AtlasEngine.onLogged. */
export type LogListener = (log: readonly (readonly string[])[], atomic: boolean) => void;

/** An EXEC's log forms held back to be appended as one record (AtlasEngine.beginTransaction). */
interface HeldTransaction {
  nowMs: number;
  forms: string[][];
  /** The forms' argument bytes so far. */
  bytes: number;
  /** Resolves when the block ended; snapshots wait for it. */
  ended: Promise<void>;
  end: () => void;
}

/** Past this many bytes an EXEC's forms go out as a record of their own (see log()). */
const TRANSACTION_RECORD_BYTES_MAX = 256 * 1024 * 1024;

export class AtlasEngine implements CommandExecutor {
  readonly store: Store;
  private readonly o: Resolved;
  private readonly logListeners = new Set<LogListener>();
  private readonly writer: AofWriter;
  private readonly recovery: RecoveryResult;
  private readonly ctx: ExecContext;
  private timerIds: unknown[] = [];
  /** Watches V8's heap (startTimers); null when the options turned it off. */
  private heapGuard: HeapGuard | null = null;
  /** The active expiry timer (activeExpireHz; CONFIG SET hz replaces it). */
  private expireTimerId: unknown = null;
  /** The interval mode's fsync timer, while the mode is `interval`. */
  private fsyncTimerId: unknown = null;
  /** The save rules' check, while there are rules. */
  private saveTimerId: unknown = null;
  private snapshotting: Promise<SnapshotInfo> | null = null;
  private snapshotStartedAtMs: number | null = null;
  /**
   * What the running snapshot stands for: a snapshot is both Redis's RDB save and its AOF
   * rewrite, and Redis answers BGSAVE / BGREWRITEAOF / SAVE by the kind of child running
   * ("aof" when BGREWRITEAOF started it). `queuedSnapshot`: one more asked for meanwhile
   * (BGREWRITEAOF during a save, BGSAVE SCHEDULE during a rewrite), started when it ends.
   */
  private snapshotKind: "rdb" | "aof" = "rdb";
  private queuedSnapshot: "rdb" | "aof" | null = null;
  private closing: Promise<void> | null = null;
  private dirty = 0;
  private fsyncsTotal = 0;
  private snapshotsTotal = 0;
  private lastSnapshotAtMs = 0;
  /** When the engine opened: LASTSAVE's answer until the first snapshot, as Redis's. */
  private readonly openedAtMs: number;
  private lastSnapshotSeconds = 0;
  private lastSnapshotStatus: "ok" | "err" | "none" = "none";
  private lastSnapshotSizeBytes: number;
  private lastSnapshotFailedAtMs = 0;
  private snapshotScheduled = false;
  private lock: DataDirLock | null = null;
  /** With the default clock: one Date.now() per synchronous run of commands (see now()). */
  private readonly cacheClock: boolean;
  private clockStale = true;
  private cachedNowMs = 0;
  private readonly markClockStale = () => {
    this.clockStale = true;
  };
  /**
   * The script a client's EVAL / FCALL paused (past busy-reply-threshold) and `finishPaused`
   * runs on, slice by slice; `ended` resolves when it has ended. Meanwhile every execute is
   * answered BUSY and no expiry cycle or snapshot touches the store.
   */
  private paused: { script: PausedScript; ended: Promise<void> } | null = null;
  /**
   * An EXEC under way (beginTransaction): its commands' log forms, held back and appended as one
   * record when it ends, so recovery applies the block whole or not at all even when a script in
   * it paused (busy-reply-threshold) and the loop ran meanwhile. `ended` holds snapshots back.
   */
  private transaction: HeldTransaction | null = null;
  /** Redis's busy-reply-threshold (lua-time-limit), in milliseconds; 0: scripts never pause. */
  private busyReplyThresholdMs = DEFAULT_BUSY_REPLY_THRESHOLD_MS;

  private constructor(o: Resolved, store: Store, recovery: RecoveryResult) {
    this.o = o;
    this.store = store;
    this.recovery = recovery;
    this.lastSnapshotSizeBytes = recovery.snapshotSizeBytes;
    this.lastSnapshotAtMs = recovery.snapshotCreatedAtMs ?? 0;
    this.openedAtMs = o.clock();
    const random = o.random;
    this.ctx = { nowMs: 0, random: () => random(), db: 0, scriptPauseAfterMs: undefined };
    this.cacheClock = o.clock === Date.now;
    this.writer = new AofWriter({
      disk: o.disk,
      dir: o.dataDir,
      fsync: o.fsync,
      blockingFsync: o.blockingFsync,
      preallocateBytes: o.aofPreallocateBytes,
      fileSeq: recovery.nextAofSeq,
      baseSizeBytes: recovery.aofSizeBytes,
      onFsync: (seconds, mode) => {
        this.fsyncsTotal++;
        o.hooks.onFsync?.(seconds, mode);
      },
      onError: (failure) => {
        o.logger.error("AOF write failed; refusing writes until restart", {
          error: failure.detail,
          file: aofPath(o.dataDir, this.writer.currentFileSeq),
        });
      },
    });
  }

  /** Recovers the data directory (snapshot, then AOF) and starts serving. */
  static async open(options: AtlasEngineOptions): Promise<AtlasEngine> {
    const o = resolveOptions(options);
    await o.disk.mkdirp(o.dataDir);
    const lock = (options.lockDataDir ?? options.disk === undefined)
      ? await lockDataDir(o.dataDir)
      : null;
    try {
      return await AtlasEngine.recoverAndStart(o, options, lock);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  private static async recoverAndStart(
    o: Resolved,
    options: AtlasEngineOptions,
    lock: DataDirLock | null,
  ): Promise<AtlasEngine> {
    const newStore = (): Store => {
      const store = new Store({ processMemory: () => Deno.memoryUsage(), ...options.store });
      options.extend?.(store);
      return store;
    };
    const store = newStore();
    const startMs = performance.now();
    const recovery = await recover({
      disk: o.disk,
      dir: o.dataDir,
      store,
      aofLoadTruncated: options.aofLoadTruncated ?? true,
      logger: o.logger,
    });
    o.logger.info("ATLAS data loaded", {
      keys: store.stats.keys,
      snapshotKeys: recovery.snapshotKeys,
      aofRecords: recovery.aofRecords,
      durationMs: Math.round(performance.now() - startMs),
    });
    const engine = new AtlasEngine(o, store, recovery);
    engine.lock = lock;
    engine.newStore = newStore;
    engine.aofLoadTruncated = options.aofLoadTruncated ?? true;
    await engine.writer.start();
    engine.startTimers();
    return engine;
  }

  /**
   * Runs one command; its log form goes to the AOF buffer. Call sync() before replying.
   * `interruptible`: a script it runs may pause once it has run busy-reply-threshold (see
   * `busyScript`); the command then answers a Promise. Only for a client's own command (true) or
   * one of its EXEC ("exec"): a server that answers the others BUSY meanwhile and keeps that
   * client's next commands waiting (an EXEC's next queued command too).
   */
  execute(argv: string[], db = 0, interruptible: boolean | "exec" = false): Reply | Promise<Reply> {
    const name = argv[0];
    if (name === undefined) return error("ERR empty command");
    if (this.paused !== null) return busyReply(this.paused.script.kind);
    // While DEBUG LOADAOF loads, commands wait for the loaded data set, as Redis's clients wait
    // for its blocking load (a command run now would change the data set being replaced).
    if (this.loading !== null) {
      return this.loading.then(() => this.execute(argv, db, interruptible));
    }
    if (isEngineCommandCandidate(name)) {
      const lower = name.toLowerCase();
      if (ENGINE_COMMANDS.has(lower)) return this.engineCommand(lower, argv);
    }
    if (this.closing) return error("ERR ATLAS engine is shutting down");
    if (this.writer.failure && this.isWrite(name)) return error(this.writer.failure.message);
    const ctx = this.ctx;
    ctx.nowMs = this.now();
    ctx.db = db;
    ctx.scriptPauseAfterMs = interruptible !== false && this.busyReplyThresholdMs > 0
      ? this.busyReplyThresholdMs
      : undefined;
    const result = this.store.execute(argv, ctx);
    if (result.paused !== undefined) return this.finishPaused(result.paused, ctx.nowMs);
    if (result.log !== null) {
      this.log(ctx.nowMs, result.log, !TOUCHES_ARBITRARY_KEYS.has(name.toLowerCase()));
    }
    if (
      interruptible === true && this.o.saveRules.length > 0 && name.length === 8 &&
      name.toLowerCase() === "flushall" && result.reply.kind !== "error"
    ) {
      return this.saveAfterFlushAll(result.reply);
    }
    return result.reply;
  }

  /**
   * Redis's FLUSHALL saves at once when save rules are set, so what was flushed is gone from the
   * files too and the count of changes since the last save starts over. Here: a snapshot of the
   * emptied data set before the reply, which also drops the older AOF parts. A failed snapshot
   * does not fail the FLUSHALL: it is in the AOF, and the failure is logged and in INFO.
   */
  private async saveAfterFlushAll(reply: Reply): Promise<Reply> {
    try {
      if (this.snapshotting !== null) await this.snapshotting.catch(() => undefined);
      await this.snapshot();
    } catch {
      // runSnapshot logged it and set rdb_last_bgsave_status.
    }
    return reply;
  }

  /**
   * The script paused in a client's command (Redis's timed-out script), or null. While there is
   * one, every command is answered BUSY (the server lets the allow-busy ones through: SCRIPT
   * KILL and FUNCTION KILL reach `kill()` on it).
   */
  get busyScript(): PausedScript | null {
    return this.paused?.script ?? null;
  }

  /** Redis's busy-reply-threshold (lua-time-limit), in milliseconds. */
  get busyReplyThreshold(): number {
    return this.busyReplyThresholdMs;
  }

  /** CONFIG SET busy-reply-threshold: from the next script on; 0: scripts never pause. */
  setBusyReplyThreshold(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`Invalid busy-reply-threshold ${ms}`);
    }
    this.busyReplyThresholdMs = ms;
  }

  /**
   * Runs a paused script on until it ends, a slice at a time with a macrotask in between — a
   * timer, so the sockets are polled and the other clients answered — then logs its effects
   * stamped with the time it started under, and answers its reply.
   */
  private finishPaused(script: PausedScript, nowMs: number): Promise<Reply> {
    const { promise: ended, resolve: end } = Promise.withResolvers<void>();
    const paused = { script, ended };
    this.paused = paused;
    this.o.logger.warn("Slow script detected: still in execution, other clients get BUSY", {
      script: script.name,
      kind: script.kind,
      elapsedMs: Math.round(performance.now() - script.startedMs),
      killWith: script.kind === "eval" ? "SCRIPT KILL" : "FUNCTION KILL",
    });
    const step = (resolve: (reply: Reply) => void): void => {
      if (this.closing) {
        // Shutting down (SHUTDOWN NOSAVE): the script is dropped unfinished, its effects unlogged.
        this.paused = null;
        end();
        resolve(error("ERR ATLAS engine is shutting down"));
        return;
      }
      let result: ExecResult;
      try {
        result = paused.script.resume();
      } catch (cause) {
        this.o.logger.error("Paused script failed", { error: String(cause) });
        result = { reply: error("ERR internal error while running a script"), log: null };
      }
      if (result.paused !== undefined) {
        paused.script = result.paused;
        setTimeout(step, 0, resolve);
        return;
      }
      this.paused = null;
      end();
      if (result.log !== null && !this.closing) this.log(nowMs, result.log);
      resolve(result.reply);
    };
    return new Promise((resolve) => setTimeout(step, 0, resolve));
  }

  /**
   * The time commands run under. With the default clock it is read once per synchronous run (a
   * pipelined batch of commands shares one timestamp, as a Redis command does) and refreshed at
   * the next microtask checkpoint: Date.now() per command is ~3% of a pipelined command's CPU.
   * An injected clock (tests) is read on every call.
   */
  /**
   * The process stood still for a while inside this synchronous run (DEBUG SLEEP): the next
   * command reads the clock again instead of the time cached at the run's start.
   */
  clockMoved(): void {
    this.clockStale = true;
  }

  private now(): number {
    if (!this.cacheClock) return this.o.clock();
    if (this.clockStale) {
      this.cachedNowMs = Date.now();
      this.clockStale = false;
      queueMicrotask(this.markClockStale);
    }
    return this.cachedNowMs;
  }

  /**
   * Under `every`, fsync on the event loop's thread from the next batch on (true) or on a worker
   * thread (false). `helios atlasd` turns it on: its writers are remote clients.
   */
  setBlockingFsync(on: boolean): void {
    this.writer.blockingFsync = on;
  }

  /**
   * Switches the AOF fsync mode at run time (CONFIG SET appendfsync): `every` fsyncs before each
   * reply from the next write on (and at once for what is already written), `interval` starts the
   * fsync timer, `none` stops it. Writes acknowledged under the old mode keep its promise (see
   * AofWriter.setFsyncMode).
   */
  setFsyncMode(mode: FsyncMode): void {
    if (!FSYNC_MODES.includes(mode)) throw new RangeError(`Unknown fsync mode "${mode}"`);
    this.writer.setFsyncMode(mode);
    this.o.fsync = mode;
    if (this.closing) return;
    if (mode === "interval" && this.fsyncTimerId === null) {
      this.fsyncTimerId = this.o.timers.setInterval(
        () => this.writer.requestFsync(),
        this.o.fsyncIntervalMs,
      );
    } else if (mode !== "interval" && this.fsyncTimerId !== null) {
      this.o.timers.clearInterval(this.fsyncTimerId);
      this.fsyncTimerId = null;
    }
  }

  /** Resolves when every write executed so far is as durable as the fsync mode promises. */
  sync(): Promise<void> {
    return this.writer.sync();
  }

  /** Whether some write is not yet as durable as the mode promises (see CommandExecutor). */
  hasUnsyncedWrites(): boolean {
    return this.writer.unsettled;
  }

  /** Takes a snapshot now (one at a time: a second call joins the running one). */
  snapshot(): Promise<SnapshotInfo> {
    if (this.snapshotting) return this.snapshotting;
    // Not half-way through a script or an EXEC: after it, as Redis's fork waits for the command
    // (its view must not hold part of a block whose record is not written yet).
    if (this.paused !== null) return this.paused.ended.then(() => this.snapshot());
    if (this.transaction !== null) return this.transaction.ended.then(() => this.snapshot());
    if (this.closing) return Promise.reject(new Error("ATLAS engine is shutting down"));
    if (this.writer.failure) return Promise.reject(this.writer.failure);
    if (this.loading !== null) return this.loading.then(() => this.snapshot());
    let view: SnapshotView;
    try {
      view = this.store.snapshotView();
    } catch (cause) {
      return Promise.reject(cause); // e.g. too many open views
    }
    // Same turn, no await in between: the view and the new AOF part start at the same record.
    const seq = this.writer.currentFileSeq + 1;
    const switched = this.writer.rotate(seq);
    switched.catch(() => undefined); // awaited later; a write failure must not go unhandled
    const dirtyAtStart = this.dirty;
    this.snapshotStartedAtMs = this.o.clock();
    const run = this.runSnapshot(seq, view, switched, dirtyAtStart);
    this.snapshotKind = "rdb";
    this.snapshotting = run.finally(() => {
      this.snapshotting = null;
      this.startQueuedSnapshot();
    });
    return this.snapshotting;
  }

  /** Starts the snapshot BGREWRITEAOF or BGSAVE SCHEDULE asked for while another ran. */
  private startQueuedSnapshot(): void {
    const kind = this.queuedSnapshot;
    this.queuedSnapshot = null;
    if (kind === null || this.closing || this.writer.failure) return;
    this.snapshot().catch(() => undefined); // runSnapshot logs the failure
    this.snapshotKind = kind;
  }

  /** Flushes and fsyncs the AOF, stops the timers and closes files. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const id of this.timerIds) this.o.timers.clearInterval(id);
      this.timerIds = [];
      if (this.expireTimerId !== null) this.o.timers.clearInterval(this.expireTimerId);
      this.expireTimerId = null;
      if (this.saveTimerId !== null) this.o.timers.clearInterval(this.saveTimerId);
      this.saveTimerId = null;
      if (this.fsyncTimerId !== null) this.o.timers.clearInterval(this.fsyncTimerId);
      this.fsyncTimerId = null;
      if (this.snapshotting) await this.snapshotting.catch(() => undefined);
      try {
        await this.writer.close();
      } finally {
        await this.lock?.release();
      }
    })();
    return this.closing;
  }

  get stats(): AtlasEngineStats {
    const store = this.store.stats;
    const writer = this.writer;
    return {
      keys: store.keys,
      expiredKeysTotal: store.expiredKeysTotal,
      evictedKeysTotal: store.evictedKeysTotal,
      usedMemoryBytes: store.usedMemoryBytes,
      aofFsyncMode: this.o.fsync,
      aofSizeBytes: writer.sizeBytes,
      aofLastWriteStatus: writer.failure ? "err" : "ok",
      aofLastWriteError: writer.failure?.detail ?? null,
      aofPendingRecords: writer.appendedSeq - writer.durableSeq,
      aofFsyncsTotal: this.fsyncsTotal,
      lastSnapshotTimestampSeconds: this.lastSnapshotAtMs / 1000,
      lastSnapshotDurationSeconds: this.lastSnapshotSeconds,
      lastSnapshotStatus: this.lastSnapshotStatus,
      snapshotInProgress: this.snapshotting !== null,
      snapshotStartedAtMs: this.snapshotting !== null ? this.snapshotStartedAtMs : null,
      snapshotQueued: this.queuedSnapshot,
      lastSnapshotSizeBytes: this.lastSnapshotSizeBytes,
      snapshotsTotal: this.snapshotsTotal,
      changesSinceLastSnapshot: this.dirty,
      recovery: this.recovery,
    };
  }

  /** Set while clients are paused (holdExpiry): no active expiry. */
  private expiryHeld = false;
  /** A store like the one recovery filled at open (DEBUG LOADAOF loads into one). */
  private newStore: (() => Store) | null = null;
  private aofLoadTruncated = true;
  /** Set while DEBUG LOADAOF loads the data directory back: commands wait for it to settle. */
  private loading: Promise<void> | null = null;

  /**
   * DEBUG LOADAOF: makes the AOF durable, then loads the data set back from the data directory —
   * the last snapshot and the AOF parts after it, replayed as a restart replays them — in place
   * of the one in memory (Redis's "flush the AOF and load it"). So what the AOF holds is what the
   * data set becomes: a write the AOF does not reproduce shows. Meanwhile every command waits
   * (Redis's server is blocked while it loads), and so do expiry and snapshots. Returns the
   * number of keys loaded.
   */
  async reloadFromDisk(): Promise<number> {
    if (this.newStore === null) {
      throw new Error("ERR this engine was not opened on a data directory");
    }
    if (this.loading !== null) throw new Error("ERR the data set is already being loaded");
    if (this.paused !== null) await this.paused.ended;
    const { promise: loading, resolve: loaded } = Promise.withResolvers<void>();
    this.loading = loading;
    try {
      // A snapshot in progress writes a temp file and ends in a new AOF layout: let it finish.
      while (this.snapshotting !== null) await this.snapshotting.catch(() => undefined);
      await this.writer.sync();
      const loaded = this.newStore();
      await recover({
        disk: this.o.disk,
        dir: this.o.dataDir,
        store: loaded,
        aofLoadTruncated: this.aofLoadTruncated,
        logger: this.o.logger,
        readOnly: true,
      });
      const view = loaded.snapshotView();
      try {
        this.store.flushAll();
        for (const entry of view) {
          this.store.restoreValue(entry.key, entry.payload, entry.expireAtMs);
        }
      } finally {
        view.close();
      }
      this.o.logger.info("ATLAS data reloaded from the data directory", {
        keys: this.store.stats.keys,
      });
      return this.store.stats.keys;
    } finally {
      this.loading = null;
      loaded();
    }
  }

  /** Cleared by DEBUG SET-ACTIVE-EXPIRE 0: no active expiry until it is set again. */
  private activeExpireOn = true;

  /** Whether active expiry runs (Redis's DEBUG SET-ACTIVE-EXPIRE; keys still expire lazily). */
  get activeExpireEnabled(): boolean {
    return this.activeExpireOn;
  }

  setActiveExpireEnabled(on: boolean): void {
    this.activeExpireOn = on;
  }

  /** Set by DEBUG PAUSE-CRON 1: no active expiry cycle and no save-rule snapshot until cleared. */
  private cronPaused = false;

  /** Redis's DEBUG PAUSE-CRON: stops (true) or resumes the engine's periodic work. */
  setCronPaused(paused: boolean): void {
    this.cronPaused = paused;
  }

  /**
   * CLIENT PAUSE: while `held`, the dataset stays as it is — no active expiry cycle, and reads
   * treat an expired key as gone without deleting it (Store.holdExpiry) — as Redis keeps it while
   * clients are paused; the keys expire once the pause ends.
   */
  holdExpiry(held: boolean): void {
    this.expiryHeld = held;
    this.store.holdExpiry(held);
  }

  /**
   * A cycle may run a quarter of its period, as Redis's (25 ms of each 100 at hz 10): a burst of expired
   * keys is reclaimed at Redis's pace rather than 2,000 keys a cycle. With the default clock only:
   * under a test's injected clock the count alone bounds a cycle, so tests stay exact.
   */
  private expireBudget(): ExpireBudget {
    if (!this.cacheClock) return {};
    const deadline = performance.now() + (EXPIRE_CYCLE_SHARE * 1000) / this.o.activeExpireHz;
    return { keysMax: EXPIRE_CYCLE_KEYS_MAX, timeUp: () => performance.now() > deadline };
  }

  /**
   * Evicts down to maxmemory now, logging the evictions' DELs: at CONFIG SET maxmemory, and before
   * each client command (the server's dispatch, as Redis's processCommand). Not while a script is
   * paused: Redis does not evict inside a timed-out script either.
   */
  evictToMaxmemory(): number {
    if (this.writer.failure || this.closing || this.paused !== null || this.loading !== null) {
      return 0;
    }
    const ctx = this.ctx;
    ctx.nowMs = this.o.clock();
    const { evicted, log } = this.store.evictToMaxmemory(ctx);
    if (log.length > 0) this.log(ctx.nowMs, log, false);
    return evicted;
  }

  /** Runs one active-expiry cycle now (the timer calls this `activeExpireHz` times a second). */
  expireCycle(): number {
    if (
      this.writer.failure || this.closing || this.expiryHeld || !this.activeExpireOn ||
      this.cronPaused || this.paused !== null || this.loading !== null
    ) {
      return 0;
    }
    const ctx = this.ctx;
    const timed = this.o.hooks.onExpireCycle !== undefined;
    const startMs = timed ? performance.now() : 0;
    ctx.nowMs = this.o.clock();
    const cycle = this.store.activeExpireCycle(ctx, this.expireBudget());
    if (cycle.log.length > 0) this.log(ctx.nowMs, cycle.log, false);
    if (timed) this.o.hooks.onExpireCycle!((performance.now() - startMs) / 1000);
    return cycle.expired;
  }

  /**
   * Calls `listener` with every log record from now on, as it is appended (before it is durable):
   * the forms of one command (`atomic`: they apply together) or of one active-expiry or eviction
   * pass (each DEL on its own). Returns the function that stops the calls.
   */
  onLogged(listener: LogListener): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /**
   * An EXEC starts (a standalone server's: a Raft cluster's block is one entry already): the log
   * forms of its commands are held back until endTransaction appends them as one record.
   */
  beginTransaction(): void {
    if (this.transaction !== null) return;
    const { promise: ended, resolve: end } = Promise.withResolvers<void>();
    this.transaction = { nowMs: this.now(), forms: [], bytes: 0, ended, end };
  }

  /** The EXEC ended: its forms go to the AOF as one record (none if it wrote nothing). */
  endTransaction(): void {
    const transaction = this.transaction;
    if (transaction === null) return;
    this.transaction = null;
    if (transaction.forms.length > 0) this.writer.append(transaction.nowMs, transaction.forms);
    transaction.end();
  }

  private log(nowMs: number, log: string[][], atomic = true): void {
    const transaction = this.transaction;
    if (transaction !== null) {
      // Evictions and expiries inside the block too: in the record, in the order they happened.
      for (const form of log) {
        transaction.forms.push(form);
        for (const arg of form) transaction.bytes += arg.length;
      }
      // A block too big for one record (recovery refuses records past RECORD_BODY_BYTES_MAX)
      // goes out in parts: whole commands each, atomic no longer.
      if (transaction.bytes > TRANSACTION_RECORD_BYTES_MAX) {
        this.writer.append(transaction.nowMs, transaction.forms);
        transaction.forms = [];
        transaction.bytes = 0;
      }
    } else this.writer.append(nowMs, log);
    for (const listener of this.logListeners) listener(log, atomic);
    this.dirty++;
    const o = this.o;
    if (this.snapshotting || this.snapshotScheduled || this.closing) return;
    // The save rules are checked by a timer (snapshotIfRuleDue); the AOF's growth on every write
    // (the live AOF holds only what came after the last snapshot: Redis's growth over its base).
    if (
      o.aofRewritePercentage > 0 &&
      this.writer.sizeBytes >= o.aofRewriteMinBytes &&
      this.writer.sizeBytes >= (this.lastSnapshotSizeBytes * o.aofRewritePercentage) / 100
    ) this.snapshotSoon("aof size");
  }

  /**
   * When the AOF's growth triggers a snapshot (Redis's auto-aof-rewrite-percentage and
   * auto-aof-rewrite-min-size): past `minBytes` and `percentage` of the last snapshot's size.
   */
  get aofRewrite(): { percentage: number; minBytes: number } {
    return { percentage: this.o.aofRewritePercentage, minBytes: this.o.aofRewriteMinBytes };
  }

  /** CONFIG SET auto-aof-rewrite-*: from the next write on; percentage 0 turns it off. */
  setAofRewrite(setting: { percentage?: number; minBytes?: number }): void {
    for (const value of [setting.percentage, setting.minBytes]) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw new RangeError(`Invalid AOF rewrite setting ${value}`);
      }
    }
    if (setting.percentage !== undefined) this.o.aofRewritePercentage = setting.percentage;
    if (setting.minBytes !== undefined) this.o.aofRewriteMinBytes = setting.minBytes;
  }

  /** Active expiry cycles a second (Redis's hz as far as keys go). */
  get activeExpireHz(): number {
    return this.o.activeExpireHz;
  }

  /** Changes how often active expiry runs (CONFIG SET hz): 0 stops it, else 1-500 a second. */
  setActiveExpireHz(hz: number): void {
    if (!Number.isInteger(hz) || hz < 0 || hz > 500) {
      throw new RangeError(`Invalid activeExpireHz ${hz}: expected 0-500`);
    }
    this.o.activeExpireHz = hz;
    if (this.expireTimerId !== null) this.o.timers.clearInterval(this.expireTimerId);
    this.expireTimerId = null;
    if (hz > 0 && this.closing === null) {
      this.expireTimerId = this.o.timers.setInterval(
        () => this.expireCycle(),
        Math.round(1000 / hz),
      );
    }
  }

  get saveRules(): readonly SaveRule[] {
    return this.o.saveRules;
  }

  /** Replaces the save rules (CONFIG SET save); [] leaves only the AOF-size trigger. */
  setSaveRules(rules: readonly SaveRule[]): void {
    validateSaveRules(rules);
    this.o.saveRules = [...rules];
    if (this.saveTimerId !== null) this.o.timers.clearInterval(this.saveTimerId);
    this.saveTimerId = null;
    if (rules.length > 0 && this.closing === null) {
      this.saveTimerId = this.o.timers.setInterval(() => this.snapshotIfRuleDue(), SAVE_CHECK_MS);
    }
  }

  /**
   * Redis's `save` rules: a snapshot once a rule's count of changes is reached and its time has
   * passed since the last snapshot or, when later, the engine's start (as Redis counts from its
   * start: a fresh or restarted server does not snapshot at once).
   */
  private snapshotIfRuleDue(): void {
    if (this.snapshotting || this.snapshotScheduled || this.closing || this.writer.failure) return;
    if (this.cronPaused) return;
    const elapsedMs = this.o.clock() - Math.max(this.lastSnapshotAtMs, this.openedAtMs);
    for (const rule of this.o.saveRules) {
      if (this.dirty >= rule.changes && elapsedMs >= rule.afterMs) {
        this.snapshotSoon(`save ${rule.afterMs / 1000} ${rule.changes}`);
        return;
      }
    }
  }

  /**
   * Starts an automatic snapshot at the end of this turn (not inside a caller's execute). After a
   * failed one, automatic triggers wait SNAPSHOT_RETRY_DELAY_MS (like Redis's bgsave retry delay)
   * so a full disk does not turn every write into a snapshot attempt.
   */
  private snapshotSoon(reason: string): void {
    if (
      this.lastSnapshotStatus === "err" &&
      this.o.clock() - this.lastSnapshotFailedAtMs < SNAPSHOT_RETRY_DELAY_MS
    ) {
      return;
    }
    this.snapshotScheduled = true;
    setImmediate(() => {
      this.snapshotScheduled = false;
      if (this.snapshotting || this.closing || this.writer.failure) return;
      this.o.logger.info("Snapshot triggered", { reason });
      this.snapshot().catch(() => undefined); // runSnapshot logs the failure
    });
  }

  private isWrite(name: string): boolean {
    const spec = this.store.commands.get(name.toLowerCase());
    return spec === undefined || mayWrite(spec);
  }

  private async engineCommand(name: string, argv: string[]): Promise<Reply> {
    // BGSAVE [SCHEDULE]: Redis's arity is -1, anything else after it is a syntax error.
    const schedule = name === "bgsave" && argv.length === 2 &&
      argv[1].toLowerCase() === "schedule";
    if (name === "bgsave" && argv.length > 1 && !schedule) return error("ERR syntax error");
    if (argv.length !== 1 && !schedule) {
      return error(`ERR wrong number of arguments for '${name}' command`);
    }
    if (name === "lastsave") {
      // Redis answers its start time until the first save, never 0 (INFO's rdb_last_save_time
      // does the same, atlas/server/info.ts).
      return integer(Math.floor((this.lastSnapshotAtMs || this.openedAtMs) / 1000));
    }
    const running = this.snapshotting !== null ? this.snapshotKind : null;
    if (name === "save") {
      if (running === "rdb") return error("ERR Background save already in progress");
      try {
        // Redis saves at once during an AOF rewrite: here, a fresh snapshot after the running one.
        if (this.snapshotting !== null) await this.snapshotting.catch(() => undefined);
        await this.snapshot();
        return OK;
      } catch (cause) {
        return error(`ERR ${(cause as Error).message}`);
      }
    }
    const bgsave = name === "bgsave";
    if (running !== null) {
      if (running === (bgsave ? "rdb" : "aof")) {
        return error(
          bgsave
            ? "ERR Background save already in progress"
            : "ERR Background append only file rewriting already in progress",
        );
      }
      if (bgsave && !schedule) {
        return error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. " +
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        );
      }
      this.queuedSnapshot = bgsave ? "rdb" : "aof";
      return simple(
        bgsave ? "Background saving scheduled" : "Background append only file rewriting scheduled",
      );
    }
    if (this.writer.failure) return error(this.writer.failure.message);
    this.snapshot().catch(() => undefined);
    if (!bgsave) this.snapshotKind = "aof";
    return simple(
      bgsave ? "Background saving started" : "Background append only file rewriting started",
    );
  }

  private async runSnapshot(
    seq: number,
    view: SnapshotView,
    switched: Promise<void>,
    dirtyAtStart: number,
  ): Promise<SnapshotInfo> {
    const o = this.o;
    const startMs = performance.now();
    try {
      const written = await writeSnapshot(view, {
        disk: o.disk,
        dir: o.dataDir,
        aofSeq: seq,
        createdAtMs: o.clock(),
        chunkBytes: o.snapshotChunkBytes,
      });
      await switched;
      await this.compact(seq);
      const durationSeconds = (performance.now() - startMs) / 1000;
      this.dirty -= dirtyAtStart;
      this.snapshotsTotal++;
      this.lastSnapshotAtMs = o.clock();
      this.lastSnapshotSeconds = durationSeconds;
      this.lastSnapshotStatus = "ok";
      this.lastSnapshotSizeBytes = written.sizeBytes;
      o.hooks.onSnapshot?.(durationSeconds);
      o.logger.info("Snapshot written", {
        file: written.path,
        keys: written.keys,
        bytes: written.sizeBytes,
        durationMs: Math.round(durationSeconds * 1000),
      });
      return { ...written, aofSeq: seq, durationSeconds };
    } catch (cause) {
      view.close();
      this.lastSnapshotStatus = "err";
      this.lastSnapshotFailedAtMs = o.clock();
      o.logger.error("Snapshot failed", { error: (cause as Error).message, aofSeq: seq });
      throw cause;
    }
  }

  /** After snapshot `seq` is durable, older snapshots and AOF parts are history: delete them. */
  private async compact(seq: number): Promise<void> {
    const { disk, dataDir } = this.o;
    const listing = classifyNames(await disk.readDir(dataDir));
    for (const old of listing.aofSeqs.filter((s) => s < seq)) {
      const path = aofPath(dataDir, old);
      this.writer.forgetBytes((await disk.size(path)) ?? 0);
      await disk.remove(path);
    }
    for (const old of listing.snapshotSeqs.filter((s) => s < seq)) {
      await disk.remove(snapshotPath(dataDir, old));
    }
    await disk.syncDir(dataDir);
  }

  /** The heap guard's periodic measure: refuses or readmits memory-growing writes. */
  private checkHeap(): void {
    const change = this.heapGuard!.check();
    if (change === null) return;
    this.store.heapFull = change.full;
    logHeapChange(this.o.logger, change);
  }

  private startTimers(): void {
    const o = this.o;
    this.heapGuard = o.heapGuard === undefined
      ? new HeapGuard({ dataBytes: () => this.store.stats.usedMemoryBytes })
      : o.heapGuard;
    if (this.heapGuard !== null) {
      this.timerIds.push(o.timers.setInterval(() => this.checkHeap(), HEAP_CHECK_INTERVAL_MS));
    }
    if (o.fsync === "interval") {
      this.fsyncTimerId = o.timers.setInterval(() => this.writer.requestFsync(), o.fsyncIntervalMs);
    }
    this.setActiveExpireHz(o.activeExpireHz);
    this.setSaveRules(o.saveRules);
  }
}

export { AofWriteError };
export type { FsyncMode };
