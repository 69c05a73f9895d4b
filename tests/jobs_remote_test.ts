/**
 * The queue against a separate `helios atlasd` process over RESP (the remote-gateway setup):
 * JOB.* commands, batch enqueue/ack as MULTI/EXEC transactions, and the jobs surviving an atlasd
 * kill -9 under --sync-mode every.
 */
import assert from "node:assert/strict";
import { JobService } from "../src/queue/mod.ts";
import { RespAtlasClient } from "../src/storage/resp_client.ts";
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

Deno.test("jobs over RESP to helios atlasd: batches, claims, acks, and a kill -9 loses nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-jobs-remote-" });
  const port = freePort();
  let atlasd = await startAtlasd(dir, port);
  const client = new RespAtlasClient({ nodes: [{ hostname: "127.0.0.1", port }] });
  const jobs = new JobService({ client });
  try {
    const enqueued = await jobs.enqueueMany(
      Array.from(
        { length: 50 },
        (_, n) => ({ queue: "remote", task: "t", payload: { n, s: "ü" } }),
      ),
    );
    assert.ok(enqueued.every((out) => "id" in out && out.status === "PENDING"));
    const claimed = await jobs.claim({
      worker: "w1",
      queues: ["remote"],
      max: 20,
      lease_ms: 60_000,
    });
    assert.equal(claimed.length, 20);
    assert.deepEqual(JSON.parse(claimed[0].payload), { n: 0, s: "ü" });
    const acked = await jobs.ackMany("w1", claimed.map((j) => ({ id: j.id, attempt: j.attempt })));
    assert.ok(acked.every((out) => "status" in out && out.status === "COMPLETED"));
    const [failing] = await jobs.claim({ worker: "w1", queues: ["remote"] });
    await jobs.nack(failing.id, { worker: "w1", attempt: 1, error: "boom", fatal: true });

    await atlasd.kill("SIGKILL");
    atlasd = await startAtlasd(dir, port);
    const [stats] = await jobs.queues();
    assert.deepEqual(
      [stats.queue, stats.completed, stats.dead, stats.pending, stats.running],
      ["remote", 20, 1, 29, 0],
    );
    const dead = await jobs.dead("remote");
    assert.equal(dead.jobs[0].errors[0].error, "boom");
  } finally {
    jobs.close();
    await client.close();
    await atlasd.kill("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
