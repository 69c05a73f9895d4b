/**
 * BullMQ (npm `bullmq`, the client the jobs benchmark runs against redis-server) against a real
 * `helios atlasd`: its Lua scripts need Redis's scripting environment (cmsgpack.unpack of the job
 * options, the commands they call) and its worker blocks on BZPOPMIN. One queue gets jobs through
 * queue.add and queue.addBulk, a retried job (attempts: 2, fixed backoff) that fails once, a job
 * that fails both attempts and a delayed job; a Worker runs them all, and every job ends
 * completed or failed with the return value, attemptsMade and getJobCounts() Redis would give.
 */
import assert from "node:assert/strict";
import { type Job, Queue, Worker } from "bullmq";
import { type Proc, startAtlasd } from "../atlas/testing/atlasd_harness.ts";

const DEADLINE_MS = 20_000;

interface Data {
  n: number;
}

/** Resolves when check() is true (polled), rejects past the deadline. */
async function until(what: string, deadline: number, check: () => Promise<boolean>) {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test({
  name: "BullMQ runs add, addBulk, retries with backoff, failures and delayed jobs on atlasd",
  // ioredis keeps timers and sockets whose close completes after close() resolves.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const deadline = Date.now() + DEADLINE_MS;
    let atlasd: Proc | null = null;
    let queue: Queue | null = null;
    let worker: Worker | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hardTimeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("BullMQ test: hard timeout")), DEADLINE_MS + 5000);
    });
    const body = async () => {
      atlasd = await startAtlasd(["--sync-mode", "none"]);
      const connection = { host: "127.0.0.1", port: atlasd.port, maxRetriesPerRequest: null };
      queue = new Queue<Data>("bullmq-test", { connection });
      const flakyTries = new Map<string, number>();
      worker = new Worker<Data>(
        "bullmq-test",
        (job: Job<Data>) => {
          if (job.name === "bad") return Promise.reject(new Error(`boom ${job.data.n}`));
          if (job.name === "flaky") {
            const tries = (flakyTries.get(job.id!) ?? 0) + 1;
            flakyTries.set(job.id!, tries);
            if (tries === 1) return Promise.reject(new Error("first try fails"));
          }
          return Promise.resolve({ doubled: job.data.n * 2, name: job.name });
        },
        { connection, concurrency: 4, autorun: true },
      );
      await worker.waitUntilReady();

      const retry = { attempts: 2, backoff: { type: "fixed", delay: 100 } };
      const started = Date.now();
      const single = await queue.add("ok", { n: 1 });
      const bulk = await queue.addBulk([
        { name: "ok", data: { n: 2 } },
        { name: "ok", data: { n: 3 }, opts: { priority: 2 } },
      ]);
      const flaky = await queue.add("flaky", { n: 4 }, retry);
      const bad = await queue.add("bad", { n: 5 }, retry);
      const later = await queue.add("later", { n: 6 }, { delay: 300 });
      assert.equal(bulk.length, 2);
      const ids = [single, ...bulk, flaky, bad, later].map((j) => j.id!);
      assert.equal(new Set(ids).size, 6, `distinct job ids: ${ids}`);

      await until("all jobs to finish", deadline, async () => {
        const counts = await queue!.getJobCounts("completed", "failed");
        return counts.completed + counts.failed === 6;
      });

      const counts = await queue.getJobCounts(
        "waiting",
        "active",
        "delayed",
        "prioritized",
        "completed",
        "failed",
      );
      assert.deepEqual(counts, {
        waiting: 0,
        active: 0,
        delayed: 0,
        prioritized: 0,
        completed: 5,
        failed: 1,
      });

      const get = async (id: string) => {
        const job = await queue!.getJob(id);
        assert.ok(job, `job ${id} exists`);
        return job;
      };
      for (const [job, n] of [[single, 1], [bulk[0], 2], [bulk[1], 3], [flaky, 4], [later, 6]]) {
        const { id, name } = job as Job<Data>;
        const stored = await get(id!);
        assert.equal(await stored.getState(), "completed", `job ${name} ${n}`);
        assert.deepEqual(stored.returnvalue, { doubled: (n as number) * 2, name });
        assert.deepEqual(stored.data, { n });
        assert.equal(stored.attemptsMade, name === "flaky" ? 2 : 1, `attemptsMade of ${name}`);
        assert.ok(stored.finishedOn! >= stored.processedOn!);
      }
      const storedBad = await get(bad.id!);
      assert.equal(await storedBad.getState(), "failed");
      assert.equal(storedBad.attemptsMade, 2);
      assert.equal(storedBad.failedReason, "boom 5");
      assert.equal(storedBad.returnvalue, null);
      const storedLater = await get(later.id!);
      assert.ok(
        storedLater.processedOn! - started >= 300,
        `the delayed job ran ${storedLater.processedOn! - started} ms after the adds`,
      );
      assert.equal(flakyTries.get(flaky.id!), 2);
      assert.deepEqual(await queue.getCompletedCount(), 5);
    };
    try {
      await Promise.race([body(), hardTimeout]);
    } finally {
      clearTimeout(timer);
      const w = worker as Worker | null;
      const q = queue as Queue | null;
      const a = atlasd as Proc | null;
      await w?.close().catch(() => {});
      await q?.close().catch(() => {});
      await a?.stop();
    }
  },
});
