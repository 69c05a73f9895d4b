/**
 * Side by side with redis-server 7.0 (started with enable-debug-command yes): DEBUG POPULATE's
 * keys, values, skipping of existing keys and error texts, DEBUG SLEEP, DEBUG RELOAD and LOADAOF,
 * DEBUG DIGEST / DIGEST-VALUE, and DEBUG HELP's shape.
 * Plus atlasd's own promise: populated keys are logged like any write and survive a restart.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  replyDifferences,
  type RespValue,
  startAtlasd,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const STEPS: string[][] = [
  ["SET", "key:3", "mine"],
  ["DEBUG", "POPULATE", "100"],
  ["DBSIZE"],
  ["GET", "key:0"],
  ["GET", "key:3"],
  ["GET", "key:99"],
  ["EXISTS", "key:100"],
  ["DEBUG", "POPULATE", "5", "p", "3"],
  ["GET", "p:4"],
  ["DEBUG", "POPULATE", "3", "q", "10"],
  ["GET", "q:2"],
  ["STRLEN", "q:2"],
  ["DEBUG", "POPULATE", "0"],
  ["DEBUG", "POPULATE", "2", "r", "0"],
  ["GET", "r:1"],
  ["DBSIZE"],
  ["DEBUG", "POPULATE", "-1"],
  ["DEBUG", "POPULATE", "abc"],
  ["DEBUG", "POPULATE", "3", "s", "-2"],
  ["DEBUG", "POPULATE"],
  ["DEBUG", "POPULATE", "1", "a", "1", "extra"],
  ["DEBUG", "NO-SUCH-THING"],
  ["DEBUG", "SLEEP", "0"],
  ["DEBUG", "SLEEP", "0.01"],
  ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"],
  ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
  ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4gb"],
  ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "lots"],
  ["DEBUG", "QUICKLIST-PACKED-THRESHOLD"],
  ["DBSIZE"],
];

Deno.test("DEBUG POPULATE / SLEEP answer like redis-server; HELP lists what atlasd has", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, STEPS), []);
    const [help] = await atlas.call(["DEBUG", "HELP"]);
    const lines = (help as { t: string; v: RespValue[] }).v.map((line) =>
      (line as { v: string }).v
    );
    assert.match(lines[0], /^DEBUG <subcommand>/);
    for (const sub of ["POPULATE", "SLEEP", "HELP"]) {
      assert.ok(lines.some((line) => line.startsWith(sub)), `HELP lists ${sub}`);
    }
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

/**
 * DEBUG DIGEST / DIGEST-VALUE: Redis's SHA1 digests, equal byte for byte — every type (an integer
 * string, a listpack and a skiplist sorted set, a stream), a TTL, several databases, a missing key,
 * an empty data set; and the digest follows changes (an element moved, a TTL dropped).
 */
const DIGEST_STEPS: string[][] = [
  ["FLUSHALL"],
  ["DEBUG", "DIGEST"],
  ["SET", "s", "hello"],
  ["SET", "n", "12345"],
  ["RPUSH", "l", "a", "b", "c", "1", "2"],
  ["SADD", "st", "x", "y", "z", "1", "2", "3"],
  ["HSET", "h", "f1", "v1", "f2", "2"],
  ["ZADD", "z", "1", "a", "2.5", "b", "-0.1", "c", "1e20", "d", "inf", "e"],
  ["ZADD", "big", ...Array.from({ length: 200 }, (_, i) => [String(i / 7), `m${i}`]).flat()],
  ["XADD", "x", "1-1", "f", "v", "g", "w"],
  ["XADD", "x", "2-0", "a", "b"],
  ["SET", "e", "v", "EX", "100"],
  ["DEBUG", "DIGEST-VALUE", "s", "n", "l", "st", "h", "z", "big", "x", "e", "missing"],
  ["DEBUG", "DIGEST-VALUE"],
  ["DEBUG", "DIGEST"],
  ["SELECT", "3"],
  ["SET", "other", "1"],
  ["DEBUG", "DIGEST"],
  ["SELECT", "0"],
  ["LMOVE", "l", "l", "LEFT", "RIGHT"],
  ["PERSIST", "e"],
  ["DEBUG", "DIGEST-VALUE", "l", "e"],
  ["DEBUG", "DIGEST"],
];

/**
 * DEBUG RELOAD: the data set is what it was (same digest, TTLs kept, a key past its deadline
 * dropped), and what values remember beyond their contents starts over as after a load: a set
 * that grew past an intset and shrank is an intset again, a hash listpack, a string raw no more.
 */
const RELOAD_STEPS: string[][] = [
  ["FLUSHALL"],
  ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
  ["SADD", "ints", ...Array.from({ length: 600 }, (_, i) => String(i))],
  ["SREM", "ints", ...Array.from({ length: 595 }, (_, i) => String(i + 5))],
  ["OBJECT", "ENCODING", "ints"],
  ["HSET", "h", "f", "x".repeat(100)],
  ["HSET", "h", "f", "short"],
  ["OBJECT", "ENCODING", "h"],
  ["SET", "s", "abc"],
  ["APPEND", "s", "def"],
  ["OBJECT", "ENCODING", "s"],
  ["RPUSH", "l", "a", "b", "c"],
  ["ZADD", "z", "1", "a", "2", "b"],
  ["XADD", "x", "1-1", "f", "v"],
  ["SET", "ttl", "v", "EX", "1000"],
  ["SET", "gone", "v", "PX", "1"],
  ["DEBUG", "SLEEP", "0.01"],
  ["DEBUG", "DIGEST-VALUE", "ints", "h", "s", "l", "z", "x", "ttl"],
  ["DEBUG", "RELOAD"],
  ["DEBUG", "DIGEST-VALUE", "ints", "h", "s", "l", "z", "x", "ttl"],
  ["OBJECT", "ENCODING", "ints"],
  ["OBJECT", "ENCODING", "h"],
  ["OBJECT", "ENCODING", "s"],
  ["TTL", "ttl"],
  ["DBSIZE"],
  ["SMEMBERS", "ints"],
  ["DEBUG", "RELOAD", "MERGE", "NOFLUSH"],
  ["DBSIZE"],
  ["DEBUG", "RELOAD", "SOMETIMES"],
  // NOFLUSH alone loads over what is held: a library loaded twice fails the load (no keys here:
  // a key loaded twice aborts redis-server); with MERGE it replaces; over nothing it loads.
  ["FLUSHALL"],
  ["FUNCTION", "LOAD", "#!lua name=rl\nredis.register_function('rlf', function() return 1 end)"],
  ["DEBUG", "RELOAD", "NOFLUSH"],
  ["DEBUG", "RELOAD", "NOFLUSH", "MERGE"],
  ["FCALL", "rlf", "0"],
  ["FUNCTION", "FLUSH"],
  ["DEBUG", "RELOAD", "NOFLUSH"],
  ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
];

Deno.test("DEBUG RELOAD keeps the data and starts encodings over, as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, RELOAD_STEPS), []);
    const [before] = await atlas.call(["DEBUG", "DIGEST"]);
    assert.deepEqual(await atlas.call(["DEBUG", "RELOAD"]), [{ t: "simple", v: "OK" }]);
    assert.deepEqual(await atlas.call(["DEBUG", "DIGEST"]), [before]);
    assert.match(
      ((await atlas.call(["DEBUG", "RELOAD", "NOSAVE"]))[0] as { v: string }).v,
      /NOSAVE is not supported/,
    );
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

Deno.test("DEBUG DIGEST and DIGEST-VALUE give redis-server's digests", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, DIGEST_STEPS), []);
    assert.deepEqual(await atlas.call(["DEBUG", "DIGEST-VALUE", "missing"]), [
      { t: "array", v: [{ t: "simple", v: "0".repeat(40) }] },
    ]);
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

Deno.test("DEBUG POPULATE's keys are logged like any write: they are back after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_debug_" });
  let proc = await startAtlasd(["--sync-mode", "every"], dir);
  let client = await RawClient.connect(proc.port);
  try {
    assert.deepEqual(await client.call(["DEBUG", "POPULATE", "2500", "k"]), [{
      t: "simple",
      v: "OK",
    }]);
    await client.close();
    await proc.stop();
    proc = await startAtlasd(["--sync-mode", "every"], dir);
    client = await RawClient.connect(proc.port);
    const [size, last] = await client.call(["DBSIZE"], ["GET", "k:2499"]);
    assert.deepEqual(size, { t: "integer", v: 2500 });
    assert.deepEqual(last, { t: "bulk", v: "value:2499" });
  } finally {
    await client.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * DEBUG LOADAOF: the data set loaded back from disk (Redis: its AOF; atlasd: the last snapshot
 * and the AOF after it) is the one held — TTLs as the log stamped them (KEEPTTL kept, PERSIST and
 * GETEX PERSIST dropped, relative expiries absolute), several databases, a snapshot taken half-way.
 */
const LOADAOF_STEPS: string[][] = [
  ["FLUSHALL"],
  ["SET", "keep", "v", "EX", "1000"],
  ["SET", "keep", "w", "KEEPTTL"],
  ["SET", "persisted", "v", "EX", "1000"],
  ["PERSIST", "persisted"],
  ["SET", "getex", "v", "EX", "1000"],
  ["GETEX", "getex", "PERSIST"],
  ["RPUSH", "l", "a", "b", "c"],
  ["LPOP", "l"],
  ["HSET", "h", "f", "v", "g", "w"],
  ["ZADD", "z", "1.5", "a", "2", "b"],
  ["XADD", "x", "1-1", "f", "v"],
  ["XGROUP", "CREATE", "x", "g", "0"],
  ["BGSAVE"],
  ["DEBUG", "SLEEP", "0.2"],
  ["SADD", "s", "1", "2", "3"],
  ["EXPIRE", "h", "500"],
  ["SELECT", "1"],
  ["SET", "other", "db1"],
  ["SELECT", "0"],
  ["DEBUG", "DIGEST"],
  ["DEBUG", "LOADAOF"],
  ["DEBUG", "DIGEST"],
  ["TTL", "keep"],
  ["TTL", "persisted"],
  ["TTL", "getex"],
  ["TTL", "h"],
  ["DBSIZE"],
  ["XINFO", "GROUPS", "x"],
];

Deno.test("DEBUG LOADAOF loads back the data set the log holds, as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const show = (reply: RespValue, i: number) =>
      LOADAOF_STEPS[i][0] === "BGSAVE" ? reply.t : JSON.stringify(reply);
    assert.deepEqual(await replyDifferences(redis, atlas, LOADAOF_STEPS, show), []);
  }, ["--save", "", "--appendonly", "yes", "--enable-debug-command", "yes"]));

Deno.test("after DEBUG LOADAOF writes go on to the log: they are back after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_debug_" });
  let proc = await startAtlasd(["--sync-mode", "every"], dir);
  let client = await RawClient.connect(proc.port);
  try {
    await client.call(["SET", "before", "1"], ["SAVE"], ["SET", "tail", "2"]);
    assert.deepEqual(await client.call(["DEBUG", "LOADAOF"], ["MGET", "before", "tail"]), [
      { t: "simple", v: "OK" },
      { t: "array", v: [{ t: "bulk", v: "1" }, { t: "bulk", v: "2" }] },
    ]);
    await client.call(["SET", "after", "3"]);
    // Not inside a transaction: EXEC awaits nothing between its commands (documented).
    const [, , exec] = await client.call(["MULTI"], ["DEBUG", "LOADAOF"], ["EXEC"]);
    assert.match(JSON.stringify(exec), /DEBUG LOADAOF cannot run inside MULTI/);
    await client.close();
    await proc.stop();
    proc = await startAtlasd(["--sync-mode", "every"], dir);
    client = await RawClient.connect(proc.port);
    assert.deepEqual(await client.call(["MGET", "before", "tail", "after"]), [{
      t: "array",
      v: [{ t: "bulk", v: "1" }, { t: "bulk", v: "2" }, { t: "bulk", v: "3" }],
    }]);
  } finally {
    await client.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DEBUG OBJECT gives Redis's line: encoding, serialized length, idle seconds", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const setup = [
      ["SET", "s", "hello"],
      ["SET", "n", "12345"],
      ["SET", "big", "x".repeat(100)],
      ["HSET", "h", "f", "v"],
      ["SADD", "st", "1", "2"],
      ["ZADD", "z", "1", "a"],
      // Past its deadline, not yet deleted (active expiry off): DEBUG OBJECT still finds it and
      // deletes nothing; EXISTS then expires it.
      ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
      ["SET", "stale", "v", "PX", "1"],
      ["DEBUG", "SLEEP", "0.005"],
    ];
    const probes = [
      ...["s", "n", "big", "h", "st", "z", "nokey", "stale"].map((key) => ["DEBUG", "OBJECT", key]),
      ["DEBUG", "OBJECT", "s", "extra"],
      ["DBSIZE"],
      ["EXISTS", "stale"],
      ["DEBUG", "OBJECT", "stale"],
      ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ];
    // The address and the LRU clock differ by nature; the rest must not. Idle seconds are whole
    // seconds of a clock on both sides (Redis's cached by its cron), so a key set just before a
    // second ticks over shows 1 on either: 0 and 1 both read as "just used".
    const shown = (reply: RespValue) =>
      JSON.stringify(reply).replace(/Value at:0x[0-9a-f]+/, "Value at:?").replace(
        / lru:\d+ /,
        " lru:? ",
      ).replace(/lru_seconds_idle:[01]\b/, "lru_seconds_idle:0-1");
    const mismatches: string[] = [];
    for (const argv of [...setup, ...probes]) {
      const [want] = await redis.call(argv);
      const [got] = await atlas.call(argv);
      if (shown(want) !== shown(got)) {
        mismatches.push(`${argv.join(" ")}: redis ${shown(want)} atlasd ${shown(got)}`);
      }
    }
    assert.deepEqual(mismatches, []);
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

Deno.test("DEBUG SLEEP stops the whole server and the slow log records it, as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    for (const [client, port] of [[redis, redisPort], [atlas, atlasPort]] as const) {
      await client.call(["SLOWLOG", "RESET"], [
        "CONFIG",
        "SET",
        "slowlog-log-slower-than",
        "100000",
      ]);
      const other = await RawClient.connect(port);
      try {
        const started = performance.now();
        const sleeping = client.call(["DEBUG", "SLEEP", "0.3"]);
        await new Promise((r) => setTimeout(r, 50));
        // Sent while the server sleeps: answered only once it wakes.
        await other.call(["PING"]);
        const pingedAfterMs = performance.now() - started;
        assert.deepEqual(await sleeping, [{ t: "simple", v: "OK" }]);
        assert.ok(pingedAfterMs >= 250, `port ${port}: PING answered after ${pingedAfterMs} ms`);
        const [entries] = await client.call(["SLOWLOG", "GET"]);
        const logged = (entries as { v: { v: RespValue[] }[] }).v.map((e) => e.v[3]);
        assert.deepEqual(logged[0], {
          t: "array",
          v: [{ t: "bulk", v: "DEBUG" }, { t: "bulk", v: "SLEEP" }, { t: "bulk", v: "0.3" }],
        });
      } finally {
        await other.close();
        await client.call(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
      }
    }
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

Deno.test("DEBUG PAUSE-CRON stops active expiry until resumed, as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const dbsize = async (client: RawClient) => (await client.call(["DBSIZE"]))[0];
    for (const client of [redis, atlas]) {
      await client.call(["FLUSHALL"], ["DEBUG", "PAUSE-CRON", "1"], ["SET", "k", "v", "PX", "50"]);
    }
    await new Promise((r) => setTimeout(r, 400));
    // Past its deadline, not deleted: DBSIZE still counts it on both.
    assert.deepEqual([await dbsize(redis), await dbsize(atlas)], [
      { t: "integer", v: 1 },
      { t: "integer", v: 1 },
    ]);
    for (const client of [redis, atlas]) {
      assert.deepEqual(await client.call(["DEBUG", "PAUSE-CRON", "0"]), [{ t: "simple", v: "OK" }]);
      let size = await dbsize(client);
      for (let i = 0; i < 100 && (size as { v: number }).v !== 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = await dbsize(client);
      }
      assert.deepEqual(size, { t: "integer", v: 0 });
    }
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));

/** The bytes a server sends back for `lines` (inline commands), read up to its PONG to a PING. */
async function rawExchange(conn: Deno.TcpConn, lines: string[]): Promise<string> {
  await conn.write(new TextEncoder().encode([...lines, "PING"].map((l) => `${l}\r\n`).join("")));
  let text = "";
  const chunk = new Uint8Array(64 * 1024);
  while (!text.endsWith("+PONG\r\n")) {
    const n = await conn.read(chunk);
    if (n === null) throw new Error(`closed after ${JSON.stringify(text)}`);
    text += new TextDecoder().decode(chunk.subarray(0, n));
  }
  return text;
}

Deno.test("DEBUG PROTOCOL sends redis-server's bytes for every RESP type, in RESP2 and RESP3", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const types = [
      "string",
      "integer",
      "double",
      "bignum",
      "null",
      "array",
      "set",
      "map",
      "attrib",
      "push",
      "verbatim",
      "true",
      "false",
      "nosuchtype",
    ];
    for (const proto of ["2", "3"]) {
      const sent: string[] = [];
      for (const port of [redisPort, atlasPort]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await rawExchange(conn, [`HELLO ${proto}`]); // its reply differs: not compared
          sent.push(await rawExchange(conn, types.map((t) => `DEBUG PROTOCOL ${t}`)));
          // The same replies through a script (RESP2 or RESP3 on the Lua side): what the
          // script gets converted and back. (Not push: a script's calls answer as a RESP2
          // client here, whatever redis.setresp says.)
          const scripted = types.filter((t) => t !== "push").flatMap((t) =>
            [2, 3].map((lua) =>
              `EVAL "redis.setresp(${lua}); return redis.call('debug', 'protocol', '${t}')" 0`
            )
          );
          sent.push(
            await rawExchange(conn, [
              "DEBUG SET-DISABLE-DENY-SCRIPTS 1",
              ...scripted,
              "DEBUG SET-DISABLE-DENY-SCRIPTS 0",
              `EVAL "return redis.call('debug', 'protocol', 'string')" 0`,
            ]),
          );
        } finally {
          conn.close();
        }
      }
      assert.equal(sent[2], sent[0], `RESP${proto}`);
      // Script errors name the script's SHA1, the same on both.
      assert.equal(sent[3], sent[1], `RESP${proto} through scripts`);
    }
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));
