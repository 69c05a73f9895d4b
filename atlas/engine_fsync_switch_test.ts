/** AtlasEngine.setFsyncMode (CONFIG SET appendfsync): the mode, its timer and its promises. */
import assert from "node:assert/strict";
import { SimDisk } from "./aof/sim_disk.ts";
import { AtlasEngine } from "./engine.ts";
import { engineHooks } from "./server/engine_hooks.ts";
import { ManualTimers, RecordingLogger, settle } from "./testing/manual_timers.ts";

const DIR = "/data";

async function openEngine(fsync: "every" | "interval" | "none", disk = new SimDisk()) {
  const timers = new ManualTimers();
  const engine = await AtlasEngine.open({
    dataDir: DIR,
    disk,
    timers,
    logger: new RecordingLogger(),
    clock: () => 1_000_000,
    fsync,
    fsyncIntervalMs: 1000,
    activeExpireHz: 0,
    snapshotIntervalMs: 0,
    heapGuard: null,
  });
  return { engine, disk, timers };
}

async function write(engine: AtlasEngine, key: string) {
  engine.execute(["SET", key, "v"]);
  await engine.sync();
}

Deno.test("engine.setFsyncMode: interval starts the fsync timer, other modes stop it", async () => {
  const { engine, timers } = await openEngine("none");
  assert.equal(timers.active, 0);
  engine.setFsyncMode("interval");
  assert.equal(engine.stats.aofFsyncMode, "interval");
  assert.equal(timers.active, 1);
  await write(engine, "a");
  await settle(); // the switch's own fsync (nothing was pending) and the write land
  assert.equal(engine.stats.aofPendingRecords, 1, "interval: no fsync on the reply path");
  timers.fire(1000);
  await settle();
  assert.equal(engine.stats.aofPendingRecords, 0, "the timer fsynced it");
  engine.setFsyncMode("interval"); // no second timer
  assert.equal(timers.active, 1);
  engine.setFsyncMode("every");
  assert.equal(timers.active, 0);
  engine.setFsyncMode("interval");
  await engine.close();
  assert.equal(timers.active, 0, "close stops the timer it started");
});

Deno.test("engine.setFsyncMode every: the next reply waits for an fsync covering older writes", async () => {
  const { engine, disk } = await openEngine("none");
  await write(engine, "old");
  assert.equal(engine.stats.aofPendingRecords, 1);
  engine.setFsyncMode("every");
  assert.equal(engine.hasUnsyncedWrites(), true);
  await write(engine, "new");
  assert.equal(engine.stats.aofPendingRecords, 0);
  disk.crash(); // a power loss right after the reply: both writes are on disk
  const again = await AtlasEngine.open({ dataDir: DIR, disk, timers: new ManualTimers() });
  assert.deepEqual(again.execute(["MGET", "old", "new"]), {
    kind: "array",
    value: [{ kind: "bulk", value: "v" }, { kind: "bulk", value: "v" }],
  });
  await again.close();
});

Deno.test("engineHooks: CONFIG GET/SET appendfsync speak Redis's names", async () => {
  const { engine } = await openEngine("every");
  const hooks = engineHooks(engine, DIR);
  assert.equal(hooks.appendfsync, "always");
  assert.equal(hooks.setAppendfsync?.("EVERYSEC"), null);
  assert.equal(hooks.appendfsync, "everysec");
  assert.equal(engine.stats.aofFsyncMode, "interval");
  assert.equal(hooks.setAppendfsync?.("no"), null);
  assert.equal(hooks.appendfsync, "no");
  assert.match(hooks.setAppendfsync?.("sometimes") ?? "", /must be one of the following/);
  assert.equal(hooks.appendfsync, "no");
  await engine.close();
});
