/**
 * `redis-cli --rdb FILE` against a real atlasd (REPLCONF capa eof, REPLCONF rdb-only 1, SYNC):
 * the file passes `redis-check-rdb`, a real redis-server 7.0.15 loads it, and every key reads the
 * same there as on atlasd (type, content, encoding, deadline, DUMP bytes where Redis's DUMP of a
 * loaded value is deterministic), libraries included. Also: PSYNC from a client that is not
 * rdb-only (and a real Redis replica) is refused and never gets a full sync; a transfer is a
 * point-in-time image while writes go on, and other clients keep being served meanwhile.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  infoField,
  type Proc,
  RawClient,
  redisCli,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";
import {
  ALL_BYTES,
  contentOf,
  EVERY_ENCODING,
  everyEncodingCommands,
  text,
} from "../atlas/testing/every_encoding.ts";

const latin1 = (bytes: Uint8Array) => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return s;
};

/** Keys written on atlasd, with the OBJECT ENCODING each must have on both servers. */
const ENCODINGS: Record<string, string> = {
  ...EVERY_ENCODING,
  "s:random": "raw",
  "s:hll": "embstr", // (raw as Redis's PFADD makes it; Redis loads it as embstr)
  "12345": "embstr",
  ["key:" + "k".repeat(100)]: "embstr",
  ["bin:" + ALL_BYTES]: "embstr",
  "ttl:string": "embstr",
  "ttl:hash": "listpack",
  "ttl:zset": "skiplist",
  "ttl:far": "int",
};

const SHORT_LIBRARY = "#!lua name=short\n" +
  "redis.register_function{function_name='hello', callback=function(k, a) return 'hi ' .. a[1] " +
  "end, flags={'no-writes'}, description='says hello'}";
const LONG_LIBRARY = `#!lua name=long\n-- ${"compress me ".repeat(40)}\n` +
  "redis.register_function('setter', function(k, a) return redis.call('SET', k[1], a[1]) end)\n" +
  "redis.register_function('getter', function(k, a) return redis.call('GET', k[1]) end)";

function randomBinary(bytes: number): string {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return latin1(out);
}

async function populate(c: RawClient): Promise<void> {
  const cmds: string[][] = [
    ...everyEncodingCommands(),
    ["SET", "s:random", randomBinary(100_000)],
    ["SET", "12345", "an integer key"],
    ["SET", "key:" + "k".repeat(100), "a key LZF compresses"],
    ["SET", "bin:" + ALL_BYTES, "a binary key"],
    ["SET", "ttl:string", "soon", "EX", "1000"],
    ["HSET", "ttl:hash", "f", "v"],
    ["PEXPIRE", "ttl:hash", "500000"],
    ["ZADD", "ttl:zset", ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat()],
    ["EXPIRE", "ttl:zset", "86400"],
    ["SET", "ttl:far", "1", "PXAT", "4102444800000"],
    ["FUNCTION", "LOAD", SHORT_LIBRARY],
    ["FUNCTION", "LOAD", LONG_LIBRARY],
  ];
  for (const reply of await c.call(...cmds)) {
    assert.notEqual(reply.t, "error", text(reply));
  }
}

/** FUNCTION LIST WITHCODE, libraries and their functions sorted (Redis lists in dict order). */
async function libraries(c: RawClient): Promise<string[]> {
  const list = await c.one("FUNCTION", "LIST", "WITHCODE") as { v: { v: RespValue[] }[] };
  return list.v.map((library) => {
    const fields = library.v;
    const at = fields.findIndex((f) => text(f) === text({ t: "bulk", v: "functions" })) + 1;
    const functions = fields[at] as { v: RespValue[] };
    functions.v.sort((a, b) => text(a) < text(b) ? -1 : 1);
    return text({ t: "array", v: fields });
  }).sort();
}

async function keysOf(c: RawClient): Promise<string[]> {
  const keys = await c.one("KEYS", "*") as { v: { v: string }[] };
  return keys.v.map((k) => k.v).sort();
}

function integerOf(v: RespValue): number {
  assert.equal(v.t, "integer", text(v));
  return Number((v as { v: number }).v);
}

async function checkRdb(path: string): Promise<string> {
  const out = await new Deno.Command("redis-check-rdb", { args: [path] }).output();
  const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, report);
  return report;
}

/** A redis-server 7.0.15 started on an RDB file (no AOF, no saving), once it loaded the file. */
async function startRedisOn(dir: string, file: string): Promise<Proc> {
  const args = ["--dir", dir, "--dbfilename", file, "--appendonly", "no", "--save", ""];
  const proc = await startRedis(args);
  const client = await RawClient.connect(proc.port);
  try {
    // Until the file is loaded, Redis answers -LOADING.
    for (let i = 0; i < 200 && (await client.one("PING")).t === "error"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await client.close();
  }
  return proc;
}

Deno.test("redis-cli --rdb: a file redis-check-rdb passes and redis-server 7.0.15 loads as is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_rdb_" });
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  let redisProc: Proc | null = null;
  const atlas = await RawClient.connect(atlasProc.port);
  let redis: RawClient | null = null;
  try {
    await populate(atlas);
    for (const [key, encoding] of Object.entries(ENCODINGS)) {
      if (key === "s:hll") continue;
      assert.deepEqual(await atlas.one("OBJECT", "ENCODING", key), { t: "bulk", v: encoding }, key);
    }
    const syncsBefore = Number(await infoField(atlas, "stats", "sync_full"));

    const out = await redisCli(atlasProc.port, ["--rdb", `${dir}/backup.rdb`]);
    assert.match(out, /sending REPLCONF capa eof/);
    assert.match(out, /sending REPLCONF rdb-only 1/);
    assert.match(out, /SYNC sent to master, writing bytes of bulk transfer until EOF marker/);
    assert.match(out, /Transfer finished with success after \d+ bytes/);
    const report = await checkRdb(`${dir}/backup.rdb`);
    const keys = Object.keys(ENCODINGS).length;
    assert.match(report, new RegExp(`\\[info\\] ${keys} keys read`));
    assert.match(report, /\[info\] 4 expires/);
    assert.match(report, /AUX FIELD redis-ver = '7\.0\.15'/);
    assert.equal(Number(await infoField(atlas, "stats", "sync_full")), syncsBefore + 1);
    // The connection ended with the payload; atlasd serves on.
    assert.deepEqual(await atlas.one("PING"), { t: "simple", v: "PONG" });

    redisProc = await startRedisOn(dir, "backup.rdb");
    redis = await RawClient.connect(redisProc.port);
    assert.deepEqual(await keysOf(redis), await keysOf(atlas));
    assert.deepEqual(await libraries(redis), await libraries(atlas));
    assert.deepEqual(await redis.one("FCALL", "hello", "0", "you"), { t: "bulk", v: "hi you" });
    for (const key of Object.keys(ENCODINGS)) {
      assert.equal(await contentOf(redis, key), await contentOf(atlas, key), key);
      assert.deepEqual(await redis.one("OBJECT", "ENCODING", key), {
        t: "bulk",
        v: ENCODINGS[key],
      }, key);
      // The same deadline (PTTL: the same within the test's own delay).
      const deadline = await atlas.one("PEXPIRETIME", key);
      assert.deepEqual(await redis.one("PEXPIRETIME", key), deadline, key);
      const ttlRedis = integerOf(await redis.one("PTTL", key));
      const ttlAtlas = integerOf(await atlas.one("PTTL", key));
      if (integerOf(deadline) < 0) assert.equal(ttlRedis, ttlAtlas, key);
      else assert.ok(Math.abs(ttlRedis - ttlAtlas) < 30_000, `${key}: ${ttlRedis} ${ttlAtlas}`);
      // Redis keeps the compact encodings' bytes as loaded and walks its skiplist by score, so
      // its DUMP is atlasd's; a hashtable set or hash comes out in its own dict order.
      const encoding = ENCODINGS[key];
      const type = (await atlas.one("TYPE", key) as { v: string }).v;
      if (!(encoding === "hashtable" && (type === "set" || type === "hash"))) {
        assert.ok(
          text(await redis.one("DUMP", key)) === text(await atlas.one("DUMP", key)),
          `DUMP ${key}`,
        );
      }
    }

    // --functions-rdb: the libraries alone.
    const fnOut = await redisCli(atlasProc.port, ["--functions-rdb", `${dir}/functions.rdb`]);
    assert.match(fnOut, /sending REPLCONF rdb-filter-only functions/);
    assert.match(fnOut, /Transfer finished with success/);
    assert.match(await checkRdb(`${dir}/functions.rdb`), /\[info\] 0 keys read/);
    const fnRedis = await startRedisOn(dir, "functions.rdb");
    const fnClient = await RawClient.connect(fnRedis.port);
    try {
      assert.deepEqual(await fnClient.one("DBSIZE"), { t: "integer", v: 0 });
      assert.deepEqual(await libraries(fnClient), await libraries(atlas));
    } finally {
      await fnClient.close();
      await fnRedis.stop();
    }
  } finally {
    await redis?.close();
    await atlas.close();
    await redisProc?.stop();
    await atlasProc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("REPLCONF / SYNC / PSYNC: replies as redis-server's; Redis replicas are refused", async () => {
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  const atlas = await RawClient.connect(atlasProc.port);
  let replicaProc: Proc | null = null;
  let replica: RawClient | null = null;
  try {
    await atlas.one("SET", "k", "v");
    // A replica's ACK (and GETACK) get no reply at all.
    await atlas.writeRaw(encodeCommand(["REPLCONF", "ack", "10"]));
    await atlas.writeRaw(encodeCommand(["REPLCONF", "getack", "*"]));
    const replies = await atlas.call(
      ["REPLCONF", "listening-port", "6380", "capa", "eof", "capa", "psync2"],
      ["REPLCONF", "ip-address", "x".repeat(256)],
      ["REPLCONF", "rdb-only", "2"],
      ["REPLCONF", "capa"],
      ["REPLCONF", "nosuch", "1"],
      ["REPLCONF", "rdb-filter-only", "keys"],
      ["PING"],
      ["PSYNC", "?"],
      ["SYNC", "extra"],
      ["MULTI"],
      ["SYNC"],
      ["PSYNC", "?", "-1"],
      ["DISCARD"],
    );
    assert.deepEqual(
      replies.map((r) => text(r)),
      [
        { t: "simple", v: "OK" },
        {
          t: "error",
          v: "ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes",
        },
        { t: "error", v: "ERR value is out of range, value must between 0 and 1" },
        { t: "error", v: "ERR syntax error" },
        { t: "error", v: "ERR Unrecognized REPLCONF option: nosuch" },
        { t: "error", v: "ERR Unsupported rdb-filter-only option: keys" },
        { t: "simple", v: "PONG" },
        { t: "error", v: "ERR wrong number of arguments for 'psync' command" },
        { t: "error", v: "ERR wrong number of arguments for 'sync' command" },
        { t: "simple", v: "OK" },
        { t: "error", v: "ERR Command not allowed inside a transaction" },
        { t: "error", v: "ERR Command not allowed inside a transaction" },
        { t: "simple", v: "OK" },
      ].map((r) => text(r as RespValue)),
    );
    const other = await RawClient.connect(atlasProc.port);
    assert.deepEqual(await other.call(["REPLCONF", "rdb-filter-only", "functions"], ["SYNC"]), [
      { t: "simple", v: "OK" },
      { t: "error", v: "ERR SYNC and PSYNC are invalid with pending output" },
    ]);
    assert.deepEqual(await other.one("SYNC"), {
      t: "error",
      v: "ERR Filtered replica requires EOF capability",
    });
    await other.close();

    // PSYNC without REPLCONF rdb-only: refused (after a second), and so is the SYNC a replica
    // falls back to on that connection.
    const started = Date.now();
    const refused = await atlas.one("PSYNC", "?", "-1");
    assert.equal(refused.t, "error");
    assert.match((refused as { v: string }).v, /^ERR atlasd does not serve Redis replicas/);
    assert.deepEqual(await atlas.one("SYNC"), refused);
    assert.ok(Date.now() - started >= 1900, "each refusal waits a second");
    assert.equal(await infoField(atlas, "stats", "sync_full"), "0");

    // A real redis-server pointed at atlasd: handshakes, is refused, loads nothing.
    replicaProc = await startRedis([
      "--save",
      "",
      "--appendonly",
      "no",
      "--replicaof",
      "127.0.0.1",
      String(atlasProc.port),
    ]);
    replica = await RawClient.connect(replicaProc.port);
    await new Promise((r) => setTimeout(r, 3000));
    const replication = (await replica.one("INFO", "replication") as { v: string }).v;
    assert.match(replication, /master_link_status:down/);
    assert.deepEqual(await replica.one("DBSIZE"), { t: "integer", v: 0 });
    assert.equal(await infoField(atlas, "stats", "sync_full"), "0");

    // With rdb-only, PSYNC answers +FULLRESYNC <master_replid> <offset>, then `$<length>`.
    const conn = await replconf(atlasProc.port, ["rdb-only", "1"]);
    await conn.write(encodeCommand(["PSYNC", "?", "-1"]));
    const received = latin1(await readAll(conn));
    const replid = await infoField(atlas, "replication", "master_replid");
    const head = `+FULLRESYNC ${replid} 0\r\n$`;
    assert.equal(received.slice(0, head.length), head);
    const length = Number(received.slice(head.length, received.indexOf("\r\n", head.length)));
    const file = received.slice(received.indexOf("\r\n", head.length) + 2);
    assert.equal(file.length, length);
    assert.equal(file.slice(0, 9), "REDIS0010");
    assert.equal(await infoField(atlas, "stats", "sync_full"), "1");
  } finally {
    await replica?.close();
    await replicaProc?.stop();
    await atlas.close();
    await atlasProc.stop();
  }
});

/**
 * A connection that sent `REPLCONF <option> <value>` for each pair and read each +OK (as
 * redis-cli does: a SYNC behind a reply not yet read is refused, as Redis refuses it).
 */
async function replconf(port: number, ...options: string[][]): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const ok = new Uint8Array(5);
  for (const option of options) {
    await conn.write(encodeCommand(["REPLCONF", ...option]));
    let got = 0;
    while (got < 5) {
      const n = await conn.read(ok.subarray(got));
      assert.ok(n !== null);
      got += n;
    }
    assert.equal(latin1(ok), "+OK\r\n");
  }
  return conn;
}

/** Reads until the peer closes. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(256 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

Deno.test("a transfer is the keyspace at its start, and atlasd serves others meanwhile", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_rdb_" });
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  const atlas = await RawClient.connect(atlasProc.port);
  let redisProc: Proc | null = null;
  let redis: RawClient | null = null;
  try {
    // ~24 MB that LZF cannot shrink: far more than the socket buffers hold.
    const values = new Map<string, string>();
    for (let batch = 0; batch < 30; batch++) {
      const cmds: string[][] = [];
      for (let i = 0; i < 200; i++) {
        const key = `big:${batch * 200 + i}`;
        values.set(key, randomBinary(4000));
        cmds.push(["SET", key, values.get(key)!]);
      }
      await atlas.call(...cmds);
    }
    await atlas.call(...Array.from({ length: 100 }, (_, i) => ["SET", `pit:${i}`, "old"]));

    const conn = await replconf(atlasProc.port, ["capa", "eof"], ["rdb-only", "1"]);
    await conn.write(encodeCommand(["PSYNC", "?", "-1"]));
    // Read the start, then stop reading: the transfer waits on the socket, the view stays open.
    const first = new Uint8Array(64 * 1024);
    let got = "";
    while (!got.includes("$EOF:") || got.indexOf("\r\n", got.indexOf("$EOF:")) < 0) {
      const n = await conn.read(first);
      assert.ok(n !== null);
      got += latin1(first.subarray(0, n));
    }
    const markAt = got.indexOf("$EOF:") + 5;
    const mark = got.slice(markAt, markAt + 40);
    assert.match(mark, /^[0-9a-f]{40}$/);
    assert.ok(got.startsWith("+FULLRESYNC "), got.slice(0, 80));

    // Meanwhile: other clients are served, and writes change keys the transfer has not sent.
    await new Promise((r) => setTimeout(r, 300));
    let slowest = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      assert.deepEqual(await atlas.one("PING"), { t: "simple", v: "PONG" });
      slowest = Math.max(slowest, performance.now() - t0);
    }
    assert.ok(slowest < 500, `PING took ${slowest} ms during the transfer`);
    await atlas.call(
      ...Array.from({ length: 100 }, (_, i) => ["SET", `pit:${i}`, "new"]),
      ["DEL", "pit:50", "big:7"],
      ["SET", "fresh", "x"],
    );
    const clients = (await atlas.one("CLIENT", "LIST") as { v: string }).v;
    assert.match(clients, /cmd=psync/);

    // The rest of the payload: the file of the moment PSYNC ran, then the mark.
    const rest = latin1(await readAll(conn));
    const payload = got.slice(got.indexOf("\r\n", markAt) + 2) + rest;
    assert.equal(payload.slice(-40), mark);
    const file = payload.slice(0, -40);
    assert.ok(got.length < file.length / 2, "the reader stalled the transfer mid-way");
    await Deno.writeFile(`${dir}/pit.rdb`, Uint8Array.from(file, (c) => c.charCodeAt(0)));
    assert.match(await checkRdb(`${dir}/pit.rdb`), /\[info\] 6100 keys read/);

    redisProc = await startRedisOn(dir, "pit.rdb");
    redis = await RawClient.connect(redisProc.port);
    assert.deepEqual(await redis.one("DBSIZE"), { t: "integer", v: 6100 });
    assert.deepEqual(await redis.one("GET", "pit:0"), { t: "bulk", v: "old" });
    assert.deepEqual(await redis.one("GET", "pit:99"), { t: "bulk", v: "old" });
    assert.deepEqual(await redis.one("GET", "pit:50"), { t: "bulk", v: "old" });
    assert.deepEqual(await redis.one("EXISTS", "fresh"), { t: "integer", v: 0 });
    for (const key of ["big:0", "big:7", "big:5999"]) {
      assert.ok(
        text(await redis.one("GET", key)) === text({ t: "bulk", v: values.get(key)! }),
        key,
      );
    }
    assert.deepEqual(await atlas.one("GET", "pit:0"), { t: "bulk", v: "new" });

    // A reader at full speed: the transfer yields to other clients every few milliseconds.
    const cli = new Deno.Command("redis-cli", {
      args: ["-p", String(atlasProc.port), "--rdb", `${dir}/full.rdb`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let running = true;
    const exited = cli.status.then((status) => {
      running = false;
      return status;
    });
    const pings: number[] = [];
    while (running) {
      const t0 = performance.now();
      await atlas.one("PING");
      if (running) pings.push(performance.now() - t0);
    }
    assert.equal((await exited).code, 0);
    assert.match(await checkRdb(`${dir}/full.rdb`), /\[info\] 6099 keys read/);
    pings.sort((a, b) => a - b);
    assert.ok(pings.length >= 10, `${pings.length} PINGs answered during the transfer`);
    assert.ok(pings[Math.floor(pings.length / 2)] < 50, `median PING ${pings.join(" ")}`);
  } finally {
    await redis?.close();
    await redisProc?.stop();
    await atlas.close();
    await atlasProc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
