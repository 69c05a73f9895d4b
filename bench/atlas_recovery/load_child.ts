/**
 * Child of bench/atlas_recovery: opens an ATLAS data directory (snapshot + AOF replay) in a fresh
 * process and prints one JSON line with the load time and the heap it took. Run with
 * --v8-flags=--expose-gc so the heap figures are after a full GC.
 */
import process from "node:process";
import { AtlasEngine } from "../../atlas/mod.ts";

const dataDir = Deno.args[0];
const gc = (globalThis as { gc?: () => void }).gc;
if (!dataDir || !gc) {
  throw new Error("Usage: deno run -A --v8-flags=--expose-gc load_child.ts DATA_DIR");
}
gc();
const before = Deno.memoryUsage();
const startMs = performance.now();
const engine = await AtlasEngine.open({
  dataDir,
  fsync: "none",
  activeExpireHz: 0,
  snapshotIntervalMs: 0,
});
const loadMs = performance.now() - startMs;
// CPU of the whole process up to serving (startup included): robust on a busy machine.
const cpu = process.cpuUsage();
gc();
const after = Deno.memoryUsage();
const line = JSON.stringify({
  loadMs,
  keys: engine.stats.keys,
  heapBytes: after.heapUsed - before.heapUsed,
  rssBytes: after.rss - before.rss,
  snapshotKeys: engine.stats.recovery.snapshotKeys,
  aofRecords: engine.stats.recovery.aofRecords,
  cpuMs: (cpu.user + cpu.system) / 1000,
});
await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
await engine.close();
