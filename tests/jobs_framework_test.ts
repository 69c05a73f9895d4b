/**
 * The framework path: an application from createHelios on its embedded engine enqueues with
 * helios.jobs and runs its handlers in the embedded worker (no HTTP). Retries and results work as
 * over HTTP, and what was acked (sync mode every) is there after the application restarts on the
 * same data directory: the AOF holds the primitives the JOB.* commands ran, so it replays before
 * the module is registered.
 */
import assert from "node:assert/strict";
import { createHelios, type Helios } from "../src/mod.ts";
import { Logger } from "../src/observability/logger.ts";
import type { JobStatus } from "../src/queue/mod.ts";

function open(dataDir: string): Promise<Helios> {
  return createHelios({
    dataDir,
    config: {
      atlas: { aof_fsync: "every" },
      worker: { queues: ["app"], concurrency: 4, backoff: "none" },
      observability: { log_level: "error" },
    },
    env: { get: () => undefined },
    logger: new Logger("app", { level: "error" }),
  });
}

async function waitForStatus(helios: Helios, id: string, status: JobStatus): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await helios.jobs.service.get(id)).status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Job ${id} never reached ${status}`);
}

Deno.test("framework path: helios.jobs enqueues and handles in-process; acked jobs survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-jobs-app-" });
  let helios = await open(dir);
  let runs = 0;
  helios.jobs
    .handle("double", (job) => (job.payload as { n: number }).n * 2)
    .handle("flaky", () => {
      if (++runs === 1) throw new Error("first attempt fails");
      return "ok";
    });
  // listen() starts the embedded worker (port 0: any free port).
  helios.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const outs = await helios.jobs.service.enqueueMany(
      Array.from({ length: 20 }, (_, n) => ({ queue: "app", task: "double", payload: { n } })),
    );
    const ids = outs.map((out) => ("id" in out ? out.id : assert.fail(String(out.error))));
    const flaky = await helios.jobs.enqueue({ queue: "app", task: "flaky", payload: null });
    for (const id of ids) await waitForStatus(helios, id, "COMPLETED");
    await waitForStatus(helios, flaky.id, "COMPLETED");
    assert.equal((await helios.jobs.service.get(ids[5])).result, 10);
    const retried = await helios.jobs.service.get(flaky.id);
    assert.equal(retried.attempt, 2);
    assert.equal(retried.errors.length, 1);
  } finally {
    await helios.close();
  }

  helios = await open(dir);
  try {
    const after = await helios.jobs.service.list({ queue: "app", status: "COMPLETED" });
    assert.equal(after.jobs.length, 21);
    const [flakyAfter] = after.jobs.filter((job) => job.task === "flaky");
    assert.equal(flakyAfter.attempt, 2);
  } finally {
    await helios.close();
    await Deno.remove(dir, { recursive: true });
  }
});
