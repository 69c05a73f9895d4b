import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { RetryBudget } from "./retry_budget.ts";

Deno.test("retry budget allows at most the ratio of requests plus the minimum", () => {
  const clock = new ManualClock(0);
  const budget = new RetryBudget(0.2, 0, clock);
  for (let i = 0; i < 100; i++) budget.recordRequest();
  let allowed = 0;
  for (let i = 0; i < 50; i++) if (budget.tryRetry()) allowed++;
  assert.equal(allowed, 20);
});

Deno.test("retry budget keeps a minimum for quiet periods and forgets old windows", () => {
  const clock = new ManualClock(0);
  const budget = new RetryBudget(0.2, 3, clock, 10_000);
  budget.recordRequest();
  assert.equal([1, 2, 3, 4].filter(() => budget.tryRetry()).length, 3);
  clock.advance(25_000);
  assert.equal(budget.tryRetry(), true, "old retries no longer count");
});
