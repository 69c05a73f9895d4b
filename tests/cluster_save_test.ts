/**
 * SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE on a cluster node, as an operator's cron or a backup
 * script sends them to a Redis: each takes that node's Raft snapshot now and compacts its log
 * behind it (the log is a node's AOF, its snapshots its RDB files); LASTSAVE and INFO persistence
 * tell of that node's snapshots. Before, all four were unknown commands on a cluster node.
 */
import assert from "node:assert/strict";
import { RawClient } from "../atlas/testing/atlasd_harness.ts";
import { oneRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

async function persistence(client: RawClient): Promise<Record<string, string>> {
  const reply = await client.one("INFO", "persistence");
  assert.equal(reply.t, "bulk");
  return Object.fromEntries(
    reply.v.split("\r\n").filter((line) => line.includes(":")).map((line) => line.split(":")),
  );
}

async function until<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("raft cluster: SAVE / BGSAVE / BGREWRITEAOF / LASTSAVE take and tell of this node's snapshot", async () => {
  const cluster = await RaftTestCluster.start({ size: 3 });
  const clients: RawClient[] = [];
  try {
    const leader = await cluster.leader();
    const follower = (leader + 1) % 3;
    const client = await RawClient.connect(cluster.nodes[follower].respPort);
    clients.push(client);
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(await oneRetrying(client, "SET", `k${i}`, "v"), { t: "simple", v: "OK" });
    }
    const before = await persistence(client);
    assert.equal(before.rdb_saves, "0");
    assert.ok(Number(before.rdb_changes_since_last_save) >= 20, JSON.stringify(before));
    const lastSaveBefore = await client.one("LASTSAVE");
    assert.equal(lastSaveBefore.t, "integer");
    assert.equal((await cluster.status(follower))?.snapshot_index, 0);

    // BGSAVE answers at once; the snapshot follows, covering everything this node applied.
    assert.deepEqual(await client.one("BGSAVE"), { t: "simple", v: "Background saving started" });
    const after = await until("the BGSAVE snapshot", async () => {
      const info = await persistence(client);
      return info.rdb_saves === "1" && info.rdb_bgsave_in_progress === "0" ? info : null;
    });
    assert.equal(after.rdb_changes_since_last_save, "0");
    assert.equal(after.rdb_last_bgsave_status, "ok");
    const status = await cluster.status(follower);
    assert.ok(status && status.snapshot_index >= status.applied_index - 1, JSON.stringify(status));
    const lastSave = await client.one("LASTSAVE");
    assert.ok(lastSave.t === "integer" && lastSave.v >= (lastSaveBefore.v as number));
    // The other members took none: a node's save is its own, as with Redis.
    assert.equal((await cluster.status(leader))?.snapshot_index, 0);

    // SAVE waits for its snapshot; BGREWRITEAOF takes one too (compacting the log is the
    // rewrite); with nothing applied since, SAVE has nothing to add.
    assert.deepEqual(await oneRetrying(client, "SET", "more", "v"), { t: "simple", v: "OK" });
    assert.deepEqual(await client.one("SAVE"), { t: "simple", v: "OK" });
    assert.equal((await persistence(client)).rdb_saves, "2");
    assert.deepEqual(await oneRetrying(client, "SET", "more", "w"), { t: "simple", v: "OK" });
    assert.deepEqual(await client.one("BGREWRITEAOF"), {
      t: "simple",
      v: "Background append only file rewriting started",
    });
    await until("the BGREWRITEAOF snapshot", async () => {
      const info = await persistence(client);
      return info.rdb_saves === "3" ? info : null;
    });
    assert.deepEqual(await client.one("SAVE"), { t: "simple", v: "OK" });
    assert.equal((await persistence(client)).rdb_saves, "3");

    // A node restarted from its own snapshot still has every key.
    await cluster.kill(follower);
    await cluster.startNode(follower);
    const again = await RawClient.connect(cluster.nodes[follower].respPort);
    clients.push(again);
    assert.deepEqual(await oneRetrying(again, "DBSIZE"), { t: "integer", v: 21 });
    assert.deepEqual(await oneRetrying(again, "GET", "more"), { t: "bulk", v: "w" });
  } finally {
    for (const client of clients) await client.close();
    await cluster.close();
  }
});
