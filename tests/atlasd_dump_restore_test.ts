/**
 * DUMP / RESTORE between a real redis-server 7.0.15 and a real atlasd: values of every type (in
 * every encoding Redis 7.0 picks for them) are dumped by Redis and restored into atlasd, then
 * dumped by atlasd and restored back into Redis (with sanitize-dump-payload yes, Redis's deep
 * check), and their contents compared on both sides. A restored key with a TTL also survives an
 * atlasd restart (AOF replay) with the same deadline.
 */
import assert from "node:assert/strict";
import {
  type Proc,
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";
import { binaryToBytes } from "../atlas/store/binary.ts";
import { RdbReader } from "../atlas/store/rdb_reader.ts";

const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

/** Keys made on Redis, with the OBJECT ENCODING Redis 7.0 gives each (what the test covers). */
const ENCODINGS: Record<string, string> = {
  "s:int": "int",
  "s:neg": "int",
  "s:int64": "int",
  "s:embstr": "embstr",
  "s:lzf": "raw",
  "s:binary": "raw",
  "s:hll": "raw",
  "l:small": "quicklist",
  "l:big": "quicklist",
  "l:hugeitem": "quicklist",
  "set:intset": "intset",
  "set:int64": "intset",
  "set:small": "hashtable",
  "set:large": "hashtable",
  "set:manyints": "hashtable",
  "h:small": "listpack",
  "h:large": "hashtable",
  "h:longvalue": "hashtable",
  "z:small": "listpack",
  "z:large": "skiplist",
  "z:special": "listpack",
  "x:stream": "stream",
  "x:empty": "stream",
};

async function populate(c: RawClient): Promise<void> {
  const cmds: string[][] = [
    ["SET", "s:int", "12345"],
    ["SET", "s:neg", "-7"],
    ["SET", "s:int64", "-9223372036854775808"],
    ["SET", "s:embstr", "hello world"],
    ["SET", "s:lzf", "abcdefgh".repeat(2000)], // Redis LZF-compresses it
    ["SET", "s:binary", ALL_BYTES.repeat(3)],
    ["PFADD", "s:hll", "a", "b", "c"],
    ["RPUSH", "l:small", "a", "1", "-5", "70000", "-9000000000", ALL_BYTES, ""],
    ["RPUSH", "l:hugeitem", "before", "x".repeat(100_000), "after"],
    ["SADD", "set:intset", "1", "-2", "300", "70000"],
    ["SADD", "set:int64", "1", "5000000000", "-9223372036854775808"],
    ["SADD", "set:small", "apple", "banana", "1", ALL_BYTES],
    ["HSET", "h:small", "f1", "v1", "n", "12", "bin", ALL_BYTES.slice(0, 60)],
    ["HSET", "h:longvalue", "f", "v".repeat(100), "g", "w"],
    ["ZADD", "z:small", "1.5", "a", "-2", "b", "0", "c"],
    ["ZADD", "z:special", "inf", "top", "-inf", "bottom", "1e-300", "tiny", "-0.1", "neg"],
  ];
  for (let i = 0; i < 20_000; i += 1000) {
    cmds.push(["RPUSH", "l:big", ...Array.from({ length: 1000 }, (_, k) => elementAt(i + k))]);
  }
  cmds.push(["SADD", "set:large", ...Array.from({ length: 1000 }, (_, i) => `member:${i}`)]);
  cmds.push(["SADD", "set:manyints", ...Array.from({ length: 600 }, (_, i) => String(i * 3))]);
  const fields = Array.from({ length: 1000 }, (_, i) => [`field:${i}`, `value:${i % 97}`]);
  cmds.push(["HSET", "h:large", ...fields.flat()]);
  const members = Array.from({ length: 500 }, (_, i) => [String(i / 3), `m${i}`]);
  cmds.push(["ZADD", "z:large", ...members.flat()]);
  for (let i = 1; i <= 300; i++) {
    const f = i % 4 === 0 ? ["other", String(i), "x", ALL_BYTES.slice(i % 250)] : ["f", `v${i}`];
    cmds.push(["XADD", "x:stream", `${1_000 + i}-${i % 3}`, ...f]);
  }
  cmds.push(
    ["XDEL", "x:stream", "1002-2", "1150-0", "1299-0"],
    ["XGROUP", "CREATE", "x:stream", "readers", "0"],
    ["XGROUP", "CREATE", "x:stream", "late", "$"],
    ["XREADGROUP", "GROUP", "readers", "alice", "COUNT", "5", "STREAMS", "x:stream", ">"],
    ["XREADGROUP", "GROUP", "readers", "bob", "COUNT", "3", "STREAMS", "x:stream", ">"],
    ["XACK", "x:stream", "readers", "1003-0"],
    ["XGROUP", "CREATECONSUMER", "x:stream", "late", "carol"],
    ["XADD", "x:empty", "5-5", "f", "v"],
    ["XDEL", "x:empty", "5-5"],
  );
  for (const reply of await c.call(...cmds)) {
    assert.notEqual(reply.t, "error", JSON.stringify(reply));
  }
}

function elementAt(i: number): string {
  return i % 5 === 0 ? String(i * 1000) : `element-${i}-${"y".repeat(i % 40)}`;
}

const text = (v: RespValue) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

/** Everything a client can read of a key, in a form that compares across servers. */
async function contentOf(c: RawClient, key: string): Promise<string> {
  const type = await c.one("TYPE", key);
  const t = (type as { v: string }).v;
  const parts: RespValue[] = [type];
  if (t === "string") parts.push(await c.one("GET", key));
  else if (t === "list") parts.push(await c.one("LRANGE", key, "0", "-1"));
  else if (t === "set") {
    const members = await c.one("SMEMBERS", key) as { v: RespValue[] };
    parts.push({ t: "array", v: [...members.v].sort((a, b) => text(a) < text(b) ? -1 : 1) });
  } else if (t === "hash") {
    const flat = (await c.one("HGETALL", key) as { v: RespValue[] }).v;
    const pairs: string[] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push(text(flat[i]) + text(flat[i + 1]));
    parts.push({ t: "bulk", v: pairs.sort().join("\n") });
  } else if (t === "zset") parts.push(await c.one("ZRANGE", key, "0", "-1", "WITHSCORES"));
  else if (t === "stream") parts.push(await c.one("XINFO", "STREAM", key, "FULL", "COUNT", "0"));
  return text({ t: "array", v: parts });
}

function bulkOf(v: RespValue): string {
  assert.equal(v.t, "bulk", text(v));
  return (v as { v: string }).v;
}

Deno.test("DUMP payloads move between redis-server 7.0.15 and atlasd, both ways", async () => {
  const redisProc = await startRedis();
  const dataDir = await Deno.makeTempDir({ prefix: "atlasd_dump_" });
  let atlasProc: Proc | null = null;
  let redis: RawClient | null = null;
  let atlas: RawClient | null = null;
  try {
    atlasProc = await startAtlasd(["--sync-mode", "every"], dataDir);
    redis = await RawClient.connect(redisProc.port);
    atlas = await RawClient.connect(atlasProc.port);
    // Arity, flags and key positions as Redis's COMMAND INFO (ACL categories and the rest aside).
    const info = async (c: RawClient) => {
      const all = await c.one("COMMAND", "INFO", "dump", "restore", "restore-asking");
      return text({
        t: "array",
        v: (all as { v: { v: RespValue[] }[] }).v.map((e) => ({
          t: "array",
          v: e.v.slice(0, 6),
        })),
      });
    };
    assert.equal(await info(atlas), await info(redis));
    await populate(redis);
    for (const [key, encoding] of Object.entries(ENCODINGS)) {
      assert.equal(bulkOf(await redis.one("OBJECT", "ENCODING", key)), encoding, key);
    }
    // The big list is several quicklist nodes (each a listpack Redis LZF-compressed).
    const bigList = new RdbReader(binaryToBytes(bulkOf(await redis.one("DUMP", "l:big"))), 1e9);
    assert.equal(bigList.byte(), 18);
    assert.ok(bigList.count() > 5);

    // Redis → atlasd.
    for (const key of Object.keys(ENCODINGS)) {
      const payload = bulkOf(await redis.one("DUMP", key));
      assert.deepEqual(
        await atlas.one("RESTORE", key, "0", payload),
        { t: "simple", v: "OK" },
        key,
      );
      assert.equal(
        await contentOf(atlas, key),
        await contentOf(redis, key),
        `redis → atlasd ${key}`,
      );
    }
    // atlasd → Redis, under new names, compared with the originals. Redis checks each payload
    // in depth (every listpack entry, stream node and PEL), not only its header.
    assert.deepEqual(await redis.one("CONFIG", "SET", "sanitize-dump-payload", "yes"), {
      t: "simple",
      v: "OK",
    });
    for (const key of Object.keys(ENCODINGS)) {
      const payload = bulkOf(await atlas.one("DUMP", key));
      const back = `back:${key}`;
      assert.deepEqual(
        await redis.one("RESTORE", back, "0", payload),
        { t: "simple", v: "OK" },
        key,
      );
      const original = await contentOf(redis, key);
      assert.equal(await contentOf(redis, back), original, `atlasd → redis ${key}`);
    }
    // Redis picks its compact encodings again for what ATLAS wrote in the plain ones.
    for (const key of ["set:intset", "set:small", "h:small", "z:small", "l:small", "s:int"]) {
      const want = bulkOf(await redis.one("OBJECT", "ENCODING", key));
      assert.equal(bulkOf(await redis.one("OBJECT", "ENCODING", `back:${key}`)), want, key);
    }
    // Lists and streams are written as Redis writes them (it compressed none of these).
    for (const key of ["l:small", "x:empty", "s:int", "s:embstr"]) {
      assert.equal(bulkOf(await atlas.one("DUMP", key)), bulkOf(await redis.one("DUMP", key)), key);
    }

    // TTLs: relative and absolute, both ways; then an atlasd restart replays the AOF.
    const payload = bulkOf(await redis.one("DUMP", "h:large"));
    assert.deepEqual(await atlas.one("RESTORE", "ttl:rel", "600000", payload), {
      t: "simple",
      v: "OK",
    });
    const deadline = (await atlas.one("PEXPIRETIME", "ttl:rel") as { v: number }).v;
    assert.ok(Math.abs(deadline - Date.now() - 600_000) < 5_000);
    const far = String(Date.now() + 3_600_000);
    await atlas.one("RESTORE", "ttl:abs", far, payload, "ABSTTL");
    await redis.one(
      "RESTORE",
      "ttl:abs",
      far,
      bulkOf(await atlas.one("DUMP", "ttl:abs")),
      "ABSTTL",
    );
    assert.deepEqual(await redis.one("PEXPIRETIME", "ttl:abs"), { t: "integer", v: Number(far) });
    const kept = ["ttl:rel", "x:stream", "l:big"];
    const before: string[] = [];
    for (const k of kept) before.push(await contentOf(atlas, k));
    await atlas.close();
    await atlasProc.stop();
    atlasProc = null;
    atlasProc = await startAtlasd(["--sync-mode", "every"], dataDir);
    atlas = await RawClient.connect(atlasProc.port);
    assert.deepEqual(await atlas.one("PEXPIRETIME", "ttl:rel"), { t: "integer", v: deadline });
    assert.deepEqual(await atlas.one("PEXPIRETIME", "ttl:abs"), { t: "integer", v: Number(far) });
    const after: string[] = [];
    for (const k of kept) after.push(await contentOf(atlas, k));
    assert.deepEqual(after, before);
  } finally {
    await redis?.close();
    await atlas?.close();
    await atlasProc?.stop();
    await redisProc.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
