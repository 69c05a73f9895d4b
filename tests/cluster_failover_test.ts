import assert from "node:assert/strict";
import { ClusterWriters, missingWrites } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

Deno.test({
  name:
    "raft cluster (3 nodes): kill -9 the leader under write load; no acknowledged write is lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    let writers: ClusterWriters | null = null;
    try {
      const oldLeader = await cluster.leader();
      writers = new ClusterWriters(cluster, 6);
      await writers.waitForAcks(300);
      await cluster.kill(oldLeader);
      const survivors = cluster.nodes.map((n) => n.index).filter((i) => i !== oldLeader);
      const newLeader = await cluster.leader(survivors);
      assert.notEqual(newLeader, oldLeader);
      const beforeRestart = writers.acked.size;
      await writers.waitForAcks(beforeRestart + 300); // writes resume under the new leader
      await cluster.startNode(oldLeader);
      await writers.waitForAcks(writers.acked.size + 100);
      await writers.stop();

      const connection = await cluster.connect(newLeader);
      try {
        assert.deepEqual(await missingWrites(connection, writers.acked), []);
      } finally {
        connection.close();
      }
      // The old leader restarts from its own disk and catches up with the cluster.
      const leaderStatus = (await cluster.status(newLeader))!;
      const deadline = Date.now() + 15_000;
      let caughtUp = false;
      while (!caughtUp && Date.now() < deadline) {
        const status = await cluster.status(oldLeader);
        caughtUp = (status?.applied_index ?? 0) >= leaderStatus.commit_index;
        if (!caughtUp) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(caughtUp, "the restarted old leader caught up");
      const old = await cluster.connect(oldLeader);
      try {
        assert.deepEqual(await missingWrites(old, writers.acked), []);
      } finally {
        old.close();
      }
    } finally {
      await writers?.stop();
      await cluster.close();
    }
  },
});
