/**
 * Adapts the durability engine's facts (AtlasEngine.stats, structurally) to the server's
 * PersistenceHooks: INFO persistence fields with Redis names, CONFIG GET appendonly/appendfsync,
 * CONFIG SET appendfsync (AtlasEngine.setFsyncMode), CONFIG GET / SET save (its save rules) and
 * auto-aof-rewrite-* (AtlasEngine.aofRewrite).
 * SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE are left to the engine's own `execute`.
 */
import type { PersistenceHooks, SaveRuleLike } from "./types.ts";

export interface EngineFacts {
  readonly stats: {
    readonly aofFsyncMode: string;
    readonly aofSizeBytes: number;
    readonly aofLastWriteStatus: string;
    readonly lastSnapshotTimestampSeconds: number;
    readonly lastSnapshotStatus: string;
    readonly snapshotInProgress: boolean;
    readonly changesSinceLastSnapshot: number;
    readonly aofFsyncsTotal: number;
    readonly lastSnapshotDurationSeconds?: number;
    readonly snapshotsTotal?: number;
    readonly snapshotStartedAtMs?: number | null;
    readonly snapshotQueued?: "rdb" | "aof" | null;
    readonly lastSnapshotSizeBytes?: number;
    readonly aofPendingRecords?: number;
    readonly recovery?: { readonly snapshotKeys: number };
  };
  /** Switches the AOF fsync mode at run time ("every" | "interval" | "none"). */
  setFsyncMode?(mode: "every" | "interval" | "none"): void;
  /** The snapshot schedule (AtlasEngine.saveRules) and its run-time change. */
  readonly saveRules?: readonly SaveRuleLike[];
  setSaveRules?(rules: readonly SaveRuleLike[]): void;
  /** The AOF growth that triggers a snapshot (AtlasEngine.aofRewrite) and its change. */
  readonly aofRewrite?: { percentage: number; minBytes: number };
  setAofRewrite?(setting: { percentage?: number; minBytes?: number }): void;
  /** Active expiry's frequency (AtlasEngine.activeExpireHz) and its run-time change. */
  readonly activeExpireHz?: number;
  setActiveExpireHz?(hz: number): void;
  /** DEBUG LOADAOF (AtlasEngine.reloadFromDisk). */
  reloadFromDisk?(): Promise<number>;
  /** DEBUG SLEEP stopped the process: the cached clock is stale (AtlasEngine.clockMoved). */
  clockMoved?(): void;
  /** The log records as appended (AtlasEngine.onLogged). */
  onLogged?(
    listener: (log: readonly (readonly string[])[], atomic: boolean) => void,
  ): () => void;
  /** DEBUG SET-ACTIVE-EXPIRE (AtlasEngine.setActiveExpireEnabled). */
  setActiveExpireEnabled?(on: boolean): void;
  /** DEBUG PAUSE-CRON (AtlasEngine.setCronPaused). */
  setCronPaused?(paused: boolean): void;
  /** Holds expiry while clients are paused (AtlasEngine.holdExpiry). */
  holdExpiry?(held: boolean): void;
  /** An EXEC's log forms held back and appended as one record (AtlasEngine.beginTransaction). */
  beginTransaction?(): void;
  endTransaction?(): void;
  /** Evicts down to maxmemory now (AtlasEngine.evictToMaxmemory). */
  evictToMaxmemory?(): number;
  /** busy-reply-threshold (AtlasEngine.busyReplyThreshold) and its run-time change. */
  readonly busyReplyThreshold?: number;
  setBusyReplyThreshold?(ms: number): void;
}

const FSYNC_NAMES: Record<string, string> = { every: "always", interval: "everysec", none: "no" };
const FSYNC_MODES: Record<string, "every" | "interval" | "none"> = {
  always: "every",
  everysec: "interval",
  no: "none",
};

export function engineHooks(engine: EngineFacts, dataDir: string): PersistenceHooks {
  const hooks: PersistenceHooks = {
    appendonly: "yes",
    get appendfsync() {
      const mode = engine.stats.aofFsyncMode;
      return FSYNC_NAMES[mode] ?? mode;
    },
    dir: dataDir,
    info() {
      // A snapshot is both Redis's RDB save and its AOF rewrite: it writes the state and drops
      // the AOF parts it covers. So the rdb_* and aof_rewrite* fields report the same runs.
      const s = engine.stats;
      const running = s.snapshotInProgress ? 1 : 0;
      const startedMs = s.snapshotStartedAtMs ?? null;
      const currentS = running && startedMs !== null
        ? Math.floor((Date.now() - startedMs) / 1000)
        : -1;
      const saves = s.snapshotsTotal ?? 0;
      const lastS = saves > 0 ? Math.round(s.lastSnapshotDurationSeconds ?? 0) : -1;
      const status = s.lastSnapshotStatus === "err" ? "err" : "ok";
      return {
        rdb_changes_since_last_save: s.changesSinceLastSnapshot,
        rdb_bgsave_in_progress: running,
        rdb_last_save_time: Math.floor(s.lastSnapshotTimestampSeconds),
        rdb_last_bgsave_status: status,
        rdb_last_bgsave_time_sec: lastS,
        rdb_current_bgsave_time_sec: currentS,
        rdb_saves: saves,
        rdb_last_load_keys_loaded: s.recovery?.snapshotKeys ?? 0,
        aof_enabled: 1,
        aof_rewrite_in_progress: running,
        aof_rewrite_scheduled: s.snapshotQueued === "aof" ? 1 : 0, // BGREWRITEAOF during a save
        aof_last_rewrite_time_sec: lastS,
        aof_current_rewrite_time_sec: currentS,
        aof_last_bgrewrite_status: status,
        aof_rewrites: saves,
        aof_last_write_status: s.aofLastWriteStatus,
        aof_current_size: s.aofSizeBytes,
        aof_base_size: s.lastSnapshotSizeBytes ?? 0,
        aof_pending_bio_fsync: (s.aofPendingRecords ?? 0) > 0 ? 1 : 0,
        aof_fsyncs_total: s.aofFsyncsTotal,
        atlas_sync_mode: s.aofFsyncMode,
      };
    },
  };
  if (engine.activeExpireHz !== undefined && engine.setActiveExpireHz !== undefined) {
    hooks.hz = () => engine.activeExpireHz!;
    hooks.setHz = (hz) => engine.setActiveExpireHz!(hz);
  }
  if (engine.aofRewrite !== undefined && engine.setAofRewrite !== undefined) {
    hooks.aofRewrite = () => engine.aofRewrite!;
    hooks.setAofRewrite = (setting) => engine.setAofRewrite!(setting);
  }
  if (engine.reloadFromDisk !== undefined) hooks.loadAof = () => engine.reloadFromDisk!();
  if (engine.onLogged !== undefined) hooks.onLogged = (listener) => engine.onLogged!(listener);
  if (engine.clockMoved !== undefined) hooks.clockMoved = () => engine.clockMoved!();
  if (engine.setCronPaused !== undefined) {
    hooks.pauseCron = (paused) => engine.setCronPaused!(paused);
  }
  if (engine.setActiveExpireEnabled !== undefined) {
    hooks.setActiveExpire = (on) => engine.setActiveExpireEnabled!(on);
  }
  if (engine.holdExpiry !== undefined) hooks.holdExpiry = (held) => engine.holdExpiry!(held);
  if (engine.beginTransaction !== undefined && engine.endTransaction !== undefined) {
    hooks.beginTransaction = () => engine.beginTransaction!();
    hooks.endTransaction = () => engine.endTransaction!();
  }
  if (engine.evictToMaxmemory !== undefined) {
    hooks.evictToMaxmemory = () => void engine.evictToMaxmemory!();
  }
  if (engine.busyReplyThreshold !== undefined && engine.setBusyReplyThreshold !== undefined) {
    hooks.busyReplyThreshold = () => engine.busyReplyThreshold!;
    hooks.setBusyReplyThreshold = (ms) => engine.setBusyReplyThreshold!(ms);
  }
  if (engine.saveRules !== undefined && engine.setSaveRules !== undefined) {
    hooks.saveRules = () => engine.saveRules!;
    hooks.setSaveRules = (rules) => engine.setSaveRules!(rules);
  }
  const setFsyncMode = engine.setFsyncMode?.bind(engine);
  if (setFsyncMode !== undefined) {
    hooks.setAppendfsync = (value) => {
      const mode = FSYNC_MODES[value.toLowerCase()];
      if (mode === undefined) {
        return "argument(s) must be one of the following: everysec, always, no";
      }
      setFsyncMode(mode);
      return null;
    };
  }
  return hooks;
}
