import assert from "node:assert/strict";
import { ClusterWriters, missingWrites, sendRetrying } from "./helpers/cluster_writers.ts";
import { freePort } from "./helpers/fault_proxy.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";
import { HeliosProcess } from "./helpers/helios_process.ts";

async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name:
    "raft cluster: a node down for longer than snapshot_threshold catches up through a snapshot",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: 3,
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "50" },
    });
    try {
      const leader = await cluster.leader();
      const lagging = (leader + 1) % 3;
      await cluster.stop(lagging);
      const connection = await cluster.connect(leader);
      const acked = new Map<string, string>();
      for (let n = 0; n < 400; n++) {
        const reply = await sendRetrying(connection, ["SET", `k${n}`, `v${n}`]);
        assert.deepEqual(reply, { kind: "simple", value: "OK" });
        acked.set(`k${n}`, `v${n}`);
      }
      connection.close();
      // Snapshots are serialized in the background: wait for the leader's to land.
      await until(
        async () => ((await cluster.status(leader))?.snapshot_index ?? 0) > 0,
        "the leader compacts its log",
      );
      const leaderStatus = (await cluster.status(leader))!;
      await cluster.startNode(lagging);
      await until(
        async () =>
          ((await cluster.status(lagging))?.applied_index ?? 0) >= leaderStatus.commit_index,
        "the lagging node catches up",
      );
      assert.ok((await cluster.status(lagging))!.snapshot_index > 0, "it installed a snapshot");
      const c = await cluster.connect(lagging);
      try {
        assert.deepEqual(await missingWrites(c, acked), []);
      } finally {
        c.close();
      }
    } finally {
      await cluster.close();
    }
  },
});

Deno.test({
  name: "raft cluster: add a 4th node online, then remove a node, under write load",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    const newRaftPort = freePort();
    const newDir = `${cluster.root}/node-4`;
    let joiner: HeliosProcess | null = null;
    const writers = new ClusterWriters(cluster, 4);
    try {
      const leader = await cluster.leader();
      await writers.waitForAcks(100);
      const peers = cluster.nodes.map((n) => `${n.id}=127.0.0.1:${n.raftPort}`).join(",");
      joiner = HeliosProcess.start([
        "atlasd",
        "--data-dir",
        newDir,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--raft",
        "--raft-join",
        "--raft-node-id",
        "node-4",
        "--raft-addr",
        `127.0.0.1:${newRaftPort}`,
        "--raft-peers",
        peers,
      ], { HELIOS_ATLAS__RAFT__SECRET: "test-cluster-secret" });
      const joinerResp = Number((await joiner.address("resp")).split(":").pop());
      const joinerMetrics = await joiner.address("metrics");

      const cli = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../main.ts", import.meta.url).pathname,
          "cluster",
          "add-peer",
          "node-4",
          `127.0.0.1:${newRaftPort}`,
          "--atlas",
          `127.0.0.1:${cluster.nodes[(leader + 1) % 3].respPort}`,
        ],
        stdout: "piped",
        stderr: "piped",
      });
      const added = await cli.output();
      assert.equal(added.code, 0, new TextDecoder().decode(added.stderr));
      await until(async () => {
        const s = await (await fetch(`http://${joinerMetrics}/raft/status`)).json();
        return s.voters.includes("node-4") &&
          s.applied_index >= (await cluster.status(leader))!.commit_index - 5;
      }, "node-4 joins and catches up");
      await writers.waitForAcks(writers.acked.size + 100);

      // Remove a follower that is not the leader, still under load.
      const removed = (leader + 2) % 3;
      const leaderConnection = await cluster.connect(leader);
      const reply = await leaderConnection.send([
        "HELIOS.CLUSTER",
        "REMOVE-PEER",
        cluster.nodes[removed].id,
      ]);
      assert.deepEqual(reply, { kind: "simple", value: "OK" });
      await cluster.stop(removed);
      await writers.waitForAcks(writers.acked.size + 100);
      const status = (await cluster.status(leader))!;
      assert.deepEqual(
        status.voters.sort(),
        [cluster.nodes[leader].id, cluster.nodes[(leader + 1) % 3].id, "node-4"].sort(),
      );
      await writers.stop();
      assert.deepEqual(await missingWrites(leaderConnection, writers.acked), []);
      leaderConnection.close();
      const fourth = await (await import("../src/storage/resp_connection.ts")).RespConnection.open({
        hostname: "127.0.0.1",
        port: joinerResp,
        connectTimeoutMs: 2000,
      });
      try {
        assert.deepEqual(await missingWrites(fourth, writers.acked), []);
      } finally {
        fourth.close();
      }
    } finally {
      await writers.stop();
      await joiner?.stop("SIGKILL");
      await cluster.close();
    }
  },
});
