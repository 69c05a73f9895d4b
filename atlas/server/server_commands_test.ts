import assert from "node:assert/strict";
import type { CommandExecutor } from "../executor.ts";
import { startAtlasServer } from "../server.ts";
import { Store } from "../store/store.ts";
import type { Reply } from "../store/reply.ts";
import { RawClient, type RespValue } from "../testing/atlasd_harness.ts";

/** A Store-backed executor that records every argv it ran (the would-be log). */
class RecordingExecutor implements CommandExecutor {
  readonly store = new Store();
  readonly ran: string[][] = [];
  nowMs = Date.now();
  realClock = false;

  execute(argv: string[]): Reply {
    this.ran.push(argv);
    const nowMs = this.realClock ? Date.now() : this.nowMs;
    return this.store.execute(argv, { nowMs, random: () => 0.5 }).reply;
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }
}

async function withServer(
  fn: (port: number, executor: RecordingExecutor) => Promise<void>,
): Promise<void> {
  const executor = new RecordingExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  try {
    await fn(server.addr.port, executor);
  } finally {
    await server.close();
  }
}

const text = (v: RespValue) => (v as { v: string }).v;

Deno.test("blocking pops reach the executor only as LPOP/RPOP/LMOVE", async () => {
  await withServer(async (port, executor) => {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    try {
      const waiting = a.call(["BRPOP", "k1", "k2", "0"]);
      await new Promise((r) => setTimeout(r, 20));
      await b.one("LPUSH", "k2", "x");
      assert.deepEqual(await waiting, [{
        t: "array",
        v: [{ t: "bulk", v: "k2" }, { t: "bulk", v: "x" }],
      }]);
      const names = executor.ran.map((argv) => argv[0].toUpperCase());
      assert.ok(!names.includes("BRPOP"));
      assert.ok(names.includes("RPOP"));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

Deno.test("a transaction's pushes are seen by waiters only after EXEC", async () => {
  await withServer(async (port) => {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    try {
      const waiting = a.call(["BLPOP", "q", "0"]);
      await new Promise((r) => setTimeout(r, 20));
      const replies = await b.call(["MULTI"], ["RPUSH", "q", "1", "2"], ["LPOP", "q"], ["EXEC"]);
      assert.deepEqual(replies[3], {
        t: "array",
        v: [{ t: "integer", v: 2 }, { t: "bulk", v: "1" }],
      });
      assert.deepEqual(await waiting, [{
        t: "array",
        v: [{ t: "bulk", v: "q" }, { t: "bulk", v: "2" }],
      }]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

Deno.test("WATCH is dirtied by a key expiring", async () => {
  await withServer(async (port, executor) => {
    const c = await RawClient.connect(port);
    try {
      await c.call(["SET", "w", "1", "PX", "1000"], ["WATCH", "w"]);
      executor.nowMs += 5000; // the key is now expired; the next access deletes it
      assert.deepEqual(await c.one("GET", "w"), { t: "nil" });
      const [, , exec] = await c.call(["MULTI"], ["SET", "w", "2"], ["EXEC"]);
      assert.deepEqual(exec, { t: "nil" });
    } finally {
      await c.close();
    }
  });
});

Deno.test("WATCH is dirtied by a key expiring even if nothing touches it", async () => {
  const executor = new RecordingExecutor();
  executor.realClock = true;
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const c = await RawClient.connect(server.addr.port);
  try {
    await c.call(["SET", "w", "1", "PX", "50"], ["WATCH", "w"]);
    await new Promise((r) => setTimeout(r, 80));
    const [, , exec] = await c.call(["MULTI"], ["SET", "w", "2"], ["EXEC"]);
    assert.deepEqual(exec, { t: "nil" });
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("INFO, CONFIG, COMMAND, CLIENT and TIME answer like Redis", async () => {
  await withServer(async (port) => {
    const c = await RawClient.connect(port);
    try {
      const info = text(await c.one("INFO"));
      for (const field of ["redis_version:", "connected_clients:1", "used_memory:", "loading:0"]) {
        assert.ok(info.includes(field), field);
      }
      assert.ok(!info.includes("# Commandstats"));
      assert.match(text(await c.one("INFO", "commandstats")), /cmdstat_info:calls=1,/);
      assert.deepEqual(await c.one("CONFIG", "GET", "maxclients"), {
        t: "array",
        v: [{ t: "bulk", v: "maxclients" }, { t: "bulk", v: "10000" }],
      });
      assert.deepEqual(await c.one("CONFIG", "SET", "maxclients", "50"), { t: "simple", v: "OK" });
      assert.deepEqual(await c.one("CONFIG", "GET", "maxc*"), {
        t: "array",
        v: [{ t: "bulk", v: "maxclients" }, { t: "bulk", v: "50" }],
      });
      // 0.0.0.0 cannot take the port 127.0.0.1 listens on while it does (tests/atlasd_config_port).
      assert.match(
        text(await c.one("CONFIG", "SET", "bind", "0.0.0.0")),
        /^ERR CONFIG SET failed \(possibly related to argument 'bind'\) - Failed to bind/,
      );
      // A pinned setting takes its own value (CONFIG sanity scripts set each to what GET showed).
      const [, port] = (await c.one("CONFIG", "GET", "port") as { v: { v: string }[] }).v;
      assert.equal(text(await c.one("CONFIG", "SET", "port", port.v)), "OK");
      assert.equal(
        text(await c.one("CONFIG", "SET", "databases", "1")),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
      );
      const count = await c.one("COMMAND", "COUNT");
      const list = await c.one("COMMAND");
      assert.equal(list.t, "array");
      assert.equal((list as { v: RespValue[] }).v.length, (count as { v: number }).v);
      const getInfo = await c.one("COMMAND", "INFO", "get");
      assert.deepEqual((getInfo as { v: RespValue[] }).v[0].t, "array");
      await c.one("CLIENT", "SETNAME", "worker-1");
      assert.match(text(await c.one("CLIENT", "LIST")), /name=worker-1 .*cmd=client/);
      const time = await c.one("TIME");
      assert.equal((time as { v: RespValue[] }).v.length, 2);
      assert.deepEqual(await c.one("DBSIZE"), { t: "integer", v: 0 });
    } finally {
      await c.close();
    }
  });
});

Deno.test("pub/sub: patterns, unsubscribe all, PUBSUB counters", async () => {
  await withServer(async (port) => {
    const sub = await RawClient.connect(port);
    const pub = await RawClient.connect(port);
    try {
      const subs = await sub.call(["SUBSCRIBE", "a", "b"]);
      assert.equal(subs.length, 1); // the second confirmation is queued as the next reply
      await sub.next();
      await sub.call(["PSUBSCRIBE", "news.*"]);
      assert.deepEqual(await pub.one("PUBLISH", "news.x", "hi"), { t: "integer", v: 1 });
      assert.deepEqual(await sub.next(), {
        t: "array",
        v: [
          { t: "bulk", v: "pmessage" },
          { t: "bulk", v: "news.*" },
          { t: "bulk", v: "news.x" },
          { t: "bulk", v: "hi" },
        ],
      });
      assert.deepEqual(await pub.one("PUBSUB", "NUMPAT"), { t: "integer", v: 1 });
      const unsub = await sub.call(["UNSUBSCRIBE"]);
      assert.equal((unsub[0] as { v: RespValue[] }).v[0].t, "bulk");
      await sub.next();
      assert.deepEqual(await pub.one("PUBSUB", "CHANNELS"), { t: "array", v: [] });
    } finally {
      await sub.close();
      await pub.close();
    }
  });
});

Deno.test("large values and long pipelines cross buffer boundaries intact", async () => {
  await withServer(async (port) => {
    const c = await RawClient.connect(port);
    try {
      const big = "v".repeat(3_000_000) + "\xff\x00";
      assert.deepEqual(await c.one("SET", "big", big), { t: "simple", v: "OK" });
      assert.deepEqual(await c.one("STRLEN", "big"), { t: "integer", v: big.length });
      const got = await c.one("GET", "big");
      assert.equal(got.t, "bulk");
      assert.equal(text(got) === big, true);
      const cmds = Array.from({ length: 5000 }, (_, i) => ["INCR", `n${i % 7}`]);
      const replies = await c.call(...cmds);
      assert.equal(replies.length, 5000);
      assert.deepEqual(replies[4999], { t: "integer", v: Math.ceil(5000 / 7) });
    } finally {
      await c.close();
    }
  });
});
