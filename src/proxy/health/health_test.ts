import assert from "node:assert/strict";
import { ManualClock } from "../../lib/clock.ts";
import { HealthState, statusExpected } from "./health_state.ts";
import { maxEjected, OutlierDetector } from "./outlier.ts";

Deno.test("health state needs the thresholds of checks in a row to change", () => {
  const h = new HealthState({ healthyThreshold: 2, unhealthyThreshold: 3 });
  assert.equal(h.healthy, true);
  assert.equal(h.record(false), false);
  assert.equal(h.record(false), false);
  assert.equal(h.record(true), false); // streak broken
  h.record(false);
  h.record(false);
  assert.equal(h.record(false), true);
  assert.equal(h.healthy, false);
  assert.equal(h.record(true), false);
  assert.equal(h.record(true), true);
  assert.equal(h.healthy, true);
});

Deno.test("expected status defaults to 200-399", () => {
  assert.equal(statusExpected(204, []), true);
  assert.equal(statusExpected(302, []), true);
  assert.equal(statusExpected(404, []), false);
  assert.equal(statusExpected(404, [404]), true);
  assert.equal(statusExpected(200, [204]), false);
});

const options = {
  enabled: true,
  consecutiveFailures: 3,
  baseEjectionMs: 1000,
  maxEjectionMs: 5000,
};

Deno.test("outlier detection ejects after consecutive failures for a growing time", () => {
  const clock = new ManualClock(0);
  const o = new OutlierDetector(options, clock);
  const yes = () => true;
  assert.equal(o.record(false, yes), false);
  assert.equal(o.record(false, yes), false);
  assert.equal(o.record(false, yes), true);
  assert.equal(o.isEjected(), true);
  clock.advance(1000);
  assert.equal(o.isEjected(), false, "re-admitted after the base time");
  for (let i = 0; i < 3; i++) o.record(false, yes);
  clock.advance(1999);
  assert.equal(o.isEjected(), true, "second ejection lasts twice as long");
  clock.advance(1);
  assert.equal(o.isEjected(), false);
});

Deno.test("outlier ejection time is capped and decays after quiet periods", () => {
  const clock = new ManualClock(0);
  const o = new OutlierDetector(options, clock);
  const yes = () => true;
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 3; i++) o.record(false, yes);
    clock.advance(o.ejectedUntil - clock.nowMs());
  }
  const start = clock.nowMs();
  for (let i = 0; i < 3; i++) o.record(false, yes);
  assert.equal(o.ejectedUntil - start, 5000, "capped at the max ejection time");
  clock.advance(100_000); // long quiet: the multiplier decays back to one
  for (let i = 0; i < 3; i++) o.record(false, yes);
  assert.equal(o.ejectedUntil - clock.nowMs(), 1000);
});

Deno.test("outlier detection respects the pool's ejection cap and resets on success", () => {
  const o = new OutlierDetector(options, new ManualClock(0));
  for (let i = 0; i < 5; i++) assert.equal(o.record(false, () => false), false);
  assert.equal(o.isEjected(), false);
  o.record(true, () => true);
  o.record(false, () => true);
  o.record(false, () => true);
  assert.equal(o.isEjected(), false, "a success in between resets the count");
});

Deno.test("max ejected allows at least one target of two or more", () => {
  assert.equal(maxEjected(1, 50), 0);
  assert.equal(maxEjected(2, 10), 1);
  assert.equal(maxEjected(10, 50), 5);
  assert.equal(maxEjected(4, 0), 1);
});
