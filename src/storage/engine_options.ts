/**
 * The AtlasEngine options a config's `atlas` section stands for, in one place: `helios atlasd` and
 * `helios serve` (src/cli/atlas_node.ts) and an application's embedded store (createHelios in
 * src/mod.ts) honour the same keys the same way.
 */
import { type AtlasEngineOptions, SERVER_BASE_MEMORY_BYTES } from "../../atlas/mod.ts";
import type { AtlasConfig } from "../config/schema.ts";
import { parseDurationMs } from "../lib/duration.ts";

/** What `atlas` configures; the caller adds its logger, hooks and extensions. */
export function engineOptionsFromConfig(
  atlas: AtlasConfig,
  dataDir: string = atlas.data_dir,
): AtlasEngineOptions {
  return {
    dataDir,
    fsync: atlas.aof_fsync,
    aofLoadTruncated: atlas.aof_load_truncated,
    snapshotIntervalMs: parseDurationMs(atlas.snapshot_interval_time)!,
    snapshotIntervalCmds: atlas.snapshot_interval_cmds,
    snapshotMinIntervalMs: parseDurationMs(atlas.snapshot_min_interval)!,
    aofRewritePercentage: atlas.aof_rewrite_percentage,
    aofRewriteMinBytes: atlas.aof_rewrite_min_size,
    store: {
      maxmemoryBytes: atlas.maxmemory,
      // maxmemory counts the server as Redis's does (docs/atlas_store.md, "maxmemory").
      baseMemoryBytes: SERVER_BASE_MEMORY_BYTES,
      maxmemoryPolicy: atlas.maxmemory_policy,
      databases: atlas.databases,
    },
  };
}
