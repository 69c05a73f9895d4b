/**
 * Real-process crash test: a child runs the engine under `every` with many concurrent writers
 * and prints each write only after sync() resolved; the parent kill -9s it at a random moment,
 * recovers the data directory, and checks that every acknowledged write is there with its value.
 * Repeated on the same directory, so recovery also runs over earlier crashes' leftovers.
 */
import assert from "node:assert/strict";
import { AtlasEngine } from "../atlas/mod.ts";
import type { Reply } from "../atlas/mod.ts";
import { scanAof } from "../atlas/aof/scan.ts";
import { AOF_PATTERN } from "../atlas/aof/layout.ts";

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

/** Zero bytes after the last record of each AOF part (preallocated space), by file name. */
function aofPadding(dataDir: string): Map<string, number> {
  const padding = new Map<string, number>();
  for (const entry of Deno.readDirSync(dataDir)) {
    if (!AOF_PATTERN.test(entry.name)) continue;
    const scan = scanAof(Deno.readFileSync(`${dataDir}/${entry.name}`));
    padding.set(entry.name, scan.paddingBytes);
  }
  return padding;
}

Deno.test("kill -9 under `every` loses no acknowledged write", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "atlas_crash_" });
  const acked = new Map<string, string>();
  const counters = new Map<string, number>();
  let killedWithPadding = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const killAfterMs = 50 + Math.floor(Math.random() * 1000);
      const result = await crashRound(dataDir, killAfterMs);
      assert.ok(result.acked.size > 0, `round ${round}: no acknowledged writes (${result.stderr})`);
      for (const [key, value] of result.acked) acked.set(key, value);
      for (const [key, value] of result.counters) counters.set(key, value);
      if ([...aofPadding(dataDir).values()].some((bytes) => bytes > 0)) killedWithPadding++;

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
      for (const [name, bytes] of aofPadding(dataDir)) {
        assert.equal(bytes, 0, `round ${round}: ${name} still has preallocated space`);
      }
    }
    // The child runs under `every`, which preallocates its AOF: a kill leaves the zeros behind.
    assert.ok(killedWithPadding > 0, "no killed child left preallocated space to recover over");
    assert.ok(acked.size > 100, `only ${acked.size} acknowledged writes over ${ROUNDS} rounds`);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
