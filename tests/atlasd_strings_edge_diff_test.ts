/**
 * Side by side with redis-server 7.0.15: edges of the string and bitmap commands. Option words
 * (SET / GETEX / LCS / BITCOUNT / BITPOS) are compared as C strings, up to a NUL byte; BITCOUNT
 * answers 0 for two negative indexes in the wrong order before clamping them; BITPOS checks its
 * argument count after the bit and the key; INCRBYFLOAT reads its operands with strtold (hex
 * floats, ERANGE past LDBL_MAX or when rounding to 0). A SETBIT that sets a bit already so, or a
 * BITFIELD whose writes change no field and grow nothing, is no change: WATCH holds and no
 * keyspace event is published. Before this test atlasd answered all of these differently.
 */
import assert from "node:assert/strict";
import { splitInlineArgs } from "../atlas/resp/inline.ts";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

/** Sent one by one (inline syntax: quotes and \x escapes); every reply must equal Redis's. */
const LINES: string[] = [
  "SET s foobar",
  "RPUSH l a",
  'SET e ""',
  // Option words up to a NUL byte, as strcasecmp sees them; a longer word is still no option.
  'SET k v "NX\\x00x"',
  'SET k v "XX\\x00"',
  'SET k v "EX\\x00" 10',
  "TTL k",
  'SET k v "KEEPTTL\\x00"',
  'SET k v "GET\\x00"',
  'SET k v "NX\\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
  "SET k v NXxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  'SET k v "\\x00NX"',
  'GETEX k "EX\\x00" 10',
  'GETEX k "PERSIST\\x00"',
  "TTL k",
  'SET k v EX "10\\x00"',
  'BITCOUNT s 0 -1 "BIT\\x00"',
  'BITCOUNT s 0 -1 "BYTE\\x00x"',
  'BITPOS s 1 0 -1 "BIT\\x00"',
  'LCS s s "LEN\\x00"',
  'LCS s s "IDX\\x00" "WITHMATCHLEN\\x00"',
  'LCS s s IDX "MINMATCHLEN\\x00" 1',
  'BITOP "AND\\x00x" d s',
  'INCRBY s "1\\x00"',
  // BITCOUNT: two negative indexes in the wrong order are 0 before any clamping.
  "BITCOUNT s -100 -200",
  "BITCOUNT s -100 -200 BIT",
  "BITCOUNT s -1 -2",
  "BITCOUNT s -7 -8",
  "BITCOUNT s -7 -7",
  "BITCOUNT s -200 -100",
  "BITCOUNT s -9223372036854775807 -9223372036854775808",
  "BITCOUNT s -9223372036854775808 -9223372036854775807",
  "BITCOUNT e -1 -2",
  "BITCOUNT l -1 -2",
  "BITPOS s 1 -100 -200",
  "GETRANGE s -100 -200",
  // BITPOS: the bit, then the key, then the argument count.
  "BITPOS s 1 0 1 BIT x",
  "BITPOS s x 0 1 BIT x",
  "BITPOS s 2 0 1 BIT x",
  "BITPOS nokey 1 0 1 BIT x",
  "BITPOS nokey 0 0 1 BIT x",
  "BITPOS l 0 0 1 BIT x",
  "BITPOS l x 0 1 BIT x",
  "BITPOS e 0 a b c d",
  // INCRBYFLOAT: strtold's hex floats, its overflow and underflow.
  "INCRBYFLOAT f 0x10",
  "INCRBYFLOAT f 0x1p3",
  "INCRBYFLOAT f -0X1.8P-1",
  "INCRBYFLOAT f 0x.8",
  "INCRBYFLOAT f +0x10.",
  "INCRBYFLOAT f 0x1E3",
  "INCRBYFLOAT f 0x",
  "INCRBYFLOAT f 0x.",
  "INCRBYFLOAT f 0x1p",
  "INCRBYFLOAT f 0xg",
  'INCRBYFLOAT f " 0x10"',
  'INCRBYFLOAT f "0x10\\x00"',
  "INCRBYFLOAT f 0x1P99999",
  "INCRBYFLOAT f 0x1p16384",
  "INCRBYFLOAT f 0x1p-16446",
  "INCRBYFLOAT f 0x1p-99999999999999999999",
  "GET f",
  "INCRBYFLOAT f2 0xffffffffffffffffff",
  "INCRBYFLOAT f3 0x1.ffffffffffffffff8p0",
  "INCRBYFLOAT f4 0x1p-16445",
  "INCRBYFLOAT f5 0x0p99999999999999999999",
  "INCRBYFLOAT f6 0x1.ffffffffffffffffp16383",
  "INCRBYFLOAT f7 1.19e4932",
  "INCRBYFLOAT f7 -9e4932",
  "INCRBYFLOAT f7 1189731495357231765e4914",
  "INCRBYFLOAT f7 1189731495357231766e4914",
  "INCRBYFLOAT f8 1e-4951",
  "INCRBYFLOAT f8 1.8e-4951",
  "INCRBYFLOAT f8 1.9e-4951",
  "INCRBYFLOAT f8 1e-4950",
  "SET h1 0x10",
  "INCRBYFLOAT h1 1",
  "SET h2 1.19e4932",
  "INCRBYFLOAT h2 0",
  "INCRBYFLOAT h1 1.5",
];

/** One connection WATCHes k, another runs the command, then MULTI PING EXEC. */
const WATCH_CASES: { setup: string[][]; command: string[] }[] = [
  { setup: [["SET", "k", "abc"]], command: ["SETBIT", "k", "0", "0"] },
  { setup: [["SET", "k", "abc"]], command: ["SETBIT", "k", "1", "1"] },
  { setup: [["SET", "k", "abc"]], command: ["SETBIT", "k", "1", "0"] },
  { setup: [["SET", "k", "abc"]], command: ["SETBIT", "k", "100", "0"] },
  { setup: [], command: ["SETBIT", "k", "0", "0"] },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "SET", "u8", "0", "97"] },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "SET", "u8", "0", "98"] },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "INCRBY", "i8", "8", "0"] },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "INCRBY", "u8", "0", "256"] },
  {
    setup: [["SET", "k", "abc"]],
    command: ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"],
  },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "SET", "u8", "100", "0"] },
  { setup: [], command: ["BITFIELD", "k", "SET", "u8", "0", "0"] },
  { setup: [["SET", "k", "abc"]], command: ["BITFIELD", "k", "GET", "u8", "0"] },
];

/** Keyspace events (keyevent channel) each command publishes, in order. */
const EVENT_LINES: string[] = [
  "SET b x",
  "BITFIELD b SET u8 0 1",
  "BITFIELD b SET u8 0 1",
  "BITFIELD b SET u8 0 2 SET u8 0 2",
  "BITFIELD b INCRBY u8 0 0",
  "BITFIELD b INCRBY u8 0 256",
  "BITFIELD b OVERFLOW SAT INCRBY u8 0 1000 INCRBY u8 0 1000",
  "BITFIELD b SET u8 16 0",
  "BITFIELD b SET u8 16 0",
  "BITFIELD b OVERFLOW FAIL INCRBY u8 0 1000",
  "BITFIELD b OVERFLOW FAIL INCRBY u8 100 1000",
  "SETBIT b 0 0",
  "SETBIT b 0 1",
  "SETBIT b 0 1",
  "SETBIT b 1000 0",
];

function argvOf(line: string): string[] {
  const argv = splitInlineArgs(line);
  assert.ok(argv !== null, line);
  return argv;
}

async function events(client: RawClient, sub: RawClient): Promise<string[]> {
  await client.call(["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "E$"]);
  await sub.call(["HELLO", "3"]);
  // RESP3: the subscribe confirmations are pushes too.
  await sub.writeRaw(encodeCommand(["SUBSCRIBE", "__keyevent@0__:setbit", "__keyevent@0__:set"]));
  assert.equal((await sub.takePushes(2)).length, 2);
  const out: string[] = [];
  for (const line of EVENT_LINES) {
    const [reply] = await client.call(argvOf(line));
    await sub.call(["PING"]); // every message the command published arrives before this reply
    const published = sub.pushes.splice(0).map((p) => JSON.stringify(p));
    out.push(`${line} -> ${JSON.stringify(reply)} ${published.join(" ")}`);
  }
  await client.call(["CONFIG", "SET", "notify-keyspace-events", ""]);
  return out;
}

Deno.test("string and bitmap edge cases match redis-server (RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    // Every difference is listed, not just the first.
    const differences: string[] = [];
    for (const protocol of ["2", "3"]) {
      await redis.call(["HELLO", protocol], ["FLUSHALL"]);
      await atlas.call(["HELLO", protocol], ["FLUSHALL"]);
      const commands = LINES.map(argvOf);
      differences.push(
        ...await replyDifferences(redis, atlas, commands, undefined, `RESP${protocol} `),
      );
    }
    assert.deepEqual(differences, []);
  }));

Deno.test("SETBIT / BITFIELD that change nothing leave WATCH and keyspace events alone", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const { redisPort, atlasPort } = servers;
    const cases = WATCH_CASES.map(({ setup, command }) => ({ watch: "k", setup, op: command }));
    const outcomes: string[] = [];
    const differences = await watchDifferences(servers, cases, [], { outcomes });
    // Both outcomes are covered: an EXEC that ran and one that was aborted.
    assert.ok(
      outcomes.some((o) => o.includes("PONG")) && outcomes.some((o) => o.includes("nil")),
    );
    const others = [await RawClient.connect(redisPort), await RawClient.connect(atlasPort)];
    try {
      const want = await events(redis, others[0]);
      const got = await events(atlas, others[1]);
      assert.ok(want.some((line) => line.includes("__keyevent@0__:setbit")), want.join("\n"));
      for (let i = 0; i < want.length; i++) {
        if (got[i] !== want[i]) differences.push(`atlasd: ${got[i]}\n  redis:  ${want[i]}`);
      }
      assert.deepEqual(differences, []);
    } finally {
      for (const other of others) await other.close();
    }
  }));
