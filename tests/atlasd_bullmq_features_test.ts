/**
 * BullMQ's features side by side on redis-server 7.0.15 and atlasd: each step runs the same
 * scenario against both servers at once (a queue of its own on each) and compares what BullMQ
 * returns, timestamps, UUIDs and other clock-dependent values normalised away. Covered: flows
 * (parent/children, getDependencies, failParentOnFailure, ignoreDependencyOnFailure,
 * removeDependencyOnFailure, continueParentOnFailure, removeChildDependency,
 * removeUnprocessedChildren), job schedulers (every, cron, limit, upsert, remove), QueueEvents
 * (XREAD BLOCK: per-job event sequences, progress, delayed, removed, paused/resumed; the events
 * stream's approximate trimming), job operations (progress, logs, data, priority, changeDelay,
 * promote, retry, remove, moveToDelayed, their error messages), priorities and LIFO,
 * deduplication and custom ids, rate limiting (limiter, worker.rateLimit + RateLimitError,
 * queue.rateLimit, global rate limit and concurrency), pause/resume and the getters,
 * clean/drain/obliterate, removeOnComplete/removeOnFail, stalled jobs (a worker closed by force,
 * recovered or failed by another's stalled checker), lock extension, worker concurrency, metrics,
 * manual processing (getNextJob, moveToWaitingChildren) and getWorkers.
 *
 * Pinned differences (atlasd answered otherwise before): SSCAN and HSCAN of a small set of
 * strings, or of a hash with a long value, answered everything with cursor 0 where Redis 7.0
 * pages its hashtable by COUNT (BullMQ's getDependencies({ unprocessed | processed: { count } })
 * returned one page of everything); CLIENT LIST's age and idle were whole seconds elapsed where
 * Redis subtracts whole Unix seconds (a worker connected at 12.6 s is 1 second old at 13.2 s in
 * queue.getWorkers()).
 */
import assert from "node:assert/strict";
import {
  DelayedError,
  FlowProducer,
  type Job,
  Queue,
  QueueEvents,
  RateLimitError,
  Worker,
} from "bullmq";
import { Redis } from "ioredis";
import { type Proc, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";

const STEP_DEADLINE_MS = 15_000;

interface Connection {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
}

/** One server's side of a scenario: its connection and everything opened on it, to close. */
class Side {
  readonly #closers: (() => Promise<unknown>)[] = [];
  constructor(readonly connection: Connection) {}

  queue(name: string, opts: Record<string, unknown> = {}): Queue {
    const queue = new Queue(name, { connection: this.connection, ...opts });
    this.#closers.push(() => queue.close());
    return queue;
  }

  worker(
    name: string,
    fn: ((job: Job, token?: string) => Promise<unknown>) | null,
    opts: Record<string, unknown> = {},
  ): Worker {
    const worker = new Worker(name, fn, { connection: this.connection, ...opts });
    this.#closers.push(() => worker.close(true));
    return worker;
  }

  events(name: string, opts: Record<string, unknown> = {}): QueueEvents {
    const events = new QueueEvents(name, { connection: this.connection, ...opts });
    this.#closers.push(() => events.close());
    return events;
  }

  flow(): FlowProducer {
    const flow = new FlowProducer({ connection: this.connection });
    this.#closers.push(() => flow.close());
    return flow;
  }

  redis(): Redis {
    const redis = new Redis(this.connection);
    this.#closers.push(() => Promise.resolve(redis.disconnect()));
    return redis;
  }

  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once check() holds (polled every 20 ms); throws after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Clock readings (Unix ms) and UUIDs (flow job ids) replaced by placeholders. */
function normalize(value: unknown): unknown {
  if (typeof value === "number") return value > 1e12 ? "<ms>" : value;
  if (typeof value === "string") {
    return value.replace(/1[789]\d{11}/g, "<ms>").replace(UUID, "<id>");
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[normalize(k) as string] = normalize(v);
    return out;
  }
  return value;
}

/** What a stored job shows, without its clock readings. */
function jobView(job: Job | undefined | null) {
  if (job === null || job === undefined) return job;
  return {
    id: job.id,
    name: job.name,
    data: job.data,
    opts: { ...job.opts, timestamp: undefined, delay: undefined },
    progress: job.progress,
    returnvalue: job.returnvalue,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    failedReason: job.failedReason,
    stacktraceLines: job.stacktrace?.length,
    parentKey: job.parentKey,
    priority: job.priority,
    repeatJobKey: job.repeatJobKey,
    deduplicationId: job.deduplicationId,
  };
}

/** The message of what `f` throws, or its value. */
async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await f() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

type Scenario = (side: Side) => Promise<unknown>;

let servers: { redis: Proc; atlas: Proc } | null = null;

/** Runs `scenario` on both servers at once and compares the normalised results. */
async function sideBySide(scenario: Scenario): Promise<unknown> {
  const { redis, atlas } = servers!;
  const sides = [redis, atlas].map((p) =>
    new Side({ host: "127.0.0.1", port: p.port, maxRetriesPerRequest: null })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("scenario deadline")), STEP_DEADLINE_MS);
  });
  try {
    const [want, got] = await Promise.race([Promise.all(sides.map(scenario)), deadline]);
    assert.deepEqual(normalize(got), normalize(want), "atlasd (actual) vs redis-server (expected)");
    return want;
  } finally {
    clearTimeout(timer);
    await Promise.all(sides.map((s) => s.close()));
  }
}

const flows: Scenario = async (s) => {
  const out: unknown[] = [];
  const fp = s.flow();
  const tree = await fp.add({
    name: "parent",
    queueName: "flow",
    data: { p: 1 },
    children: [
      { name: "c1", queueName: "flow-kids", data: { c: 1 } },
      { name: "c2", queueName: "flow-kids", data: { c: 2 } },
      {
        name: "c3",
        queueName: "flow-kids",
        data: { c: 3 },
        children: [{ name: "g1", queueName: "flow-kids", data: { g: 1 } }],
      },
    ],
  });
  const parents = s.queue("flow");
  const kids = s.queue("flow-kids");
  out.push(await tree.job.getState(), await tree.job.getDependenciesCount());
  out.push((await tree.job.getDependencies()).unprocessed?.length);
  out.push(await parents.getJobCounts(), await kids.getJobCounts());
  out.push((await parents.getWaitingChildren()).map((j) => j.name));
  s.worker("flow-kids", (job) => Promise.resolve({ child: job.name }));
  s.worker("flow", async (job) => Object.values(await job.getChildrenValues()).length);
  await until("the parent", async () => (await parents.getJobCounts("completed")).completed === 1);
  const parent = await parents.getJob(tree.job.id!);
  out.push(jobView(parent), await parent!.getDependenciesCount());
  const deps = await parent!.getDependencies();
  out.push(Object.values(deps.processed ?? {}).map((v) => JSON.stringify(v)).sort());
  out.push((await fp.getFlow({ id: tree.job.id!, queueName: "flow" })).children?.length);

  // Children failing under each policy.
  const fail = (name: string, opts: Record<string, unknown>) =>
    fp.add({
      name,
      queueName: "flow2",
      children: [
        { name: "bad", queueName: "flow2-kids", data: {}, opts },
        { name: "good", queueName: "flow2-kids", data: {} },
      ],
    });
  const failParent = await fail("fail-parent", { failParentOnFailure: true });
  const ignore = await fail("ignore", { ignoreDependencyOnFailure: true });
  const remove = await fail("remove", { removeDependencyOnFailure: true });
  const cont = await fail("continue", { continueParentOnFailure: true });
  const kept = await fp.add({
    name: "kept",
    queueName: "flow3",
    children: [
      { name: "x", queueName: "flow2-idle", data: {} },
      { name: "y", queueName: "flow2-idle", data: {} },
      { name: "z", queueName: "flow2-idle", data: {} },
    ],
  });
  const parents2 = s.queue("flow2");
  s.worker("flow2-kids", (job) => {
    if (job.name === "bad") return Promise.reject(new Error("child failed"));
    return Promise.resolve("ok");
  });
  await until("the children", async () => {
    const c = await s.queue("flow2-kids").getJobCounts("completed", "failed");
    return c.completed === 4 && c.failed === 4;
  });
  s.worker("flow2", async (job) => Object.values(await job.getChildrenValues()));
  await until("the parents", async () => {
    const c = await parents2.getJobCounts("completed", "failed");
    return c.completed + c.failed === 4;
  });
  for (const t of [failParent, ignore, remove, cont]) {
    const job = await parents2.getJob(t.job.id!);
    out.push([
      t.job.name,
      await job!.getState(),
      job!.failedReason,
      job!.returnvalue,
      await job!.getDependenciesCount(),
      Object.values(await job!.getIgnoredChildrenFailures()),
      Object.values(await job!.getFailedChildrenValues()),
    ]);
  }
  const x = kept.children!.find((c) => c.job.name === "x")!.job;
  out.push(await x.removeChildDependency(), await kept.job.getDependenciesCount());
  await kept.job.removeUnprocessedChildren();
  out.push(await kept.job.getDependenciesCount(), await s.queue("flow2-idle").getJobCounts());
  return out;
};

/**
 * getDependencies with a count pages the parent's set of pending children (SSCAN) and hash of
 * processed ones (HSCAN) as Redis pages a hashtable: the first page holds some of them with a
 * cursor to go on, and the pages together hold every child once.
 */
const dependencyPages: Scenario = async (s) => {
  const fp = s.flow();
  const children = (queueName: string) =>
    Array.from({ length: 8 }, (_, i) => ({ name: `c${i}`, queueName, data: { i } }));
  const pending = await fp.add({ name: "p", queueName: "deps", children: children("deps-idle") });
  const done = await fp.add({ name: "p", queueName: "deps", children: children("deps-kids") });
  // Return values longer than hash-max-listpack-value (64) make Redis hold a hashtable.
  s.worker("deps-kids", (job) => Promise.resolve("v".repeat(80) + job.name));
  await until("the children", async () => (await done.job.getState()) === "waiting");
  const pages = async (kind: "unprocessed" | "processed", job: Job) => {
    const seen: string[] = [];
    let cursor = 0;
    let count = 0;
    let firstPage = 0;
    do {
      const page = await job.getDependencies({ [kind]: { cursor, count: 2 } });
      const items = kind === "unprocessed"
        ? page.unprocessed ?? []
        : Object.keys(page.processed ?? {});
      if (count === 0) firstPage = items.length;
      seen.push(...items);
      cursor = (kind === "unprocessed" ? page.nextUnprocessedCursor : page.nextProcessedCursor) ??
        0;
      count++;
    } while (cursor !== 0 && count < 100);
    return { firstPageIsPartial: firstPage < 8, several: count > 1, all: new Set(seen).size };
  };
  const raw = s.redis();
  const members = Array.from({ length: 20 }, (_, i) => [i, i === 0 ? "m".repeat(80) : `m${i}`]);
  await raw.zadd("deps:zset", ...members.flat());
  const [zcursor] = await raw.zscan("deps:zset", 0, "COUNT", 1);
  return {
    unprocessed: await pages("unprocessed", pending.job),
    processed: await pages("processed", done.job),
    // A zset with a member over zset-max-listpack-value is a skiplist: ZSCAN pages it too.
    zscanPaged: zcursor !== "0",
    pending: await s.queue("deps").getDependencies(pending.job.id!, "pending", 0, 2).then(
      ({ items, jobs, total }) => [items.length, jobs.length, total],
    ),
  };
};

const schedulers: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("sched");
  const shown = <T extends object>(x: T | undefined) =>
    x && { ...x, next: undefined, offset: undefined };
  await queue.upsertJobScheduler("every", { every: 60_000 }, { name: "tick", data: { a: 1 } });
  await queue.upsertJobScheduler("cron", { pattern: "0 0 * * *", tz: "Europe/Paris" }, {
    name: "nightly",
    data: { b: 2 },
    opts: { attempts: 3, backoff: { type: "exponential", delay: 10 }, priority: 4 },
  });
  const list = await queue.getJobSchedulers(0, -1, true);
  out.push(list.map(shown).sort((a, b) => a!.key.localeCompare(b!.key)));
  out.push(await queue.getJobSchedulersCount(), shown(await queue.getJobScheduler("cron")));
  out.push(await queue.getJobCounts());
  await queue.upsertJobScheduler("every", { every: 60_000 }, { name: "tick", data: { a: 2 } });
  out.push(await queue.getJobSchedulersCount(), await queue.getJobCounts());
  await queue.upsertJobScheduler("fast", { every: 100, limit: 3 }, { name: "fast" });
  const ran: string[] = [];
  s.worker("sched", (job) => {
    ran.push(job.name);
    return Promise.resolve(null);
  });
  await until("three runs", () => ran.filter((n) => n === "fast").length === 3);
  out.push(shown(await queue.getJobScheduler("fast")));
  out.push(await queue.removeJobScheduler("every"), await queue.removeJobScheduler("nope"));
  out.push(await queue.getJobSchedulersCount());
  return out;
};

const queueEvents: Scenario = async (s) => {
  const events = s.events("qe");
  await events.waitUntilReady();
  const byJob = new Map<string, string[]>();
  const queueLevel: string[] = [];
  for (
    const name of [
      "added",
      "waiting",
      "active",
      "progress",
      "completed",
      "failed",
      "delayed",
      "removed",
      "retries-exhausted",
      "paused",
      "resumed",
    ]
  ) {
    // deno-lint-ignore no-explicit-any
    events.on(name as any, (args: any) => {
      if (args?.jobId === undefined) {
        queueLevel.push(name);
        return;
      }
      const { jobId, prev: _prev, ...rest } = args;
      if (!byJob.has(jobId)) byJob.set(jobId, []);
      byJob.get(jobId)!.push(`${name} ${JSON.stringify(normalize(rest))}`);
    });
  }
  const queue = s.queue("qe");
  await queue.add("a", { x: 1 });
  await queue.add("d", { x: 2 }, { delay: 200 });
  await queue.add("f", { x: 3 }, { attempts: 2, backoff: { type: "fixed", delay: 50 } });
  const worker = s.worker("qe", async (job) => {
    await job.updateProgress(50);
    await job.updateProgress({ p: 1 });
    if (job.name === "f") throw new Error("nope");
    return { ok: job.name };
  }, { concurrency: 1 });
  await until("the events", () => byJob.get("3")?.some((e) => e.startsWith("retries")) === true);
  await until("d completed", () => byJob.get("2")?.some((e) => e.startsWith("completed")) === true);
  await worker.close();
  await queue.pause();
  await queue.resume();
  const removed = await queue.add("r", {});
  await removed.remove();
  await until("the last events", () => queueLevel.length === 2 && byJob.get("4")?.length === 3);
  return { queueLevel, byJob: [...byJob].sort(([a], [b]) => a.localeCompare(b)) };
};

/** The events stream is capped with XADD MAXLEN ~ (whole stream nodes of 100 entries go). */
const eventsTrimming: Scenario = async (s) => {
  const queue = s.queue("trim", { streams: { events: { maxLen: 10 } } });
  await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: "b", data: { i } })));
  for (let i = 0; i < 150; i++) await queue.add("a", { i });
  const raw = s.redis();
  const length = await raw.xlen("bull:trim:events");
  const info = await raw.call("XINFO", "STREAM", "bull:trim:events") as unknown[];
  return [length, info.slice(0, 6), await queue.trimEvents(3), await raw.xlen("bull:trim:events")];
};

const jobOperations: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("ops");
  const job = await queue.add("x", { v: 1 });
  await job.updateProgress(42);
  out.push((await queue.getJob(job.id!))!.progress);
  await job.log("line one");
  await job.log("line two");
  out.push(await queue.addJobLog(job.id!, "line three", 2));
  out.push(await queue.getJobLogs(job.id!), await queue.getJobLogs(job.id!, 0, 0, false));
  await job.updateData({ v: 2 });
  out.push((await queue.getJob(job.id!))!.data);
  await job.changePriority({ priority: 5 });
  out.push(await job.getState());
  const delayed = await queue.add("d", {}, { delay: 100_000 });
  await delayed.changeDelay(200_000);
  out.push(await delayed.getState(), (await queue.getJob(delayed.id!))!.delay);
  await delayed.promote();
  out.push(await delayed.getState(), await queue.getJobCounts());
  // Refusals: BullMQ turns the scripts' error codes into these messages.
  out.push(await outcome(() => job.promote()), await outcome(() => job.changeDelay(5)));
  out.push(await outcome(() => job.retry("failed")));
  out.push(await outcome(() => job.moveToCompleted("x", "no-token")));
  out.push(await outcome(() => job.moveToDelayed(Date.now() + 100, "no-token")));
  out.push(await outcome(() => queue.updateJobProgress("nope", 3)));
  out.push(await outcome(() => queue.add("x", {}, { priority: 3_000_000 })));
  await job.remove();
  out.push(await queue.getJob(job.id!), await outcome(() => job.updateData({})));
  out.push(await queue.getJobCounts());
  // retry of a failed job, moveToDelayed from inside the processor.
  const failing = await queue.add("fail", {});
  const moving = await queue.add("move", {});
  s.worker("ops", async (j, token) => {
    if (j.name === "fail" && !j.data.retried) throw new Error("first");
    if (j.name === "move" && !j.data.moved) {
      await j.updateData({ moved: true });
      await j.moveToDelayed(Date.now() + 100, token);
      throw new DelayedError();
    }
    return "done " + j.name;
  });
  await until("the failure", async () => (await failing.getState()) === "failed");
  const failed = await queue.getJob(failing.id!);
  out.push(jobView(failed));
  await failed!.updateData({ retried: true });
  await failed!.retry("failed");
  await until("the retry", async () => (await failing.getState()) === "completed");
  await until("the delayed job", async () => (await moving.getState()) === "completed");
  out.push(jobView(await queue.getJob(failing.id!)), jobView(await queue.getJob(moving.id!)));
  out.push(await queue.getJobCounts());
  return out;
};

const priorities: Scenario = async (s) => {
  const queue = s.queue("prio");
  await queue.add("p5", {}, { priority: 5 });
  await queue.add("p1", {}, { priority: 1 });
  await queue.add("n1", {});
  await queue.add("lifo", {}, { lifo: true });
  await queue.add("n2", {});
  await queue.add("p1b", {}, { priority: 1 });
  await queue.add("p3", {}, { priority: 3 });
  const out: unknown[] = [await queue.getJobCounts()];
  out.push(await queue.getCountsPerPriority([0, 1, 3, 5]));
  out.push((await queue.getPrioritized()).map((j) => j.name));
  out.push((await queue.getWaiting()).map((j) => j.name));
  const order: string[] = [];
  s.worker("prio", (job) => {
    order.push(job.name);
    return Promise.resolve();
  }, { concurrency: 1 });
  await until("all seven", () => order.length === 7);
  out.push(order);
  return out;
};

const deduplication: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("dedup");
  const raw = s.redis();
  const a = await queue.add("a", { n: 1 }, { deduplication: { id: "x", ttl: 60_000 } });
  const b = await queue.add("a", { n: 2 }, { deduplication: { id: "x", ttl: 60_000 } });
  const ttl = await raw.pttl("bull:dedup:de:x");
  out.push(a.id, b.id, await queue.getDeduplicationJobId("x"), ttl > 50_000 && ttl <= 60_000);
  const c = await queue.add("c", {}, { jobId: "custom" });
  const d = await queue.add("c", { other: 1 }, { jobId: "custom" });
  out.push(c.id, d.id, (await queue.getJob("custom"))!.data);
  out.push(await outcome(() => queue.add("c", {}, { jobId: "12" })));
  const s1 = await queue.add("s", {}, { deduplication: { id: "s" } });
  const s2 = await queue.add("s", {}, { deduplication: { id: "s" } });
  out.push(s1.id, s2.id, await raw.pttl("bull:dedup:de:s"));
  out.push(await queue.removeDeduplicationKey("s"));
  out.push((await queue.add("s", {}, { deduplication: { id: "s" } })).id);
  const opts = {
    delay: 5000,
    deduplication: { id: "r", ttl: 5000, extend: true, replace: true },
  };
  const r1 = await queue.add("r", { v: 1 }, opts);
  const r2 = await queue.add("r", { v: 2 }, opts);
  out.push(r1.id, r2.id, (await queue.getJob(r2.id!))?.data, await queue.getJob(r1.id!));
  out.push(await queue.getJobCounts());
  // Deduplicated until the job completes.
  s.worker("dedup", () => Promise.resolve("done"));
  await until("s done", async () => (await s1.getState()) === "completed");
  out.push(await queue.getDeduplicationJobId("x"));
  return out;
};

const rateLimits: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("rl");
  for (let i = 0; i < 6; i++) await queue.add("j", { i });
  const times: number[] = [];
  const limited = s.worker("rl", () => {
    times.push(Date.now());
    return Promise.resolve();
  }, { limiter: { max: 2, duration: 300 } });
  await until("six jobs", () => times.length === 6);
  // At most 2 jobs per 300 ms window: the 5th starts two windows after the 1st, or later (a
  // lower bound, which a slow machine only makes easier).
  out.push(times[4] - times[0] >= 500);
  await limited.close();

  const q2 = s.queue("rl2");
  await q2.add("a", {});
  await q2.add("b", {});
  let first = true;
  const seen: string[] = [];
  const w2: Worker = s.worker("rl2", async (job) => {
    seen.push(job.name);
    if (first) {
      first = false;
      await w2.rateLimit(200);
      throw Worker.RateLimitError();
    }
  }, { concurrency: 1, limiter: { max: 10, duration: 1000 } });
  await until("rl2", async () => (await q2.getJobCounts("completed")).completed === 2);
  out.push(seen, await q2.getJobCounts(), RateLimitError.name);
  await w2.close();

  const q3 = s.queue("rl3");
  await q3.rateLimit(5000);
  const ttl = await q3.getRateLimitTtl();
  out.push(ttl > 4000 && ttl <= 5000, await q3.removeRateLimitKey(), await q3.getRateLimitTtl());
  await q3.setGlobalRateLimit(3, 1000);
  out.push(await q3.getGlobalRateLimit(), await q3.removeGlobalRateLimit());
  await q3.setGlobalConcurrency(1);
  out.push(await q3.getGlobalConcurrency(), await q3.isMaxed());
  for (let i = 0; i < 4; i++) await q3.add("g", { i });
  let active = 0;
  let maxActive = 0;
  let done = 0;
  s.worker("rl3", async () => {
    maxActive = Math.max(maxActive, ++active);
    await sleep(30);
    active--;
    done++;
  }, { concurrency: 4 });
  await until("the global concurrency", () => done === 4);
  out.push(maxActive);
  return out;
};

const gettersAndCleaning: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("get");
  await queue.pause();
  out.push(await queue.isPaused());
  for (let i = 0; i < 5; i++) await queue.add("j" + i, { i });
  await queue.add("dl", {}, { delay: 60_000 });
  await queue.add("pr", {}, { priority: 2 });
  out.push(await queue.getJobCounts(), await queue.getJobCounts("wait", "waiting"));
  out.push((await queue.getWaiting(1, 2)).map((j) => j.name));
  const names = (jobs: Job[]) => jobs.map((j) => j.name);
  out.push(names(await queue.getJobs(["waiting", "delayed", "prioritized"], 0, -1, true)));
  out.push(names(await queue.getDelayed()), await queue.count());
  await queue.resume();
  out.push(await queue.isPaused());
  const worker = s.worker("get", (job) => {
    if (job.name === "j3") return Promise.reject(new Error("j3"));
    return Promise.resolve(job.name);
  });
  await until("six jobs", async () => {
    const c = await queue.getJobCounts("completed", "failed");
    return c.completed + c.failed === 6;
  });
  await worker.close();
  out.push(names(await queue.getCompleted(0, 2)), names(await queue.getCompleted(1, -1)));
  out.push(names(await queue.getFailed()), names(await queue.getJobs(["completed"], 0, 10, true)));
  out.push(await queue.getRanges(["completed", "failed"], 0, -1, true));
  out.push(await queue.getCompletedCount(), await queue.getFailedCount());
  out.push(await queue.getJobState("1"), await queue.getJobState("nope"));
  out.push((await queue.clean(0, 2, "completed")).length, await queue.getJobCounts());
  out.push((await queue.clean(0, 100, "failed")).length);
  out.push((await queue.clean(0, 100, "delayed")).length, await queue.getJobCounts());
  await queue.add("x", {});
  await queue.add("y", {}, { delay: 60_000 });
  await queue.drain();
  out.push(await queue.getJobCounts());
  await queue.drain(true);
  out.push(await queue.getJobCounts());
  // obliterate refuses a queue with an active job unless forced.
  await queue.add("z", {});
  const manual = s.worker("get", null);
  const active = await manual.getNextJob("token");
  out.push(active?.name, await outcome(() => queue.obliterate()));
  await queue.obliterate({ force: true });
  out.push(await queue.getJobCounts(), await queue.getMeta());
  return out;
};

const removeOn: Scenario = async (s) => {
  const queue = s.queue("ro");
  const opts = { removeOnComplete: 2, removeOnFail: { count: 1 } };
  for (let i = 0; i < 6; i++) await queue.add("c" + i, { i }, opts);
  for (let i = 0; i < 3; i++) await queue.add("f" + i, { i }, opts);
  await queue.add("gone", {}, { removeOnComplete: true, removeOnFail: true });
  await queue.add("aged", {}, { removeOnComplete: { age: 3600, count: 10 } });
  let finished = 0;
  const worker = s.worker("ro", (job) => {
    if (job.name.startsWith("f")) return Promise.reject(new Error("f"));
    return Promise.resolve(job.name);
  }, { concurrency: 1 });
  worker.on("completed", () => finished++);
  worker.on("failed", () => finished++);
  await until("eleven jobs", () => finished === 11);
  return [
    await queue.getJobCounts(),
    (await queue.getCompleted()).map((j) => j.name),
    (await queue.getFailed()).map((j) => j.name),
  ];
};

/** A worker closed by force mid-job: another's stalled checker moves the job back, or fails it. */
const stalledJobs: Scenario = async (s) => {
  const out: unknown[] = [];
  const events = s.events("stall");
  await events.waitUntilReady();
  const stalledEvents: string[] = [];
  events.on("stalled", ({ jobId }) => stalledEvents.push(jobId));
  const queue = s.queue("stall");
  const dying = async (name: string) => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const worker = s.worker("stall", () => {
      started();
      return new Promise(() => {}); // never settles: the worker dies with it
    }, { lockDuration: 300, skipStalledCheck: true });
    const job = await queue.add(name, {});
    await running;
    out.push(await job.getState());
    await worker.close(true);
    return job;
  };
  const recovered = await dying("recovered");
  const rescuer = s.worker("stall", (job) => Promise.resolve("rescued " + job.name), {
    lockDuration: 300,
    stalledInterval: 200,
    maxStalledCount: 1,
  });
  const workerStalled: string[] = [];
  rescuer.on("stalled", (id) => workerStalled.push(id));
  await until("the recovery", async () => (await recovered.getState()) === "completed");
  out.push(jobView(await queue.getJob(recovered.id!)), workerStalled);
  await until("the stalled event", () => stalledEvents.length === 1);
  await rescuer.close();

  const lost = await dying("lost");
  s.worker("stall", () => Promise.resolve("never"), {
    lockDuration: 300,
    stalledInterval: 200,
    maxStalledCount: 0,
  });
  await until("the failure", async () => (await lost.getState()) === "failed");
  await until("the second stalled event", () => stalledEvents.length === 2);
  out.push(jobView(await queue.getJob(lost.id!)));
  return out;
};

/** A job longer than its lock: the worker extends the lock, nothing stalls. */
const lockExtension: Scenario = async (s) => {
  const queue = s.queue("lock");
  const job = await queue.add("long", {});
  const stalled: string[] = [];
  const worker = s.worker("lock", async () => {
    await sleep(1200);
    return "long done";
  }, { lockDuration: 400, stalledInterval: 300 });
  worker.on("stalled", (id) => stalled.push(id));
  await until("the long job", async () => (await job.getState()) === "completed");
  return [jobView(await queue.getJob(job.id!)), stalled];
};

const concurrencyAndMetrics: Scenario = async (s) => {
  const queue = s.queue("cm");
  for (let i = 0; i < 8; i++) await queue.add("j", { i });
  await queue.add("bad", {});
  let active = 0;
  let maxActive = 0;
  let finished = 0;
  const worker = s.worker("cm", async (job) => {
    maxActive = Math.max(maxActive, ++active);
    await sleep(60);
    active--;
    if (job.name === "bad") throw new Error("bad");
  }, { concurrency: 4, metrics: { maxDataPoints: 10 } });
  worker.on("completed", () => finished++);
  worker.on("failed", () => finished++);
  await until("nine jobs", () => finished === 9);
  // Metrics keep one data point per minute: move the last point an hour back, so the next job
  // adds maxDataPoints of them.
  const raw = s.redis();
  await raw.hset("bull:cm:metrics:completed", "prevTS", Date.now() - 3_600_000);
  await queue.add("late", {});
  await until("ten jobs", () => finished === 10);
  await worker.close();
  const completed = await queue.getMetrics("completed");
  const failed = await queue.getMetrics("failed", 0, 5);
  return [maxActive, await queue.getJobCounts(), completed, failed];
};

const manualProcessing: Scenario = async (s) => {
  const out: unknown[] = [];
  const queue = s.queue("manual");
  const worker = s.worker("manual", null, { autorun: false });
  out.push(await worker.getNextJob("t1", { block: false }));
  const added = queue.add("late", { z: 1 });
  const job = await worker.getNextJob("t1", { block: true });
  await added;
  out.push(job?.name, await outcome(() => job!.extendLock("t1", 5000)));
  out.push(await outcome(() => job!.remove()));
  await job!.moveToCompleted("r", "t1", false);
  out.push(await job!.getState());
  const parent = await queue.add("parent", {});
  const active = await worker.getNextJob("t2");
  await queue.add("kid", {}, { parent: { id: active!.id!, queue: "bull:manual" } });
  out.push(await active!.moveToWaitingChildren("t2"), await parent.getState());
  const kid = await worker.getNextJob("t3");
  await kid!.moveToCompleted("kid done", "t3", false);
  out.push(await parent.getState());
  const again = await worker.getNextJob("t4");
  out.push(again?.name, await again!.moveToWaitingChildren("t4"));
  out.push(await again!.getChildrenValues());
  return out;
};

/** The fields of getWorkers() that describe the connection as both servers keep it. */
const WORKER_FIELDS_DIFFERING = new Set([
  "id",
  "addr",
  "laddr",
  "fd", // atlasd has no file descriptor to show: -1
  "qbuf-free", // these describe Redis's buffers
  "rbs",
  "rbp",
  "tot-mem",
  "lib-name", // CLIENT SETINFO, which Redis 7.0.15 refuses (docs/atlasd.md)
  "lib-ver",
]);

/**
 * queue.getWorkers() parses CLIENT LIST: each worker's blocking connection with its name, flags,
 * command, age and idle. The workers connect in the first half of a second and are listed just
 * after the next one began: Redis counts whole Unix seconds, so they are 1 second old (and idle).
 */
const workers: Scenario = async (s) => {
  const queue = s.queue("wk");
  await queue.waitUntilReady();
  const named = s.worker("wk", () => Promise.resolve(), { name: "alpha" });
  const plain = s.worker("wk", () => Promise.resolve());
  await named.waitUntilReady();
  await plain.waitUntilReady();
  await until("both blocked", async () => {
    const listed = await queue.getWorkers();
    return listed.length === 2 && listed.every((w) => w.cmd === "bzpopmin");
  });
  await sleep(1300 - (Date.now() % 1000)); // 300 ms into the next second
  const listed = await queue.getWorkers();
  return listed.map((w) =>
    Object.fromEntries(Object.entries(w).filter(([k]) => !WORKER_FIELDS_DIFFERING.has(k)))
  ).sort((a, b) => String(a.rawname).localeCompare(String(b.rawname)));
};

/** ioredis keeps timers and sockets whose close completes after close() resolves. */
const QUIET = { sanitizeOps: false, sanitizeResources: false };

/** Waits until `lo` ms into a second (the next one if that moment passed). */
async function atMillisecond(lo: number) {
  await sleep((1000 + lo - (Date.now() % 1000)) % 1000);
}

Deno.test({
  name: "BullMQ's features answer on atlasd what they answer on redis-server",
  // ioredis keeps timers and sockets whose close completes after close() resolves.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const [redis, atlas] = await Promise.all([
      startRedis(),
      startAtlasd(["--sync-mode", "none"]),
    ]);
    servers = { redis, atlas };
    try {
      const steps: [string, Scenario][] = [
        ["flows: children, dependencies, failure policies", flows],
        ["getDependencies pages by count (SSCAN / HSCAN)", dependencyPages],
        ["job schedulers: every, cron, limit, upsert, remove", schedulers],
        ["QueueEvents: per-job event sequences", queueEvents],
        ["the events stream's MAXLEN ~ trimming", eventsTrimming],
        ["job operations and their refusals", jobOperations],
        ["priorities and LIFO", priorities],
        ["deduplication and custom job ids", deduplication],
        ["rate limits and global concurrency", rateLimits],
        ["pause, getters, clean, drain, obliterate", gettersAndCleaning],
        ["removeOnComplete / removeOnFail", removeOn],
        ["stalled jobs recovered and failed", stalledJobs],
        ["lock extension of a long job", lockExtension],
        ["worker concurrency and metrics", concurrencyAndMetrics],
        ["manual processing: getNextJob, moveToWaitingChildren", manualProcessing],
      ];
      for (const [name, scenario] of steps) {
        await t.step({ name, fn: () => sideBySide(scenario).then(() => {}), ...QUIET });
      }
      await t.step({
        name: "getWorkers: CLIENT LIST fields, age and idle in whole seconds",
        ...QUIET,
        fn: async () => {
          // Workers connect in the same second on both servers ([450, 900) ms into it); a run
          // that strays past that window (a loaded machine) is tried again.
          for (let attempt = 1;; attempt++) {
            await atMillisecond(450);
            const second = Math.floor(Date.now() / 1000);
            try {
              const listed = await sideBySide(workers) as Record<string, string>[];
              assert.deepEqual(listed.map((w) => [w.age, w.idle]), [["1", "1"], ["1", "1"]]);
              return;
            } catch (error) {
              const strayed = Math.floor(Date.now() / 1000) !== second + 1;
              if (!strayed || attempt === 3) throw error;
            }
          }
        },
      });
    } finally {
      servers = null;
      await Promise.all([redis.stop(), atlas.stop()]);
    }
  },
});
