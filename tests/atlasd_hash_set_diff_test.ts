/**
 * Side by side with redis-server 7.0.15: hashes and sets beyond atlasd_collections_edge_diff_test.
 * A set Redis holds as an intset (only canonical int64 members, at most set-max-intset-entries)
 * is answered in ascending numeric order: SMEMBERS, SSCAN, SINTER / SUNION / SDIFF results that
 * form an intset, SRANDMEMBER and SPOP asking for the whole set, and SPOP taking all but fewer than
 * count / 5 members (Redis keeps the rest in a new set and replies the old one). HRANDFIELD
 * WITHVALUES and ZRANDMEMBER WITHSCORES accept counts up to exactly ±LONG_MAX / 2. Before this
 * test atlasd answered sets in insertion order and refused HRANDFIELD ... 4611686018427387903
 * WITHVALUES and ZRANDMEMBER ... WITHSCORES (and any count past 2^53) as out of range. The rest are agreeing neighbours: encodings, HINCRBY overflow,
 * HINCRBYFLOAT to inf, the STORE forms over other types and missing sources, and which no-op
 * writes leave a WATCH and the keyspace events alone.
 *
 * Never add a negative random count Redis accepts with a large magnitude: Redis builds a reply
 * of |count| items (atlasd refuses it, documented) and runs out of memory.
 */
import assert from "node:assert/strict";
import {
  replyDifferences,
  type RespValue,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const range = (n: number, f: (i: number) => string): string[] =>
  Array.from({ length: n }, (_, i) => f(i));

const SETUP: string[][] = [
  ["SET", "strkey", "v"],
  ["SADD", "i1", "5", "3", "9", "1", "-7"],
  ["SADD", "i2", "9", "1", "100", "3"],
  ["SADD", "i3", "42"],
  ["SADD", "m", "a", "9", "1"],
  [
    "SADD",
    "neg",
    "9223372036854775807",
    "-9223372036854775808",
    "9007199254740993",
    "9007199254740992",
    "-1",
    "0",
  ],
  ["SADD", "p", "30", "10", "20"],
  ["SADD", "q", ...range(20, (i) => String(19 - i))],
  ["SADD", "i300", ...range(300, (i) => String(300 - i))],
  ["HSET", "one", "f", "v"],
];

/**
 * Sent one by one, RESP2 then RESP3; every reply must equal Redis's. "sort:" compares the items
 * sorted (a hashtable's order is Redis's own, seeded at random); "asc:" compares only the type,
 * the length and whether the items are in ascending numeric order (random picks).
 */
const LINES: string[] = [
  // Intsets come back in ascending order.
  "SMEMBERS i1",
  "SSCAN i1 0",
  "SSCAN i1 0 MATCH 1*",
  "SMEMBERS neg",
  "SSCAN neg 0 MATCH 9*",
  "SMEMBERS i300",
  "SINTER i1 i2",
  "SINTER i2 i1",
  "SINTER i1 i2 i1",
  "SUNION i1 i2 i3",
  "SUNION nokey i2",
  "SDIFF i1 i2",
  "SDIFF i2 i1",
  "SDIFF i1 m",
  "SDIFF i1 nokey",
  "sort:SUNION i1 m",
  "sort:SMEMBERS m",
  "SINTERSTORE d i1 i2",
  "SMEMBERS d",
  "SUNIONSTORE d i2 i1",
  "SMEMBERS d",
  "SDIFFSTORE d i2 i1",
  "SMEMBERS d",
  "OBJECT ENCODING d",
  "SMOVE i1 i3 5",
  "SMEMBERS i3",
  "SMEMBERS i1",
  "SRANDMEMBER i2 4",
  "SRANDMEMBER i2 100",
  "SRANDMEMBER i2 9223372036854775807",
  "asc:SRANDMEMBER i2 1",
  "SPOP p 3",
  "EXISTS p",
  "asc:SPOP q 17",
  "SCARD q",
  "OBJECT ENCODING q",
  // A non-integer makes a hashtable (its order is Redis's own).
  "SADD i2 x",
  "OBJECT ENCODING i2",
  "sort:SMEMBERS i2",
  "SADD e1 -0",
  "OBJECT ENCODING e1",
  "SADD e2 01",
  "OBJECT ENCODING e2",
  "SADD e3 9223372036854775808",
  "OBJECT ENCODING e3",
  "SADD e4 -9223372036854775808",
  "OBJECT ENCODING e4",
  // set-max-intset-entries (7.0 has no set-max-listpack-*).
  "CONFIG SET set-max-listpack-entries 1",
  "CONFIG SET set-max-intset-entries 3",
  "SADD c1 3 2 1",
  "OBJECT ENCODING c1",
  "SMEMBERS c1",
  "SINTERSTORE c2 c1 c1",
  "SMEMBERS c2",
  "SADD c3 4 3 2 1",
  "OBJECT ENCODING c3",
  "sort:SMEMBERS c3",
  "CONFIG SET set-max-intset-entries 512",
  // The STORE forms over other types, onto themselves, from missing sources.
  "SINTERSTORE strkey i1 i3",
  "TYPE strkey",
  "SMEMBERS strkey",
  "SET strkey v",
  "SUNIONSTORE strkey nokey",
  "EXISTS strkey",
  "SET strkey v",
  "SDIFFSTORE i3 i3 i3",
  "EXISTS i3",
  "SINTERSTORE i1 i1 nokey",
  "EXISTS i1",
  // HRANDFIELD WITHVALUES: |count| up to LONG_MAX / 2 exactly.
  "HRANDFIELD one 4611686018427387903 WITHVALUES",
  "HRANDFIELD one 4611686018427387904 WITHVALUES",
  "HRANDFIELD one -4611686018427387904 WITHVALUES",
  "HRANDFIELD nokey 4611686018427387903 WITHVALUES",
  "HRANDFIELD strkey 4611686018427387903 WITHVALUES",
  "HRANDFIELD strkey 4611686018427387904 WITHVALUES",
  "HRANDFIELD one 9007199254740993 WITHVALUES",
  "HRANDFIELD one 9223372036854775807 WITHVALUES",
  "HRANDFIELD one 9223372036854775807",
  // ZRANDMEMBER WITHSCORES: the same bound.
  "ZADD zone 1 a",
  "ZRANDMEMBER zone 4611686018427387903 WITHSCORES",
  "ZRANDMEMBER zone 4611686018427387904 WITHSCORES",
  "ZRANDMEMBER zone -4611686018427387904 WITHSCORES",
  "ZRANDMEMBER zone 9007199254740993 WITHSCORES",
  "ZRANDMEMBER strkey 4611686018427387903 WITHSCORES",
  // HINCRBY / HINCRBYFLOAT limits.
  "HSET hi n 9223372036854775807 big 1.1e4932 s inf",
  "HINCRBY hi n 1",
  "HINCRBY hi n -9223372036854775808",
  "HINCRBY hi n 9223372036854775808",
  "HINCRBYFLOAT hi big 1.1e4932",
  "HINCRBYFLOAT hi f inf",
  "HINCRBYFLOAT hi s 1",
  "HINCRBYFLOAT hi f 1e4000",
  "HGET hi big",
  "HGETALL one",
  "HGETALL nokey",
  "HRANDFIELD nokey 1 WITHVALUES",
];

function itemsOf(v: RespValue): RespValue[] {
  return v.t === "array" || v.t === "set" ? v.v : [];
}

function normalize(line: string, v: RespValue): string {
  if (line.startsWith("sort:")) {
    return JSON.stringify([v.t, itemsOf(v).map((x) => JSON.stringify(x)).sort()]);
  }
  if (line.startsWith("asc:")) {
    const numbers = itemsOf(v).map((x) => x.t === "bulk" ? BigInt(x.v) : 0n);
    const ascending = numbers.every((n, i) => i === 0 || numbers[i - 1] < n);
    return JSON.stringify([v.t, numbers.length, ascending]);
  }
  return JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);
}

Deno.test("hash and set replies (intset order, HRANDFIELD bounds) match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const differences: string[] = [];
    for (const protocol of ["2", "3"]) {
      for (const client of [redis, atlas]) await client.call(["HELLO", protocol], ["FLUSHALL"]);
      const label = `RESP${protocol} `;
      differences.push(...await replyDifferences(redis, atlas, SETUP, undefined, label));
      const commands = LINES.map((line) => line.replace(/^(sort|asc):/, "").split(" "));
      const show = (reply: RespValue, i: number) => normalize(LINES[i], reply);
      differences.push(...await replyDifferences(redis, atlas, commands, show, label));
    }
    assert.deepEqual(differences, []);
  }));

/** The other connection's command; WATCH `watch` holds or breaks, and the events it publishes. */
const WATCH_CASES: { op: string; watch: string }[] = [
  { op: "HDEL h zz", watch: "h" },
  { op: "HDEL nokey zz", watch: "nokey" },
  { op: "HSET h a 1", watch: "h" },
  { op: "HSETNX h a 9", watch: "h" },
  { op: "HINCRBY h a 0", watch: "h" },
  { op: "HINCRBY h s 1", watch: "h" },
  { op: "HINCRBY h n 1", watch: "h" },
  { op: "HINCRBYFLOAT h a inf", watch: "h" },
  { op: "HINCRBYFLOAT h a 0", watch: "h" },
  { op: "HDEL h a s n", watch: "h" },
  { op: "SREM s zz", watch: "s" },
  { op: "SREM s a b c", watch: "s" },
  { op: "SPOP nokey", watch: "nokey" },
  { op: "SPOP nokey 2", watch: "nokey" },
  { op: "SPOP s 0", watch: "s" },
  { op: "SINTERSTORE nokey s nokey2", watch: "nokey" },
  { op: "SINTERSTORE str s nokey2", watch: "str" },
  { op: "SDIFFSTORE s s s", watch: "s" },
  { op: "SINTERSTORE s s s", watch: "s" },
  { op: "SINTERSTORE s2 s", watch: "s" },
  { op: "SMOVE nokey s a", watch: "s" },
  { op: "SMOVE s s zz", watch: "s" },
  { op: "SINTERSTORE str strkey s", watch: "str" },
];

/** What the other connection stores before each case. */
const WATCH_SETUP: string[][] = [
  ["SET", "str", "x"],
  ["SET", "strkey", "v"],
  ["HSET", "h", "a", "1", "s", "abc", "n", "9223372036854775807"],
  ["SADD", "s", "a", "b", "c"],
];

Deno.test("which hash/set no-op writes touch a WATCHed key or publish events, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const cases = WATCH_CASES.map(({ op, watch }) => ({ op: op.split(" "), watch }));
    const events = { keyspaceEvents: "KEA" };
    assert.deepEqual(await watchDifferences(servers, cases, WATCH_SETUP, events), []);
  }));
