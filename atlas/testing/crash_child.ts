/**
 * Child process of the kill -9 crash test (tests/atlas_crash_test.ts). Opens the engine under
 * `every` on the data directory given as the first argument and runs many concurrent writers.
 * Each writer prints `ACK <key> <value>` (or `CNT <key> <n>` for counters) only after the
 * engine's sync() resolved, so every printed line is a write the server would have acknowledged.
 * Runs until killed. Usage: deno run -A atlas/testing/crash_child.ts DATA_DIR [WRITERS]
 */
import { setImmediate } from "node:timers";
import { AtlasEngine } from "../engine.ts";
import type { Reply } from "../store/reply.ts";

const [dataDir, writersArg] = Deno.args;
if (!dataDir) throw new Error("Usage: crash_child.ts DATA_DIR [WRITERS]");
const writers = Number(writersArg ?? 16);
const run = crypto.randomUUID().slice(0, 8);
const encoder = new TextEncoder();
let pending: string[] = [];

/** Acks of one turn go out in one write (fewer syscalls, same guarantee: after sync). */
function print(line: string): void {
  if (pending.length === 0) {
    setImmediate(() => {
      const text = pending.join("");
      pending = [];
      const bytes = encoder.encode(text);
      for (let offset = 0; offset < bytes.length;) {
        offset += Deno.stdout.writeSync(bytes.subarray(offset));
      }
    });
  }
  pending.push(line + "\n");
}

const engine = await AtlasEngine.open({
  dataDir,
  fsync: "every",
  snapshotIntervalCmds: 20_000, // snapshots (and AOF compaction) happen during the run too
  snapshotMinIntervalMs: 0,
  snapshotIntervalMs: 0,
});
print(`READY ${engine.stats.keys}`);

async function writer(id: number): Promise<void> {
  for (let n = 0;; n++) {
    const key = `${run}:w${id}:${n}`;
    const value = `${n}-${Math.random().toString(36).slice(2)}`.repeat(1 + (n % 4));
    engine.execute(["SET", key, value]);
    const counter = n % 5 === 0 ? engine.execute(["INCR", `cnt:${id}`]) as Reply : null;
    await engine.sync();
    print(`ACK ${key} ${value}`);
    if (counter?.kind === "integer") print(`CNT cnt:${id} ${counter.value}`);
  }
}

await Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
