/**
 * PUBLISH on a real 3-node cluster reaches the subscribers of every node, as on one node, and
 * after the writes the publisher made before it. Before, a message reached only the subscribers
 * of the node it was sent to: a Celery client waiting for a task's result on one node never heard
 * the worker's PUBLISH on another (Celery's result backend stores the result, then publishes it).
 *
 * The nodes read `stale` (their own copy, no ReadIndex round): a subscriber that reads the key
 * from its own node as soon as the message arrives sees the write made before the PUBLISH,
 * because each node delivers the message as it applies the entry that carries it.
 */
import assert from "node:assert/strict";
import { encodeCommand, RawClient, type RespValue } from "../atlas/testing/atlasd_harness.ts";
import { oneRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const bulk = (v: string): RespValue => ({ t: "bulk", v });
const OK: RespValue = { t: "simple", v: "OK" };

/** A RESP3 client on `port` subscribed with `command` (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE). */
async function subscriber(port: number, command: string[]): Promise<RawClient> {
  const client = await RawClient.connect(port);
  assert.equal((await client.one("HELLO", "3")).t, "map");
  await client.writeRaw(encodeCommand(command));
  assert.equal((await client.takePushes(1)).length, 1);
  return client;
}

const message = (...items: string[]): RespValue => ({ t: "push", v: items.map(bulk) });

Deno.test("raft cluster: PUBLISH and SPUBLISH reach every node's subscribers once, after the writes before them", async () => {
  const cluster = await RaftTestCluster.start({
    size: 3,
    env: { HELIOS_ATLAS__RAFT__READ_CONSISTENCY: "stale" },
  });
  const clients: RawClient[] = [];
  const track = (client: RawClient) => (clients.push(client), client);
  try {
    const leader = await cluster.leader();
    const follower = (leader + 1) % 3;
    const other = (leader + 2) % 3;
    const ports = cluster.nodes.map((n) => n.respPort);
    const publisher = track(await RawClient.connect(ports[follower]));
    assert.deepEqual(await oneRetrying(publisher, "SET", "warm", "up"), OK);

    const onChannel = await Promise.all(
      ports.map(async (p) => track(await subscriber(p, ["SUBSCRIBE", "results"]))),
    );
    const onPattern = track(await subscriber(ports[other], ["PSUBSCRIBE", "res*"]));
    const onShard = await Promise.all(
      ports.map(async (p) => track(await subscriber(p, ["SSUBSCRIBE", "shard"]))),
    );

    // From a follower: every node's subscribers get it; the reply counts this node's receivers
    // (one channel subscriber here), as Redis Cluster's PUBLISH does.
    assert.deepEqual(await oneRetrying(publisher, "PUBLISH", "results", "one"), {
      t: "integer",
      v: 1,
    });
    for (const s of onChannel) {
      assert.deepEqual(await s.takePushes(1), [message("message", "results", "one")]);
    }
    assert.deepEqual(await onPattern.takePushes(1), [
      message("pmessage", "res*", "results", "one"),
    ]);

    // A write, then a PUBLISH (pipelined, and in a MULTI block): a subscriber that reads its own
    // node's copy as the message arrives sees the write.
    const watcher = onChannel[other];
    const reader = track(await RawClient.connect(ports[other]));
    for (let round = 0; round < 10; round++) {
      const value = `result-${round}`;
      const block = round % 2 === 0
        ? [["SET", `task:${round}`, value], ["PUBLISH", "results", `task:${round}`]]
        : [
          ["MULTI"],
          ["SET", `task:${round}`, value],
          ["PUBLISH", "results", `task:${round}`],
          ["EXEC"],
        ];
      await publisher.call(...block);
      const [push] = await watcher.takePushes(1);
      assert.deepEqual(push, message("message", "results", `task:${round}`));
      assert.deepEqual(
        await oneRetrying(reader, "GET", `task:${round}`),
        bulk(value),
        `round ${round}`,
      );
    }

    const rounds = Array.from(
      { length: 10 },
      (_, round) => message("message", "results", `task:${round}`),
    );
    for (const s of [onChannel[leader], onChannel[follower]]) {
      assert.deepEqual(await s.takePushes(10), rounds);
    }
    assert.equal((await onPattern.takePushes(10)).length, 10);

    // SPUBLISH from the leader reaches the shard channel's subscribers on every node.
    const fromLeader = track(await RawClient.connect(ports[leader]));
    assert.deepEqual(await oneRetrying(fromLeader, "SPUBLISH", "shard", "s1"), {
      t: "integer",
      v: 1,
    });
    for (const s of onShard) {
      assert.deepEqual(await s.takePushes(1), [message("smessage", "shard", "s1")]);
    }

    // Each message once: nothing else arrived anywhere.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const s of [...onChannel, onPattern, ...onShard]) assert.deepEqual(s.pushes, []);
  } finally {
    for (const client of clients) await client.close();
    await cluster.close();
  }
});
