/**
 * Side by side with redis-server 7.0.15: DUMP payloads, RESTORE's TTL arithmetic and object
 * types, SORT STORE and the db commands.
 *
 * DUMP must give Redis's bytes for every value Redis holds in a deterministic encoding: strings,
 * set members and listpack / intset blobs over 20 bytes LZF-compressed when that saves 4 bytes
 * (liblzf's choices), sets of integers as intsets in the narrowest width, small hashes and sorted
 * sets as listpacks, larger sorted sets from the highest score down, lists split into quicklist
 * nodes where Redis's RPUSH splits them (the node's bytes + the element's length + 8, under any
 * list-max-listpack-size). RESTORE with a relative TTL that passes INT64_MAX once Redis adds its
 * clock answers OK and creates nothing (with REPLACE the old key goes), as Redis's wrapped,
 * already-past deadline does; a version-10 payload of 7.2's object types 20 / 21 is
 * "Bad data format". SORT walks a set Redis holds as an intset in ascending order (BY nosort, and
 * where ALPHA leaves ties).
 *
 * Before this test atlasd wrote every string raw, sets / hashes / sorted sets in the plain SET,
 * HASH and ZSET_2 encodings (the skiplist from the lowest score), split list nodes by encoded
 * size, answered the TTL overflow with "ERR invalid expire time in 'restore' command", restored
 * 7.2's types and sorted an intset in insertion order.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { crc64 } from "../atlas/store/crc64.ts";
import {
  replyDifferences,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const ALL_BYTES = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
const range = (n: number, f: (i: number) => string[]): string[] =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

/** A DUMP payload around object bytes: RDB version, then the CRC-64 of everything before. */
function payload(body: string, version = 10): string {
  const head = body + String.fromCharCode(version & 0xff, version >> 8);
  const crc = crc64(Buffer.from(head, "latin1"));
  const footer = Buffer.alloc(8);
  footer.writeBigUInt64LE(crc);
  return head + footer.toString("latin1");
}

/** "hello" as a string object. */
const HELLO = payload("\x00\x05hello");
/** A set of "a" and "b" as 7.2's SET_LISTPACK (type 20). */
const SET_LISTPACK = payload("\x14\x0d\x0d\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff");
/** Type 21 (7.2's STREAM_LISTPACKS_3) with no nodes. */
const STREAM_3 = payload("\x15\x00\x00\x00\x00\x00\x00\x00");

const SETUP: string[][] = [
  ["SET", "s:lzf", "abc".repeat(1000)],
  ["SET", "s:21", "a".repeat(21)],
  ["SET", "s:20", "a".repeat(20)],
  ["SET", "s:int", "12345"],
  ["SET", "s:binary", ALL_BYTES.repeat(2)],
  ["SET", "s:digits", "1234567890".repeat(5)],
  ["PFADD", "hll", "a", "b", "c", "d"],
  ["RPUSH", "l:small", "a", "1", "-5", "70000", "-9000000000", ""],
  ["RPUSH", "l:repeat", ...range(40, (i) => [`item-${i % 3}`])],
  ["RPUSH", "l:big", ...range(20000, (i) => [i % 5 ? `el-${i}-${"y".repeat(i % 40)}` : `${i}`])],
  ["RPUSH", "l:edge", "z".repeat(8176), "q", "z".repeat(8177), "q", "z".repeat(9000), "q"],
  ["SADD", "set:16", ...range(200, (i) => [String(i - 100)])],
  ["SADD", "set:32", "1", "70000", "-3"],
  ["SADD", "set:64", "1", "5000000000", "-9223372036854775808"],
  ["SADD", "set:members", "m".repeat(30)], // not an intset: a member over 20 bytes, compressed
  ["HSET", "h:lp", "f1", "v1", "n", "12", "neg", "-70000", "long", "x".repeat(64)],
  ["HSET", "h:grown", ...range(100, (i) => [`field:${i}`, `value:${i % 7}`])],
  ["HSET", "h:edit", "1", "2", "3", "4"],
  ["HINCRBY", "h:edit", "1", "5"],
  ["HDEL", "h:edit", "3"],
  ["HSET", "h:edit", "3", "back"],
  ["ZADD", "z:lp", "1.5", "a", "-2", "b", "inf", "c", "0", "d", "1e17", "e", "0.1", "f"],
  ["ZADD", "z:big", ...range(200, (i) => [String(i / 3), `m${i}`])],
  ["ZADD", "z:long", "1", "m".repeat(65), "-0.25", "b"],
  ["ZADD", "z:ints", "4611686018427387904", "a", "4611686018427387905", "b", "-0", "c"],
  // Streams: node listpacks and group names past 20 bytes are LZF-compressed too (no consumers
  // or pending entries: their times are the servers' clocks).
  ...Array.from({ length: 150 }, (_, i) => [
    "XADD",
    "x:big",
    `${i + 1}-1`,
    "field",
    `value-${i % 9}`,
    "n",
    `${i}`,
  ]),
  ["XADD", "x:big", "500-0", "other", "shape"],
  ["XGROUP", "CREATE", "x:big", "group-with-a-long-name-of-30b", "0"],
  ["XGROUP", "CREATE", "x:big", "g", "$"],
  ["XADD", "x:small", "1-1", "a", "b"],
  ["SET", "busy", "x"],
];

/** Sent one by one; every reply must equal Redis's ("restore:" lines carry a payload). */
const LINES: (string | string[])[] = [
  ...[
    "s:lzf",
    "s:21",
    "s:20",
    "s:int",
    "s:binary",
    "s:digits",
    "hll",
    "l:small",
    "l:repeat",
    "l:big",
    "l:edge",
    "set:16",
    "set:32",
    "set:64",
    "set:members",
    "h:lp",
    "h:grown",
    "h:edit",
    "z:lp",
    "z:big",
    "z:long",
    "z:ints",
    "x:big",
    "x:small",
  ].map((key) => ["DUMP", key]),
  // Quicklist fill under other list-max-listpack-size values (sizes and counts).
  ...["5", "0", "-1", "-5", "-6"].flatMap((fill) => [
    ["CONFIG", "SET", "list-max-listpack-size", fill],
    ["DEL", "l:fill"],
    ["RPUSH", "l:fill", ...range(3000, (i) => [`element-${i}-${"y".repeat(i % 90)}`])],
    ["DUMP", "l:fill"],
  ]),
  "CONFIG SET list-max-listpack-size -2",
  // RESTORE: a relative TTL whose deadline overflows int64 is already past.
  ["RESTORE", "r1", "9223372036854775807", HELLO],
  "EXISTS r1",
  ["RESTORE", "busy", "9223372036854775807", HELLO, "REPLACE"],
  "EXISTS busy",
  ["RESTORE", "r2", "9223372036854775000", HELLO],
  "EXISTS r2",
  ["RESTORE", "r3", "9000000000000000", HELLO],
  "TTL r3",
  ["RESTORE", "r4", "1", HELLO, "ABSTTL"],
  "EXISTS r4",
  ["RESTORE", "r3", "0", HELLO],
  ["RESTORE", "r5", "-1", HELLO],
  ["RESTORE", "r5", "9223372036854775808", HELLO],
  ["RESTORE", "r5", "0", HELLO, "IDLETIME", "0", "FREQ", "1"],
  ["RESTORE", "r5", "0", payload("\x00\x05hello", 11)],
  // 7.2's object types are not Redis 7.0's.
  ["RESTORE", "t20", "0", SET_LISTPACK],
  ["RESTORE", "t21", "0", STREAM_3],
  "EXISTS t20 t21",
  // SORT STORE onto keys of every kind; an empty result deletes the destination.
  "RPUSH src 3 1 2",
  "SORT src STORE h:edit",
  "TYPE h:edit",
  "SORT src DESC STORE z:lp",
  "LRANGE z:lp 0 -1",
  "SORT nokey STORE z:lp",
  "EXISTS z:lp",
  "SORT src LIMIT 5 1 STORE set:16",
  "EXISTS set:16",
  "SORT src BY nosort GET # GET nosuch_* STORE src",
  "LRANGE src 0 -1",
  // A set of integers is an intset in Redis: BY nosort, and ties ALPHA leaves, come ascending.
  "SADD si 3 1 2 10 -5 9223372036854775807 -9223372036854775808",
  "SORT si BY nosort",
  "SORT si BY nosort DESC LIMIT 1 3",
  "SORT si BY nosort GET # GET nosuch_*",
  "SORT si BY nosuch_* ALPHA",
  "SORT si BY nosuch_* ALPHA DESC LIMIT 1 3",
  "SORT_RO si BY nosort",
  // The db commands with one database in use.
  "SELECT 0",
  "MOVE src 0",
  "SWAPDB 0 0",
  "COPY src src2 DB 0",
  "COPY src src2 DB 0",
  "COPY src src2 DB 0 REPLACE",
  "COPY src src DB 0",
  "FLUSHDB ASYNC SYNC",
  "FLUSHDB SYNC",
  "DBSIZE",
];

/** Long replies (payloads) compare by length and SHA-256; the rest as themselves. */
function show(reply: RespValue): string {
  const text = showReply(reply);
  if (text.length <= 400 || reply.t !== "bulk") return text;
  const bytes = Buffer.from((reply as { v: string }).v, "latin1");
  return `bulk of ${bytes.length} bytes, sha256 ${
    createHash("sha256").update(bytes).digest("hex")
  }`;
}

Deno.test("DUMP bytes, RESTORE TTL overflow and types, SORT STORE, db commands match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP, show), []);
    const commands = LINES.map((line) => typeof line === "string" ? line.split(" ") : line);
    assert.deepEqual(await replyDifferences(redis, atlas, commands, show), []);
  }));
