/**
 * Adapts the durability engine's facts (AtlasEngine.stats, structurally) to the server's
 * PersistenceHooks: INFO persistence fields with Redis names, CONFIG GET appendonly/appendfsync,
 * CONFIG SET appendfsync (AtlasEngine.setFsyncMode).
 * SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE are left to the engine's own `execute`.
 */
import type { PersistenceHooks } from "./types.ts";

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
  };
  /** Switches the AOF fsync mode at run time ("every" | "interval" | "none"). */
  setFsyncMode?(mode: "every" | "interval" | "none"): void;
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
      const s = engine.stats;
      return {
        rdb_changes_since_last_save: s.changesSinceLastSnapshot,
        rdb_bgsave_in_progress: s.snapshotInProgress ? 1 : 0,
        rdb_last_save_time: Math.floor(s.lastSnapshotTimestampSeconds),
        rdb_last_bgsave_status: s.lastSnapshotStatus === "err" ? "err" : "ok",
        aof_enabled: 1,
        aof_last_write_status: s.aofLastWriteStatus,
        aof_current_size: s.aofSizeBytes,
        aof_fsyncs_total: s.aofFsyncsTotal,
        atlas_sync_mode: s.aofFsyncMode,
      };
    },
  };
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
