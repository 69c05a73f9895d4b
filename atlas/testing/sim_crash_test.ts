/**
 * Power-loss simulation: the engine runs on a SimDisk; at a random moment the disk "crashes"
 * (un-fsynced bytes vanish, sometimes leaving a torn tail) and a fresh engine recovers from what
 * survived. `every` must keep every acknowledged write; `interval` may lose only its window.
 * A failure prints SEED=n; rerun with ATLAS_SIM_SEED=n to replay it, or sweep more seeds with
 * ATLAS_SIM_SEEDS=500.
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { SimDisk } from "../aof/sim_disk.ts";
import { AtlasEngine } from "../engine.ts";
import type { Reply } from "../store/reply.ts";
import { ManualTimers, RecordingLogger, settle } from "./manual_timers.ts";
import { mulberry32 } from "./prng.ts";

/** Data commands answer synchronously on the embedded engine. */
const exec = (engine: AtlasEngine, ...argv: string[]) => engine.execute(argv) as Reply;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const seeds = (count: number) => {
  const fixed = Deno.env.get("ATLAS_SIM_SEED");
  const many = Number(Deno.env.get("ATLAS_SIM_SEEDS") ?? count); // a longer sweep, opt-in
  return fixed ? [Number(fixed)] : Array.from({ length: many }, (_, i) => 1000 + i);
};

async function withSeed(seed: number, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(`SEED=${seed}: ${(error as Error).message}`, { cause: error });
  }
}

function open(
  disk: SimDisk,
  fsync: "every" | "interval",
  clock: () => number,
  timers: ManualTimers,
) {
  return AtlasEngine.open({
    dataDir: "/data",
    disk,
    fsync,
    clock,
    timers,
    logger: new RecordingLogger(),
    snapshotChunkBytes: 2048,
  });
}

Deno.test("sim disk, every: a crash at any moment loses no acknowledged write", async () => {
  for (const seed of seeds(12)) {
    await withSeed(seed, async () => {
      const random = mulberry32(seed);
      const disk = new SimDisk();
      disk.delay = async () => {
        for (let i = Math.floor(random() * 3); i > 0; i--) await turn();
      };
      const timers = new ManualTimers();
      const acked = new Map<string, string>();
      let counterAcked = 0;
      for (let round = 0; round < 4; round++) {
        const engine = await open(disk, "every", () => 1_000_000 + round, timers);
        for (const [key, value] of acked) {
          assert.deepEqual(exec(engine, "GET", key), { kind: "bulk", value }, `key ${key}`);
        }
        const counter = exec(engine, "GET", "counter");
        assert.ok(Number(counter.kind === "bulk" ? counter.value : 0) >= counterAcked);
        let crashed = false;
        const client = async (id: number) => {
          for (let n = 0; !crashed; n++) {
            const key = `r${round}:c${id}:${n}`;
            const value = `v${Math.floor(random() * 1e9)}`;
            engine.execute(["SET", key, value]);
            const incr = id === 0 ? exec(engine, "INCR", "counter") : null;
            try {
              await engine.sync();
            } catch {
              return; // the crash failed this batch: not acknowledged
            }
            acked.set(key, value);
            if (incr?.kind === "integer") counterAcked = Number(incr.value);
            if (random() < 0.3) await turn();
          }
        };
        const clients = Array.from({ length: 6 }, (_, id) => client(id));
        const crashAfter = Math.floor(random() * 40);
        for (let t = 0; t < crashAfter; t++) {
          if (random() < 0.08) engine.snapshot().catch(() => undefined);
          await turn();
        }
        disk.crash({ tornTail: random() < 0.7, random });
        crashed = true;
        await Promise.all(clients);
        await engine.close().catch(() => undefined);
        await settle();
      }
      assert.ok(acked.size > 0);
    });
  }
});

Deno.test("sim disk, interval: a crash loses at most the writes of the last fsync interval", async () => {
  for (const seed of seeds(8)) {
    await withSeed(seed, async () => {
      const random = mulberry32(seed);
      const disk = new SimDisk();
      const timers = new ManualTimers();
      const intervalMs = 1000;
      let nowMs = 0;
      const engine = await open(disk, "interval", () => nowMs, timers);
      const acked: { key: string; atMs: number }[] = [];
      const steps = 15 + Math.floor(random() * 60);
      for (let step = 0; step < steps; step++) {
        nowMs += 100;
        if (nowMs % intervalMs === 0) {
          timers.fire(intervalMs); // the interval fsync, off the reply path
          await settle(3);
        }
        for (let i = 0; i < 5; i++) {
          const key = `k${step}:${i}`;
          engine.execute(["SET", key, String(nowMs)]);
          await engine.sync(); // resolves at once under interval
          acked.push({ key, atMs: nowMs });
        }
        await turn();
      }
      const crashAtMs = nowMs;
      disk.crash({ tornTail: random() < 0.5, random });
      await engine.close().catch(() => undefined);
      const recovered = await open(disk, "interval", () => nowMs, timers);
      let lost = 0;
      for (const { key, atMs } of acked) {
        if (exec(recovered, "GET", key).kind === "nil") {
          lost++;
          assert.ok(
            crashAtMs - atMs < intervalMs,
            `lost ${key} acknowledged ${crashAtMs - atMs} ms before the crash`,
          );
        }
      }
      assert.ok(lost <= 50, `lost ${lost} writes: more than one interval's worth`);
      await recovered.close();
    });
  }
});
