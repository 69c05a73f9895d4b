/**
 * WATCH-based optimistic locking on a real 3-node cluster, clients on every node: the classic
 * read-modify-write loop (WATCH, GET, MULTI, SET value+1, EXEC, retry on nil) must never lose an
 * update. Each EXEC is judged on the client's node but applies later, at its place in the Raft
 * log; before the watch guard (src/cluster/watch_guard.ts) a transaction another client's write
 * overtook still ran: 8 clients making 320 successful EXECs left the counter near 70. A block with
 * a server command (PUBLISH) ran command by command, unguarded: 240 successful EXECs, counter 53.
 */
import assert from "node:assert/strict";
import { RawClient } from "../atlas/testing/atlasd_harness.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const CLIENTS_PER_NODE = 2;
const INCREMENTS_PER_CLIENT = 12;

Deno.test("raft cluster: WATCH / MULTI / EXEC read-modify-write loops on every node lose no update, PUBLISH in the block or not", async () => {
  const cluster = await RaftTestCluster.start({ size: 3 });
  const clients: RawClient[] = [];
  try {
    await cluster.leader();
    // Through every node, until each knows the leader and its address (a node that does not yet
    // answers TRYAGAIN, which a client retries; the loops below treat any error as a failure).
    for (const node of cluster.nodes) {
      const client = await RawClient.connect(node.respPort);
      clients.push(client);
      for (let attempt = 0;; attempt++) {
        const reply = await client.one("SET", "counter", "0");
        if (reply.t === "simple" || attempt === 100) {
          assert.deepEqual(reply, { t: "simple", v: "OK" });
          break;
        }
        assert.match(String((reply as { v: unknown }).v), /^TRYAGAIN /);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const setup = clients[0];
    let aborted = 0;
    // Half the clients also PUBLISH in the block: a server command, run on the client's node
    // (before, such a block ran command by command, the SET as its own entry, unguarded).
    const increment = async (client: RawClient, publish: boolean) => {
      for (let done = 0; done < INCREMENTS_PER_CLIENT;) {
        await client.one("WATCH", "counter");
        const read = await client.one("GET", "counter");
        assert.equal(read.t, "bulk", JSON.stringify(read));
        const value = Number((read as { v: string }).v);
        const block = [["SET", "counter", String(value + 1)]];
        if (publish) block.push(["PUBLISH", "counter-events", String(value + 1)]);
        const [multi, ...rest] = await client.call(["MULTI"], ...block, ["EXEC"]);
        const exec = rest.pop()!;
        assert.deepEqual(multi, { t: "simple", v: "OK" });
        for (const queued of rest) assert.deepEqual(queued, { t: "simple", v: "QUEUED" });
        if (exec.t === "nil") aborted++;
        else {
          const ok = { t: "simple", v: "OK" };
          assert.deepEqual(exec, { t: "array", v: publish ? [ok, { t: "integer", v: 0 }] : [ok] });
          done++;
        }
      }
    };
    const workers: Promise<void>[] = [];
    for (const node of cluster.nodes) {
      for (let i = 0; i < CLIENTS_PER_NODE; i++) {
        const client = await RawClient.connect(node.respPort);
        clients.push(client);
        workers.push(increment(client, i % 2 === 1));
      }
    }
    await Promise.all(workers);
    const total = cluster.nodes.length * CLIENTS_PER_NODE * INCREMENTS_PER_CLIENT;
    assert.deepEqual(await setup.one("GET", "counter"), { t: "bulk", v: String(total) });
    assert.ok(aborted > 0, "the clients contended (some EXECs were aborted)");
  } finally {
    for (const client of clients) client.close();
    await cluster.close();
  }
});
