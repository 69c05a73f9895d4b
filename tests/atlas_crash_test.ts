/**
 * Real-process crash test: a child runs the engine under `every` with many concurrent writers
 * and prints each write only after sync() resolved; the parent kill -9s it at a random moment,
 * recovers the data directory, and checks that every acknowledged write is there with its value.
 * Repeated on the same directory, so recovery also runs over earlier crashes' leftovers.
 */
import assert from "node:assert/strict";
import { AtlasEngine } from "../atlas/mod.ts";
import type { Reply } from "../atlas/mod.ts";

const CHILD = new URL("../atlas/testing/crash_child.ts", import.meta.url).pathname;
const ROUNDS = Number(Deno.env.get("ATLAS_CRASH_ROUNDS") ?? 6);

interface RoundResult {
  acked: Map<string, string>;
  counters: Map<string, number>;
  stderr: string;
}

async function crashRound(dataDir: string, killAfterMs: number): Promise<RoundResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dataDir, "16"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const acked = new Map<string, string>();
  const counters = new Map<string, number>();
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  // A child that never acknowledges anything must not hang the suite.
  const safety = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const stderrText = new Response(child.stderr).text();
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const [tag, key, value] = line.split(" ");
      if (tag === "ACK") {
        acked.set(key, value);
        // The clock starts at the first acknowledged write, so every round kills a busy writer.
        killTimer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
      if (tag === "CNT") counters.set(key, Math.max(counters.get(key) ?? 0, Number(value)));
    }
  }
  clearTimeout(killTimer);
  clearTimeout(safety);
  const status = await child.status;
  const stderr = await stderrText;
  assert.equal(status.signal, "SIGKILL", `child exited on its own: ${stderr}`);
  return { acked, counters, stderr };
}

Deno.test("kill -9 under `every` loses no acknowledged write", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "atlas_crash_" });
  const acked = new Map<string, string>();
  const counters = new Map<string, number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const killAfterMs = 50 + Math.floor(Math.random() * 1000);
      const result = await crashRound(dataDir, killAfterMs);
      assert.ok(result.acked.size > 0, `round ${round}: no acknowledged writes (${result.stderr})`);
      for (const [key, value] of result.acked) acked.set(key, value);
      for (const [key, value] of result.counters) counters.set(key, value);

      const engine = await AtlasEngine.open({ dataDir, activeExpireHz: 0, snapshotIntervalMs: 0 });
      try {
        let missing = 0;
        for (const [key, value] of acked) {
          const reply = engine.execute(["GET", key]) as Reply;
          if (reply.kind !== "bulk" || reply.value !== value) missing++;
        }
        assert.equal(
          missing,
          0,
          `round ${round}: ${missing} of ${acked.size} acknowledged writes lost`,
        );
        for (const [key, value] of counters) {
          const reply = engine.execute(["GET", key]) as Reply;
          assert.ok(reply.kind === "bulk" && Number(reply.value) >= value, `${key} went back`);
        }
      } finally {
        await engine.close();
      }
    }
    assert.ok(acked.size > 100, `only ${acked.size} acknowledged writes over ${ROUNDS} rounds`);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
