/**
 * The queue on a 3-node Raft cluster: JOB.* commands are replicated, two workers claiming at once
 * never hold one lease, and the jobs survive losing the leader.
 */
import assert from "node:assert/strict";
import { JobService } from "../src/queue/mod.ts";
import { RespAtlasClient } from "../src/storage/resp_client.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

Deno.test({
  name: "jobs on a Raft cluster: exclusive claims from two workers, leader killed, nothing lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    const clients: RespAtlasClient[] = [];
    const service = (first: number) => {
      // Each "gateway" dials a different node first; followers forward to the leader.
      const order = [0, 1, 2].map((i) => cluster.nodes[(first + i) % 3].respPort);
      const client = new RespAtlasClient({
        nodes: order.map((port) => ({ hostname: "127.0.0.1", port })),
      });
      clients.push(client);
      return new JobService({ client });
    };
    try {
      const leader = await cluster.leader();
      const a = service((leader + 1) % 3);
      const b = service((leader + 2) % 3);
      const ids = (await a.enqueueMany(
        Array.from({ length: 60 }, (_, n) => ({ queue: "c", task: "t", payload: n })),
      )).map((out) => ("id" in out ? out.id : assert.fail(String(out.error))));

      // Two workers claim concurrently through different nodes, in rounds (both claims of a round
      // in flight at once, so each worker is sure to lease some): every job leased exactly once.
      const claimed: { id: string; attempt: number; by: JobService; worker: string }[] = [];
      const workers: [JobService, string][] = [[a, "wa"], [b, "wb"]];
      for (;;) {
        const rounds = await Promise.all(workers.map(async ([svc, worker]) => {
          const jobs = await svc.claim({ worker, queues: ["c"], max: 7, lease_ms: 60_000 });
          for (const job of jobs) {
            claimed.push({ id: job.id, attempt: job.attempt, by: svc, worker });
          }
          return jobs.length;
        }));
        if (rounds.every((n) => n === 0)) break;
      }
      assert.equal(claimed.length, 60);
      assert.equal(new Set(claimed.map((c) => c.id)).size, 60);
      assert.ok(claimed.some((c) => c.worker === "wa") && claimed.some((c) => c.worker === "wb"));

      // Lose the leader; the surviving majority elects another and the leases still hold.
      await cluster.kill(leader);
      await cluster.leader([0, 1, 2].filter((i) => i !== leader));
      for (const c of claimed) {
        const out = await c.by.ack(c.id, { worker: c.worker, attempt: c.attempt });
        assert.equal(out.status, "COMPLETED");
      }
      const [stats] = await a.queues();
      assert.deepEqual([stats.completed, stats.pending, stats.running], [60, 0, 0]);
      assert.equal((await b.get(ids[59])).status, "COMPLETED");
    } finally {
      for (const client of clients) await client.close();
      await cluster.close();
    }
  },
});
