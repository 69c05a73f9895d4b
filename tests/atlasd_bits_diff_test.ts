/**
 * Side by side with redis-server 7.0.15: the bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP
 * BITFIELD BITFIELD_RO) beyond tests/atlasd_strings_edge_diff_test.ts. Pins:
 * - SETBIT checks its bit argument and the key's type before atlasd's own size bound: an offset
 *   whose byte is past `valueBytesMax` (only up to 2^32-1 bits are valid at all) with a bad bit
 *   or on a list answers "bit is not an integer" / WRONGTYPE, as Redis; atlasd answered
 *   "string exceeds maximum allowed size" first.
 * - A BITFIELD whose only writes are refused by OVERFLOW FAIL still creates or zero-extends the
 *   string (a "new" event for a created key) but is no change: WATCH holds, client tracking sends
 *   no invalidation, no "setbit" event. atlasd aborted the WATCHing EXEC and invalidated.
 * - A GET-only BITFIELD looks its key up as a read: keyspace_hits / keyspace_misses count and a
 *   miss sends "keymiss", as BITFIELD_RO; atlasd counted nothing.
 * And, agreeing already, their neighbours: offset bounds, BYTE/BIT ranges with huge indexes,
 * BITOP on different lengths, missing keys, wrong types, an empty result deleting the
 * destination, a destination among its sources; every field type, `#` offsets, overflow modes in
 * sequence, GET past the end, the BITFIELD errors; WATCH and events of SETBIT/BITOP no-ops.
 */
import assert from "node:assert/strict";
import { splitInlineArgs } from "../atlas/resp/inline.ts";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  type RespValue,
  showReply,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[] = [
  "SET s foobar",
  'SET b "\\xff\\x00"',
  'SET ff "\\xff\\xff\\xff"',
  'SET zz "\\x00\\x00"',
  'SET e ""',
  "SET n 12",
  "RPUSH l x",
  "RPUSH l2 x",
  "HSET h f v",
];

/** Sent one by one (inline syntax: quotes and \x escapes); every reply must equal Redis's. */
const LINES: string[] = [
  // SETBIT / GETBIT: the offset (below 2^32), the bit, the type, then atlasd's size bound.
  "SETBIT l 4294967295 x",
  "SETBIT l 4294967295 1",
  "SETBIT nokey 4294967295 2",
  "SETBIT nokey 4294967295 -0",
  "SETBIT l 4294967296 x",
  "SETBIT l x 1",
  "SETBIT l 0 x",
  "SETBIT l 0 1",
  "SETBIT s -1 1",
  "SETBIT s 01 1",
  "SETBIT s 18446744073709551615 1",
  "SETBIT s 0 01",
  'SETBIT s 0 " 1"',
  "GETBIT s 4294967295",
  "GETBIT s 4294967296",
  "GETBIT s -0",
  "GETBIT l x",
  "GETBIT l 0",
  "GETBIT nokey 4294967295",
  // BITCOUNT / BITPOS: BYTE and BIT ranges, negative and huge indexes.
  "BITCOUNT s -9223372036854775808 9223372036854775807",
  "BITCOUNT s -9223372036854775808 9223372036854775807 BIT",
  "BITCOUNT s 9223372036854775807 9223372036854775807 BIT",
  "BITCOUNT s 5 30 BIT",
  "BITCOUNT s -49 -1 BIT",
  "BITCOUNT s 0 9223372036854775808",
  "BITCOUNT s 0 1 bits",
  "BITCOUNT nokey 0 1 x",
  "BITCOUNT l 0 1 x",
  "BITCOUNT e 0 -1 BIT",
  "BITPOS s 1 17 -1 BIT",
  "BITPOS s 0 -9223372036854775808 9223372036854775807 BIT",
  "BITPOS s 0 9223372036854775807",
  "BITPOS ff 0",
  "BITPOS ff 0 0 -1",
  "BITPOS ff 0 5 BIT",
  "BITPOS ff 0 2 1",
  "BITPOS zz 1",
  "BITPOS zz 0 16 BIT",
  "BITPOS e 0",
  "BITPOS e 0 0 -1 BIT",
  "BITPOS s 9223372036854775808",
  "BITPOS nokey 1 x",
  // BITOP: lengths, missing keys, wrong types, empty results, the destination among the sources.
  "BITOP AND d s b",
  "GET d",
  "BITOP XOR d s s",
  "GET d",
  "BITOP OR d e e",
  "EXISTS d",
  "BITOP AND d l nokey",
  "BITOP AND d nokey l",
  "BITOP NOT d l x",
  "BITOP FOO d l",
  "BITOP OR h e",
  "TYPE h",
  "BITOP OR l2 s",
  "TYPE l2",
  "BITOP AND n n",
  "OBJECT ENCODING n",
  "BITOP NOT b b",
  "GET b",
  "BITOP AND b b s",
  "GET b",
  // BITFIELD: types, `#` offsets, overflow modes in sequence, GET past the end, errors.
  "BITFIELD s GET i1 3 GET u1 #1 GET i64 0 GET u63 1 GET i33 #1 GET u53 5 GET i64 40",
  "BITFIELD s GET u64 0",
  "BITFIELD s GET i65 0",
  "BITFIELD s GET u0 0",
  "BITFIELD s GET I8 0",
  "BITFIELD s GET i8x 0",
  "BITFIELD s GET u8 4294967295",
  "BITFIELD s GET u8 4294967296",
  "BITFIELD s GET i64 #67108863",
  "BITFIELD s GET i64 #67108864",
  "BITFIELD s GET u8 ##1",
  "BITFIELD_RO s GET u8 0 SET u8 0 1",
  "BITFIELD_RO s SET u99 0 1",
  "BITFIELD_RO s SET u8 0 x",
  "BITFIELD_RO l SET u8 0 1",
  "BITFIELD_RO l GET u8 0",
  "BITFIELD_RO nokey SET u8 0 1",
  "BITFIELD l SET u8 0 x",
  "BITFIELD s OVERFLOW '' GET u8 0",
  "BITFIELD s GET u99 0 OVERFLOW BAD",
  "BITFIELD s OVERFLOW BAD GET u99 0",
  "BITFIELD s SET u8 0 1 OVERFLOW",
  "BITFIELD f OVERFLOW WRAP SET i8 0 127 INCRBY i8 0 1 OVERFLOW SAT INCRBY i8 0 -1000 OVERFLOW FAIL INCRBY i8 0 -1 GET i8 0",
  "BITFIELD f OVERFLOW SAT SET u63 8 -1 INCRBY u63 8 1 OVERFLOW FAIL INCRBY u63 8 1 OVERFLOW WRAP INCRBY u63 8 1",
  "BITFIELD f OVERFLOW FAIL SET i64 #2 -9223372036854775808 INCRBY i64 #2 -1 OVERFLOW SAT INCRBY i64 #2 -1 GET i64 #2",
  "BITFIELD f SET u1 #200 1 GET u8 #25 GET i64 #4 GET u8 #100",
  "GET f",
  "BITFIELD g OVERFLOW FAIL INCRBY u8 100 1000 SET i4 0 8 GET u8 0",
  "STRLEN g",
  "GET g",
];

/** One connection WATCHes k, another runs the command, then MULTI PING EXEC; then k's value. */
const WATCH_CASES: { setup: string[][]; command: string }[] = [
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k OVERFLOW FAIL INCRBY u8 100 1000" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k OVERFLOW FAIL SET i8 100 1000 GET u8 0" },
  { setup: [], command: "BITFIELD k OVERFLOW FAIL INCRBY u8 100 1000" },
  { setup: [], command: "BITFIELD k OVERFLOW FAIL SET u8 0 256" },
  { setup: [["SET", "k", ""]], command: "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k OVERFLOW FAIL SET u8 100 256 SET u8 0 97" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k OVERFLOW FAIL SET u8 0 256 SET u8 100 0" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k SET u8 0 97 GET u8 100" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k GET u8 100" },
  { setup: [["SET", "k", "abc"]], command: "BITFIELD k SET u8 0 x" },
  { setup: [["SET", "k", "abc"]], command: "SETBIT k 24 0" },
  { setup: [["SET", "k", ""]], command: "SETBIT k 0 0" },
  { setup: [], command: "BITOP AND k nokey" },
  { setup: [["SET", "k", "abc"]], command: "BITOP AND k nokey" },
  { setup: [["SET", "k", "abc"]], command: "BITOP AND k k" },
  { setup: [["SET", "k", "abc"]], command: "BITOP AND x k" },
  { setup: [["SET", "k", "abc"], ["RPUSH", "l", "x"]], command: "BITOP AND k l" },
];

/** A tracking client reads k, another runs the command: is k invalidated? */
const TRACKING_CASES: string[] = [
  "BITFIELD k OVERFLOW FAIL INCRBY u8 100 1000",
  "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000",
  "BITFIELD k SET u8 0 98",
  "SETBIT k 1 1",
  "BITOP AND k k",
];

/** Keyspace hits / misses and keyevent messages (keymiss, new, setbit, set, del) per command. */
const STATS_LINES: string[] = [
  "SET k abc",
  "RPUSH l x",
  "BITFIELD k GET u8 0",
  "BITFIELD nokey GET u8 0",
  "BITFIELD nokey",
  "BITFIELD k OVERFLOW SAT",
  "BITFIELD l GET u8 0",
  "BITFIELD nokey GET u99 0",
  "BITFIELD_RO k GET u8 0",
  "BITFIELD_RO nokey GET u8 0",
  "BITFIELD k SET u8 0 97",
  "BITFIELD k SET u8 0 98",
  "BITFIELD new1 OVERFLOW FAIL INCRBY u8 100 1000",
  "BITFIELD new1 OVERFLOW FAIL INCRBY u8 200 1000",
  "BITFIELD new2 SET u8 0 0",
  "GETBIT nokey 0",
  "BITCOUNT nokey 0",
  "BITPOS nokey 1",
  "SETBIT new3 0 0",
  "SETBIT new3 0 0",
  "BITOP AND d k nokey",
  "BITOP AND d nokey",
  "BITOP AND d nokey",
];

function argvOf(line: string): string[] {
  const argv = splitInlineArgs(line);
  assert.ok(argv !== null, line);
  return argv;
}

Deno.test("bitmap command edge cases match redis-server (RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    // Every difference is listed, not just the first.
    const differences: string[] = [];
    for (const protocol of ["2", "3"]) {
      await redis.call(["HELLO", protocol], ["FLUSHALL"]);
      await atlas.call(["HELLO", protocol], ["FLUSHALL"]);
      const label = `RESP${protocol} `;
      const commands = [...SETUP, ...LINES].map(argvOf);
      differences.push(...await replyDifferences(redis, atlas, commands, undefined, label));
    }
    assert.deepEqual(differences, []);
  }));

async function trackingOutcome(
  tracker: RawClient,
  other: RawClient,
  command: string,
): Promise<string> {
  await other.call(["FLUSHALL"], ["SET", "k", "abc"]);
  const replies = await tracker.call(["CLIENT", "TRACKING", "ON"], ["GET", "k"]);
  replies.push(...await other.call(argvOf(command)));
  await tracker.call(["PING"]); // an invalidation would have arrived before this reply
  const pushes = tracker.pushes.splice(0);
  await tracker.call(["CLIENT", "TRACKING", "OFF"]);
  return `${command} -> ${showReply(replies[2])} ${pushes.map(showReply).join(" ")}`;
}

Deno.test("bitmap writes that change nothing leave WATCH and client tracking alone", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const { redisPort, atlasPort } = servers;
    const cases = WATCH_CASES.map((c) => ({ watch: "k", setup: c.setup, op: argvOf(c.command) }));
    const after = [["GET", "k"], ["OBJECT", "ENCODING", "k"]];
    const outcomes: string[] = [];
    const differences = await watchDifferences(servers, cases, [], { after, outcomes });
    // Both outcomes are covered: an EXEC that ran and one that was aborted.
    assert.ok(
      outcomes.some((o) => o.includes("PONG")) && outcomes.some((o) => o.includes('"nil"')),
    );
    const others = [await RawClient.connect(redisPort), await RawClient.connect(atlasPort)];
    try {
      await redis.call(["HELLO", "3"]);
      await atlas.call(["HELLO", "3"]);
      const invalidated: string[] = [];
      for (const command of TRACKING_CASES) {
        const want = await trackingOutcome(redis, others[0], command);
        const got = await trackingOutcome(atlas, others[1], command);
        if (got !== want) differences.push(`atlasd: ${got}\n  redis:  ${want}`);
        invalidated.push(want);
      }
      assert.ok(invalidated.some((o) => o.includes("invalidate")), invalidated.join("\n"));
      await redis.call(["HELLO", "2"]);
      await atlas.call(["HELLO", "2"]);
      assert.deepEqual(differences, []);
    } finally {
      for (const other of others) await other.close();
    }
  }));

function keyspaceStats(info: RespValue): [string, string] {
  const text = info.t === "bulk" || info.t === "verbatim" ? info.v : "";
  const field = (name: string) => new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? "?";
  return [field("keyspace_hits"), field("keyspace_misses")];
}

async function statsAndEvents(client: RawClient, sub: RawClient): Promise<string[]> {
  await client.call(["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "Emn$g"]);
  await sub.call(["HELLO", "3"]);
  await sub.writeRaw(encodeCommand(["PSUBSCRIBE", "__keyevent@0__:*"]));
  assert.equal((await sub.takePushes(1)).length, 1);
  const out: string[] = [];
  for (const line of STATS_LINES) {
    const [before] = await client.call(["INFO", "stats"]);
    const [reply] = await client.call(argvOf(line));
    const [after] = await client.call(["INFO", "stats"]);
    await sub.call(["PING"]); // every message the command published arrives before this reply
    const published = sub.pushes.splice(0).map((p) =>
      p.t === "push" ? p.v.slice(2).map((x) => ("v" in x ? x.v : "")).join(" ") : "?"
    );
    const [h0, m0] = keyspaceStats(before);
    const [h1, m1] = keyspaceStats(after);
    const counts = `hits +${Number(h1) - Number(h0)} misses +${Number(m1) - Number(m0)}`;
    out.push(`${line} -> ${showReply(reply)} ${counts} [${published.join(", ")}]`);
  }
  await client.call(["CONFIG", "SET", "notify-keyspace-events", ""]);
  return out;
}

Deno.test("bitmap commands count keyspace hits/misses and send events as redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    const subs = [await RawClient.connect(redisPort), await RawClient.connect(atlasPort)];
    try {
      const want = await statsAndEvents(redis, subs[0]);
      const got = await statsAndEvents(atlas, subs[1]);
      assert.ok(want.some((line) => line.includes("keymiss")), want.join("\n"));
      const differences: string[] = [];
      for (let i = 0; i < want.length; i++) {
        if (got[i] !== want[i]) differences.push(`atlasd: ${got[i]}\n  redis:  ${want[i]}`);
      }
      assert.deepEqual(differences, []);
    } finally {
      for (const sub of subs) await sub.close();
    }
  }));
