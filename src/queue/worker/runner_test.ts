import assert from "node:assert/strict";
import { Logger } from "../../observability/logger.ts";
import { JobService } from "../service.ts";
import { memoryJobs } from "../testing/memory_jobs.ts";
import { type ClaimRequest, InProcessJobApi } from "./api.ts";
import { defaultHandlers, JobFailure, type JobHandler, WorkerRunner } from "./mod.ts";

const quiet = new Logger("worker", { sink: () => {} });

/** A gateway that ignores the claim's task filter (an older one): the worker must cope. */
class TaskBlindApi extends InProcessJobApi {
  override claim(request: ClaimRequest, signal?: AbortSignal) {
    return super.claim({ ...request, tasks: undefined }, signal);
  }
}

function setup(
  handlers: Record<string, JobHandler>,
  options: { leaseMs?: number; shutdownTimeoutMs?: number; taskBlind?: boolean } = {},
  jobs = new JobService({
    client: memoryJobs().client,
    claimPollMs: 20,
    settings: { backoff: { type: "none", delay_ms: 0, max_ms: 0 } },
  }),
) {
  const registry = defaultHandlers();
  for (const [task, handler] of Object.entries(handlers)) registry.handle(task, handler);
  const runner = new WorkerRunner({
    api: options.taskBlind ? new TaskBlindApi(jobs) : new InProcessJobApi(jobs),
    registry,
    workerId: "w1",
    queues: ["q"],
    concurrency: 4,
    pollIntervalMs: 50,
    leaseMs: options.leaseMs ?? 5000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2000,
    logger: quiet,
  });
  const until = async (id: string, statuses: string[]) => {
    for (let i = 0; i < 400; i++) {
      const job = await jobs.get(id);
      if (statuses.includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`job ${id} never reached ${statuses}`);
  };
  return { jobs, runner, until };
}

Deno.test("worker runs handlers: result acked, throw retried then dead, other tasks left to others", async () => {
  const { jobs, runner, until } = setup({
    double: (job) => ({ doubled: (job.payload as number) * 2 }),
    flaky: () => {
      throw new Error("always fails");
    },
    refuse: () => {
      throw new JobFailure("bad input", { retry: false });
    },
  });
  runner.start();
  const ok = await jobs.enqueue({ queue: "q", task: "double", payload: 21 });
  const flaky = await jobs.enqueue({ queue: "q", task: "flaky", payload: null, max_attempts: 2 });
  const refuse = await jobs.enqueue({ queue: "q", task: "refuse", payload: null });
  const unknown = await jobs.enqueue({ queue: "q", task: "nobody", payload: null });
  assert.deepEqual((await until(ok.id, ["COMPLETED"])).result, { doubled: 42 });
  const dead = await until(flaky.id, ["DEAD"]);
  assert.deepEqual(dead.errors.map((e) => [e.attempt, e.error]), [[1, "always fails"], [
    2,
    "always fails",
  ]]);
  assert.equal((await until(refuse.id, ["DEAD"])).attempt, 1);
  // A task this worker has no handler for is never claimed by it: it waits for a worker that has.
  const waiting = await jobs.get(unknown.id);
  assert.equal(waiting.status, "PENDING");
  assert.equal(waiting.attempt, 0);
  const other = setup({ nobody: () => "handled elsewhere" }, {}, jobs);
  other.runner.start();
  assert.equal((await until(unknown.id, ["COMPLETED"])).result, "handled elsewhere");
  await other.runner.stop();
  await runner.stop();
  jobs.close();
});

Deno.test("worker: a job it has no handler for (from a gateway ignoring the filter) dies at once", async () => {
  const { jobs, runner, until } = setup({}, { taskBlind: true });
  runner.start();
  const unknown = await jobs.enqueue({ queue: "q", task: "nobody", payload: null });
  const dead = await until(unknown.id, ["DEAD"]);
  assert.equal(dead.attempt, 1);
  assert.match(dead.errors[0].error, /No handler registered for task "nobody"/);
  await runner.stop();
  jobs.close();
});

Deno.test("worker: a cancelled running job sees its signal fire at the next heartbeat", async () => {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let reason: unknown = null;
  const { jobs, runner, until } = setup({
    slow: (job) =>
      new Promise((_resolve, reject) => {
        started();
        job.signal.addEventListener("abort", () => {
          reason = job.signal.reason;
          reject(new Error("aborted"));
        });
      }),
  }, { leaseMs: 300 });
  runner.start();
  const { id } = await jobs.enqueue({ queue: "q", task: "slow", payload: null });
  await running;
  await jobs.cancel(id);
  const job = await until(id, ["CANCELLED"]);
  assert.equal(job.errors.at(-1)?.reason, "cancelled");
  await runner.stop();
  assert.equal(reason, "cancelled");
  jobs.close();
});

Deno.test("worker shutdown: finishes running jobs within the timeout, releases the rest", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { jobs, runner, until } = setup({
    quick: async () => {
      await gate;
      return "done";
    },
    stuck: () => new Promise(() => {}), // ignores its signal: released after the timeout
  }, { shutdownTimeoutMs: 200 });
  runner.start();
  const quick = await jobs.enqueue({ queue: "q", task: "quick", payload: null });
  const stuck = await jobs.enqueue({ queue: "q", task: "stuck", payload: null });
  await until(stuck.id, ["RUNNING"]);
  await until(quick.id, ["RUNNING"]);
  const stopping = runner.stop();
  release();
  await stopping;
  assert.equal((await jobs.get(quick.id)).status, "COMPLETED");
  const back = await jobs.get(stuck.id);
  assert.deepEqual([back.status, back.attempt], ["PENDING", 0]);
  assert.equal(back.errors[0].reason, "released");
  jobs.close();
});

/** A gateway slow to answer releases (a loaded machine): slower than the shutdown timeout. */
class SlowReleaseApi extends InProcessJobApi {
  override async release(id: string, lease: { worker: string; attempt: number }) {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return await super.release(id, lease);
  }
}

Deno.test("worker shutdown: stop() waits for a release still under way, so no job stays RUNNING", async () => {
  const jobs = new JobService({ client: memoryJobs().client, claimPollMs: 20 });
  const registry = defaultHandlers().handle(
    "honours",
    (job) =>
      new Promise((_resolve, reject) => {
        job.signal.addEventListener("abort", () => reject(job.signal.reason));
      }),
  );
  const runner = new WorkerRunner({
    api: new SlowReleaseApi(jobs),
    registry,
    workerId: "w1",
    queues: ["q"],
    concurrency: 1,
    pollIntervalMs: 50,
    leaseMs: 60_000,
    shutdownTimeoutMs: 100,
    logger: quiet,
  });
  runner.start();
  const { id } = await jobs.enqueue({ queue: "q", task: "honours", payload: null });
  for (let i = 0; i < 400 && (await jobs.get(id)).status !== "RUNNING"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await runner.stop();
  const back = await jobs.get(id);
  assert.deepEqual([back.status, back.errors[0]?.reason], ["PENDING", "released"]);
  jobs.close();
});

Deno.test("worker: a result over the bound fails the job for good instead of looping", async () => {
  const { jobs, runner, until } = setup({ huge: () => "x".repeat(100 * 1024) });
  runner.start();
  const { id } = await jobs.enqueue({ queue: "q", task: "huge", payload: null });
  const dead = await until(id, ["DEAD"]);
  assert.equal(dead.errors[0].reason, "fatal");
  assert.match(dead.errors[0].error, /Result refused by the queue/);
  await runner.stop();
  jobs.close();
});

Deno.test("worker in-process: a lost lease fires the handler's signal", async () => {
  let reason: unknown = null;
  const { jobs, runner, until } = setup({
    slow: (job) =>
      new Promise((_resolve, reject) => {
        job.signal.addEventListener("abort", () => {
          reason = job.signal.reason;
          reject(new Error("aborted"));
        });
      }),
  }, { leaseMs: 300 });
  runner.start();
  const { id } = await jobs.enqueue({ queue: "q", task: "slow", payload: null });
  await until(id, ["RUNNING"]);
  // Another worker takes the job over after a forced expiry: the first one's lease is gone.
  const stolen = await jobs.get(id);
  await jobs.nack(id, { worker: "w1", attempt: stolen.attempt, error: "taken away" });
  for (let i = 0; i < 100 && reason === null; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(reason, "lease_lost");
  await runner.stop();
  jobs.close();
});
