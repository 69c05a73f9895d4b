import assert from "node:assert/strict";
import { encodeCommand, RawClient } from "../atlas/testing/atlasd_harness.ts";
import { sendRetrying } from "./helpers/cluster_writers.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

Deno.test({
  name:
    "raft cluster: forwarding, MULTI/EXEC as one entry, replicated expiry, cluster status, no-quorum errors",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    try {
      const leader = await cluster.leader();
      const follower = (leader + 1) % 3;
      const other = (leader + 2) % 3;

      // A follower accepts writes (forwarded to the leader) and reads them back linearizably.
      const f = await cluster.connect(follower);
      assert.deepEqual(await sendRetrying(f, ["SET", "greeting", "hello"]), {
        kind: "simple",
        value: "OK",
      });
      assert.deepEqual(await f.send(["GET", "greeting"]), { kind: "bulk", value: "hello" });

      // MULTI/EXEC on the leader applies as one unit on every replica.
      const l = await cluster.connect(leader);
      assert.deepEqual(await l.send(["MULTI"]), { kind: "simple", value: "OK" });
      assert.deepEqual(await l.send(["INCR", "counter"]), { kind: "simple", value: "QUEUED" });
      assert.deepEqual(await l.send(["RPUSH", "list", "a", "b"]), {
        kind: "simple",
        value: "QUEUED",
      });
      const exec = await l.send(["EXEC"]);
      assert.deepEqual(exec, {
        kind: "array",
        value: [{ kind: "integer", value: 1 }, { kind: "integer", value: 2 }],
      });

      // WAIT on the leader counts the followers holding those writes (both, once caught up).
      assert.deepEqual(await l.send(["WAIT", "2", "10000"]), { kind: "integer", value: 2 });
      // ROLE's offset is the commit index: past the writes above.
      const role = await l.send(["ROLE"]) as { kind: string; value: { value: unknown }[] };
      assert.equal(role.kind, "array");
      assert.equal(role.value[0].value, "master");
      assert.ok((role.value[1].value as number) > 0);

      // On a follower the block is forwarded to the leader as a whole.
      assert.deepEqual(await f.send(["MULTI"]), { kind: "simple", value: "OK" });
      await f.send(["INCR", "counter"]);
      await f.send(["INCR", "counter"]);
      assert.deepEqual(await f.send(["EXEC"]), {
        kind: "array",
        value: [{ kind: "integer", value: 2 }, { kind: "integer", value: 3 }],
      });

      // A client that identifies its retries never applies a write twice, on any node.
      const idem = ["HELIOS.IDEMPOTENT", "order-42", "60000", "INCRBY", "stock", "-1"];
      assert.deepEqual(await f.send(idem), { kind: "integer", value: -1 });
      assert.deepEqual(await l.send(idem), { kind: "integer", value: -1 }); // the retry, elsewhere
      assert.deepEqual(await l.send(["GET", "stock"]), { kind: "bulk", value: "-1" });

      // A TTL is stamped by the leader and expires on every node without a client touching it.
      assert.deepEqual(await l.send(["SET", "ephemeral", "x", "PX", "300"]), {
        kind: "simple",
        value: "OK",
      });
      const o = await cluster.connect(other);
      assert.deepEqual(await o.send(["EXISTS", "ephemeral"]), { kind: "integer", value: 1 });
      await new Promise((resolve) => setTimeout(resolve, 700));
      for (const c of [l, f, o]) {
        assert.deepEqual(await c.send(["EXISTS", "ephemeral"]), { kind: "integer", value: 0 });
        assert.deepEqual(await c.send(["LRANGE", "list", "0", "-1"]), {
          kind: "array",
          value: [{ kind: "bulk", value: "a" }, { kind: "bulk", value: "b" }],
        });
      }
      // A read never changes a replica's data outside the log: PFCOUNT leaves its HLL's cache
      // as it is (standalone it writes the count back, as Redis does), so every node's bytes agree.
      assert.deepEqual(await l.send(["PFADD", "visitors", "a", "b", "c"]), {
        kind: "integer",
        value: 1,
      });
      for (const c of [l, f]) {
        assert.deepEqual(await c.send(["PFCOUNT", "visitors"]), { kind: "integer", value: 3 });
      }
      const hlls = [];
      for (const c of [l, f, o]) hlls.push(await c.send(["GET", "visitors"]) as { value: string });
      assert.equal(hlls[0].value.charCodeAt(15), 0x80); // the cache still marked invalid
      assert.deepEqual(hlls.slice(1), [hlls[0], hlls[0]]);

      // A script is one entry: forwarded from a follower and re-run on every replica. SCRIPT
      // LOAD is replicated too, so EVALSHA works on any node.
      const script = "return redis.call('incrby', KEYS[1], ARGV[1])";
      assert.deepEqual(await sendRetrying(f, ["EVAL", script, "1", "scripted", "5"]), {
        kind: "integer",
        value: 5,
      });
      const sha = await f.send(["SCRIPT", "LOAD", script]) as { kind: string; value: string };
      assert.equal(sha.kind, "bulk");
      assert.deepEqual(await o.send(["EVALSHA", sha.value, "1", "scripted", "2"]), {
        kind: "integer",
        value: 7,
      });
      for (const c of [l, f, o]) {
        const read = ["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "scripted"];
        assert.deepEqual(await c.send(read), { kind: "bulk", value: "7" });
        assert.deepEqual(await c.send(["SCRIPT", "EXISTS", sha.value]), {
          kind: "array",
          value: [{ kind: "integer", value: 1 }],
        });
      }
      // A script's PUBLISH: every node re-runs the script as it applies the entry and publishes
      // to its own subscribers, so a subscriber on any node gets the message exactly once; the
      // count the script sees is 0 everywhere (a node-local count could make replicas diverge).
      const subscribers = await Promise.all(
        cluster.nodes.map((n) => RawClient.connect(n.respPort)),
      );
      try {
        for (const s of subscribers) {
          await s.one("HELLO", "3");
          await s.writeRaw(encodeCommand(["SUBSCRIBE", "news"]));
          assert.equal((await s.takePushes(1)).length, 1);
        }
        const publishing = "redis.call('set', KEYS[1], ARGV[1]); " +
          "return {redis.call('publish', 'news', ARGV[1]), redis.call('get', KEYS[1])}";
        assert.deepEqual(await sendRetrying(f, ["EVAL", publishing, "1", "pub-key", "hi"]), {
          kind: "array",
          value: [{ kind: "integer", value: 0 }, { kind: "bulk", value: "hi" }],
        });
        const message = {
          t: "push",
          v: [{ t: "bulk", v: "message" }, { t: "bulk", v: "news" }, { t: "bulk", v: "hi" }],
        };
        for (const s of subscribers) assert.deepEqual(await s.takePushes(1), [message]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const s of subscribers) assert.deepEqual(s.pushes, [], "each message once");
      } finally {
        for (const s of subscribers) await s.close();
      }
      const status = JSON.parse(
        (await o.send(["HELIOS.CLUSTER", "STATUS"]) as { value: string }).value,
      );
      assert.equal(status.leaderId, cluster.nodes[leader].id);
      const info = await l.send(["INFO", "raft"]) as { value: string };
      assert.match(info.value, /^# Raft\r\n/);
      assert.match(info.value, /raft_state:leader\r\n/);
      assert.match(info.value, new RegExp(`raft_leader_id:${cluster.nodes[leader].id}\r\n`));
      f.close();
      o.close();
      l.close();

      // Without a quorum nothing is acknowledged: a clear error, quickly.
      await cluster.kill(follower);
      await cluster.kill(other);
      const lonely = await cluster.connect(leader);
      const reply = await lonely.send(["SET", "alone", "1"]);
      assert.equal(reply.kind, "error");
      assert.match((reply as { value: string }).value, /^(TRYAGAIN|CLUSTERDOWN) /);
      lonely.close();
    } finally {
      await cluster.close();
    }
  },
});
