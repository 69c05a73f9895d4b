import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { binaryToUtf8 } from "../../atlas/mod.ts";
import { MetricsRegistry } from "../observability/metrics.ts";
import { JobService } from "./service.ts";
import { memoryJobs, replayInto } from "./testing/memory_jobs.ts";

const T0 = 1_800_000_000_000;

function setup() {
  const clock = new ManualClock(T0);
  const jobs = memoryJobs(clock);
  const service = new JobService({
    client: jobs.client,
    clock,
    settings: { visibilityTimeoutMs: 10_000 },
  });
  return { clock, jobs, service };
}

Deno.test("JOB.* on the real store: a full life cycle with UTF-8 payloads", async () => {
  const { clock, service } = setup();
  const { id } = await service.enqueue({
    queue: "mail",
    task: "send",
    payload: { to: "zoë@例え.jp" },
  });
  const [job] = await service.claim({ worker: "w1", queues: ["mail"], max: 5 });
  assert.deepEqual(JSON.parse(job.payload), { to: "zoë@例え.jp" });
  clock.advance(1500);
  await service.heartbeat(id, { worker: "w1", attempt: 1, progress: { step: "ü" } });
  await service.ack(id, { worker: "w1", attempt: 1, result: { sent: true } });
  const view = await service.get(id);
  assert.equal(view.status, "COMPLETED");
  assert.deepEqual(view.result, { sent: true });
  assert.deepEqual(view.progress, { step: "ü" });
  assert.equal(view.started_at, new Date(T0).toISOString());
  assert.equal(view.finished_at, new Date(T0 + 1500).toISOString());
  const [stats] = await service.queues();
  assert.deepEqual([stats.queue, stats.completed, stats.pending], ["mail", 1, 0]);
});

Deno.test("errors come back typed: unknown job 404, lost lease 409, bad input 400", async () => {
  const { service } = setup();
  await assert.rejects(() => service.get("j_missing"), { status: 404, code: "job_not_found" });
  const { id } = await service.enqueue({ payload: 1 });
  await service.claim({ worker: "w1", queues: ["default"] });
  await assert.rejects(() => service.ack(id, { worker: "w2", attempt: 1 }), {
    status: 409,
    code: "lease_lost",
  });
  await assert.rejects(() => service.enqueue({ queue: "no spaces", payload: 1 }), { status: 400 });
  await assert.rejects(() => service.cancel("j_missing"), { status: 404 });
});

Deno.test("the command log replays to the same job state (AOF load, Raft apply)", async () => {
  const { clock, jobs, service } = setup();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    ids.push((await service.enqueue({ payload: { i }, priority: i % 3 })).id);
  }
  const claimed = await service.claim({ worker: "w1", queues: ["default"], max: 4 });
  await service.ack(claimed[0].id, { worker: "w1", attempt: 1 });
  await service.nack(claimed[1].id, { worker: "w1", attempt: 1, error: "boom" });
  await service.cancel(ids[5]);
  clock.advance(20_000); // leases of claimed[2] and [3] expire
  await service.reap();
  await service.claim({ worker: "w2", queues: ["default"], max: 1 });
  const replayed = replayInto(jobs.log, T0 + 99_000);
  for (const id of ids) {
    const original = jobs.store.execute(["JOB.GET", id], { nowMs: 0, random: () => 0 }).reply;
    const copy = replayed.execute(["JOB.GET", id], { nowMs: 0, random: () => 0 }).reply;
    assert.deepEqual(copy, original);
    assert.equal(copy.kind, "bulk");
  }
  const stats =
    replayed.execute(["JOB.QUEUES", String(T0 + 20_000)], { nowMs: 0, random: () => 0 }).reply;
  const parsed = JSON.parse(binaryToUtf8((stats as { value: string }).value));
  assert.deepEqual(parsed, await service.queues());
});

Deno.test("a claim that finds nothing is not logged", async () => {
  const { jobs, service } = setup();
  await service.claim({ worker: "w1", queues: ["default"], max: 1 });
  await service.queues();
  assert.deepEqual(jobs.log, []);
});

Deno.test("long-poll: a waiting claim wakes when a job is enqueued", async () => {
  const jobs = memoryJobs();
  const service = new JobService({ client: jobs.client, claimPollMs: 5_000 });
  const waiting = service.claim({ worker: "w1", queues: ["default"], wait_ms: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const { id } = await service.enqueue({ payload: "x" });
  const jobsClaimed = await waiting;
  assert.deepEqual(jobsClaimed.map((j) => j.id), [id]);
  service.close();
});

Deno.test("long-poll: ends empty at the deadline or on abort", async () => {
  const jobs = memoryJobs();
  const service = new JobService({ client: jobs.client, claimPollMs: 10 });
  assert.deepEqual(await service.claim({ worker: "w1", queues: ["q"], wait_ms: 30 }), []);
  const controller = new AbortController();
  const waiting = service.claim(
    { worker: "w1", queues: ["q"], wait_ms: 10_000 },
    controller.signal,
  );
  controller.abort();
  assert.deepEqual(await waiting, []);
  // An aborted caller (client gone) is handed nothing, so no job sits leased to nobody.
  await service.enqueue({ queue: "q", payload: 1 });
  assert.deepEqual(await service.claim({ worker: "w1", queues: ["q"] }, controller.signal), []);
  assert.equal((await service.claim({ worker: "w1", queues: ["q"] })).length, 1);
  service.close();
});

Deno.test("long-poll: a signal given as a function is looked up only when the claim waits", async () => {
  const jobs = memoryJobs();
  const service = new JobService({ client: jobs.client, claimPollMs: 10 });
  const controller = new AbortController();
  let lookups = 0;
  const signal = () => {
    lookups++;
    return controller.signal;
  };
  await service.enqueue({ queue: "q", payload: 1 });
  const claimed = await service.claim({ worker: "w", queues: ["q"], wait_ms: 10_000 }, signal);
  assert.equal(claimed.length, 1);
  assert.equal(lookups, 0, "answered at once: the signal was never needed");
  const waiting = service.claim({ worker: "w", queues: ["q"], wait_ms: 10_000 }, signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(lookups, 1);
  controller.abort();
  assert.deepEqual(await waiting, [], "the abort ends the wait");
  service.close();
});

Deno.test("metrics: expired leases are counted per queue, by the claim or the reaper", async () => {
  const clock = new ManualClock(T0);
  const jobs = memoryJobs(clock);
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const service = new JobService({ client: jobs.client, clock, metrics });
  await service.enqueue({ queue: "m", payload: 1, max_attempts: 1 });
  await service.enqueue({ queue: "m", payload: 2, backoff: { type: "none" } });
  await service.claim({ worker: "w", queues: ["m"], max: 2, lease_ms: 1000 });
  clock.advance(1000);
  const again = await service.claim({ worker: "w2", queues: ["m"], max: 2, lease_ms: 1000 });
  assert.equal(again.length, 1); // the retried one; the other is dead (1 attempt)
  clock.advance(1000);
  const reaped = await service.reap();
  assert.deepEqual(reaped.expired_by_queue, { m: { retried: 1, dead: 0, cancelled: 0 } });
  const text = await metrics.text();
  assert.match(text, /jobs_lease_expired_total\{queue="m"\} 3/);
  assert.match(text, /jobs_dead_total\{queue="m"\} 1/);
  assert.match(text, /jobs_retried_total\{queue="m"\} 2/);
});

Deno.test("an idle long-poll only reads: nothing is logged while it waits", async () => {
  const clock = new ManualClock(T0);
  const jobs = memoryJobs(clock);
  const service = new JobService({
    client: jobs.client,
    clock: { nowMs: () => Date.now() },
    claimPollMs: 5,
  });
  assert.deepEqual(await service.claim({ worker: "w", queues: ["idle"], wait_ms: 60 }), []);
  assert.deepEqual(jobs.log, []);
  const peek = jobs.store.execute(["JOB.PEEK", String(T0), "idle"], { nowMs: T0, random: () => 0 });
  assert.deepEqual(peek.reply, { kind: "bulk", value: "false" });
  service.close();
});

Deno.test("a claim with tasks leases only those; the others stay PENDING, and PEEK agrees", async () => {
  const jobs = memoryJobs(new ManualClock(T0));
  const service = new JobService({ client: jobs.client, clock: { nowMs: () => T0 } });
  const a1 = await service.enqueue({ queue: "mix", task: "a", payload: 1 });
  const b = await service.enqueue({ queue: "mix", task: "b", payload: 2 });
  const a2 = await service.enqueue({ queue: "mix", task: "a", payload: 3 });
  const peek = (...tasks: string[]) =>
    jobs.store.execute(["JOB.PEEK", String(T0), "mix", "@tasks", ...tasks], {
      nowMs: T0,
      random: () => 0,
    }).reply;
  assert.deepEqual(peek("c"), { kind: "bulk", value: "false" });
  assert.deepEqual(peek("c", "b"), { kind: "bulk", value: "true" });
  const onlyB = await service.claim({ worker: "w", queues: ["mix"], max: 10, tasks: ["b"] });
  assert.deepEqual(onlyB.map((j) => j.id), [b.id]);
  assert.deepEqual(await service.claim({ worker: "w", queues: ["mix"], tasks: ["c"] }), []);
  assert.equal((await service.get(a1.id)).status, "PENDING");
  // Without a filter (or an empty one) any task is claimed, in order.
  const rest = await service.claim({ worker: "w", queues: ["mix"], max: 10, tasks: [] });
  assert.deepEqual(rest.map((j) => j.id), [a1.id, a2.id]);
  // Replaying the log (AOF load, Raft apply) gives the same leases.
  const replayed = replayInto(jobs.log, T0);
  for (const id of [a1.id, b.id, a2.id]) {
    const original = jobs.store.execute(["JOB.GET", id], { nowMs: T0, random: () => 0 }).reply;
    assert.deepEqual(
      replayed.execute(["JOB.GET", id], { nowMs: T0, random: () => 0 }).reply,
      original,
    );
    assert.equal((await service.get(id)).status, "RUNNING");
  }
  service.close();
});
