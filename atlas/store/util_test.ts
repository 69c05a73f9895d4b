import assert from "node:assert/strict";
import { clampRange, nth, pickDistinct, randomIndexes } from "./util.ts";

Deno.test("pickDistinct picks distinct items, about uniformly", () => {
  let seed = 3;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const items = new Set(Array.from({ length: 50 }, (_, i) => `m${i}`));
  const hits = new Map<string, number>();
  for (let round = 0; round < 2000; round++) {
    const picked = pickDistinct(items, items.size, 3, random);
    assert.equal(new Set(picked).size, 3);
    for (const p of picked) hits.set(p, (hits.get(p) ?? 0) + 1);
  }
  assert.equal(hits.size, 50);
  for (const n of hits.values()) assert.ok(n > 60 && n < 200, `count ${n}`); // expected 120
  assert.equal(pickDistinct(items, items.size, 40, random).length, 40);
  assert.equal(pickDistinct(items, items.size, 99, random).length, 50);
});

Deno.test("randomIndexes, nth, clampRange", () => {
  const random = () => 0.5;
  assert.deepEqual(randomIndexes(random, 4, 3, false), [2, 2, 2]);
  assert.equal(new Set(randomIndexes(Math.random, 10, 10, true)).size, 10);
  assert.equal(nth(["a", "b", "c"], 2), "c");
  assert.throws(() => nth([], 0), RangeError);
  assert.deepEqual(clampRange(-2, -1, 5), [3, 4]);
  assert.deepEqual(clampRange(0, 100, 5), [0, 4]);
  assert.equal(clampRange(3, 1, 5), null);
  assert.equal(clampRange(5, 6, 5), null);
});
