/**
 * Side by side with redis-server 7.0.15: edge cases of the list, hash and set commands.
 * HSCAN/SSCAN look the key up before they read the options (a missing key answers an empty scan
 * whatever follows, a wrong type WRONGTYPE before a syntax error) and answer a listpack hash (up
 * to 512 short fields) or an intset (up to 512 integers) whole with cursor 0; SINTERCARD answers
 * any bad numkeys with "numkeys should be greater than 0"; LPOS RANK -9223372036854775808 counts
 * from the tail with every match (Redis's -rank overflows). And what a WATCH sees: SADD of members
 * already there and SMOVE into a set that already holds the member leave the key untouched, an
 * LTRIM that trims nothing still touches it. Before this test atlasd answered each differently.
 */
import assert from "node:assert/strict";
import {
  replyDifferences,
  type RespValue,
  type WatchCase,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const range = (n: number, f: (i: number) => string[]): string[] =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

const SETUP: string[][] = [
  ["SET", "strkey", "v"],
  ["HSET", "h", "f1", "v1", "f2", "v2", "g1", "x"],
  ["SADD", "s", "a", "b", "c"],
  ["SADD", "s2", "c", "d"],
  ["RPUSH", "l", "a", "x", "b", "x", "c", "x"],
  // A listpack hash and an intset above atlasd's own whole-scan size (128), and one past each.
  ["HSET", "h300", ...range(300, (i) => [`f${i}`, `v${i}`])],
  ["HSET", "h512", ...range(512, (i) => [`f${i}`, `v${i}`])],
  ["SADD", "i300", ...range(300, (i) => [String(i - 150)])],
  ["SADD", "i512", ...range(512, (i) => [String(i)])],
];

/**
 * Sent one by one; every reply must equal Redis's (space-separated). "sort:" sorts the items of
 * a scan reply (set and hash order is unspecified); "cursor0:" compares only whether the cursor
 * is 0 (how many items a hashtable step yields varies with Redis's hash seed).
 */
const LINES: string[] = [
  // HSCAN / SSCAN: cursor, then the key, then the options.
  "HSCAN nokey 0 COUNT 0",
  "HSCAN nokey 0 foo",
  "HSCAN nokey 0 NOVALUES",
  "HSCAN nokey x",
  "HSCAN strkey 0 COUNT 0",
  "HSCAN strkey 0 NOVALUES",
  "HSCAN strkey 0 MATCH",
  "HSCAN strkey x",
  "HSCAN h 0 COUNT 0",
  "HSCAN h 0 NOVALUES",
  "HSCAN h x",
  "SSCAN nokey 0 COUNT 0",
  "SSCAN nokey 0 foo",
  "SSCAN nokey 0 NOVALUES",
  "SSCAN strkey 0 COUNT 0",
  "SSCAN strkey 0 foo bar",
  "SSCAN strkey x",
  "SSCAN s 0 COUNT -1",
  "SSCAN s 0 foo",
  "SSCAN s 0 MATCH",
  // Small encodings come back whole, whatever COUNT says.
  "sort:HSCAN h300 0",
  "sort:HSCAN h300 0 COUNT 1 MATCH f2*",
  "sort:HSCAN h512 0 COUNT 5",
  "sort:SSCAN i300 0",
  "sort:SSCAN i300 0 MATCH *5 COUNT 1",
  "sort:SSCAN i512 0",
  "HSET h512 f512 v",
  "SADD i512 512",
  "cursor0:HSCAN h512 0",
  "cursor0:SSCAN i512 0",
  // SINTERCARD: one error for any numkeys that is not a long in [1, LONG_MAX].
  "SINTERCARD x s",
  "SINTERCARD 01 s",
  "SINTERCARD 9223372036854775808 s",
  "SINTERCARD 1.5 s",
  "SINTERCARD 0 s",
  "SINTERCARD -1 s",
  "SINTERCARD 3 s",
  "SINTERCARD 2 s s2 LIMIT x",
  "SINTERCARD 2 s s2 LIMIT 0",
  // LPOS RANK LONG_MIN: from the tail, and COUNT never stops the scan.
  "LPOS l x RANK -9223372036854775808",
  "LPOS l x RANK -9223372036854775808 COUNT 1",
  "LPOS l x RANK -9223372036854775808 COUNT 0",
  "LPOS l x RANK -9223372036854775808 COUNT 1 MAXLEN 2",
  "LPOS l x RANK -9223372036854775808 MAXLEN 1",
  "LPOS l x RANK -9223372036854775808 RANK 1",
  "LPOS l x RANK 1 RANK -9223372036854775808 COUNT 2",
  "LPOS l x RANK -9223372036854775807",
  "LPOS l x RANK -9223372036854775807 COUNT 0",
  "LPOS l x RANK -2 COUNT 1",
  "LPOS nokey x RANK -9223372036854775808",
];

function itemsOf(v: RespValue): RespValue[] {
  return v.t === "array" && v.v[1]?.t === "array" ? v.v[1].v : [];
}

function normalize(line: string, v: RespValue): string {
  if (line.startsWith("sort:")) {
    const items = itemsOf(v).map((x) => JSON.stringify(x)).sort();
    return JSON.stringify(v.t === "array" ? [v.v[0], items] : v);
  }
  if (line.startsWith("cursor0:")) {
    return String(v.t === "array" && JSON.stringify(v.v[0]) === '{"t":"bulk","v":"0"}');
  }
  return JSON.stringify(v);
}

Deno.test("list, hash and set edge cases match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    const commands = LINES.map((line) => line.replace(/^(sort|cursor0):/, "").split(" "));
    const show = (reply: RespValue, i: number) => normalize(LINES[i], reply);
    assert.deepEqual(await replyDifferences(redis, atlas, commands, show), []);
  }));

/** The other connection's command between WATCH and EXEC, and the key watched. */
const WATCH_CASES: WatchCase[] = [
  { op: ["SADD", "s", "a"], watch: "s" },
  { op: ["SADD", "s", "a", "b"], watch: "s" },
  { op: ["SADD", "s", "a", "new"], watch: "s" },
  { op: ["SADD", "s", "new", "a"], watch: "s" },
  { op: ["SMOVE", "s", "s2", "c"], watch: "s2" },
  { op: ["SMOVE", "s", "s2", "c"], watch: "s" },
  { op: ["SMOVE", "s", "s2", "a"], watch: "s2" },
  { op: ["SMOVE", "s", "s", "a"], watch: "s" },
  { op: ["SMOVE", "s", "s3", "a"], watch: "s3" },
  { op: ["SREM", "s", "zz"], watch: "s" },
  { op: ["LTRIM", "l", "0", "-1"], watch: "l" },
  { op: ["LTRIM", "l", "-100", "100"], watch: "l" },
  { op: ["LTRIM", "l", "1", "-1"], watch: "l" },
  { op: ["LTRIM", "nolist", "0", "-1"], watch: "nolist" },
  { op: ["LREM", "l", "0", "zz"], watch: "l" },
  { op: ["HSET", "h", "f", "v"], watch: "h" },
];

/** What the other connection stores before each case. */
const WATCH_SETUP: string[][] = [
  ["SADD", "s", "a", "b", "c"],
  ["SADD", "s2", "c", "z"],
  ["RPUSH", "l", "a", "b", "c"],
  ["HSET", "h", "f", "v"],
];

Deno.test("which list/set writes touch a WATCHed key, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    assert.deepEqual(await watchDifferences(servers, WATCH_CASES, WATCH_SETUP), []);
  }));
