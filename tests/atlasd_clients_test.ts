/**
 * Real-process integration: a `helios atlasd` process (main.ts, sync-mode every) driven by
 * redis-cli, redis-benchmark and ioredis over every command family, pipelining, MULTI/EXEC/WATCH,
 * pub/sub (RESP2 and RESP3 push) and blocking pops.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { type Proc, RawClient, redisCli, startAtlasd } from "../atlas/testing/atlasd_harness.ts";

function ioredis(port: number): Redis {
  return new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
}

async function withAtlasd(
  fn: (atlas: Proc) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const atlas = await startAtlasd(args);
  try {
    await fn(atlas);
  } finally {
    await atlas.stop();
  }
}

Deno.test("atlasd with redis-cli and redis-benchmark", async (t) => {
  await withAtlasd(async (atlas) => {
    await t.step("redis-cli commands, inline and piped", async () => {
      assert.equal((await redisCli(atlas.port, ["PING"])).trim(), "PONG");
      assert.equal((await redisCli(atlas.port, ["SET", "greeting", "hello world"])).trim(), "OK");
      assert.equal((await redisCli(atlas.port, ["GET", "greeting"])).trim(), "hello world");
      assert.equal((await redisCli(atlas.port, ["RPUSH", "l", "a", "b"])).trim(), "2");
      assert.equal((await redisCli(atlas.port, ["LRANGE", "l", "0", "-1"])).trim(), "a\nb");
      const piped = await redisCli(atlas.port, [], "INCR n\nINCR n\nGET n\n");
      assert.equal(piped.trim(), "1\n2\n2");
      const info = await redisCli(atlas.port, ["INFO"]);
      for (const section of ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats"]) {
        assert.ok(info.includes(section), section);
      }
      assert.match(info, /role:master/);
      assert.match(info, /db0:keys=3,expires=0/);
      assert.match(info, /aof_enabled:1/);
      assert.match(await redisCli(atlas.port, ["CONFIG", "GET", "appendonly"]), /appendonly\nyes/);
      assert.match(await redisCli(atlas.port, ["CLIENT", "LIST"]), /^id=\d+ addr=127\.0\.0\.1:/);
      assert.equal((await redisCli(atlas.port, ["DBSIZE"])).trim(), "3");
      assert.match(await redisCli(atlas.port, ["-3", "HELLO", "3"]), /proto 3/);
      assert.equal((await redisCli(atlas.port, ["SAVE"])).trim(), "OK");
      assert.match((await redisCli(atlas.port, ["LASTSAVE"])).trim(), /^\d+$/);
    });

    await t.step("redis-benchmark runs with no errors", async () => {
      const out = await new Deno.Command("redis-benchmark", {
        args: [
          "-p",
          String(atlas.port),
          "-q",
          "-n",
          "20000",
          "-c",
          "20",
          "-t",
          "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      const lines = text.split(/[\r\n]+/).map((l) => l.trim()).filter((l) =>
        l.includes("requests per second")
      );
      assert.equal(out.code, 0, text);
      assert.ok(lines.length >= 15, text);
      assert.doesNotMatch(text, /ERR|WRONGTYPE|error/i);
    });
    // sync-mode none keeps the benchmark quick on a busy 2-core machine; the ioredis tests below
    // run with the default (every).
  }, ["--sync-mode", "none"]);
});

Deno.test("atlasd with ioredis: every family, pipelines, transactions", async (t) => {
  await withAtlasd(async (atlas) => {
    const r = ioredis(atlas.port);
    await r.connect();
    try {
      await t.step("keys and strings", async () => {
        assert.equal(await r.set("s", "v", "EX", 100), "OK");
        assert.equal(await r.get("s"), "v");
        assert.equal(await r.ttl("s"), 100);
        assert.equal(await r.incrby("n", 5), 5);
        assert.equal(await r.incrbyfloat("f", "1.5"), "1.5");
        assert.equal(await r.append("s", "w"), 2);
        assert.deepEqual(await r.mget("s", "n", "none"), ["vw", "5", null]);
        assert.equal(await r.exists("s", "n", "none"), 2);
        assert.equal(await r.type("s"), "string");
        assert.equal(await r.rename("s", "s2"), "OK");
        assert.equal(await r.del("s2", "none"), 1);
        const [cursor, keys] = await r.scan("0", "MATCH", "*", "COUNT", 100);
        assert.equal(cursor, "0");
        assert.deepEqual(keys.sort(), ["f", "n"]);
        assert.equal(await r.getdel("n"), "5");
        const buf = Buffer.from([0, 0xff, 0x80, 13, 10]);
        await r.set("bin", buf);
        assert.deepEqual([...(await r.getBuffer("bin"))!], [...buf]);
      });
      await t.step("hashes", async () => {
        assert.equal(await r.hset("h", { a: "1", b: "2" }), 2);
        assert.deepEqual(await r.hgetall("h"), { a: "1", b: "2" });
        assert.equal(await r.hincrby("h", "a", 10), 11);
        assert.deepEqual(await r.hmget("h", "a", "zz"), ["11", null]);
        assert.equal(await r.hlen("h"), 2);
        assert.equal(await r.hdel("h", "a"), 1);
      });
      await t.step("lists", async () => {
        assert.equal(await r.rpush("l", "a", "b", "c"), 3);
        assert.deepEqual(await r.lrange("l", 0, -1), ["a", "b", "c"]);
        assert.equal(await r.lpop("l"), "a");
        assert.deepEqual(await r.rpop("l", 2), ["c", "b"]);
        assert.equal(await r.llen("l"), 0);
        await r.rpush("src", "x", "y");
        assert.equal(await r.lmove("src", "dst", "LEFT", "RIGHT"), "x");
      });
      await t.step("sets", async () => {
        assert.equal(await r.sadd("set", "a", "b", "c"), 3);
        assert.equal(await r.sismember("set", "a"), 1);
        assert.deepEqual((await r.smembers("set")).sort(), ["a", "b", "c"]);
        await r.sadd("set2", "b", "c", "d");
        assert.deepEqual((await r.sinter("set", "set2")).sort(), ["b", "c"]);
        assert.equal(await r.scard("set"), 3);
      });
      await t.step("sorted sets", async () => {
        assert.equal(await r.zadd("z", 1, "a", 2, "b", 3, "c"), 3);
        assert.deepEqual(await r.zrange("z", "0", "-1", "WITHSCORES"), [
          "a",
          "1",
          "b",
          "2",
          "c",
          "3",
        ]);
        assert.equal(await r.zscore("z", "b"), "2");
        assert.equal(await r.zincrby("z", 1.5, "a"), "2.5");
        assert.deepEqual(await r.zrangebyscore("z", 2, "+inf"), ["b", "a", "c"]);
        assert.deepEqual(await r.zpopmin("z"), ["b", "2"]);
      });
      await t.step("a 2000-command pipeline", async () => {
        const p = r.pipeline();
        for (let i = 0; i < 1000; i++) p.set(`p:${i}`, String(i));
        for (let i = 0; i < 1000; i++) p.get(`p:${i}`);
        const res = await p.exec();
        assert.equal(res!.length, 2000);
        assert.ok(res!.every(([err]: [unknown, unknown]) => err === null));
        assert.equal(res![1999][1], "999");
      });
      await t.step("MULTI/EXEC, WATCH conflict and EXECABORT", async () => {
        assert.deepEqual(await r.multi().set("m", "1").incr("m").exec(), [[null, "OK"], [null, 2]]);
        const other = ioredis(atlas.port);
        await other.connect();
        try {
          await r.watch("m");
          await other.set("m", "changed");
          assert.equal(await r.multi().set("m", "mine").exec(), null);
          assert.equal(await r.get("m"), "changed");
          await r.watch("m");
          assert.deepEqual(await r.multi().set("m", "mine").exec(), [[null, "OK"]]);
        } finally {
          other.disconnect();
        }
        const c = await RawClient.connect(atlas.port);
        try {
          const replies = await c.call(["MULTI"], ["SET", "x"], ["SET", "x", "1"], ["EXEC"]);
          assert.deepEqual(replies[3], {
            t: "error",
            v: "EXECABORT Transaction discarded because of previous errors.",
          });
        } finally {
          await c.close();
        }
      });
      await t.step("ioredis defineCommand: EVALSHA, falling back to EVAL on NOSCRIPT", async () => {
        r.defineCommand("incrCapped", {
          numberOfKeys: 1,
          lua: `local n = redis.call('incr', KEYS[1])
                if n > tonumber(ARGV[1]) then
                  redis.call('set', KEYS[1], ARGV[1])
                  return redis.error_reply('CAPPED at ' .. ARGV[1])
                end
                return n`,
        });
        const scripted = r as unknown as { incrCapped(key: string, cap: number): Promise<number> };
        assert.equal(await scripted.incrCapped("capped", 2), 1);
        assert.equal(await scripted.incrCapped("capped", 2), 2);
        await assert.rejects(scripted.incrCapped("capped", 2), /CAPPED at 2/);
        assert.equal(await r.get("capped"), "2");
        assert.equal(await r.script("FLUSH"), "OK");
        assert.equal(await scripted.incrCapped("other", 5), 1); // reloaded after NOSCRIPT
        assert.equal(await r.eval("return {KEYS[1], ARGV[1]}", 1, "k", "a") + "", "k,a");
      });
    } finally {
      r.disconnect();
    }
  });
});

Deno.test("atlasd pub/sub and blocking pops", async (t) => {
  await withAtlasd(async (atlas) => {
    const pub = ioredis(atlas.port);
    await pub.connect();
    try {
      await t.step("ioredis SUBSCRIBE / PSUBSCRIBE receive PUBLISH", async () => {
        const sub = ioredis(atlas.port);
        await sub.connect();
        try {
          const got: string[] = [];
          sub.on("message", (ch: string, msg: string) => got.push(`${ch}:${msg}`));
          sub.on("pmessage", (p: string, ch: string, msg: string) => got.push(`${p}|${ch}:${msg}`));
          await sub.subscribe("news");
          await sub.psubscribe("n*");
          assert.equal(await pub.publish("news", "hi"), 2);
          assert.deepEqual(await pub.pubsub("NUMSUB", "news"), ["news", 1]);
          for (let i = 0; i < 200 && got.length < 2; i++) {
            await new Promise((r) => setTimeout(r, 10));
          }
          assert.deepEqual(got.sort(), ["n*|news:hi", "news:hi"]);
          const raw = await RawClient.connect(atlas.port);
          try {
            await raw.writeRaw("*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n");
            const sub2 = await raw.next();
            assert.equal(sub2.t, "array");
            assert.deepEqual(await raw.one("GET", "x"), {
              t: "error",
              v: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            });
          } finally {
            await raw.close();
          }
        } finally {
          sub.disconnect();
        }
      });

      await t.step("RESP3 clients get pushes and may run commands while subscribed", async () => {
        const c = await RawClient.connect(atlas.port);
        try {
          await c.one("HELLO", "3");
          await c.writeRaw("*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
          assert.deepEqual(await c.takePushes(1), [{
            t: "push",
            v: [{ t: "bulk", v: "subscribe" }, { t: "bulk", v: "ch" }, { t: "integer", v: 1 }],
          }]);
          assert.deepEqual(await c.one("SET", "k3", "v"), { t: "simple", v: "OK" });
          await pub.publish("ch", "m1");
          assert.deepEqual(await c.takePushes(1), [{
            t: "push",
            v: [{ t: "bulk", v: "message" }, { t: "bulk", v: "ch" }, { t: "bulk", v: "m1" }],
          }]);
        } finally {
          await c.close();
        }
      });

      await t.step("BLPOP wakes on a push from another client", async () => {
        const b = ioredis(atlas.port);
        await b.connect();
        try {
          const waiting = b.blpop("jobs", 5);
          await new Promise((r) => setTimeout(r, 50));
          await pub.rpush("jobs", "j1");
          assert.deepEqual(await waiting, ["jobs", "j1"]);
          assert.equal(await pub.llen("jobs"), 0);
        } finally {
          b.disconnect();
        }
      });

      await t.step("waiters are served first come, first served; timeouts answer nil", async () => {
        const w1 = ioredis(atlas.port);
        const w2 = ioredis(atlas.port);
        await w1.connect();
        await w2.connect();
        try {
          const first = w1.brpop("q", 5);
          await new Promise((r) => setTimeout(r, 30));
          const second = w2.brpop("q", 5);
          await new Promise((r) => setTimeout(r, 30));
          await pub.rpush("q", "a", "b");
          assert.deepEqual(await first, ["q", "b"]);
          assert.deepEqual(await second, ["q", "a"]);
          assert.equal(await w1.blpop("empty", 0.1), null);
          const moved = w2.blmove("src2", "dst2", "LEFT", "RIGHT", 5);
          await new Promise((r) => setTimeout(r, 30));
          await pub.lpush("src2", "m");
          assert.equal(await moved, "m");
          assert.deepEqual(await pub.lrange("dst2", 0, -1), ["m"]);
        } finally {
          w1.disconnect();
          w2.disconnect();
        }
      });

      await t.step("a client that disconnects while blocked loses nothing", async () => {
        const c = await RawClient.connect(atlas.port);
        await c.writeRaw("*3\r\n$5\r\nBLPOP\r\n$4\r\ngone\r\n$1\r\n0\r\n");
        await new Promise((r) => setTimeout(r, 50));
        await c.close();
        await new Promise((r) => setTimeout(r, 50));
        await pub.rpush("gone", "kept");
        assert.deepEqual(await pub.lrange("gone", 0, -1), ["kept"]);
      });

      await t.step("BLPOP inside MULTI does not block", async () => {
        const res = await pub.multi().blpop("never", 0).exec();
        assert.deepEqual(res, [[null, null]]);
      });
    } finally {
      pub.disconnect();
    }
  });
});
