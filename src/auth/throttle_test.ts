import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { LoginThrottle } from "./throttle.ts";

const policy = { freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, windowMs: 60_000 };

function attempt(throttle: LoginThrottle, ok = false, account = "alice", ip = "ip1") {
  const decision = throttle.begin(account, ip);
  if (decision.allowed) throttle.finish(decision.ticket, ok);
  return decision;
}

Deno.test("delays grow per failure, are capped, and never lock out for good", () => {
  const clock = new ManualClock(0);
  const throttle = new LoginThrottle(clock, policy, { ...policy, freeFailures: 1000 });
  assert.equal(attempt(throttle).allowed, true);
  assert.equal(attempt(throttle).allowed, true);
  assert.equal(attempt(throttle).allowed, true); // third failure: blocked for 1 s
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    const blocked = throttle.begin("alice", "ip1");
    assert.equal(blocked.allowed, false);
    if (!blocked.allowed) waits.push(blocked.retryAfterMs);
    clock.advance(blocked.allowed ? 0 : blocked.retryAfterMs);
    assert.equal(attempt(throttle).allowed, true);
  }
  assert.deepEqual(waits, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  // Another account from another address is unaffected.
  assert.equal(attempt(throttle, false, "bob", "ip2").allowed, true);
});

Deno.test("success clears the account; the window forgets old failures", () => {
  const clock = new ManualClock(0);
  const throttle = new LoginThrottle(clock, policy, { ...policy, freeFailures: 1000 });
  attempt(throttle);
  attempt(throttle);
  assert.equal(attempt(throttle, true).allowed, true); // right password on the 3rd try
  assert.equal(attempt(throttle).allowed, true); // counter was reset
  attempt(throttle);
  attempt(throttle);
  assert.equal(throttle.begin("alice", "ip1").allowed, false);
  clock.advance(61_000);
  assert.equal(attempt(throttle).allowed, true);
});

Deno.test("begin reserves synchronously: a parallel burst passes only the free attempts", () => {
  const throttle = new LoginThrottle(new ManualClock(0), policy, { ...policy, freeFailures: 1000 });
  const decisions = Array.from({ length: 20 }, () => throttle.begin("alice", "ip1"));
  assert.equal(decisions.filter((d) => d.allowed).length, 3);
});

Deno.test("per-IP limit applies across accounts", () => {
  const throttle = new LoginThrottle(new ManualClock(0), policy, { ...policy, freeFailures: 5 });
  for (let i = 0; i < 5; i++) assert.equal(attempt(throttle, false, `user${i}`).allowed, true);
  assert.equal(throttle.begin("fresh", "ip1").allowed, false);
  assert.equal(throttle.begin("fresh", "ip2").allowed, true);
});

Deno.test("many users behind one address may log in at once; failures still count per address", () => {
  const throttle = new LoginThrottle(new ManualClock(0), policy, {
    ...policy,
    freeFailures: 5,
    inflightMax: 50,
  });
  const tickets = Array.from({ length: 50 }, (_, i) => throttle.begin(`user${i}`, "nat"));
  assert.ok(tickets.every((d) => d.allowed));
  assert.equal(throttle.begin("user50", "nat").allowed, false); // in-flight cap
  for (const d of tickets) if (d.allowed) throttle.finish(d.ticket, true);
  assert.equal(throttle.begin("user50", "nat").allowed, true);
});
