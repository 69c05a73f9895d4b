/**
 * Membership changes under faults, against real processes: a change sent to a leader that loses
 * its quorum while the change is in flight is answered (TRYAGAIN: it may or may not have been
 * applied) instead of never; and a Jepsen-style run whose nemesis removes followers, the leader,
 * partitioned and paused nodes and adds them back (wiped half of the time, so they rejoin from a
 * snapshot) stays linearizable (tests/helpers/jepsen.ts, the `membership` and `pause` faults).
 *
 * HELIOS_JEPSEN_SECONDS sets the fault phase of the run (default 15); HELIOS_JEPSEN_SEED replays
 * its choices; HELIOS_JEPSEN_PARTITIONS=full makes partitions cut the forwarding connections too.
 */
import assert from "node:assert/strict";
import type { HistoryOp } from "../raft/testing/linearizability.ts";
import { RespConnection } from "../src/storage/resp_connection.ts";
import {
  extraFaults,
  faultSeconds,
  fullPartitions,
  jepsenSeed,
  runUnderFaults,
} from "./helpers/jepsen.ts";
import { assertLinearizableHistory, kvClient } from "./helpers/jepsen_kv.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const FAULT_SECONDS = faultSeconds(15);

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name: "raft cluster: REMOVE-PEER on a leader that loses its quorum mid-change gets an answer",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // The leader removes itself, but the others' acknowledgements never reach it (a one-way
    // partition; a paused leader sees the same): it steps down without applying the change,
    // the others elect a leader that commits it, and nobody sends the removed node anything
    // again. Its REMOVE-PEER waited for its own apply: no reply, ever.
    const cluster = await RaftTestCluster.start({ size: 3 });
    let connection: RespConnection | null = null;
    try {
      const leader = await cluster.leader();
      const id = cluster.nodes[leader].id;
      const others = cluster.nodes.map((n) => n.index).filter((i) => i !== leader);
      // Connected before the partition: the change must reach the leader while it still leads
      // (on a loaded machine a connect after the block could come once it stepped down).
      connection = await RespConnection.open({
        hostname: "127.0.0.1",
        port: cluster.nodes[leader].respPort,
        connectTimeoutMs: 2000,
        // Far beyond the request timeout (2 s here): only a command that never returns hits it.
        replyTimeoutMs: 30_000,
      });
      for (const from of others) cluster.proxies[from][leader]!.block();
      const reply = await connection.send(["HELIOS.CLUSTER", "REMOVE-PEER", id]).catch((e) => e);
      assert.equal(reply.kind, "error", `REMOVE-PEER: ${reply.kind ?? reply}`);
      assert.match(reply.value, /^TRYAGAIN .*may or may not have been applied/);
      // It was applied: the others went on without the old leader.
      const next = await cluster.leader(others);
      await until(
        async () => !(await cluster.status(next))?.voters.includes(id),
        "the new leader commits the removal",
      );
    } finally {
      connection?.close();
      await cluster.close();
    }
  },
});

Deno.test({
  name:
    "raft cluster (5 nodes): linearizable while members are removed, paused and added back under load",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: 5,
      fullPartitions: fullPartitions(false),
      // Small snapshots often: a node added back with its directory wiped gets one.
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "200" },
    });
    const history: HistoryOp[] = [];
    const seed = jepsenSeed();
    try {
      const faults = await runUnderFaults(cluster, {
        seconds: FAULT_SECONDS,
        seed,
        nemesis: { extra: extraFaults(["membership", "pause"]), extraShare: 1 },
        clients: (stopped) =>
          Array.from({ length: 6 }, (_, i) => kvClient(seed + i, i, cluster, history, stopped)),
        quietClients: (stopped) =>
          Array.from(
            { length: 3 },
            (_, i) => kvClient(seed + 100 + i, 100 + i, cluster, history, stopped),
          ),
      });
      const summary = assertLinearizableHistory(history, seed, faults);
      // Every member is back, and a voter.
      const leader = await cluster.leader();
      assert.deepEqual(
        (await cluster.status(leader))!.voters.sort(),
        cluster.nodes.map((n) => n.id).sort(),
        summary,
      );
    } finally {
      await cluster.close();
    }
  },
});
