import assert from "node:assert/strict";
import { newJobId } from "./service.ts";

Deno.test("job ids: fixed shape, sorted by creation time, unique across the random pool's refills", () => {
  const t0 = 1_800_000_000_000;
  const ids = Array.from({ length: 10_000 }, (_, i) => newJobId(t0 + Math.floor(i / 100)));
  for (const id of ids) assert.match(id, /^j_[0-9a-z]{17}$/);
  assert.equal(new Set(ids).size, ids.length);
  const firstOfEachMs = ids.filter((_, i) => i % 100 === 0);
  assert.deepEqual([...firstOfEachMs].sort(), firstOfEachMs);
});
