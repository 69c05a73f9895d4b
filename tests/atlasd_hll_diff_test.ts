/**
 * Side by side with redis-server 7.0.15 (Debian's build): HyperLogLog edge cases. PFDEBUG GETREG /
 * DECODE / ENCODING / TODENSE (the key is looked up and checked before the subcommand; GETREG and
 * TODENSE convert a sparse HLL to dense without touching a WATCH) and PFSELFTEST; a single-key
 * PFCOUNT and any PFDEBUG leave the string `raw` (Redis unshares it), a multi-key PFCOUNT does
 * not; a sparse HLL whose runs cover the 16384 registers and then go on with a VAL is corrupted
 * for PFCOUNT of several keys, PFMERGE, PFDEBUG and a PFADD that turns it dense (Debian's 7.0.15
 * carries the CVE-2025-32023 fix). Neighbours that already agreed: GET / STRLEN of sparse and
 * dense HLLs, APPEND / SETRANGE then PFCOUNT, errors for strings that are not HLLs.
 * Before this test atlasd had no PFDEBUG / PFSELFTEST, answered `embstr` after PFCOUNT, and
 * accepted those corrupted HLLs.
 *
 * A single-key PFCOUNT whose HLL's cache is invalid writes the count into header bytes 8-15 and
 * touches a WATCH on the key, with no keyspace event; a later PFADD marks the cache invalid and
 * keeps the stale count bytes under the flag (GET shows Redis's bytes throughout). Before this
 * part of the test atlasd never wrote the cache.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  type RespValue,
  type WatchCase,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const HEADER = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80"; // sparse, cache invalid
const xzero = (n: number) => String.fromCharCode(0x40 | ((n - 1) >> 8), (n - 1) & 0xff);
const val = (v: number, n: number) => String.fromCharCode(0x80 | ((v - 1) << 2) | (n - 1));
const words = (line: string) => line.split(" ");

/** 2983 registers of 1, zeros to the end, then one more VAL: 3002 bytes, past 3000. */
const LONG_OVERFULL = HEADER + val(1, 1).repeat(2983) + xzero(16384 - 2983) + val(1, 1);

const SETUP: string[][] = [
  words("SET str hello"),
  words("RPUSH list a"),
  words("PFADD h a b c"),
  words("PFADD h2 x y"),
  ["PFADD", "e"],
  ["PFADD", "d", ...Array.from({ length: 4000 }, (_, i) => `e${i}`)],
];

/** Sent one by one; every reply must equal Redis's. */
const LINES: string[][] = [
  // PFDEBUG: arity, then the key (must exist, be a string, be an HLL), then the subcommand.
  ["PFDEBUG"],
  words("PFDEBUG GETREG"),
  words("PFDEBUG GETREG h extra"),
  words("PFDEBUG nosuch nokey"),
  words("PFDEBUG GETREG nokey"),
  words("PFDEBUG nosuch str"),
  words("PFDEBUG ENCODING str"),
  words("PFDEBUG nosuch list"),
  words("PFDEBUG nosuch h"),
  ["PFDEBUG", "", "h"],
  words("PFDEBUG encoding h"),
  words("PFDEBUG Decode h"),
  words("PFDEBUG ENCODING e"),
  words("PFDEBUG DECODE e"),
  words("PFDEBUG ENCODING d"),
  words("PFDEBUG DECODE d"),
  words("PFDEBUG TODENSE d"),
  // DECODE shows any sparse string as it is; a cut XZERO reads a 0.
  ["SET", "c0", HEADER],
  words("PFDEBUG DECODE c0"),
  ["SET", "c1", HEADER + "\x7f"],
  words("PFDEBUG DECODE c1"),
  ["SET", "c2", HEADER + "\x00\x01\x80\x84\xff\x7f\xfe"],
  words("PFDEBUG DECODE c2"),
  words("PFDEBUG TODENSE c2"),
  words("PFDEBUG GETREG c2"),
  words("PFDEBUG ENCODING c2"),
  // GETREG / TODENSE convert in place (TTL kept) and answer the registers / 1 then 0.
  words("EXPIREAT h2 4102444800"),
  words("PFDEBUG GETREG h2"),
  words("PFDEBUG ENCODING h2"),
  words("EXPIRETIME h2"),
  words("STRLEN h2"),
  words("GET h2"),
  words("PFDEBUG TODENSE h"),
  words("PFDEBUG TODENSE h"),
  words("PFDEBUG DECODE h"),
  words("GET h"),
  words("PFADD h z"),
  words("GET h"),
  words("PFDEBUG GETREG h"),
  // PFSELFTEST.
  words("PFSELFTEST"),
  words("PFSELFTEST x"),
  // OBJECT ENCODING: PFDEBUG and a single-key PFCOUNT unshare the value, as PFADD does.
  ["SET", "emb", HEADER + xzero(16384)],
  words("OBJECT ENCODING emb"),
  words("PFDEBUG ENCODING emb"),
  words("OBJECT ENCODING emb"),
  ["SET", "emb2", HEADER + xzero(16384)],
  words("PFCOUNT emb2 emb2"),
  words("OBJECT ENCODING emb2"),
  words("PFCOUNT emb2"),
  words("OBJECT ENCODING emb2"),
  ["SET", "emb3", HEADER + xzero(16383)],
  words("PFCOUNT emb3"),
  words("OBJECT ENCODING emb3"),
  words("PFCOUNT str"),
  words("OBJECT ENCODING str"),
  // Runs covering every register, then a VAL: corrupted wherever the runs are checked.
  ["SET", "t", HEADER + xzero(16384) + val(1, 1)],
  words("PFCOUNT t"),
  words("PFCOUNT t nokey"),
  words("PFMERGE m t"),
  words("EXISTS m"),
  words("PFDEBUG TODENSE t"),
  words("PFDEBUG GETREG t"),
  words("PFADD t a"),
  ["SET", "t2", HEADER + xzero(8192) + xzero(8192) + val(2, 1)],
  words("PFCOUNT e t2"),
  words("PFMERGE t2"),
  words("PFMERGE e t2"),
  ["SET", "t3", LONG_OVERFULL],
  words("PFADD t3 a b c d"),
  words("STRLEN t3"),
  words("PFDEBUG ENCODING t3"),
  ["SET", "t4", LONG_OVERFULL.slice(0, -1)], // the same without the extra VAL: turns dense
  words("PFADD t4 a b c d"),
  words("STRLEN t4"),
  // Neighbours: what string commands see, and PFCOUNT after string edits.
  words("GET e"),
  words("STRLEN d"),
  words("PFADD s1 a b c"),
  words("APPEND s1 x"),
  words("PFCOUNT s1"),
  words("PFADD s1 q"),
  words("PFADD s2 a b c"),
  ["APPEND", "s2", "\0"],
  words("PFCOUNT s2"),
  words("PFADD s2 q r s"),
  words("GET s2"),
  words("PFADD s3 a"),
  ["SETRANGE", "s3", "4", "\x02"],
  words("PFCOUNT s3"),
  words("PFADD s3 b"),
  words("APPEND d x"),
  words("PFCOUNT d"),
  words("PFDEBUG GETREG d"),
  // A single-key PFCOUNT writes the count back into the header cache when it was invalid; a write
  // marks it invalid again, keeping the stale count bytes (sparse and dense alike).
  words("PFADD wb a b c"),
  words("GETRANGE wb 8 15"),
  words("PFCOUNT wb"),
  words("GET wb"),
  words("PFCOUNT wb"),
  words("PFADD wb a"),
  words("GETRANGE wb 8 15"),
  words("PFADD wb z"),
  words("GET wb"),
  words("PFCOUNT wb nokey"),
  words("GET wb"),
  words("PFMERGE wb h2"),
  words("GET wb"),
  words("PFCOUNT wb"),
  words("GET wb"),
  ["PFADD", "wd", ...Array.from({ length: 3000 }, (_, i) => `w${i}`)],
  words("GETRANGE wd 0 15"),
  words("PFCOUNT wd"),
  words("GETRANGE wd 0 15"),
  words("PFADD wd w1 w2 new"),
  words("GETRANGE wd 0 15"),
  words("PFCOUNT wd"),
  words("GET wd"),
  // hll-sparse-max-bytes decides where a sparse HLL turns dense (the same bytes as Redis's).
  words("CONFIG GET hll-sparse-max-bytes"),
  words("CONFIG SET hll-sparse-max-bytes -1"),
  words("CONFIG SET hll-sparse-max-bytes 1k"),
  words("CONFIG GET hll-sparse-max-bytes"),
  words("CONFIG SET hll-sparse-max-bytes 30"),
  words("PFADD sp1 a b c"),
  words("PFDEBUG ENCODING sp1"),
  words("PFADD sp1 d e f g h i j k l m n"),
  words("PFDEBUG ENCODING sp1"),
  words("GET sp1"),
  words("CONFIG SET hll-sparse-max-bytes 0"),
  words("PFADD sp2 a"),
  words("PFDEBUG ENCODING sp2"),
  words("CONFIG SET hll-sparse-max-bytes 3000"),
];

/** PFDEBUG GETREG answers 16384 integers: compared as text, but shown short. */
function show(reply: RespValue): string {
  const text = JSON.stringify(reply, (_k, x) => typeof x === "bigint" ? String(x) : x);
  return text.length > 400
    ? `${text.slice(0, 200)}... (${text.length} chars, ${hash(text)})`
    : text;
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

for (const proto of ["2", "3"]) {
  Deno.test(`HyperLogLog edge cases answer as redis-server does (RESP${proto})`, () =>
    withRedisAndAtlasd(async (redis, atlas) => {
      if (proto === "3") {
        await redis.call(["HELLO", "3"]);
        await atlas.call(["HELLO", "3"]);
      }
      const label = `RESP${proto} `;
      const differences = await replyDifferences(redis, atlas, SETUP, show, `${label}setup `);
      differences.push(...await replyDifferences(redis, atlas, LINES, show, label));
      assert.deepEqual(differences, []);
    }));
}

/** The other connection's command between WATCH and EXEC, and the key watched. */
const WATCH_CASES: WatchCase[] = [
  { op: words("PFADD h a"), watch: "h" },
  { op: words("PFADD h"), watch: "h" },
  { op: words("PFADD h zz"), watch: "h" },
  { op: words("PFADD new"), watch: "new" },
  { op: words("PFMERGE h"), watch: "h" },
  { op: words("PFMERGE x h"), watch: "h" },
  { op: words("PFMERGE x h"), watch: "x" },
  { op: words("PFCOUNT h x"), watch: "h" },
  { op: words("PFCOUNT h"), watch: "h" }, // the cache was invalid: written, the key touched
  { op: words("PFCOUNT cached"), watch: "cached" }, // answered from the cache: untouched
  { op: words("PFDEBUG GETREG h"), watch: "h" },
  { op: words("PFDEBUG TODENSE h"), watch: "h" },
  { op: words("PFDEBUG TODENSE d"), watch: "d" },
  { op: words("PFDEBUG DECODE h"), watch: "h" },
  { op: words("PFDEBUG ENCODING h"), watch: "h" },
  { op: words("PFSELFTEST"), watch: "h" },
];

/** What the other connection stores before each case. */
const WATCH_SETUP: string[][] = [
  words("PFADD h a b c"),
  ["PFADD", "d", ...Array.from({ length: 4000 }, (_, i) => `e${i}`)],
  words("PFADD cached a b"),
  words("PFCOUNT cached"),
];

/** The keyspace events a subscriber sees while `ops` run, in order. */
async function events(port: number, ops: string[][]): Promise<string[]> {
  const sub = await RawClient.connect(port);
  const cmd = await RawClient.connect(port);
  try {
    await sub.call(["HELLO", "3"]);
    await sub.writeRaw(encodeCommand(["PSUBSCRIBE", "__key*__:*"]));
    assert.equal((await sub.takePushes(1)).length, 1);
    await cmd.call(["CONFIG", "SET", "notify-keyspace-events", "KEA"], ...ops);
    await cmd.call(["CONFIG", "SET", "notify-keyspace-events", ""]);
    await sub.call(["PING"]); // every event published before arrives before this reply
    return sub.pushes.splice(0).map((push) => {
      const parts = (push as { v: RespValue[] }).v.map((p) => String((p as { v: unknown }).v));
      return `${parts[2]} ${parts[3]}`;
    });
  } finally {
    await sub.close();
    await cmd.close();
  }
}

Deno.test("what WATCH and keyspace events see of PF* commands, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const { redisPort, atlasPort } = servers;
    const differences = await watchDifferences(servers, WATCH_CASES, WATCH_SETUP, { show });
    const ops = [
      ["FLUSHALL"],
      words("PFADD h a b"),
      words("PFADD h a"),
      words("PFDEBUG TODENSE h"),
      words("PFDEBUG GETREG h"),
      words("PFDEBUG TODENSE nokey"),
      words("PFMERGE m h nokey"),
      words("PFCOUNT h m"),
      words("PFCOUNT h"),
      words("PFADD h c"),
      words("PFSELFTEST"),
    ];
    const want = await events(redisPort, ops);
    assert.ok(want.length >= 4, JSON.stringify(want));
    const got = await events(atlasPort, ops);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      differences.push(
        `events\n  atlasd: ${JSON.stringify(got)}\n  redis:  ${JSON.stringify(want)}`,
      );
    }
    assert.deepEqual(differences, []);
  }));
