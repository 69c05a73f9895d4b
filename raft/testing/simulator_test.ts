import assert from "node:assert/strict";
import { runSeed } from "./simulator.ts";

/** CI-bounded seed run; RAFT_SIM_SEEDS=n widens it (the full run is `deno task sim --seeds N`). */
Deno.test("simulator: a bounded range of seeds has no violations", () => {
  const n = Number(Deno.env.get("RAFT_SIM_SEEDS") ?? 300);
  const failures: string[] = [];
  for (let seed = 1; seed <= n; seed++) {
    const r = runSeed(seed);
    if (!r.ok) failures.push(`SEED=${seed} ${r.violations[0]}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("simulator: a seed replays exactly", () => {
  const a = runSeed(4242);
  const b = runSeed(4242);
  assert.deepEqual(a, b);
  assert.ok(a.ops.ok > 0 && a.messages > 0);
});

Deno.test("simulator: runs use 3, 5 and 7 nodes and exercise faults", () => {
  const sizes = new Set<number>();
  let unknown = 0;
  let maxTerm = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const r = runSeed(seed);
    sizes.add(r.nodeCount);
    unknown += r.ops.unknown;
    maxTerm = Math.max(maxTerm, r.maxTerm);
  }
  assert.deepEqual([...sizes].sort(), [3, 5, 7]);
  assert.ok(unknown > 0, "faults should leave some operations with unknown outcome");
  assert.ok(maxTerm > 5, "faults should force several elections");
});
