/**
 * Adapts the durability engine's facts (AtlasEngine.stats, structurally) to the server's
 * PersistenceHooks: INFO persistence fields with Redis names, CONFIG GET appendonly/appendfsync.
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
}

const FSYNC_NAMES: Record<string, string> = { every: "always", interval: "everysec", none: "no" };

export function engineHooks(engine: EngineFacts, dataDir: string): PersistenceHooks {
  const mode = engine.stats.aofFsyncMode;
  return {
    appendonly: "yes",
    appendfsync: FSYNC_NAMES[mode] ?? mode,
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
}
