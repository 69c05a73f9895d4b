/**
 * A bounded Jepsen-style run against a real 5-node cluster: concurrent clients do GET, SET, INCR
 * and compare-and-set on a few keys while a nemesis rotates partitions, kill -9 and restarts; the
 * recorded history must be linearizable (raft/testing's checker). An acknowledged write that was
 * lost would make a later read impossible to linearize, so this also checks durability. The
 * partitions are full ones: they cut the followers' forwarding connections to the leader too, so
 * a client of a cut-off follower gets errors or unknown outcomes, never a stale read.
 *
 * HELIOS_JEPSEN_SECONDS sets the length of the fault phase (default 20); HELIOS_JEPSEN_SEED replays
 * the run's random choices; HELIOS_JEPSEN_PARTITIONS=raft cuts only the Raft links;
 * HELIOS_JEPSEN_NODES=3 runs it on 3 nodes (the nemesis and clients live in
 * tests/helpers/jepsen.ts).
 */
import type { HistoryOp } from "../raft/testing/linearizability.ts";
import { assertLinearizableHistory, kvClient } from "./helpers/jepsen_kv.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";
import {
  clusterSize,
  extraFaults,
  faultSeconds,
  fullPartitions,
  jepsenSeed,
  runUnderFaults,
} from "./helpers/jepsen.ts";

const CLIENTS = 8;
const FAULT_SECONDS = faultSeconds(20);
const NODES = clusterSize(5);

Deno.test({
  name:
    `raft cluster (${NODES} nodes): a Jepsen-style run under partitions, kill -9 and restarts is linearizable`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: NODES,
      fullPartitions: fullPartitions(true),
    });
    const history: HistoryOp[] = [];
    const seed = jepsenSeed();
    try {
      const faults = await runUnderFaults(cluster, {
        seconds: FAULT_SECONDS,
        seed,
        nemesis: { extra: extraFaults(["pause"]) },
        clients: (stopped) =>
          Array.from(
            { length: CLIENTS },
            (_, i) => kvClient(seed + i, i, cluster, history, stopped),
          ),
        // A quiet phase after healing: the cluster must serve again.
        quietClients: (stopped) =>
          Array.from(
            { length: 4 },
            (_, i) => kvClient(seed + 100 + i, 100 + i, cluster, history, stopped),
          ),
      });

      assertLinearizableHistory(history, seed, faults);
    } finally {
      await cluster.close();
    }
  },
});
