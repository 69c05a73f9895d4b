/**
 * Forwarding between ClusterNodes that stand for separate hosts (127.0.0.2 and 127.0.0.3, each
 * with its Raft and RESP listeners on its own address), in one process.
 */
import assert from "node:assert/strict";
import { type AtlasServer, startAtlasServer, Store } from "../../atlas/mod.ts";
import { freePort, RawClient } from "../../atlas/testing/atlasd_harness.ts";
import { silentLogger } from "../observability/logger.ts";
import { ClusterNode } from "./cluster_node.ts";
import { registerClusterCommands } from "./commands.ts";

const HOSTS = ["127.0.0.2", "127.0.0.3"];

/** What every node of these tests shares: a new cluster, fast timers, no password, no logs. */
const SMALL_CLUSTER = {
  join: false,
  secret: "s",
  heartbeatMs: 20,
  electionMs: 200,
  snapshotThreshold: 10_000,
  readConsistency: "linearizable",
  password: "",
  logger: silentLogger,
} as const;

/** Linux routes all of 127.0.0.0/8 to loopback; elsewhere (macOS) only 127.0.0.1 may exist. */
function hostsAvailable(): boolean {
  try {
    for (const hostname of HOSTS) Deno.listen({ hostname, port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "cluster: a leader listening on all interfaces (--listen :PORT) gets forwarded writes at the host its Raft link reaches",
  ignore: !hostsAvailable(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "helios-cluster-node-" });
    const raftPorts = HOSTS.map(() => freePort());
    const members: ClusterNode[] = [];
    const servers: AtlasServer[] = [];
    try {
      for (const [i, hostname] of HOSTS.entries()) {
        const store = new Store();
        registerClusterCommands(store);
        const { cluster } = await ClusterNode.start({
          nodeId: `node-${i + 1}`,
          raftListen: { hostname, port: raftPorts[i] },
          peers: HOSTS.flatMap((other, j) =>
            j === i ? [] : [{ id: `node-${j + 1}`, addr: `${other}:${raftPorts[j]}` }]
          ),
          dataDir: `${root}/node-${i + 1}`,
          ...SMALL_CLUSTER,
          store,
        });
        members.push(cluster);
        const server = startAtlasServer({ executor: cluster.executor, store, hostname, port: 0 });
        servers.push(server);
        // What atlasd announces for `--listen :PORT` on a host of its own: the bound address,
        // 0.0.0.0. (127.0.0.1 on the other "host" is not this node.)
        cluster.setRespAddress(`0.0.0.0:${server.addr.port}`);
      }
      const deadline = Date.now() + 10_000;
      while (!members.some((m) => m.node.isLeader)) {
        if (Date.now() > deadline) throw new Error("no leader");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const follower = members.find((m) => !m.node.isLeader)!;
      // Wait for the leader's announcement to reach the follower.
      while (follower.machine.respAddresses.size === 0) {
        if (Date.now() > deadline) throw new Error("no announcement");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(await follower.executor.execute(["SET", "k", "v"]), {
        kind: "simple",
        value: "OK",
      });
      assert.deepEqual(await follower.executor.execute(["GET", "k"]), {
        kind: "bulk",
        value: "v",
      });
    } finally {
      for (const server of servers) await server.close();
      for (const member of members) await member.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("cluster: near the heap limit a client's memory-growing write is refused before it is proposed", async () => {
  const root = await Deno.makeTempDir({ prefix: "helios-cluster-heap-" });
  let heapFull = false;
  const store = new Store();
  registerClusterCommands(store);
  const { cluster } = await ClusterNode.start({
    nodeId: "node-1",
    raftListen: { hostname: "127.0.0.1", port: freePort() },
    peers: [],
    dataDir: `${root}/node-1`,
    ...SMALL_CLUSTER,
    store,
    heapFull: () => heapFull,
  });
  try {
    const deadline = Date.now() + 10_000;
    while (!cluster.node.isLeader) {
      if (Date.now() > deadline) throw new Error("no leader");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ok = { kind: "simple", value: "OK" };
    assert.deepEqual(await cluster.executor.execute(["SET", "a", "1"]), ok);
    heapFull = true;
    const committed = cluster.status().commitIndex;
    assert.deepEqual(await cluster.executor.execute(["SET", "b", "1"]), {
      kind: "error",
      value: "OOM command not allowed when used memory > 'maxmemory'.",
    });
    assert.equal(cluster.status().commitIndex, committed, "nothing proposed");
    assert.deepEqual(await cluster.executor.execute(["GET", "a"]), { kind: "bulk", value: "1" });
    assert.deepEqual(await cluster.executor.execute(["DEL", "a"]), { kind: "integer", value: 1 });
    heapFull = false;
    assert.deepEqual(await cluster.executor.execute(["SET", "b", "1"]), ok);

    // Through RESP: MULTI queues no such write, and a block queued before is refused whole.
    const server = startAtlasServer({
      executor: cluster.executor,
      store,
      hostname: "127.0.0.1",
      port: 0,
    });
    const client = await RawClient.connect(server.addr.port);
    const before = cluster.status().commitIndex;
    try {
      assert.deepEqual(await client.call(["MULTI"], ["SET", "c", "1"]), [
        { t: "simple", v: "OK" },
        { t: "simple", v: "QUEUED" },
      ]);
      heapFull = true;
      assert.deepEqual(await client.call(["EXEC"]), [{
        t: "error",
        v: "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
      }]);
      assert.deepEqual(await client.call(["MULTI"], ["SET", "c", "1"], ["EXEC"]), [
        { t: "simple", v: "OK" },
        { t: "error", v: "OOM command not allowed when used memory > 'maxmemory'." },
        { t: "error", v: "EXECABORT Transaction discarded because of previous errors." },
      ]);
      assert.equal(cluster.status().commitIndex, before, "no block proposed");
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    await cluster.stop();
    await Deno.remove(root, { recursive: true });
  }
});
