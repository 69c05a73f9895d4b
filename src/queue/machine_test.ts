import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { createPrng } from "../lib/prng.ts";
import { cancelJob, purgeDead, reap, redriveDead, retryJob } from "./admin.ts";
import { retryDelayMs } from "./backoff.ts";
import { MemoryQueueData } from "./data.ts";
import { QueueError } from "./errors.ts";
import { QueueMachine } from "./machine.ts";
import { getJob, listJobs, queueStats } from "./read.ts";
import type { EnqueueSpec } from "./types.ts";

const T0 = 1_800_000_000_000;
const LEASE = 30_000;

function setup() {
  const clock = new ManualClock(T0);
  const m = new QueueMachine(new MemoryQueueData());
  const random = createPrng(7);
  let n = 0;
  const enqueue = (over: Partial<EnqueueSpec> = {}, payload = '{"n":1}') =>
    m.enqueue(
      clock.nowMs(),
      `j${String(++n).padStart(4, "0")}`,
      spec(clock.nowMs(), over),
      payload,
    );
  const claim = (worker = "w1", max = 1, queues = ["q"]) =>
    m.claim(clock.nowMs(), random, worker, LEASE, max, queues);
  return { clock, m, random, enqueue, claim };
}

function spec(nowMs: number, over: Partial<EnqueueSpec>): EnqueueSpec {
  return {
    queue: "q",
    task: "t",
    priority: 0,
    max_attempts: 3,
    backoff: { type: "fixed", delay_ms: 1000, max_ms: 60_000 },
    run_at_ms: nowMs,
    idempotency_key: null,
    dedupe_window_ms: 0,
    ...over,
  };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof QueueError) return error.code;
    throw error;
  }
  return "none";
}

Deno.test("enqueue → claim → ack: PENDING, RUNNING, COMPLETED with result", () => {
  const { m, clock, enqueue, claim } = setup();
  const { id, status } = enqueue({}, '{"x":"é"}');
  assert.equal(status, "PENDING");
  const [job] = claim();
  assert.deepEqual([job.id, job.attempt, job.payload], [id, 1, '{"x":"é"}']);
  assert.equal(job.lease_expires_at_ms, T0 + LEASE);
  assert.equal(m.table.mustLoad(id).status, "RUNNING");
  clock.advance(500);
  m.ack(clock.nowMs(), id, "w1", 1, '{"ok":true}');
  const record = getJob(m, id)!;
  assert.equal(record.meta.status, "COMPLETED");
  assert.equal(record.result, '{"ok":true}');
  assert.equal(record.meta.finished_at_ms, T0 + 500);
  assert.deepEqual(claim(), []);
});

Deno.test("a claim is exclusive: a second worker gets nothing and cannot ack", () => {
  const { m, clock, enqueue, claim } = setup();
  const { id } = enqueue();
  assert.equal(claim("w1").length, 1);
  assert.equal(claim("w2").length, 0);
  assert.equal(code(() => m.ack(clock.nowMs(), id, "w2", 1, null)), "LEASELOST");
  assert.equal(code(() => m.ack(clock.nowMs(), id, "w1", 2, null)), "LEASELOST");
  assert.equal(code(() => m.ack(clock.nowMs(), "nope", "w1", 1, null)), "NOJOB");
});

Deno.test("priorities order claims; FIFO within a priority", () => {
  const { enqueue, claim } = setup();
  const low1 = enqueue({ priority: 0 }).id;
  const high = enqueue({ priority: 10 }).id;
  const low2 = enqueue({ priority: 0 }).id;
  const mid = enqueue({ priority: 5 }).id;
  assert.deepEqual(claim("w", 4).map((j) => j.id), [high, mid, low1, low2]);
});

Deno.test("delays: SCHEDULED until run_at, then claimed in run_at order", () => {
  const { clock, enqueue, claim } = setup();
  const late = enqueue({ run_at_ms: T0 + 2000 });
  const early = enqueue({ run_at_ms: T0 + 1000 });
  assert.equal(late.status, "SCHEDULED");
  assert.deepEqual(claim("w", 5), []);
  clock.advance(999);
  assert.deepEqual(claim("w", 5), []);
  clock.advance(1001);
  assert.deepEqual(claim("w", 5).map((j) => j.id), [early.id, late.id]);
});

Deno.test("nack retries on the fixed schedule and dead-letters after exactly max_attempts", () => {
  const { m, clock, enqueue, claim, random } = setup();
  const { id } = enqueue({ max_attempts: 3 });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [job] = claim();
    assert.equal(job.attempt, attempt);
    const out = m.nack(clock.nowMs(), random, id, "w1", attempt, {
      reason: "failed",
      error: `boom ${attempt}`,
    });
    if (attempt < 3) {
      assert.deepEqual(out, { queue: "q", status: "SCHEDULED", run_at_ms: clock.nowMs() + 1000 });
      clock.advance(999);
      assert.deepEqual(claim(), []);
      clock.advance(1);
    } else {
      assert.deepEqual(out, { queue: "q", status: "DEAD", run_at_ms: null });
    }
  }
  const meta = m.table.mustLoad(id);
  assert.equal(meta.attempt, 3);
  assert.deepEqual(meta.errors.map((e) => [e.attempt, e.reason, e.error]), [
    [1, "failed", "boom 1"],
    [2, "failed", "boom 2"],
    [3, "failed", "boom 3"],
  ]);
  assert.deepEqual(claim(), []);
});

Deno.test("fatal failures dead-letter at once; none backoff retries immediately", () => {
  const { m, clock, enqueue, claim, random } = setup();
  const a = enqueue({ backoff: { type: "none", delay_ms: 0, max_ms: 0 } }).id;
  claim();
  assert.equal(
    m.nack(clock.nowMs(), random, a, "w1", 1, { reason: "failed", error: "x" }).status,
    "PENDING",
  );
  claim();
  assert.equal(
    m.nack(clock.nowMs(), random, a, "w1", 2, { reason: "fatal", error: "404" }).status,
    "DEAD",
  );
  const b = enqueue().id;
  claim();
  const out = m.nack(clock.nowMs(), random, b, "w1", 1, {
    reason: "failed",
    error: "x",
    retryInMs: 5000,
  });
  assert.equal(out.run_at_ms, clock.nowMs() + 5000);
});

Deno.test("exponential backoff uses full jitter within the doubling cap", () => {
  const policy = { type: "exponential" as const, delay_ms: 100, max_ms: 1000 };
  const random = createPrng(1);
  for (let attempt = 1; attempt <= 8; attempt++) {
    const cap = Math.min(1000, 100 * 2 ** (attempt - 1));
    for (let i = 0; i < 50; i++) {
      const delay = retryDelayMs(policy, attempt, random);
      assert.ok(delay >= 0 && delay <= cap, `attempt ${attempt}: ${delay} > ${cap}`);
    }
  }
  assert.equal(retryDelayMs(policy, 3, () => 0.999999), 400);
  assert.equal(retryDelayMs(policy, 1, () => 0), 0);
});

Deno.test("an expired lease returns the job, counts the attempt and lets another worker run it", () => {
  const { m, clock, enqueue, claim } = setup();
  const { id } = enqueue({ max_attempts: 2 });
  claim("w1");
  clock.advance(LEASE - 1);
  m.heartbeat(clock.nowMs(), id, "w1", 1, null, '{"pct":50}');
  clock.advance(LEASE - 1);
  assert.deepEqual(claim("w2"), []); // heartbeat extended the lease
  clock.advance(1);
  assert.deepEqual(claim("w2"), []); // expired: attempt 1 counted, retry scheduled (fixed 1 s)
  let meta = m.table.mustLoad(id);
  assert.equal(meta.status, "SCHEDULED");
  assert.equal(meta.lease_expiries, 1);
  assert.equal(meta.errors[0].reason, "lease_expired");
  assert.equal(meta.progress, '{"pct":50}');
  clock.advance(1000);
  const [job] = claim("w2");
  assert.equal(job.attempt, 2);
  assert.equal(code(() => m.ack(clock.nowMs(), id, "w1", 1, null)), "LEASELOST");
  clock.advance(LEASE);
  reap(m, clock.nowMs(), () => 0.5, { age_ms: 1e9, count: 1e6, dead_age_ms: 1e9 });
  meta = m.table.mustLoad(id);
  assert.equal(meta.status, "DEAD");
  assert.equal(meta.lease_expiries, 2);
});

Deno.test("release gives the job back without counting the attempt", () => {
  const { m, clock, enqueue, claim } = setup();
  const { id } = enqueue();
  claim();
  assert.equal(m.release(clock.nowMs(), id, "w1", 1).status, "PENDING");
  assert.equal(claim()[0].attempt, 1);
});

Deno.test("cancel: pending at once; running at the next heartbeat", () => {
  const { m, clock, enqueue, claim } = setup();
  const a = enqueue().id;
  const b = enqueue().id;
  assert.equal(cancelJob(m, clock.nowMs(), b).status, "CANCELLED");
  claim();
  const flagged = cancelJob(m, clock.nowMs(), a);
  assert.deepEqual([flagged.status, flagged.cancel_requested], ["RUNNING", true]);
  const beat = m.heartbeat(clock.nowMs(), a, "w1", 1, null, null);
  assert.deepEqual(beat, { status: "CANCELLED", lease_expires_at_ms: null, cancelled: true });
  assert.equal(code(() => m.ack(clock.nowMs(), a, "w1", 1, null)), "LEASELOST");
  assert.deepEqual(claim(), []);
  const done = enqueue().id;
  claim();
  m.ack(clock.nowMs(), done, "w1", 1, null);
  assert.equal(code(() => cancelJob(m, clock.nowMs(), done)), "JOBSTATE");
});

Deno.test("retry/redrive of DEAD keeps payload and history and starts a new round", () => {
  const { m, clock, enqueue, claim, random } = setup();
  const { id } = enqueue({ max_attempts: 1 }, '{"keep":true}');
  claim();
  m.nack(clock.nowMs(), random, id, "w1", 1, { reason: "failed", error: "first" });
  assert.equal(m.table.mustLoad(id).status, "DEAD");
  assert.equal(retryJob(m, clock.nowMs(), id).status, "PENDING");
  const [job] = claim();
  assert.deepEqual([job.attempt, job.payload], [1, '{"keep":true}']);
  m.nack(clock.nowMs(), random, id, "w1", 1, { reason: "failed", error: "second" });
  const meta = m.table.mustLoad(id);
  assert.deepEqual(meta.errors.map((e) => [e.run, e.error]), [[1, "first"], [2, "second"]]);
  assert.equal(meta.redrives, 1);
  assert.equal(redriveDead(m, clock.nowMs(), "q", 10, []), 1);
  assert.equal(m.table.mustLoad(id).status, "PENDING");
  assert.equal(code(() => retryJob(m, clock.nowMs(), id)), "JOBSTATE");
});

Deno.test("dead-letter queue: list, redrive by id, purge", () => {
  const { m, clock, enqueue, claim, random } = setup();
  const ids = [
    enqueue({ max_attempts: 1 }).id,
    enqueue({ max_attempts: 1 }).id,
    enqueue({ max_attempts: 1 }).id,
  ];
  for (const job of claim("w1", 3)) {
    m.nack(clock.nowMs(), random, job.id, "w1", 1, { reason: "failed", error: "x" });
  }
  assert.deepEqual(listJobs(m, "q", "DEAD", null, 10).jobs.map((j) => j.id).sort(), ids);
  assert.equal(redriveDead(m, clock.nowMs(), "q", 10, [ids[1]]), 1);
  assert.equal(purgeDead(m, "q", 10, clock.nowMs()), 2);
  assert.equal(getJob(m, ids[0]), null);
  assert.equal(m.table.mustLoad(ids[1]).status, "PENDING");
});

Deno.test("idempotency key dedupes within the window, not after it", () => {
  const { clock, enqueue } = setup();
  const key = { idempotency_key: "order-42", dedupe_window_ms: 10_000 };
  const first = enqueue(key);
  const again = enqueue(key);
  assert.deepEqual(again, { id: first.id, status: "PENDING", deduplicated: true });
  assert.equal(enqueue({ ...key, queue: "other" }).deduplicated, false);
  clock.advance(10_000);
  const later = enqueue(key);
  assert.equal(later.deduplicated, false);
  assert.notEqual(later.id, first.id);
});

Deno.test("retention deletes finished jobs by age and by count", () => {
  const { m, clock, enqueue, claim } = setup();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { id } = enqueue();
    claim();
    m.ack(clock.nowMs(), id, "w1", 1, null);
    ids.push(id);
    clock.advance(1000);
  }
  const policy = { age_ms: 3500, count: 2, dead_age_ms: 1e9 };
  const out = reap(m, clock.nowMs(), () => 0, policy);
  assert.equal(out.deleted, 3); // 2 by age (> 3.5 s old), 1 more by count
  assert.deepEqual(listJobs(m, "q", "COMPLETED", null, 10).jobs.map((j) => j.id), ids.slice(3));
});

Deno.test("list pages with a cursor; queue stats count every status", () => {
  const { m, clock, enqueue, claim } = setup();
  for (let i = 0; i < 5; i++) enqueue();
  enqueue({ queue: "b", run_at_ms: T0 + 5000 });
  claim("w1", 2);
  const page1 = listJobs(m, null, null, null, 3);
  const page2 = listJobs(m, null, null, page1.next_cursor, 3);
  assert.deepEqual([...page1.jobs, ...page2.jobs].map((j) => j.id), [
    "j0006",
    "j0001",
    "j0002",
    "j0003",
    "j0004",
    "j0005",
  ]);
  // A full page always carries a cursor; the page after the last job is empty and ends the walk.
  assert.deepEqual(listJobs(m, null, null, page2.next_cursor, 3), { jobs: [], next_cursor: null });
  clock.advance(2000);
  const stats = queueStats(m, clock.nowMs());
  assert.deepEqual(stats.map((s) => [s.queue, s.pending, s.scheduled, s.running]), [
    ["b", 0, 1, 0],
    ["q", 3, 0, 2],
  ]);
  assert.equal(stats[1].oldest_pending_age_ms, 2000);
  assert.equal(code(() => listJobs(m, null, null, "garbage!", 3)), "INVALID");
});

Deno.test("bad input is refused before anything changes", () => {
  const { m, clock, enqueue } = setup();
  assert.equal(code(() => enqueue({ queue: "bad queue" })), "INVALID");
  assert.equal(code(() => enqueue({ priority: 5000 })), "INVALID");
  assert.equal(code(() => enqueue({ max_attempts: 0 })), "INVALID");
  assert.equal(code(() => enqueue({}, "x".repeat(300 * 1024))), "LIMIT");
  assert.equal(code(() => m.claim(clock.nowMs(), () => 0, "w", 10, 1, ["q"])), "INVALID");
  assert.deepEqual(queueStats(m, clock.nowMs()), []);
});

Deno.test("oldest pending age looks across priorities", () => {
  const { m, clock, enqueue } = setup();
  enqueue({ priority: 0 });
  clock.advance(1000);
  enqueue({ priority: 7 });
  enqueue({ priority: 3 });
  clock.advance(500);
  assert.equal(queueStats(m, clock.nowMs())[0].oldest_pending_age_ms, 1500);
});
