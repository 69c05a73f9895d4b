import assert from "node:assert/strict";
import { missingWrites, sendRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

for (const silent of [false, true]) {
  partitionTest(silent);
}

/**
 * `silent`: the partition black-holes the links (connections stay open, nothing gets through)
 * instead of closing them, so the nodes notice only by timeouts, and must reconnect on healing.
 */
function partitionTest(silent: boolean) {
  Deno.test({
    name: `raft cluster (5 nodes): a ${
      silent ? "silently " : ""
    }partitioned minority with the old leader commits nothing; healing converges`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const cluster = await RaftTestCluster.start({ size: 5 });
      try {
        const oldLeader = await cluster.leader();
        const minority = [oldLeader, (oldLeader + 1) % 5];
        const majority = [0, 1, 2, 3, 4].filter((i) => !minority.includes(i));
        const first = await cluster.connect(oldLeader);
        assert.deepEqual(await sendRetrying(first, ["SET", "before", "1"]), {
          kind: "simple",
          value: "OK",
        });
        first.close();

        if (silent) cluster.partitionSilently(minority, majority);
        else cluster.partition(minority, majority);
        await new Promise((resolve) => setTimeout(resolve, 300)); // in-flight appends settle
        const minorityCommits = await Promise.all(
          minority.map(async (i) => (await cluster.status(i))!.commit_index),
        );

        // Writes sent to the minority are never acknowledged.
        const acked = new Map<string, string>();
        await Promise.all(minority.map(async (i) => {
          const connection = await cluster.connect(i);
          try {
            for (let n = 0; n < 1; n++) {
              const reply = await connection.send(["SET", `minority:${i}:${n}`, "x"]);
              assert.equal(reply.kind, "error", `node ${i} acknowledged a write without a quorum`);
            }
          } finally {
            connection.close();
          }
        }));

        // The majority elects a leader of its own and keeps committing.
        const newLeader = await cluster.leader(majority);
        const connection = await cluster.connect(newLeader);
        for (let n = 0; n < 50; n++) {
          const reply = await sendRetrying(connection, ["SET", `majority:${n}`, String(n)]);
          assert.deepEqual(reply, { kind: "simple", value: "OK" });
          acked.set(`majority:${n}`, String(n));
        }
        connection.close();
        for (const [j, i] of minority.entries()) {
          assert.equal(
            (await cluster.status(i))!.commit_index,
            minorityCommits[j],
            "minority committed nothing",
          );
        }

        cluster.heal();
        const target = (await cluster.status(newLeader))!.commit_index;
        const deadline = Date.now() + 15_000;
        for (const i of minority) {
          while (((await cluster.status(i))?.applied_index ?? 0) < target) {
            if (Date.now() > deadline) throw new Error(`node ${i} did not converge`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          const c = await cluster.connect(i);
          try {
            assert.deepEqual(await missingWrites(c, acked), []);
            const lost = await c.send(["EXISTS", "minority:" + minority[0] + ":0"]);
            assert.deepEqual(
              lost,
              { kind: "integer", value: 0 },
              "an unacknowledged minority write surfaced",
            );
          } finally {
            c.close();
          }
        }
      } finally {
        await cluster.close();
      }
    },
  });
}
