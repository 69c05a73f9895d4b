/**
 * MIGRATE side by side: the same session run on redis-server (moving keys to a redis-server
 * target) and on atlasd (to another redis-server target); the replies, what each source keeps and
 * what each target received must be equal. Then atlasd to atlasd, and atlasd's own promise — a key
 * changed while its RESTORE is in flight is not deleted here (Redis blocks instead: nothing can
 * change it) — against a target that holds its replies until told.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  showReply,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

const T = "TARGET"; // replaced by each side's target port

const SESSION: string[][] = [
  ["SET", "a", "hello"],
  ["SET", "b", "world", "PX", "100000"],
  ["RPUSH", "l", "1", "2", "3"],
  ["HSET", "h", "f", "v"],
  ["ZADD", "z", "1.5", "m"],
  ["SADD", "s", "x"],
  ["MIGRATE", "127.0.0.1", T, "a", "0", "1000"],
  ["EXISTS", "a"],
  ["MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "b", "l", "nokey"],
  ["EXISTS", "b", "l"],
  ["MIGRATE", "127.0.0.1", T, "nokey", "0", "1000"],
  ["MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "nokey", "nokey2"],
  ["SET", "a", "again"],
  ["MIGRATE", "127.0.0.1", T, "a", "0", "1000"], // BUSYKEY from the target, kept here
  ["GET", "a"],
  ["MIGRATE", "127.0.0.1", T, "a", "0", "1000", "COPY", "REPLACE"],
  ["GET", "a"],
  ["MIGRATE", "127.0.0.1", T, "", "3", "0", "REPLACE", "KEYS", "h", "z"], // timeout 0: 1 s
  ["EXISTS", "h", "z"],
  ["SET", "c", "1"],
  ["MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "a", "c"], // a: BUSYKEY; c moves
  ["EXISTS", "a", "c"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "AUTH", "nopass"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "AUTH2", "someone", "nopass"],
  ["MIGRATE", "127.0.0.1", T, "s", "99999", "1000"], // the target's SELECT fails
  ["EXISTS", "s"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "FOO"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "KEYS", "s"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "AUTH"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1000", "AUTH2", "u"],
  ["MIGRATE", "127.0.0.1", T, "s", "db", "1000"],
  ["MIGRATE", "127.0.0.1", T, "s", "0", "1.5"],
  ["MIGRATE", "127.0.0.1", T, "s", "0"],
  ["MIGRATE", "127.0.0.1", "1", "s", "0", "200"], // nothing listens on port 1
  ["MIGRATE", "127.0.0.1", "notaport", "s", "0", "200"],
  ["EXISTS", "s"],
  ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "10"],
  ["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "10", "COPY", "KEYS", "k1", "k2"],
];

/** What a target holds afterwards (database 0, then 3), comparable across servers. */
const TARGET_READS: string[][] = [
  ["GET", "a"],
  ["GET", "b"],
  ["LRANGE", "l", "0", "-1"],
  ["GET", "c"],
  ["EXISTS", "s"],
  ["DBSIZE"],
  ["SELECT", "3"],
  ["HGETALL", "h"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["DBSIZE"],
  ["SELECT", "0"],
];

async function run(client: RawClient, argv: string[], targetPort: number): Promise<RespValue> {
  const [reply] = await client.call(argv.map((arg) => (arg === T ? String(targetPort) : arg)));
  return reply;
}

Deno.test("MIGRATE answers, moves and keeps keys as redis-server does", async () => {
  const redis = await startRedis();
  const redisTarget = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const atlasTarget = await startRedis();
  const clients = await Promise.all(
    [redis, redisTarget, atlas, atlasTarget].map((p) => RawClient.connect(p.port)),
  );
  const [fromRedis, redisSide, fromAtlas, atlasSide] = clients;
  try {
    const differences: string[] = [];
    for (const argv of SESSION) {
      const want = showReply(await run(fromRedis, argv, redisTarget.port));
      const got = showReply(await run(fromAtlas, argv, atlasTarget.port));
      if (want !== got) differences.push(`${argv.join(" ")}: redis ${want} atlasd ${got}`);
    }
    for (const argv of TARGET_READS) {
      const want = showReply((await redisSide.call(argv))[0]);
      const got = showReply((await atlasSide.call(argv))[0]);
      if (want !== got) differences.push(`target ${argv.join(" ")}: redis ${want} atlasd ${got}`);
    }
    assert.deepEqual(differences, []);
    // The TTL went along (100 s, less the time the session took).
    const [ttl] = await atlasSide.call(["PTTL", "b"]);
    const left = Number((ttl as { v: number }).v);
    assert.ok(left > 90_000 && left <= 100_000, `PTTL b on the target: ${left}`);
  } finally {
    for (const c of clients) await c.close();
    for (const p of [atlas, redis, redisTarget, atlasTarget]) await p.stop();
  }
});

Deno.test("MIGRATE from atlasd to atlasd; the DEL is logged and survives a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_migrate_" });
  let source = await startAtlasd(["--sync-mode", "every"], dir);
  const target = await startAtlasd(["--sync-mode", "none"]);
  let from = await RawClient.connect(source.port);
  const to = await RawClient.connect(target.port);
  try {
    await from.call(["RPUSH", "l", "a", "b"], ["SET", "k", "v"], ["SET", "stays", "1"]);
    const [reply] = await from.call([
      "MIGRATE",
      "127.0.0.1",
      String(target.port),
      "",
      "0",
      "1000",
      "KEYS",
      "l",
      "k",
    ]);
    assert.deepEqual(reply, { t: "simple", v: "OK" });
    assert.deepEqual(await to.call(["LRANGE", "l", "0", "-1"], ["GET", "k"]), [
      { t: "array", v: [{ t: "bulk", v: "a" }, { t: "bulk", v: "b" }] },
      { t: "bulk", v: "v" },
    ]);
    await from.close();
    await source.stop();
    source = await startAtlasd(["--sync-mode", "every"], dir);
    from = await RawClient.connect(source.port);
    assert.deepEqual(await from.call(["EXISTS", "l", "k", "stays"]), [{ t: "integer", v: 1 }]);
  } finally {
    await from.close();
    await to.close();
    await source.stop();
    await target.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

/**
 * A target that reads what MIGRATE sends and answers +OK to each command only once `release`
 * is called, so the test can change a key while its transfer is in flight.
 */
function slowTarget() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let received = "";
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64 * 1024);
    // AUTH-less: SELECT and two RESTOREs, each a RESP array.
    while ((received.match(/\*\d+\r\n/g) ?? []).length < 3) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let i = 0; i < n; i++) received += String.fromCharCode(buf[i]);
    }
    await released;
    await conn.write(new TextEncoder().encode("+OK\r\n+OK\r\n+OK\r\n"));
    await conn.read(buf).catch(() => null); // until MIGRATE closes its side
    conn.close();
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    release,
    received: () => received,
    async close() {
      release();
      await served.catch(() => {});
      listener.close();
    },
  };
}

Deno.test("MIGRATE keeps a key changed while its RESTORE is in flight, and says so", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const target = slowTarget();
  const client = await RawClient.connect(atlas.port);
  const other = await RawClient.connect(atlas.port);
  try {
    await client.call(["SET", "moved", "1"], ["SET", "changed", "old"]);
    const migrating = client.call([
      "MIGRATE",
      "127.0.0.1",
      String(target.port),
      "",
      "0",
      "5000",
      "KEYS",
      "moved",
      "changed",
    ]);
    // Served meanwhile (atlasd does not block), and it changes a key being sent.
    while (!target.received().includes("changed")) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await other.call(["SET", "changed", "new"]), [{ t: "simple", v: "OK" }]);
    target.release();
    const [reply] = await migrating;
    assert.equal(reply.t, "error");
    assert.match((reply as { v: string }).v, /^ERR MIGRATE: 'changed' changed while being sent/);
    assert.match(target.received(), /RESTORE\r\n\$5\r\nmoved\r\n/);
    assert.deepEqual(await other.call(["EXISTS", "moved"], ["GET", "changed"]), [
      { t: "integer", v: 0 },
      { t: "bulk", v: "new" },
    ]);
  } finally {
    await client.close();
    await other.close();
    // atlasd first: it keeps its connection to the target (Redis's MIGRATE socket cache).
    await atlas.stop();
    await target.close();
  }
});

/** MONITOR's line for a command, without its timestamp and client address. */
function monitored(line: RespValue): string {
  const text = (line as { v: string }).v;
  return text.slice(text.indexOf("] ") + 2);
}

Deno.test("MONITOR and SLOWLOG show MIGRATE's AUTH and AUTH2 secrets as Redis does: redacted", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const shown: string[][] = [];
  try {
    for (const server of [redis, atlas]) {
      const monitor = await RawClient.connect(server.port);
      const client = await RawClient.connect(server.port);
      try {
        await client.call(["SET", "key", "v"], ["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        assert.deepEqual(await monitor.one("MONITOR"), { t: "simple", v: "OK" });
        // Port 1: nothing listens, each fails at once after parsing its options.
        await client.call(
          ["MIGRATE", "127.0.0.1", "1", "key", "9", "50"],
          ["MIGRATE", "127.0.0.1", "1", "key", "9", "50", "AUTH", "pw"],
          ["MIGRATE", "127.0.0.1", "1", "key", "9", "50", "COPY", "AUTH2", "user", "pw"],
          ["MIGRATE", "127.0.0.1", "1", "", "9", "50", "AUTH", "pw", "KEYS", "AUTH", "key"],
        );
        const lines: string[] = [];
        for (let i = 0; i < 4; i++) lines.push(monitored(await monitor.next()));
        const [log] = await client.call(["SLOWLOG", "GET", "4"]);
        const entries = (log as { v: RespValue[] }).v.map((entry) =>
          ((entry as { v: RespValue[] }).v[3] as { v: RespValue[] }).v
            .map((arg) => (arg as { v: string }).v).join(" ")
        );
        shown.push([...lines, ...entries.reverse()]);
      } finally {
        await monitor.close();
        await client.close();
      }
    }
    assert.deepEqual(shown[1], shown[0]);
    assert.match(shown[0][2], /"COPY" "AUTH2" "\(redacted\)" "\(redacted\)"/);
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});

Deno.test("MIGRATE reads a target's reply lines as Redis does: at most 1 KiB each, never an unbounded buffer", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  // A target that answers with 8 MiB and no line break at all.
  const served = (async () => {
    const conn = await listener.accept();
    const junk = new Uint8Array(64 * 1024).fill(0x78);
    try {
      for (let i = 0; i < 128; i++) await conn.write(junk);
      await conn.read(new Uint8Array(1024));
    } catch {
      // MIGRATE closed its side once it had its lines
    } finally {
      conn.close();
    }
  })();
  const client = await RawClient.connect(atlas.port);
  try {
    await client.call(["SET", "k", "v"]);
    // Redis's syncReadLine takes 1 KiB of "x" as a line, and a line that is not an error as a
    // success: SELECT and RESTORE "succeed", so the key is moved.
    const [reply] = await client.call(["MIGRATE", "127.0.0.1", String(port), "k", "0", "2000"]);
    assert.deepEqual(reply, { t: "simple", v: "OK" });
    assert.deepEqual(await client.call(["EXISTS", "k"], ["PING"]), [
      { t: "integer", v: 0 },
      { t: "simple", v: "PONG" },
    ]);
  } finally {
    await client.close();
    listener.close();
    await served;
    await atlas.stop();
  }
});

/** One source's view of MIGRATEs to one target: the connections it keeps and what arrives. */
async function cachingOutcome(source: RawClient, target: RawClient, port: number) {
  const info = async (client: RawClient, field: string) => {
    const text = ((await client.one("INFO", "stats")) as { v: string }).v;
    return Number(new RegExp(`${field}:(\\d+)`).exec(text)![1]);
  };
  const migrate = async (key: string, db: string) =>
    showReply(await source.one("MIGRATE", "127.0.0.1", String(port), key, db, "1000"));
  const outcome: Record<string, string | number> = {};
  outcome.cachedBefore = await info(source, "migrate_cached_sockets");
  const connectionsBefore = await info(target, "total_connections_received");
  await source.call(["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"], ["SET", "d", "4"]);
  outcome.first = await migrate("a", "0");
  outcome.cachedAfter = await info(source, "migrate_cached_sockets");
  outcome.second = await migrate("b", "3"); // another database: SELECT again
  outcome.connectionsForTwo = (await info(target, "total_connections_received")) -
    connectionsBefore;
  // The target drops the kept connection: the next MIGRATE retries on a new one.
  outcome.killed = showReply(await target.one("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
  outcome.afterKill = await migrate("c", "3");
  outcome.backToZero = await migrate("d", "0");
  const landed = await target.call(["MGET", "a", "d"], ["SELECT", "3"], ["MGET", "b", "c"], [
    "SELECT",
    "0",
  ]);
  outcome.landed = landed.map((reply) => showReply(reply)).join(" ");
  return outcome;
}

Deno.test("MIGRATE keeps its connection to a target for the next call and replaces a dead one, as Redis", async () => {
  const servers = await Promise.all([
    startRedis(),
    startRedis(),
    startAtlasd(["--sync-mode", "none"]),
    startRedis(),
  ]);
  const [redis, redisTarget, atlas, atlasTarget] = servers;
  const clients = await Promise.all(servers.map((p) => RawClient.connect(p.port)));
  const [fromRedis, redisSide, fromAtlas, atlasSide] = clients;
  try {
    const want = await cachingOutcome(fromRedis, redisSide, redisTarget.port);
    const got = await cachingOutcome(fromAtlas, atlasSide, atlasTarget.port);
    assert.deepEqual(got, want);
    // The facts the comparison stands on, should both servers change together.
    assert.equal(got.cachedAfter, 1);
    assert.equal(got.connectionsForTwo, 1);
    assert.equal(got.afterKill, showReply({ t: "simple", v: "OK" }));
  } finally {
    for (const c of clients) await c.close();
    for (const p of [atlas, redis, redisTarget, atlasTarget]) await p.stop();
  }
});
