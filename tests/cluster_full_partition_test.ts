/**
 * Partitions that cut all traffic between their sides, as a firewall rule dropping everything
 * between two hosts does: the Raft links and the connections a follower forwards writes to the
 * leader over (RESP, through the per-link proxies of RaftTestCluster's fullPartitions). Clients
 * connect to the nodes directly. A write forwarded into a black hole is answered within the
 * forwarding timeout as an unknown outcome, never left waiting; a cut-off follower never serves a
 * stale read; once healed, every node serves again and shows every acknowledged write.
 */
import assert from "node:assert/strict";
import { RespConnection, RespReplyTimeoutError } from "../src/storage/resp_connection.ts";
import { isNotAppliedError, OUTCOME_UNKNOWN } from "../src/storage/write_outcome.ts";
import { sendRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";
import { show } from "./helpers/jepsen.ts";
import type { Reply } from "../atlas/mod.ts";

/** Request timeout of the harness's nodes (election timeout 200 ms: max(2 s, 4 × 200 ms)). */
const REQUEST_TIMEOUT_MS = 2000;
/** A follower gives up on a forwarded write after twice that without a reply. */
const FORWARD_TIMEOUT_MS = 2 * REQUEST_TIMEOUT_MS;
/**
 * The longest a write may take: attempts certainly not applied (no leader) are retried within
 * the request timeout, and the last one may be forwarded into the black hole.
 */
const WRITE_BOUND_MS = REQUEST_TIMEOUT_MS + FORWARD_TIMEOUT_MS + 1000;
/** Longer than any reply may take here; a test client waiting this long found a hang. */
const CLIENT_TIMEOUT_MS = 15_000;

async function connect(cluster: RaftTestCluster, index: number): Promise<RespConnection> {
  return await RespConnection.open({
    hostname: "127.0.0.1",
    port: cluster.nodes[index].respPort,
    connectTimeoutMs: 2000,
    replyTimeoutMs: CLIENT_TIMEOUT_MS,
  });
}

/** The reply and how long it took; a reply that never came fails the test. */
async function timed(
  connection: RespConnection,
  argv: string[],
): Promise<{ reply: Reply; ms: number }> {
  const startedMs = performance.now();
  try {
    const reply = await connection.send(argv);
    return { reply, ms: performance.now() - startedMs };
  } catch (cause) {
    if (cause instanceof RespReplyTimeoutError) {
      throw new Error(`${argv.join(" ")}: no reply in ${CLIENT_TIMEOUT_MS} ms (a hang)`);
    }
    throw cause;
  }
}

Deno.test({
  name:
    "raft cluster (3 nodes): a write forwarded over a black-holed link to the leader is answered as an unknown outcome within the forwarding timeout",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3, fullPartitions: true });
    try {
      const leader = await cluster.leader();
      const follower = (leader + 1) % 3;
      const client = await connect(cluster, follower);
      try {
        assert.deepEqual(await sendRetrying(client, ["SET", "k", "1"]), {
          kind: "simple",
          value: "OK",
        });

        // Only the follower's forwarding link to the leader goes silent: Raft still flows, so
        // the follower keeps its leader and forwards into the black hole.
        cluster.respProxies[follower][leader]!.stall();
        const write = await timed(client, ["SET", "k", "2"]);
        assert.equal(write.reply.kind, "error", `answered ${show(write.reply)}`);
        assert.ok(
          String(write.reply.value).includes(OUTCOME_UNKNOWN),
          `not an unknown outcome: ${show(write.reply)}`,
        );
        assert.ok(
          write.ms >= FORWARD_TIMEOUT_MS - 100 && write.ms < FORWARD_TIMEOUT_MS + 3000,
          `answered after ${Math.round(write.ms)} ms`,
        );
        // Reads go through Raft (a ReadIndex round), which still flows.
        const read = await timed(client, ["GET", "k"]);
        assert.equal(read.reply.kind, "bulk", `read answered ${show(read.reply)}`);

        // Cut loudly (connections reset, new ones refused): answered at once.
        cluster.respProxies[follower][leader]!.block();
        const refused = await timed(client, ["SET", "k", "3"]);
        assert.equal(refused.reply.kind, "error", `answered ${show(refused.reply)}`);
        assert.ok(refused.ms < REQUEST_TIMEOUT_MS + 1000, `answered after ${refused.ms} ms`);

        cluster.heal();
        assert.deepEqual(await sendRetrying(client, ["SET", "k", "4"]), {
          kind: "simple",
          value: "OK",
        });
        assert.deepEqual(await sendRetrying(client, ["GET", "k"]), { kind: "bulk", value: "4" });
      } finally {
        client.close();
      }
    } finally {
      await cluster.close();
    }
  },
});

for (const silent of [true, false]) {
  Deno.test({
    name: `raft cluster (5 nodes): across a ${
      silent ? "silent " : ""
    }full partition, cut-off followers answer errors, never a stale read; healed, they serve every acknowledged write`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const cluster = await RaftTestCluster.start({ size: 5, fullPartitions: true });
      try {
        const leader = await cluster.leader();
        const minority = [(leader + 1) % 5, (leader + 2) % 5];
        const majority = [0, 1, 2, 3, 4].filter((i) => !minority.includes(i));
        const clients = await Promise.all(minority.map((i) => connect(cluster, i)));
        try {
          for (const client of clients) {
            assert.deepEqual(await sendRetrying(client, ["SET", "x", "1"]), {
              kind: "simple",
              value: "OK",
            });
          }

          // Writes through the minority in flight as the partition starts: whatever they are
          // answered, it comes within bounds.
          const inFlight = clients.map((client, j) => timed(client, ["SET", `y${j}`, "1"]));
          if (silent) cluster.partitionSilently(minority, majority);
          else cluster.partition(minority, majority);
          for (const { ms } of await Promise.all(inFlight)) {
            assert.ok(ms < WRITE_BOUND_MS, `answered after ${ms} ms`);
          }

          // The majority moves on.
          const newLeader = await cluster.leader(majority);
          const majorityClient = await connect(cluster, newLeader);
          try {
            assert.deepEqual(await sendRetrying(majorityClient, ["SET", "x", "2"]), {
              kind: "simple",
              value: "OK",
            });
          } finally {
            majorityClient.close();
          }

          // The minority never reads x = 1 (stale) and commits nothing; each reply is bounded.
          // Writes it answers as certainly not applied must never surface; those of unknown
          // outcome may (a black hole may deliver their bytes once healed, as TCP would).
          const untilMs = performance.now() + 3000;
          const notApplied: string[] = [];
          for (let n = 0; performance.now() < untilMs; n++) {
            for (const [j, client] of clients.entries()) {
              const read = await timed(client, ["GET", "x"]);
              assert.equal(read.reply.kind, "error", `minority read answered ${show(read.reply)}`);
              assert.ok(read.ms < REQUEST_TIMEOUT_MS + 1000, `read answered after ${read.ms} ms`);
              const key = `z${j}:${n}`;
              const write = await timed(client, ["SET", key, "1"]);
              assert.equal(
                write.reply.kind,
                "error",
                `minority write answered ${show(write.reply)}`,
              );
              assert.ok(write.ms < WRITE_BOUND_MS, `write answered after ${write.ms} ms`);
              if (isNotAppliedError(String(write.reply.value))) notApplied.push(key);
            }
          }

          // Healed: the same connections serve again, with the majority's write.
          cluster.heal();
          for (const client of clients) {
            assert.deepEqual(await sendRetrying(client, ["GET", "x"]), {
              kind: "bulk",
              value: "2",
            });
            assert.deepEqual(await sendRetrying(client, ["SET", "after", "1"]), {
              kind: "simple",
              value: "OK",
            });
          }
          if (notApplied.length > 0) {
            assert.deepEqual(await sendRetrying(clients[0], ["EXISTS", ...notApplied]), {
              kind: "integer",
              value: 0,
            }, "a write answered as not applied surfaced");
          }
        } finally {
          for (const client of clients) client.close();
        }
      } finally {
        await cluster.close();
      }
    },
  });
}
