import assert from "node:assert/strict";
import { decodeState, encodeState, take, windowSeconds } from "./token_bucket.ts";
import { policyHeader, stateHeader } from "./headers.ts";

const policy = { name: "default", capacity: 5, rateNum: 1, rateDen: 2 }; // 1 token per 2 s

Deno.test("a burst of capacity+1 admits exactly capacity", () => {
  let state = null;
  const results: boolean[] = [];
  for (let i = 0; i < 6; i++) {
    const d = take(state, policy, 1000);
    results.push(d.allowed);
    state = d.state;
  }
  assert.deepEqual(results, [true, true, true, true, true, false]);
});

Deno.test("tokens refill at rate_num per rate_den seconds, never above capacity", () => {
  let d = take(null, policy, 0);
  for (let i = 0; i < 4; i++) d = take(d.state, policy, 0);
  assert.equal(d.remaining, 0);
  const denied = take(d.state, policy, 0);
  assert.equal(denied.allowed, false);
  assert.equal(denied.retryAfterMs, 2000);
  assert.equal(take(d.state, policy, 1999).allowed, false);
  const back = take(d.state, policy, 2000);
  assert.equal(back.allowed, true);
  assert.equal(back.remaining, 0);
  const later = take(d.state, policy, 1_000_000);
  assert.equal(later.remaining, 4);
  assert.equal(later.resetMs, 2000);
});

Deno.test("a clock going backwards adds no tokens and keeps the later stamp", () => {
  const a = take(null, { ...policy, capacity: 1 }, 5000);
  const b = take(a.state, { ...policy, capacity: 1 }, 1000);
  assert.equal(b.allowed, false);
  assert.equal(b.state.updatedMs, 5000);
});

Deno.test("sustained rate converges to rate_num/rate_den", () => {
  const p = { name: "p", capacity: 10, rateNum: 3, rateDen: 1 };
  let state = null;
  let admitted = 0;
  for (let ms = 0; ms < 60_000; ms += 10) {
    const d = take(state, p, ms);
    state = d.state;
    if (d.allowed) admitted++;
  }
  // 10 burst + 3/s for 60 s (minus the last partial tick).
  assert.ok(admitted >= 189 && admitted <= 190, `admitted ${admitted}`);
});

Deno.test("state round-trips and headers follow the draft syntax", () => {
  const d = take(null, policy, 42);
  assert.deepEqual(decodeState(encodeState(d.state)), d.state);
  assert.equal(decodeState("garbage"), null);
  assert.equal(windowSeconds(policy), 10);
  assert.equal(policyHeader(policy), '"default";q=5;w=10');
  assert.equal(stateHeader(policy, d), '"default";r=4;t=2');
});
