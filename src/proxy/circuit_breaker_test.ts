import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { type BreakerState, CircuitBreaker } from "./circuit_breaker.ts";

function breaker(probes = 1) {
  const clock = new ManualClock(1000);
  const changes: BreakerState[] = [];
  const cb = new CircuitBreaker(
    { failureThreshold: 3, cooldownMs: 5000, halfOpenProbes: probes },
    clock,
    (s) => changes.push(s),
  );
  return { cb, clock, changes };
}

function fail(cb: CircuitBreaker) {
  cb.record(cb.acquire()!, false);
}

Deno.test("breaker opens after the failure threshold of consecutive failures", () => {
  const { cb, changes } = breaker();
  fail(cb);
  fail(cb);
  cb.record(cb.acquire()!, true); // a success resets the count
  fail(cb);
  fail(cb);
  assert.equal(cb.state, "closed");
  fail(cb);
  assert.equal(cb.state, "open");
  assert.equal(cb.acquire(), null);
  assert.deepEqual(changes, ["open"]);
});

Deno.test("breaker goes half-open after the cooldown and closes on a probe success", () => {
  const { cb, clock, changes } = breaker();
  for (let i = 0; i < 3; i++) fail(cb);
  clock.advance(4999);
  assert.equal(cb.state, "open");
  clock.advance(1);
  assert.equal(cb.state, "half_open");
  const probe = cb.acquire();
  assert.notEqual(probe, null);
  assert.equal(cb.acquire(), null, "only one probe at a time");
  cb.record(probe!, true);
  assert.equal(cb.state, "closed");
  assert.deepEqual(changes, ["open", "half_open", "closed"]);
});

Deno.test("a failed probe reopens the breaker for a new cooldown", () => {
  const { cb, clock } = breaker();
  for (let i = 0; i < 3; i++) fail(cb);
  clock.advance(5000);
  cb.record(cb.acquire()!, false);
  assert.equal(cb.state, "open");
  clock.advance(4000);
  assert.equal(cb.state, "open");
  clock.advance(1000);
  assert.equal(cb.state, "half_open");
});

Deno.test("with several probes the breaker closes only after that many successes", () => {
  const { cb, clock } = breaker(2);
  for (let i = 0; i < 3; i++) fail(cb);
  clock.advance(5000);
  const a = cb.acquire()!;
  const b = cb.acquire()!;
  assert.equal(cb.acquire(), null);
  cb.record(a, true);
  assert.equal(cb.state, "half_open");
  cb.record(b, true);
  assert.equal(cb.state, "closed");
});

Deno.test("results of requests sent before the breaker opened do not affect half-open", () => {
  const { cb, clock } = breaker();
  const early = cb.acquire()!;
  for (let i = 0; i < 3; i++) fail(cb);
  clock.advance(5000);
  assert.equal(cb.state, "half_open");
  cb.record(early, true);
  assert.equal(cb.state, "half_open");
});
