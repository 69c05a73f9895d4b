/**
 * A fixture for the tests that move whole values between redis-server and atlasd (DUMP / RESTORE,
 * RDB files): keys of every type in every encoding Redis 7.0 picks for them, the commands that make
 * them, and a reading of a key's content that compares across servers.
 */
import type { RawClient, RespValue } from "./atlasd_harness.ts";

/** Every byte value once, in order. */
export const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

/** JSON of a reply (bigints as strings). */
export const text = (v: RespValue) =>
  JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

/** The keys everyEncodingCommands() makes, with the OBJECT ENCODING Redis 7.0 gives each. */
export const EVERY_ENCODING: Record<string, string> = {
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

/** Commands that make EVERY_ENCODING's keys (on redis-server or atlasd alike). */
export function everyEncodingCommands(): string[][] {
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
  return cmds;
}

function elementAt(i: number): string {
  return i % 5 === 0 ? String(i * 1000) : `element-${i}-${"y".repeat(i % 40)}`;
}

/** Everything a client can read of a key, in a form that compares across servers. */
export async function contentOf(c: RawClient, key: string): Promise<string> {
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
