/**
 * Numbered databases (`databases`, 16 by default), side by side with redis-server 7's 16: SELECT,
 * MOVE, COPY ... DB, SWAPDB, FLUSHDB / FLUSHALL, the per-database commands (DBSIZE, KEYS, SCAN,
 * RANDOMKEY), SELECT inside MULTI and inside a script, INFO keyspace, CLIENT LIST's db=, MONITOR's
 * `[db addr]`; keyspace events on `__keyspace@<db>__`; WATCH, blocked pops and SWAPDB's effect
 * on them. Then durability: every database survives kill -9 (the AOF's SELECT records) and a
 * snapshot, and `redis-cli --rdb` hands a real redis-server the same databases.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  redisCli,
  replyDifferences,
  type RespValue,
  showReply,
  startAtlasd,
  startRedis,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const SCRIPT: string[][] = [
  ["SET", "k0", "v0"],
  ["SELECT", "1"],
  ["SET", "k1", "v1"],
  ["RPUSH", "list", "a", "b"],
  ["DBSIZE"],
  ["KEYS", "*"],
  ["SELECT", "0"],
  ["DBSIZE"],
  ["EXISTS", "k1"],
  ["MOVE", "k0", "1"],
  ["MOVE", "k0", "1"],
  ["MOVE", "nokey", "1"],
  ["MOVE", "k0", "0"],
  ["MOVE", "k0", "16"],
  ["MOVE", "k0", "-1"],
  ["MOVE", "k0", "x"],
  ["SELECT", "1"],
  ["MGET", "k0", "k1"],
  ["SET", "k0", "other"],
  ["SELECT", "0"],
  ["SET", "k0", "again"],
  ["EXPIRE", "k0", "1000"],
  ["MOVE", "k0", "1"],
  ["MOVE", "k0", "2"],
  ["EXISTS", "k0"],
  ["SELECT", "2"],
  ["TTL", "k0"],
  ["COPY", "k0", "k0", "DB", "3"],
  ["COPY", "k0", "k0", "DB", "3"],
  ["COPY", "k0", "k0", "DB", "3", "REPLACE"],
  ["COPY", "k0", "k0"],
  ["COPY", "k0", "k0", "DB", "2"],
  ["COPY", "k0", "x", "DB", "99"],
  ["COPY", "k0", "x", "DB", "nope"],
  ["SELECT", "3"],
  ["TTL", "k0"],
  ["SWAPDB", "0", "3"],
  ["GET", "k0"],
  ["SELECT", "0"],
  ["GET", "k0"],
  ["SWAPDB", "0", "16"],
  ["SWAPDB", "x", "0"],
  ["SWAPDB", "1", "1"],
  // SELECT queued in a transaction applies to what follows it, and stays after EXEC.
  ["MULTI"],
  ["SELECT", "4"],
  ["SET", "in4", "x"],
  ["SELECT", "99"],
  ["EXEC"],
  ["DBSIZE"],
  ["GET", "in4"],
  // A script's SELECT holds for the script only.
  ["EVAL", "redis.call('select', 5); redis.call('set', 'from_lua', 'y'); return 1", "0"],
  ["EVAL", "return redis.pcall('select', 16)", "0"],
  ["GET", "from_lua"],
  ["SELECT", "5"],
  ["GET", "from_lua"],
  ["RANDOMKEY"],
  ["SCAN", "0"],
  ["INFO", "keyspace"],
  ["SELECT", "6"],
  ["DEBUG", "POPULATE", "3", "pop"],
  ["DBSIZE"],
  ["SELECT", "5"],
  ["FLUSHDB"],
  ["DBSIZE"],
  ["SELECT", "1"],
  ["DBSIZE"],
  ["FLUSHALL"],
  ["DBSIZE"],
  ["SELECT", "15"],
  ["SELECT", "16"],
  ["SELECT", "-1"],
  ["SELECT", "1.5"],
  ["SELECT", "2147483648"],
  ["CONFIG", "GET", "databases"],
];

Deno.test("databases: SELECT, MOVE, COPY DB, SWAPDB, FLUSHDB, MULTI and scripts like Redis's 16", async () => {
  await withRedisAndAtlasd(async (redis, atlas) => {
    const differences: string[] = [];
    for (const proto of ["2", "3"]) {
      await redis.call(["HELLO", proto], ["SELECT", "0"], ["FLUSHALL"]);
      await atlas.call(["HELLO", proto], ["SELECT", "0"], ["FLUSHALL"]);
      differences.push(...await replyDifferences(redis, atlas, SCRIPT, unordered, `RESP${proto} `));
    }
    assert.deepEqual(differences, [], differences.join("\n"));
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]);
});

/** An array reply with its items in sorted order. */
function sorted(reply: RespValue): RespValue {
  if (reply.t !== "array") return reply;
  return { t: "array", v: [...reply.v].sort((a, b) => text(a) < text(b) ? -1 : 1) };
}

/** showReply, with KEYS's and SCAN's keys sorted (Redis answers them in hash order). */
function unordered(reply: RespValue, index: number): string {
  const name = SCRIPT[index][0];
  if (name === "KEYS") return showReply(sorted(reply));
  // avg_ttl is an estimate from active expiry's samples, taken whenever each server's cron runs.
  if (name === "INFO") return showReply(reply).replace(/avg_ttl=\d+/g, "avg_ttl=_");
  if (name === "SCAN" && reply.t === "array") {
    return showReply({ t: "array", v: [reply.v[0], sorted(reply.v[1])] });
  }
  return showReply(reply);
}

/** The reply's text (simple, bulk or verbatim string). */
function text(v: RespValue): string {
  return "v" in v && typeof v.v === "string" ? v.v : showReply(v);
}

Deno.test("databases: CLIENT LIST db=, MONITOR [db addr], keyspace events on __keyspace@<db>__", async () => {
  await withRedisAndAtlasd(async (redis, atlas, ports) => {
    const seen: Record<string, unknown[]> = {};
    for (
      const [name, client, port] of [
        ["redis", redis, ports.redisPort],
        ["atlasd", atlas, ports.atlasPort],
      ] as const
    ) {
      const out: unknown[] = [];
      await client.one("CONFIG", "SET", "notify-keyspace-events", "KEA");
      const subscriber = await RawClient.connect(port);
      const monitor = await RawClient.connect(port);
      try {
        await subscriber.one("HELLO", "3"); // messages as pushes
        await subscriber.writeRaw(encodeCommand(["PSUBSCRIBE", "__key*__:*"]));
        assert.equal((await subscriber.takePushes(1)).length, 1); // the subscription
        assert.equal(text(await monitor.one("MONITOR")), "OK");
        await client.call(["SELECT", "3"], ["SET", "k", "v"], ["MOVE", "k", "5"], ["SELECT", "5"]);
        const script =
          "redis.call('set', 'a', '1'); redis.call('select', 2); return redis.call('get', 'a')";
        await client.call(["DEL", "k"], ["EVAL", script, "0"], ["SWAPDB", "5", "6"]);
        const list = text(await client.one("CLIENT", "LIST"));
        out.push(
          list.split("\n").filter((l) => l.includes("cmd=client|list")).map((l) =>
            l.match(/ db=(\d+) /)?.[1]
          ),
        );
        // [db addr] "COMMAND" ...: the database and the command, without time and address.
        for (let i = 0; i < 10; i++) {
          out.push(text(await monitor.next()).replace(/^[\d.]+ \[(\d+) [^\]]+\]/, "[$1]"));
        }
        // set, move_from, move_to, del, the script's set: each on __keyspace@ and __keyevent@.
        out.push((await subscriber.takePushes(10)).map(showReply));
      } finally {
        await subscriber.close();
        await monitor.close();
      }
      seen[name] = out;
    }
    assert.deepEqual(seen.atlasd, seen.redis);
  });
});

/** What `commands` on `other` do to `watcher`'s transaction: its EXEC reply and what follows. */
async function watchStory(port: number): Promise<string[]> {
  const watcher = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  const out: string[] = [];
  const exec = async () => {
    const [, , reply] = await watcher.call(["MULTI"], ["PING"], ["EXEC"]);
    out.push(showReply(reply));
  };
  try {
    await watcher.call(["FLUSHALL"], ["SELECT", "1"]);
    // A write to the same key name in another database leaves the watch alone...
    await watcher.one("WATCH", "k");
    await other.one("SET", "k", "db0");
    await exec();
    // ...one in the watched database breaks it.
    await watcher.one("WATCH", "k");
    await other.call(["SELECT", "1"], ["SET", "k", "db1"]);
    await exec();
    // FLUSHDB of another database keeps it, of its own breaks it (the key existed).
    await watcher.one("WATCH", "k");
    await other.call(["SELECT", "2"], ["SET", "x", "1"], ["FLUSHDB"]);
    await exec();
    await watcher.one("WATCH", "k");
    await other.call(["SELECT", "1"], ["FLUSHDB"]);
    await exec();
    // SWAPDB breaks a watch on a key present in either database, not on one absent from both.
    await other.call(["SELECT", "2"], ["SET", "only2", "v"]);
    await watcher.one("WATCH", "only2");
    await other.one("SWAPDB", "1", "2");
    await exec();
    await watcher.one("WATCH", "absent");
    await other.one("SWAPDB", "1", "2");
    await exec();
    out.push(showReply(await watcher.one("DBSIZE")));
  } finally {
    await watcher.close();
    await other.close();
  }
  return out;
}

/** A BLPOP in database 2: a push to its key in database 0 does not serve it, one in 2 does. */
async function blockStory(port: number): Promise<string[]> {
  const blocked = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  const out: string[] = [];
  try {
    await blocked.call(["FLUSHALL"], ["SELECT", "2"]);
    const popped = blocked.one("BLPOP", "l", "0");
    await other.one("RPUSH", "l", "in0");
    await new Promise((r) => setTimeout(r, 200));
    out.push(text(await other.one("INFO", "clients")).match(/blocked_clients:(\d+)/)?.[1] ?? "");
    await other.call(["SELECT", "2"], ["RPUSH", "l", "in2"]);
    out.push(showReply(await popped));
    out.push(showReply(await other.one("LLEN", "l")));
    await other.one("SELECT", "0");
    out.push(showReply(await other.one("LRANGE", "l", "0", "-1")));
    // SWAPDB moves a list into a blocked client's database: it is served from it.
    const again = blocked.one("BRPOP", "fresh", "0");
    await other.call(["SELECT", "7"], ["RPUSH", "fresh", "swapped"]);
    await new Promise((r) => setTimeout(r, 100));
    await other.one("SWAPDB", "2", "7");
    out.push(showReply(await again));
  } finally {
    await blocked.close();
    await other.close();
  }
  return out;
}

Deno.test("databases: WATCH, blocked pops and SWAPDB stay in their database, as in Redis", async () => {
  await withRedisAndAtlasd(async (_redis, _atlas, ports) => {
    assert.deepEqual(await watchStory(ports.atlasPort), await watchStory(ports.redisPort));
    assert.deepEqual(await blockStory(ports.atlasPort), await blockStory(ports.redisPort));
  });
});

/** Every database's keys with type, value and deadline, as comparable text. */
async function contents(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  try {
    for (let db = 0; db < 16; db++) {
      await c.one("SELECT", String(db));
      const keys = await c.one("KEYS", "*");
      assert.equal(keys.t, "array");
      const names = keys.v.map(text).sort();
      for (const key of names) {
        const type = text(await c.one("TYPE", key));
        const read: Record<string, string[]> = {
          string: ["GET", key],
          list: ["LRANGE", key, "0", "-1"],
          hash: ["HGETALL", key],
          set: ["SMEMBERS", key],
          zset: ["ZRANGE", key, "0", "-1", "WITHSCORES"],
        };
        let value = showReply(await c.one(...read[type]));
        if (type === "set" || type === "hash") {
          value = JSON.stringify(JSON.parse(value).v.map((x: unknown) => JSON.stringify(x)).sort());
        }
        const at = showReply(await c.one("PEXPIRETIME", key));
        out.push(`db${db} ${key} ${type} ${value} ${at}`);
      }
    }
  } finally {
    await c.close();
  }
  return out;
}

/** Writes into several databases through every path that picks one. */
async function writeEverywhere(port: number, tag: string): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const replies = await c.call(
      ["SET", `${tag}:zero`, "0"],
      ["SELECT", "3"],
      ["HSET", `${tag}:h`, "f", "v", "g", "w"],
      ["PEXPIREAT", `${tag}:h`, "4102444800000"],
      ["SADD", `${tag}:s`, "a", "b"],
      ["MULTI"],
      ["SELECT", "9"],
      ["ZADD", `${tag}:z`, "1", "one", "2", "two"],
      ["EXEC"],
      ["RPUSH", `${tag}:l`, "x", "y"],
      [
        "EVAL",
        `redis.call('select', 12); redis.call('set', KEYS[1], 'lua'); return 1`,
        "1",
        `${tag}:lua`,
      ],
      ["SET", `${tag}:moved`, "m"],
      ["MOVE", `${tag}:moved`, "14"],
      ["SELECT", "14"],
      ["COPY", `${tag}:moved`, `${tag}:copied`, "DB", "15"],
      ["SELECT", "5"],
      ["SET", `${tag}:gone`, "x"],
      ["FLUSHDB"],
      ["SELECT", "6"],
      ["SET", `${tag}:swapped`, "s"],
      ["SWAPDB", "6", "7"],
    );
    for (const r of replies) assert.notEqual(r.t, "error", showReply(r));
  } finally {
    await c.close();
  }
}

Deno.test("databases: every database survives kill -9 and a snapshot; --rdb gives Redis the same", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_databases_" });
  const rdbDir = await Deno.makeTempDir({ prefix: "atlasd_databases_rdb_" });
  /** Runs `body` on an atlasd over `dir`, then kills it with SIGKILL (or stops it: `clean`). */
  const withAtlasd = async <T>(body: (port: number) => Promise<T>, clean = false) => {
    const atlas = await startAtlasd(["--sync-mode", "every"], dir);
    try {
      return await body(atlas.port);
    } finally {
      if (!clean) Deno.kill(atlas.pid, "SIGKILL");
      await atlas.stop();
    }
  };
  try {
    let before = await withAtlasd(async (port) => {
      await writeEverywhere(port, "a");
      return await contents(port);
    });
    assert.ok(before.some((line) => line.startsWith("db12 a:lua string")), before.join("\n"));
    assert.ok(before.some((line) => line.startsWith("db7 a:swapped")), before.join("\n"));
    // Replayed from the AOF alone.
    before = await withAtlasd(async (port) => {
      assert.deepEqual(await contents(port), before);
      assert.equal(text(await oneShot(port, ["SAVE"])), "OK");
      await writeEverywhere(port, "b");
      return await contents(port);
    });
    // From the snapshot, then the AOF written after it.
    await withAtlasd(async (port) => {
      assert.deepEqual(await contents(port), before);
      await redisCli(port, ["--rdb", `${rdbDir}/dump.rdb`]);
    }, true);
    const redis = await startRedis([
      "--save",
      "",
      "--dir",
      rdbDir,
      "--dbfilename",
      "dump.rdb",
      "--appendonly",
      "no",
    ]);
    try {
      assert.deepEqual(await contents(redis.port), before);
    } finally {
      await redis.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(rdbDir, { recursive: true });
  }
});

async function oneShot(port: number, argv: string[]): Promise<RespValue> {
  const c = await RawClient.connect(port);
  try {
    return await c.one(...argv);
  } finally {
    await c.close();
  }
}
