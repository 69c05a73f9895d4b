import assert from "node:assert/strict";
import { createPrng } from "../../lib/prng.ts";
import {
  type BalancerTarget,
  ConsistentHash,
  LeastConnections,
  PowerOfTwo,
  RoundRobin,
  WeightedRoundRobin,
} from "./mod.ts";

function targets(weights: number[], active: number[] = []): BalancerTarget[] {
  return weights.map((weight, i) => ({ id: `http://t${i}`, weight, active: active[i] ?? 0 }));
}
const all = () => true;

Deno.test("round robin cycles through usable targets and skips unusable ones", () => {
  const rr = new RoundRobin();
  const ts = targets([1, 1, 1]);
  assert.deepEqual([0, 1, 2, 3].map(() => rr.pick(ts, all)), [0, 1, 2, 0]);
  assert.deepEqual([0, 1, 2].map(() => rr.pick(ts, (i) => i !== 1)), [2, 0, 2]);
  assert.equal(rr.pick(ts, () => false), -1);
});

Deno.test("smooth weighted round robin spreads a 5:1:1 pool like nginx", () => {
  const wrr = new WeightedRoundRobin();
  const ts = targets([5, 1, 1]);
  const picks = Array.from({ length: 7 }, () => wrr.pick(ts, all));
  assert.deepEqual(picks, [0, 0, 1, 0, 2, 0, 0]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 700; i++) counts[wrr.pick(ts, all)]++;
  assert.deepEqual(counts, [500, 100, 100]);
});

Deno.test("weighted round robin with an unusable target shares among the rest", () => {
  const wrr = new WeightedRoundRobin();
  const ts = targets([2, 1, 1]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 300; i++) counts[wrr.pick(ts, (i) => i !== 0)]++;
  assert.deepEqual(counts, [0, 150, 150]);
});

Deno.test("least connections picks the fewest in flight per weight", () => {
  const lc = new LeastConnections();
  assert.equal(lc.pick(targets([1, 1, 1], [5, 2, 9]), all), 1);
  // Weight 4 with 6 in flight (1.5 per unit) beats weight 1 with 2.
  assert.equal(lc.pick(targets([1, 4], [2, 6]), all), 1);
  assert.equal(lc.pick(targets([1, 1], [0, 9]), (i) => i === 1), 1);
});

Deno.test("least connections rotates among equal targets", () => {
  const lc = new LeastConnections();
  const ts = targets([1, 1, 1]);
  const seen = new Set(Array.from({ length: 3 }, () => lc.pick(ts, all)));
  assert.equal(seen.size, 3);
});

Deno.test("power of two choices prefers the less loaded of two and never an unusable one", () => {
  const p2c = new PowerOfTwo(createPrng(7));
  const ts = targets([1, 1, 1, 1], [100, 0, 100, 100]);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 1000; i++) counts[p2c.pick(ts, all)]++;
  // Target 1 wins whenever it is one of the two sampled: about 1 - (3/4 × 2/3) = 1/2 of picks.
  assert.ok(counts[1] > 400, `target 1 got ${counts[1]}`);
  for (let i = 0; i < 100; i++) assert.notEqual(p2c.pick(ts, (i) => i !== 1), 1);
  assert.equal(p2c.pick(ts, (i) => i === 3), 3);
  assert.equal(p2c.pick(ts, () => false), -1);
});

Deno.test("consistent hashing is stable per key and spreads keys evenly", () => {
  const ch = new ConsistentHash();
  const ts = targets([1, 1, 1, 1]);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 4000; k++) {
    const first = ch.pick(ts, all, `client-${k}`);
    assert.equal(ch.pick(ts, all, `client-${k}`), first);
    counts[first]++;
  }
  for (const c of counts) assert.ok(c > 700 && c < 1300, `uneven spread ${counts}`);
});

Deno.test("consistent hashing remaps only the keys of a target that leaves", () => {
  const ch = new ConsistentHash();
  const ts = targets([1, 1, 1, 1, 1]);
  const before = new Map<string, number>();
  for (let k = 0; k < 5000; k++) before.set(`k${k}`, ch.pick(ts, all, `k${k}`));
  // Target 2 becomes unusable: only its keys move.
  let moved = 0;
  for (const [key, owner] of before) {
    const now = ch.pick(ts, (i) => i !== 2, key);
    if (owner === 2) {
      assert.notEqual(now, 2);
      moved++;
    } else {
      assert.equal(now, owner, `key ${key} moved without cause`);
    }
  }
  assert.ok(moved > 600 && moved < 1400, `moved ${moved}`);
  // Target 2 removed from the pool altogether (ids keep their ring points): same result.
  const remaining = ts.filter((_, i) => i !== 2);
  const ch2 = new ConsistentHash();
  for (const [key, owner] of before) {
    if (owner === 2) continue;
    assert.equal(remaining[ch2.pick(remaining, all, key)].id, ts[owner].id);
  }
});

Deno.test("consistent hashing gives a heavier target proportionally more keys", () => {
  const ch = new ConsistentHash();
  const ts = targets([3, 1]);
  let heavy = 0;
  for (let k = 0; k < 4000; k++) if (ch.pick(ts, all, `u${k}`) === 0) heavy++;
  assert.ok(heavy > 2700 && heavy < 3300, `heavy got ${heavy}`);
});
