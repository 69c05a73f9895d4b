/**
 * Side by side with redis-server 7.0.15: edge cases of the generic key commands. Glob patterns follow stringmatchlen: an
 * empty key matches only the empty pattern (not "**"; KEYS * and SCAN's "*" are shortcuts that
 * match everything), a backslash as the last character of a class escapes the pattern's end
 * ("a[\]" matches "a]"), and range ends are signed chars (bytes 0x80-0xff sort below 0). COPY's
 * DB is an int argument (int32 range error). EXPIRE's time is checked with Redis's int64 bounds,
 * so a hugely negative time deletes the key instead of being an invalid expire time. A SCAN
 * cursor is read by strtoul: "" and a NUL-cut text are 0, any number of leading zeros, and "-n"
 * past 2^64 is invalid. Before this test atlasd answered these differently.
 */
import assert from "node:assert/strict";
import {
  replyDifferences,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

/** A command line: space-separated text, or an argv (for empty or binary arguments). */
type Line = string | string[];

const SETUP: string[][] = [
  ["SET", "", "empty"],
  ["SET", "a", "1"],
  ["SET", "a]", "1"],
  ["SET", "a\\", "1"],
  ["SET", "a\\b", "1"],
  ["SET", "z", "1"],
  ["SET", "\x00", "1"],
  ["SET", "\x7f", "1"],
  ["SET", "\x80", "1"],
  ["SET", "\xfe", "1"],
  ["SET", "\xff", "1"],
  ["HSET", "h", "", "v", "f", "v"],
  ["SADD", "st", "", "x"],
];

/**
 * Sent one by one; every reply must equal Redis's. "sort:" compares an array reply sorted, "scan:"
 * a SCAN reply with its keys sorted (key order is each server's own).
 */
const LINES: Line[] = [
  // An empty key (or field, member) matches only the empty pattern.
  "sort:KEYS **",
  "sort:KEYS *",
  ["sort:KEYS", ""],
  "sort:KEYS ?*",
  "sort:KEYS *?",
  "sort:KEYS [^a]",
  "scan:SCAN 0 MATCH ** COUNT 1000",
  "scan:SCAN 0 MATCH * COUNT 1000",
  ["scan:SCAN", "0", "MATCH", "", "COUNT", "1000"],
  "scan:HSCAN h 0 MATCH **",
  "scan:HSCAN h 0 MATCH *",
  "scan:SSCAN st 0 MATCH **",
  "scan:SSCAN st 0 MATCH ?",
  // A backslash in a class escapes the next character even when that is the pattern's end.
  ["sort:KEYS", "a[\\]"],
  ["sort:KEYS", "a[\\]]"],
  ["sort:KEYS", "a[\\\\]"],
  ["sort:KEYS", "a[\\"],
  ["sort:KEYS", "a\\"],
  ["sort:KEYS", "a\\\\"],
  ["sort:KEYS", "a\\\\*"],
  ["sort:KEYS", "[\\]"],
  ["sort:KEYS", "a[]"],
  ["sort:KEYS", "a[]]"],
  // Range ends are signed chars.
  ["sort:KEYS", "[a-\xff]"],
  ["sort:KEYS", "[\x00-\x80]"],
  ["sort:KEYS", "[\x7f-\x80]"],
  ["sort:KEYS", "[y-\x80]"],
  ["sort:KEYS", "[\x80-\xff]"],
  ["sort:KEYS", "[\xff-\x80]"],
  ["sort:KEYS", "[^\x80-\xff]"],
  ["sort:KEYS", "[\x00-\x7f]"],
  ["sort:KEYS", "[\xfe]"],
  // COPY ... DB n: an int (int32) argument, then the database.
  "COPY a a2 DB 2147483648",
  "COPY a a2 DB 99999999999",
  "COPY a a2 DB -2147483649",
  "COPY a a2 DB 9223372036854775808",
  "COPY a a2 DB 2147483647",
  "COPY a a2 DB -2147483648",
  "COPY a a2 DB 1",
  "COPY a a2 DB x",
  "COPY a a2 DB 01",
  "COPY nokey a2 DB 2147483648",
  "COPY a a DB 2147483648",
  "COPY a a2 DB 2147483648 REPLACE",
  "COPY a a2 REPLACE DB 0 DB 2147483648",
  "COPY a a2 DB 0",
  "GET a2",
  "MOVE a 2147483648",
  // EXPIRE family: Redis's int64 checks; a deadline far in the past deletes the key.
  "SET e v",
  "EXPIRE e -9223372036854775",
  "EXISTS e",
  "SET e v",
  "EXPIRE e -9223372036854776",
  "EXPIRE e -9223372036854775807",
  "PEXPIRE e -9223372036854775808",
  "EXISTS e",
  "SET e v",
  "PEXPIREAT e -9223372036854775808",
  "EXISTS e",
  "SET e v",
  "EXPIREAT e -9223372036854775",
  "EXISTS e",
  "SET e v",
  "EXPIREAT e -9223372036854775808",
  "PEXPIRE e 9223372036854775807",
  "PEXPIRE e 9223372036854775000",
  "EXPIRE e 9223372036854775807",
  "EXPIRE e 9223372036854775808",
  "EXPIRE e -9223372036854775809",
  "EXPIRE e -9223372036854775 GT",
  "EXISTS e",
  "EXPIRE e -9223372036854775 LT",
  "EXISTS e",
  "SET e v",
  "EXPIRE e 100",
  "PEXPIRE e -9007199254740993 NX",
  "PEXPIRE e -9007199254740993 XX",
  "EXISTS e",
  // Deadlines past 2^53 ms are taken, as Redis takes any int64 (Redis's TCL "PEXPIREAT with big
  // integer works"); ATLAS keeps the nearest double, exact for these.
  "PEXPIREAT e 9223372036854770000",
  "PEXPIRETIME e",
  "EXPIRETIME e",
  "EXPIREAT e 9223372036854775",
  "PEXPIRETIME e",
  "EXPIREAT e 9223372036854776",
  "SET e v PXAT 9223372036854770000",
  "PEXPIRETIME e",
  "SET e v EXAT 9223372036854775",
  "PEXPIRETIME e",
  "SET e v PX 9223372036854775000",
  "SET e v EX 9223372036854775",
  "SETEX e 9223372036854775 v",
  "PSETEX e 9223372036854770000 v",
  "GETEX e PXAT 9223372036854770000",
  "PEXPIRETIME e",
  "PEXPIREAT e -9223372036854770000",
  "EXISTS e",
  // SCAN cursors are read like strtoul.
  "FLUSHALL",
  "SET only 1",
  ["scan:SCAN", ""],
  ["scan:SCAN", "\x00"],
  ["scan:SCAN", "\x00x"],
  ["scan:SCAN", "0\x00junk"],
  "scan:SCAN 000000000000000000000000",
  "scan:SCAN 0000000000000000000000000000000",
  "scan:SCAN -0",
  "scan:SCAN +0",
  "SCAN -18446744073709551616",
  "SCAN 18446744073709551616",
  "SCAN 99999999999999999999",
  "SCAN +",
  "SCAN -",
  "SCAN 0x",
  ["SCAN", " 0"],
  ["SCAN", "0 "],
  ["scan:SSCAN", "nokey", ""],
  ["scan:HSCAN", "nokey", ""],
];

/** Sorts an array reply (or a SCAN reply's keys) so order does not matter. */
function normalize(mode: string, v: RespValue): RespValue {
  const sorted = (x: RespValue): RespValue =>
    x.t === "array"
      ? { t: "array", v: [...x.v].sort((p, q) => JSON.stringify(p) < JSON.stringify(q) ? -1 : 1) }
      : x;
  if (mode === "sort") return sorted(v);
  if (mode === "scan" && v.t === "array" && v.v.length === 2) {
    return { t: "array", v: [v.v[0], sorted(v.v[1])] };
  }
  return v;
}

Deno.test("generic key commands' edge cases match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    // A line may start with a comparison mode ("sort:KEYS *").
    const modes: string[] = [];
    const commands = LINES.map((line) => {
      const argv = typeof line === "string" ? line.split(" ") : [...line];
      const colon = argv[0].indexOf(":");
      modes.push(colon < 0 ? "" : argv[0].slice(0, colon));
      argv[0] = argv[0].slice(colon + 1);
      return argv;
    });
    const show = (reply: RespValue, i: number) => showReply(normalize(modes[i], reply));
    assert.deepEqual(await replyDifferences(redis, atlas, commands, show), []);
  }));
