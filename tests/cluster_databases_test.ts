/**
 * Numbered databases (SELECT) on a real 3-node cluster, as a standalone node serves them: an
 * application that keeps its queue in database 0 and its results in database 1 (Celery's
 * defaults, RQ, Sidekiq's `redis://host/3`) grows into a cluster without changing its URLs.
 * Before, a cluster served database 0 alone (`SELECT 1`: "DB index is out of range").
 *
 * Clients on the leader and on a follower (whose writes are forwarded): writes land in their
 * client's database on every node; a MULTI block with SELECT inside runs each command where the
 * block's SELECTs put it; WATCH is per database; a BLPOP waiting on a follower is woken by a push
 * to its database only; a script's writes go to its client's database; a follower that was down
 * while the leader compacted its log catches up from a snapshot holding every database.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue } from "../atlas/testing/atlasd_harness.ts";
import { oneRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const bulk = (v: string): RespValue => ({ t: "bulk", v });
const OK: RespValue = { t: "simple", v: "OK" };
const NIL: RespValue = { t: "nil" };

/** GET key in database db, through a fresh connection to node i (its own SELECT). */
async function getIn(cluster: RaftTestCluster, i: number, db: number, key: string) {
  const client = await RawClient.connect(cluster.nodes[i].respPort);
  try {
    assert.deepEqual(await client.one("SELECT", String(db)), OK);
    // A read waits for a ReadIndex round, which a loaded machine may not finish in time.
    return await oneRetrying(client, "GET", key);
  } finally {
    await client.close();
  }
}

Deno.test("raft cluster: every database of a standalone node, through the leader and a follower", async () => {
  const cluster = await RaftTestCluster.start({
    size: 3,
    env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "50" },
  });
  const clients: RawClient[] = [];
  const connect = async (i: number) => {
    const client = await RawClient.connect(cluster.nodes[i].respPort);
    clients.push(client);
    return client;
  };
  try {
    const leader = await cluster.leader();
    const follower = (leader + 1) % 3;
    const other = (leader + 2) % 3;
    const viaFollower = await connect(follower);
    const viaLeader = await connect(leader);

    // Plain writes: the same key name in three databases, from both kinds of node.
    assert.deepEqual(await oneRetrying(viaFollower, "SET", "k", "zero"), OK);
    assert.deepEqual(await viaFollower.one("SELECT", "1"), OK);
    assert.deepEqual(await oneRetrying(viaFollower, "SET", "k", "one"), OK);
    assert.deepEqual(await viaLeader.one("SELECT", "15"), OK);
    assert.deepEqual(await oneRetrying(viaLeader, "SET", "k", "fifteen"), OK);
    assert.deepEqual(await oneRetrying(viaFollower, "INCRBY", "n", "5"), { t: "integer", v: 5 });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await getIn(cluster, i, 0, "k"), bulk("zero"), `node ${i} db 0`);
      assert.deepEqual(await getIn(cluster, i, 1, "k"), bulk("one"), `node ${i} db 1`);
      assert.deepEqual(await getIn(cluster, i, 15, "k"), bulk("fifteen"), `node ${i} db 15`);
      assert.deepEqual(await getIn(cluster, i, 1, "n"), bulk("5"), `node ${i} db 1 n`);
      assert.deepEqual(await getIn(cluster, i, 2, "k"), NIL, `node ${i} db 2`);
    }
    assert.deepEqual(await viaFollower.one("SELECT", "16"), {
      t: "error",
      v: "ERR DB index is out of range",
    });
    const info = await oneRetrying(viaFollower, "INFO", "keyspace");
    assert.ok(info.t === "bulk" && /db1:keys=2,/.test(info.v) && /db15:keys=1,/.test(info.v));

    // A block with SELECT inside, on the follower (forwarded whole): each command in the
    // database the block's SELECTs put it in, and the client stays where the block left it.
    assert.deepEqual(
      await viaFollower.call(
        ["MULTI"],
        ["SET", "t", "in1"],
        ["SELECT", "3"],
        ["SET", "t", "in3"],
        ["PUBLISH", "ch", "x"],
        ["INCR", "t3"],
        ["EXEC"],
      ),
      [
        OK,
        { t: "simple", v: "QUEUED" },
        { t: "simple", v: "QUEUED" },
        { t: "simple", v: "QUEUED" },
        { t: "simple", v: "QUEUED" },
        { t: "simple", v: "QUEUED" },
        { t: "array", v: [OK, OK, OK, { t: "integer", v: 0 }, { t: "integer", v: 1 }] },
      ],
    );
    assert.deepEqual(await oneRetrying(viaFollower, "GET", "t"), bulk("in3"));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await getIn(cluster, i, 1, "t"), bulk("in1"), `node ${i}`);
      assert.deepEqual(await getIn(cluster, i, 3, "t"), bulk("in3"), `node ${i}`);
      assert.deepEqual(await getIn(cluster, i, 3, "t3"), bulk("1"), `node ${i}`);
    }

    // WATCH is per database: a write to the same name in database 0 leaves a watch on database
    // 4's key alone; a write to database 4's key (through another node) aborts the block.
    const watcher = await connect(follower);
    const writer = await connect(other);
    await watcher.call(["SELECT", "4"]);
    assert.deepEqual(await oneRetrying(writer, "SET", "w", "0"), OK); // database 0
    assert.deepEqual(await watcher.one("WATCH", "w"), OK);
    assert.deepEqual(await oneRetrying(writer, "SET", "w", "changed in 0"), OK);
    assert.deepEqual(
      (await watcher.call(["MULTI"], ["SET", "w", "mine"], ["EXEC"]))[2],
      { t: "array", v: [OK] },
    );
    assert.deepEqual(await watcher.one("WATCH", "w"), OK);
    await writer.call(["SELECT", "4"]);
    assert.deepEqual(await oneRetrying(writer, "SET", "w", "theirs"), OK);
    assert.deepEqual((await watcher.call(["MULTI"], ["SET", "w", "mine again"], ["EXEC"]))[2], {
      t: "nil",
    });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await getIn(cluster, i, 4, "w"), bulk("theirs"), `node ${i}`);
      assert.deepEqual(await getIn(cluster, i, 0, "w"), bulk("changed in 0"), `node ${i}`);
    }

    // BLPOP waiting on a follower in database 6: a push to database 0 does not wake it, a push
    // to database 6 through the leader does.
    const blocked = await connect(follower);
    await blocked.call(["SELECT", "6"]);
    const popped = blocked.call(["BLPOP", "jobs", "10"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pusher = await connect(leader);
    assert.deepEqual(await oneRetrying(pusher, "RPUSH", "jobs", "in 0"), { t: "integer", v: 1 });
    await pusher.call(["SELECT", "6"]);
    assert.deepEqual(await oneRetrying(pusher, "RPUSH", "jobs", "in 6"), { t: "integer", v: 1 });
    assert.deepEqual(await popped, [{ t: "array", v: [bulk("jobs"), bulk("in 6")] }]);
    assert.deepEqual(await pusher.call(["SELECT", "0"], ["LLEN", "jobs"]), [OK, {
      t: "integer",
      v: 1,
    }]);

    // A script runs in its client's database (and a SELECT inside it stays inside it).
    assert.deepEqual(await viaFollower.call(["SELECT", "7"]), [OK]);
    assert.deepEqual(
      await oneRetrying(
        viaFollower,
        "EVAL",
        "redis.call('set', KEYS[1], 'seven'); redis.call('select', 8); " +
          "return redis.call('set', KEYS[1], 'eight')",
        "1",
        "s",
      ),
      OK,
    );
    assert.deepEqual(await oneRetrying(viaFollower, "GET", "s"), bulk("seven"));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await getIn(cluster, i, 8, "s"), bulk("eight"), `node ${i}`);
    }

    // MOVE and SWAPDB go through the log like any write.
    assert.deepEqual(await viaLeader.call(["SELECT", "1"], ["MOVE", "k", "2"]), [OK, {
      t: "integer",
      v: 1,
    }]);
    assert.deepEqual(await oneRetrying(viaFollower, "SWAPDB", "2", "9"), OK);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await getIn(cluster, i, 9, "k"), bulk("one"), `node ${i}`);
      assert.deepEqual(await getIn(cluster, i, 1, "k"), NIL, `node ${i}`);
    }

    // A follower that misses enough entries for the leader to compact its log comes back from
    // a snapshot, every database in it.
    await cluster.kill(other);
    await viaLeader.call(["SELECT", "12"]);
    for (let i = 0; i < 120; i++) {
      assert.deepEqual(await oneRetrying(viaLeader, "SET", `bulk:${i}`, String(i)), OK);
    }
    await cluster.startNode(other);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await cluster.status(other);
      const leaderStatus = await cluster.status(leader);
      if (
        status && leaderStatus && status.applied_index >= leaderStatus.commit_index &&
        status.snapshot_index > 0
      ) break;
      if (Date.now() > deadline) throw new Error("the restarted follower did not catch up");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(await getIn(cluster, other, 12, "bulk:119"), bulk("119"));
    assert.deepEqual(await getIn(cluster, other, 15, "k"), bulk("fifteen"));
    assert.deepEqual(await getIn(cluster, other, 9, "k"), bulk("one"));
    assert.deepEqual(await getIn(cluster, other, 0, "k"), bulk("zero"));
  } finally {
    for (const client of clients) await client.close();
    await cluster.close();
  }
});
