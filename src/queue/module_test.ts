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

Deno.test("claim: a caller gone while its claim was applied gets nothing; the jobs are given back", async () => {
  // A store call can take seconds (a Raft election): the worker may be killed meanwhile. Jobs
  // leased to it would sit RUNNING until the lease expired, each losing an attempt.
  const jobs = memoryJobs();
  const service = new JobService({ client: jobs.client, claimPollMs: 10 });
  const controller = new AbortController();
  const { id } = await service.enqueue({ queue: "q", payload: 1, max_attempts: 1 });
  const client = jobs.client;
  const call = client.call.bind(client);
  client.call = async (command: string, ...args: (string | number)[]) => {
    const value = await call(command, ...args);
    if (command === "JOB.CLAIM") controller.abort(); // the caller left while it was applied
    return value;
  };
  const claimed = await service.claim(
    { worker: "w", queues: ["q"], wait_ms: 10_000 },
    controller.signal,
  );
  assert.deepEqual(claimed, []);
  const job = await service.get(id);
  assert.deepEqual([job.status, job.attempt, job.runs], ["PENDING", 0, 1]);
  assert.equal(job.errors.at(-1)?.reason, "released");
  client.call = call;
  // A caller gone before the claim leases nothing; a waiting claim ends at the abort.
  assert.deepEqual(await service.claim({ worker: "w", queues: ["q"] }, controller.signal), []);
  const waiting = new AbortController();
  const empty = service.claim({ worker: "w", queues: ["none"], wait_ms: 10_000 }, waiting.signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
  waiting.abort();
  assert.deepEqual(await empty, [], "the abort ends the wait");
  assert.equal((await service.claim({ worker: "w2", queues: ["q"] }))[0].attempt, 1);
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

// ---- Bad input over RESP: a clear INVALID reply, nothing stored, valid input unchanged ----

const CTX = { nowMs: T0, random: () => 0 };
const NOW = String(T0);

function spec(fields: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = {
    queue: "q",
    task: "t",
    priority: 0,
    max_attempts: 3,
    backoff: { type: "fixed", delay_ms: 10, max_ms: 10 },
    run_at_ms: 0,
    idempotency_key: null,
    dedupe_window_ms: 0,
  };
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) delete base[field];
    else base[field] = value;
  }
  return JSON.stringify(base);
}

function rawStore() {
  const { store, log } = memoryJobs(new ManualClock(T0));
  const run = (...argv: string[]) => store.execute(argv, CTX).reply;
  const ok = (...argv: string[]) => {
    const reply = run(...argv);
    assert.equal(reply.kind, "bulk", `${argv.join(" ")}: ${JSON.stringify(reply)}`);
    return JSON.parse(binaryToUtf8((reply as { value: string }).value));
  };
  const refused = (pattern: RegExp, ...argv: string[]) => {
    const before = log.length;
    const reply = run(...argv);
    assert.equal(reply.kind, "error", `${argv.join(" ")} was accepted`);
    const text = (reply as { value: string }).value;
    assert.match(text, /^INVALID /, text);
    assert.match(text, pattern);
    assert.equal(log.length, before, `${argv.join(" ")} stored something`);
  };
  /** Enqueues and claims `id` (attempt 1, worker "w"). */
  const leased = (id: string) => {
    ok("JOB.ENQUEUE", NOW, id, spec({ queue: id }), "{}");
    assert.equal(ok("JOB.CLAIM", NOW, "1", "w", "1000", "1", id).jobs.length, 1);
  };
  return { store, log, run, ok, refused, leased };
}

Deno.test("JOB.ENQUEUE: idempotency_key may be left out; the spec's shape is checked in full", () => {
  const { ok, refused } = rawStore();
  const out = ok("JOB.ENQUEUE", NOW, "j1", spec({ idempotency_key: undefined }), "{}");
  assert.deepEqual(out, { id: "j1", status: "PENDING", deduplicated: false });
  assert.equal(ok("JOB.GET", "j1").meta.idempotency_key, null);
  ok("JOB.ENQUEUE", NOW, "j2", spec(), "{}");
  const keyed = spec({ idempotency_key: "k", dedupe_window_ms: 60_000 });
  ok("JOB.ENQUEUE", NOW, "j3", keyed, "{}");
  assert.deepEqual(ok("JOB.ENQUEUE", NOW, "j4", keyed, "{}"), {
    id: "j3",
    status: "PENDING",
    deduplicated: true,
  });
  const bad: [RegExp, string][] = [
    [/not JSON/, "{"],
    [/the spec must be a JSON object/, "[]"],
    [/the spec must be a JSON object/, "null"],
    [/"queue" is missing/, spec({ queue: undefined })],
    [/"task" is missing/, spec({ task: undefined })],
    [/"priority" is missing/, spec({ priority: undefined })],
    [/"max_attempts" is missing/, spec({ max_attempts: undefined })],
    [/"run_at_ms" is missing/, spec({ run_at_ms: undefined })],
    [/"dedupe_window_ms" is missing/, spec({ dedupe_window_ms: undefined })],
    [/"backoff" is missing/, spec({ backoff: undefined })],
    [/backoff must be a JSON object/, spec({ backoff: [] })],
    [/"backoff.delay_ms" is missing/, spec({ backoff: { type: "fixed", max_ms: 1 } })],
    [/"backoff.type" must be a string/, spec({ backoff: { type: 1, delay_ms: 1, max_ms: 1 } })],
    [
      /unknown field "jitter" in backoff/,
      spec({
        backoff: { type: "fixed", delay_ms: 1, max_ms: 1, jitter: "x".repeat(1000) },
      }),
    ],
    [/unknown field "extra" in the spec/, spec({ extra: 1 })],
    [/"queue" must be a string/, spec({ queue: 123 })],
    [/"task" must be a string/, spec({ task: ["t"] })],
    [/"priority" must be an integer/, spec({ priority: "1" })],
    [/"priority" must be an integer/, spec({ priority: 1.5 })],
    [/"run_at_ms" must be an integer/, spec({ run_at_ms: null })],
    [/"idempotency_key" must be a string or null/, spec({ idempotency_key: 5 })],
    [/"idempotency_key" must be a string or null/, spec({ idempotency_key: ["a"] })],
    [/Invalid idempotency key/, spec({ idempotency_key: "" })],
    [/Invalid queue name "bad queue!"/, spec({ queue: "bad queue!" })],
    [/Invalid task name/, spec({ task: "bad task!" })],
    [
      /Invalid backoff type "linear"/,
      spec({ backoff: { type: "linear", delay_ms: 1, max_ms: 1 } }),
    ],
  ];
  bad.forEach(([pattern, text], i) => refused(pattern, "JOB.ENQUEUE", NOW, `b${i}`, text, "{}"));
});

Deno.test("JOB.CLAIM checks queue and task names like JOB.PEEK", () => {
  const { ok, refused } = rawStore();
  for (const command of ["JOB.CLAIM", "JOB.PEEK"]) {
    const head = command === "JOB.CLAIM" ? [NOW, "1", "w", "1000", "1"] : [NOW];
    refused(/Invalid queue name "bad queue!"/, command, ...head, "bad queue!");
    refused(/Invalid queue name "bad queue!"/, command, ...head, "q", "bad queue!");
    refused(/Invalid task name "bad task!"/, command, ...head, "q", "@tasks", "bad task!");
    refused(/@tasks needs a task name/, command, ...head, "q", "@tasks");
  }
  ok("JOB.ENQUEUE", NOW, "j1", spec({ task: "mail/send" }), "{}");
  assert.equal(ok("JOB.PEEK", NOW, "q", "@tasks", "mail/send"), true);
  const claimed = ok("JOB.CLAIM", NOW, "1", "w", "1000", "1", "q", "@tasks", "mail/send");
  assert.deepEqual(claimed.jobs.map((j: { id: string }) => j.id), ["j1"]);
});

Deno.test("JOB.NACK: retry_in_ms must be in [0, 7 days]; kind is case-insensitive", () => {
  const { ok, refused, leased } = rawStore();
  leased("a");
  for (const retry of ["-5000", "-1", "604800001", "99999999999999"]) {
    refused(/Invalid retry_in_ms/, "JOB.NACK", NOW, "1", "a", "w", "1", "failed", retry, "e");
  }
  refused(/Invalid failure kind "bogus"/, "JOB.NACK", NOW, "1", "a", "w", "1", "bogus", "", "e");
  const max = ok("JOB.NACK", NOW, "1", "a", "w", "1", "FAILED", "604800000", "e");
  assert.deepEqual(max, { queue: "a", status: "SCHEDULED", run_at_ms: T0 + 604_800_000 });
  assert.equal(ok("JOB.GET", "a").meta.errors[0].reason, "failed");
  leased("b");
  const now = ok("JOB.NACK", NOW, "1", "b", "w", "1", "Failed", "0", "e");
  assert.deepEqual(now, { queue: "b", status: "PENDING", run_at_ms: null });
  leased("c");
  // "" still means "by the job's backoff" (fixed 10 ms here).
  const byBackoff = ok("JOB.NACK", NOW, "1", "c", "w", "1", "failed", "", "e");
  assert.deepEqual(byBackoff, { queue: "c", status: "SCHEDULED", run_at_ms: T0 + 10 });
  leased("d");
  assert.equal(ok("JOB.NACK", NOW, "1", "d", "w", "1", "FATAL", "", "e").status, "DEAD");
  assert.equal(ok("JOB.GET", "d").meta.errors[0].reason, "fatal");
});

Deno.test("JOB.REAP refuses negative retention values; 0 still works", () => {
  const { ok, refused, leased } = rawStore();
  leased("a");
  ok("JOB.ACK", NOW, "a", "w", "1", "");
  refused(/Invalid retention_age_ms -5: must be 0 or more/, "JOB.REAP", NOW, "1", "-5", "10", "0");
  refused(/Invalid retention_count -1: must be 0 or more/, "JOB.REAP", NOW, "1", "9", "-1", "9");
  refused(/Invalid dead_age_ms -5: must be 0 or more/, "JOB.REAP", NOW, "1", "10", "10", "-5");
  assert.equal(ok("JOB.GET", "a").meta.status, "COMPLETED");
  assert.equal(ok("JOB.REAP", NOW, "1", "1000", "10", "1000").deleted, 0);
  assert.equal(ok("JOB.REAP", NOW, "1", "1000", "0", "1000").deleted, 1);
});

Deno.test("JOB.DEAD.REDRIVE refuses more ids than max instead of dropping them", () => {
  const { ok, refused } = rawStore();
  for (const id of ["d1", "d2", "d3"]) {
    ok("JOB.ENQUEUE", NOW, id, spec({ queue: "dq" }), "{}");
  }
  ok("JOB.CLAIM", NOW, "1", "w", "1000", "3", "dq");
  for (const id of ["d1", "d2", "d3"]) ok("JOB.NACK", NOW, "1", id, "w", "1", "fatal", "", "e");
  refused(
    /Too many job ids to redrive: 3 given, max is 1/,
    "JOB.DEAD.REDRIVE",
    NOW,
    "dq",
    "1",
    "d1",
    "d2",
    "d3",
  );
  refused(/Invalid job id "bad id!"/, "JOB.DEAD.REDRIVE", NOW, "dq", "2", "d1", "bad id!");
  assert.equal(ok("JOB.QUEUES", NOW)[0].dead, 3);
  assert.deepEqual(ok("JOB.DEAD.REDRIVE", NOW, "dq", "2", "d1", "d2"), { redriven: 2 });
  assert.deepEqual(ok("JOB.DEAD.REDRIVE", NOW, "dq", "5"), { redriven: 1 });
});

Deno.test("JOB.* integers are parsed strictly; the documented empty strings still mean none", () => {
  const { ok, refused, leased } = rawStore();
  for (const text of ["0x10", "1e3", " 1", "1 ", "+1", "01", "1.0", "", "-0", "abc"]) {
    refused(/expected an integer/, "JOB.QUEUES", text);
    refused(/Invalid limit/, "JOB.LIST", "", "", "", text);
    refused(/Invalid lease_ms/, "JOB.CLAIM", NOW, "1", "w", text, "1", "q");
  }
  refused(
    /Invalid now_ms "9223372036854775807": out of range/,
    "JOB.QUEUES",
    "9223372036854775807",
  );
  refused(
    /Invalid now_ms "9223372036854775808": expected an integer/,
    "JOB.QUEUES",
    "9223372036854775808",
  );
  leased("a");
  refused(/Invalid lease_ms "0x10"/, "JOB.HEARTBEAT", NOW, "a", "w", "1", "0x10", "");
  refused(/Invalid retry_in_ms "1e3"/, "JOB.NACK", NOW, "1", "a", "w", "1", "failed", "1e3", "e");
  refused(/Invalid attempt " 1"/, "JOB.ACK", NOW, "a", "w", " 1", "");
  assert.deepEqual(ok("JOB.QUEUES", "-1")[0].queue, "a");
  assert.equal(ok("JOB.LIST", "", "", "", "10").jobs.length, 1);
  const beat = ok("JOB.HEARTBEAT", NOW, "a", "w", "1", "", "");
  assert.deepEqual(beat, { status: "RUNNING", lease_expires_at_ms: T0 + 1000, cancelled: false });
  assert.equal(ok("JOB.ACK", NOW, "a", "w", "1", "").status, "COMPLETED");
});
