/**
 * RespJobApi: producers and a WorkerRunner talking JOB.* over RESP straight to a `helios atlasd`
 * process (no gateway). Same guarantees as the HTTP path: retries with backoff, dead-lettering,
 * lease expiry hands the job to another worker and refuses the old holder's ack, and an ack
 * that came back survives an atlasd kill -9 under --sync-mode every.
 */
import assert from "node:assert/strict";
import {
  HandlerRegistry,
  JobFailure,
  type JobStatus,
  RespJobApi,
  WorkerRunner,
} from "../src/queue/mod.ts";
import { Logger } from "../src/observability/logger.ts";
import { Child, freePort } from "./jobs_processes.ts";

async function startAtlasd(dir: string, port: number): Promise<Child> {
  const child = new Child([
    "main.ts",
    "atlasd",
    "--data-dir",
    dir,
    "--listen",
    `127.0.0.1:${port}`,
    "--sync-mode",
    "every",
    "--metrics-listen",
    "127.0.0.1:0",
  ], {});
  for (let i = 0; i < 400; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return child;
    } catch (_error) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await child.kill();
  throw new Error(`atlasd never listened: ${child.out.join("\n")}`);
}

async function waitForStatus(api: RespJobApi, id: string, status: JobStatus): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await api.service.get(id)).status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const view = await api.service.get(id);
  throw new Error(`Job ${id} stayed ${view.status}, expected ${status}`);
}

Deno.test("RespJobApi: a worker and producers over RESP to atlasd, with retries, dead-lettering, leases and durable acks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-jobs-resp-" });
  const port = freePort();
  let atlasd = await startAtlasd(dir, port);
  const atlas = `127.0.0.1:${port}`;
  const producer = new RespJobApi({
    atlas,
    settings: { backoff: { type: "none", delay_ms: 0, max_ms: 0 } },
  });
  const workerApi = new RespJobApi({ atlas, claimPollMs: 20 });
  let flakyRuns = 0;
  const registry = new HandlerRegistry()
    .handle("echo", (job) => ({ echoed: job.payload }))
    .handle("flaky", () => {
      if (++flakyRuns === 1) throw new Error("first attempt fails");
      return "second worked";
    })
    .handle("broken", () => {
      throw new JobFailure("never works", { retry: false });
    });
  const runner = new WorkerRunner({
    api: workerApi,
    registry,
    workerId: "resp-w1",
    queues: ["resp"],
    concurrency: 8,
    pollIntervalMs: 200,
    leaseMs: 30_000,
    shutdownTimeoutMs: 1000,
    logger: new Logger("worker", { level: "error" }),
  });
  try {
    runner.start();
    const many = await producer.enqueueMany(
      Array.from({ length: 40 }, (_, n) => ({ queue: "resp", task: "echo", payload: { n } })),
    );
    const ids = many.map((out) => ("id" in out ? out.id : assert.fail(String(out.error))));
    const flaky = await producer.enqueue({ queue: "resp", task: "flaky", payload: null });
    const broken = await producer.enqueue({ queue: "resp", task: "broken", payload: null });
    for (const id of ids) await waitForStatus(producer, id, "COMPLETED");
    await waitForStatus(producer, flaky.id, "COMPLETED");
    await waitForStatus(producer, broken.id, "DEAD");
    const done = await producer.service.get(ids[7]);
    assert.deepEqual(done.result, { echoed: { n: 7 } });
    const retried = await producer.service.get(flaky.id);
    assert.equal(retried.attempt, 2);
    assert.equal(retried.errors.length, 1);
    assert.equal((await producer.service.get(broken.id)).attempt, 1);
    await runner.stop();

    // Refusals come back as the same typed errors as over HTTP, per job in a batch.
    const huge = { queue: "resp", task: "echo", payload: "x".repeat(300 * 1024) };
    await assert.rejects(
      producer.enqueue(huge),
      (error: { status?: number }) => error.status === 413,
    );
    const mixed = await producer.enqueueMany([huge, { queue: "held", task: "t", payload: 1 }]);
    assert.equal(("error" in mixed[0]) && (mixed[0].error as { status?: number }).status, 413);
    assert.equal("id" in mixed[1] && mixed[1].status, "PENDING");

    // Leases: a lease that expires hands the job to the next claimer; the old ack is refused.
    const leased = await producer.enqueue({ queue: "lease", task: "t", payload: { x: 1 } });
    const [first] = await workerApi.claim({
      worker: "a",
      queues: ["lease"],
      max: 1,
      wait_ms: 0,
      lease_ms: 100,
    });
    assert.equal(first.id, leased.id);
    assert.deepEqual(first.payload, { x: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [second] = await workerApi.claim({
      worker: "b",
      queues: ["lease"],
      max: 1,
      wait_ms: 0,
      lease_ms: 30_000,
    });
    assert.equal(second.id, leased.id);
    assert.equal(second.attempt, 2);
    await assert.rejects(
      workerApi.ack(first.id, { worker: "a", attempt: 1 }),
      (error: { status?: number }) => error.status === 409,
    );
    await workerApi.ack(second.id, { worker: "b", attempt: 2, result: "ok" });

    // An ack that came back is durable (sync mode every): kill -9 and restart keep it.
    await atlasd.kill("SIGKILL");
    atlasd = await startAtlasd(dir, port);
    const view = await producer.service.get(leased.id);
    assert.equal(view.status, "COMPLETED");
    assert.equal(view.result, "ok");
    assert.equal(view.lease_expiries, 1);
  } finally {
    await runner.stop();
    await workerApi.close();
    await producer.close();
    await atlasd.kill("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});
