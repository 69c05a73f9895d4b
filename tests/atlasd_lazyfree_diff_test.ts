/**
 * INFO's lazyfreed_objects side by side with redis-server 7.0.15 (Redis's unit/lazyfree): UNLINK
 * counts a value Redis frees in its background thread — more than 64 allocations to free: a big
 * hashtable set or hash, a skiplist, a long list, a stream of many nodes or with a busy group —
 * and not a small or compact one; FLUSHALL / FLUSHDB ASYNC count every key; CONFIG RESETSTAT
 * zeroes it. atlasd frees everything at once; the counter reads as Redis's.
 */
import assert from "node:assert/strict";
import { type RawClient, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

async function lazyfreed(client: RawClient): Promise<number> {
  const info = (await client.one("INFO", "memory")) as { v: string };
  return Number(info.v.match(/lazyfreed_objects:(\d+)/)![1]);
}

/** Builds `key` with `commands` (pipelined), UNLINKs it, and answers lazyfreed_objects. */
async function afterUnlink(client: RawClient, key: string, commands: string[][]): Promise<number> {
  await client.call(["FLUSHALL"], ["CONFIG", "RESETSTAT"]);
  for (let i = 0; i < commands.length; i += 1000) await client.call(...commands.slice(i, i + 1000));
  await client.call(["UNLINK", key]);
  await new Promise((resolve) => setTimeout(resolve, 100)); // Redis's thread
  return await lazyfreed(client);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => String(i));

const CASES: Record<string, { key: string; commands: string[][] }> = {
  "small set": { key: "s", commands: [["SADD", "s", "a", "b", "c"]] },
  "intset of 500": { key: "s", commands: [["SADD", "s", ...range(500)]] },
  "hashtable set of 1000": { key: "s", commands: [["SADD", "s", ...range(1000)]] },
  "hash of 100 long fields": {
    key: "h",
    commands: [["HSET", "h", ...range(100).flatMap((i) => [`field-${i}`, "x".repeat(80)])]],
  },
  "zset of 200": {
    key: "z",
    commands: [["ZADD", "z", ...range(200).flatMap((i) => [i, `member-${i}`])]],
  },
  "list of 1000 small": { key: "l", commands: [["RPUSH", "l", ...range(1000)]] },
  "list of 600 x 1 KiB": {
    key: "l",
    commands: range(600).map(() => ["RPUSH", "l", "y".repeat(1024)]),
  },
  "string": { key: "k", commands: [["SET", "k", "v".repeat(100_000)]] },
  "stream of 1000 in nodes of 5, a group": {
    key: "x",
    commands: [
      ["CONFIG", "SET", "stream-node-max-entries", "5"],
      ...range(1000).map((i) => ["XADD", "x", "*", "foo", i]),
      ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "x", ">"],
      ["CONFIG", "SET", "stream-node-max-entries", "100"],
    ],
  },
  "stream of 1, group destroyed": {
    key: "x",
    commands: [
      ["XADD", "x", "*", "a", "b"],
      ["XGROUP", "CREATE", "x", "g", "$"],
      ["XGROUP", "DESTROY", "x", "g"],
    ],
  },
};

Deno.test("lazyfreed_objects counts what Redis frees lazily: UNLINK of big values, FLUSH ASYNC", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const differences: string[] = [];
    for (const [name, c] of Object.entries(CASES)) {
      const want = await afterUnlink(redis, c.key, c.commands);
      const got = await afterUnlink(atlas, c.key, c.commands);
      if (got !== want) differences.push(`${name}: atlasd ${got}, redis ${want}`);
    }
    for (const flush of [["FLUSHALL", "ASYNC"], ["FLUSHDB", "ASYNC"], ["FLUSHALL"]]) {
      const counts: number[] = [];
      for (const client of [redis, atlas]) {
        await client.call(["FLUSHALL"], ["MSET", "a", "1", "b", "2", "c", "3"]);
        await client.call(["CONFIG", "RESETSTAT"], flush);
        await new Promise((resolve) => setTimeout(resolve, 100));
        counts.push(await lazyfreed(client));
      }
      if (counts[1] !== counts[0]) {
        differences.push(`${flush.join(" ")}: atlasd ${counts[1]}, redis ${counts[0]}`);
      }
    }
    assert.deepEqual(differences, [], differences.join("\n"));
  }));
