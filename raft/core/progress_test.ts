import assert from "node:assert/strict";
import { Progress } from "./progress.ts";

Deno.test("progress: probe sends one append, then waits", () => {
  const p = new Progress(5, false, 4, 1 << 20);
  assert.equal(p.isPaused(), false);
  p.sentEntries(2, 100, 6);
  assert.equal(p.isPaused(), true);
  assert.equal(p.maybeUpdate(6), true);
  p.becomeReplicate();
  assert.equal(p.next, 7);
});

Deno.test("progress: replicate pipelines up to the inflight limit", () => {
  const p = new Progress(1, false, 2, 1 << 20);
  p.becomeReplicate();
  p.sentEntries(1, 10, 1);
  p.sentEntries(1, 10, 2);
  assert.equal(p.isPaused(), true);
  p.inflights.freeLE(1);
  assert.equal(p.isPaused(), false);
  assert.equal(p.next, 3);
});

Deno.test("progress: rejections in probe state move next back to the hint", () => {
  const p = new Progress(10, false, 4, 1 << 20);
  assert.equal(p.maybeDecrTo(8, 3), false, "stale: not the index we probed");
  assert.equal(p.maybeDecrTo(9, 3), true);
  assert.equal(p.next, 4);
});

Deno.test("progress: inflight bytes bound and freeFirstOne", () => {
  const p = new Progress(1, false, 100, 50);
  p.becomeReplicate();
  p.sentEntries(1, 60, 1);
  assert.equal(p.isPaused(), true, "bytes limit reached");
  p.inflights.freeFirstOne();
  assert.equal(p.isPaused(), false);
});
