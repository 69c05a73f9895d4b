import assert from "node:assert/strict";
import { SERVER_BASE_MEMORY_BYTES } from "../../atlas/mod.ts";
import { configSchema } from "../config/schema.ts";
import { createHelios } from "../mod.ts";
import { Logger } from "../observability/logger.ts";
import { engineOptionsFromConfig } from "./engine_options.ts";

Deno.test("engine options: every atlas key that shapes the engine, from the config", () => {
  const { atlas } = configSchema.parse({
    atlas: {
      data_dir: "/srv/atlas",
      aof_fsync: "interval",
      aof_load_truncated: false,
      snapshot_interval_time: "10m",
      snapshot_interval_cmds: 5000,
      snapshot_min_interval: "30s",
      aof_rewrite_percentage: 0,
      aof_rewrite_min_size: 1024,
      maxmemory: 50_000_000,
      maxmemory_policy: "allkeys-lru",
      databases: 4,
    },
  });
  assert.deepEqual(engineOptionsFromConfig(atlas), {
    dataDir: "/srv/atlas",
    fsync: "interval",
    aofLoadTruncated: false,
    snapshotIntervalMs: 600_000,
    snapshotIntervalCmds: 5000,
    snapshotMinIntervalMs: 30_000,
    aofRewritePercentage: 0,
    aofRewriteMinBytes: 1024,
    store: {
      maxmemoryBytes: 50_000_000,
      baseMemoryBytes: SERVER_BASE_MEMORY_BYTES,
      maxmemoryPolicy: "allkeys-lru",
      databases: 4,
    },
  });
  assert.equal(engineOptionsFromConfig(atlas, "/elsewhere").dataDir, "/elsewhere");
});

Deno.test("an application's embedded store honours atlas.maxmemory as `helios serve` does", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "helios_embedded_" });
  const helios = await createHelios({
    dataDir,
    config: {
      atlas: { maxmemory: SERVER_BASE_MEMORY_BYTES + 64 * 1024 },
      observability: { log_level: "error" },
    },
    env: { get: () => undefined },
    logger: new Logger("app", { level: "error" }),
  });
  try {
    assert.equal(await helios.atlas.call("SET", "small", "x"), "OK");
    // As in Redis, the write that crosses the limit is let through; the next one is refused.
    assert.equal(await helios.atlas.call("SET", "big", "x".repeat(128 * 1024)), "OK");
    assert.deepEqual(await helios.atlas.call("SET", "more", "x"), {
      error: "OOM command not allowed when used memory > 'maxmemory'.",
    });
  } finally {
    await helios.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
