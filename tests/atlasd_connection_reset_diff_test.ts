/**
 * Side by side with redis-server 7.0: what RESET resets, and how SELECT, HELLO and CLIENT LIST
 * read their numbers. Before this test, RESET left CLIENT TRACKING on (invalidations still went
 * to the redirect client) and CLIENT REPLY OFF in force (so "+RESET" was never sent); SELECT
 * accepted "00" and "-0" and skipped the int32 range error; HELLO took "03" as protocol 3; CLIENT
 * LIST refused ID -1, accepted ID 01 and 2^64, and took TYPE with other arguments.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const END = "end-of-sequence";

/**
 * Sends `commands` then ECHO END in one pipeline; returns the replies up to END, or what came
 * before a 1.5 s silence followed by "(silence)" (a reply mode left OFF sends nothing more).
 */
async function repliesOf(client: RawClient, commands: string[][]): Promise<unknown[]> {
  await client.writeRaw(
    [...commands, ["ECHO", END]].map((argv) =>
      `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")
    ).join(""),
  );
  const replies: unknown[] = [];
  while (true) {
    const reply = await client.next(1500).catch(() => null);
    if (reply === null) return [...replies, "(silence)"];
    if (reply.t === "bulk" && reply.v === END) return replies;
    replies.push(reply);
  }
}

/** Each sequence runs on a fresh connection of each server; the replies must be equal. */
const RESET_SEQUENCES: string[][][] = [
  // Reply mode: OFF is lifted before RESET replies; a SKIP in force still silences RESET.
  [["CLIENT", "REPLY", "OFF"], ["RESET"], ["PING"]],
  [["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "SKIP"], ["RESET"], ["PING"]],
  [["CLIENT", "REPLY", "SKIP"], ["RESET"], ["PING"]],
  // Tracking is off after RESET, and may then be turned on in another mode.
  [["CLIENT", "TRACKING", "ON"], ["GET", "k"], ["RESET"], ["CLIENT", "GETREDIR"], [
    "CLIENT",
    "TRACKINGINFO",
  ]],
  [["CLIENT", "TRACKING", "ON", "BCAST"], ["RESET"], ["CLIENT", "TRACKING", "ON"]],
  [["CLIENT", "TRACKING", "ON", "OPTIN"], ["RESET"], ["CLIENT", "CACHING", "YES"]],
  // Already equal: transaction, subscriptions, name and protocol are reset too.
  [["MULTI"], ["SET", "a", "1"], ["RESET"], ["EXEC"]],
  [["SUBSCRIBE", "c"], ["PSUBSCRIBE", "p*"], ["SSUBSCRIBE", "s"], ["RESET"], ["PING"]],
  [["CLIENT", "SETNAME", "n"], ["RESET"], ["CLIENT", "GETNAME"]],
];

Deno.test("RESET turns tracking off and the reply mode on, as redis-server does", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    for (const commands of RESET_SEQUENCES) {
      const got: unknown[][] = [];
      for (const port of [redisPort, atlasPort]) {
        const client = await RawClient.connect(port);
        try {
          got.push(await repliesOf(client, commands));
        } finally {
          await client.close();
        }
      }
      assert.deepEqual(got[1], got[0], commands.map((argv) => argv.join(" ")).join("; "));
    }

    // A tracking client redirecting to a RESP3 listener: its read keys are invalidated there
    // until RESET; after it, a change of a key it read sends nothing.
    const before: RespValue[][] = [];
    const after: RespValue[][] = [];
    for (const port of [redisPort, atlasPort]) {
      const listener = await RawClient.connect(port);
      const tracker = await RawClient.connect(port);
      try {
        await listener.call(["HELLO", "3"]);
        const [id] = await listener.call(["CLIENT", "ID"]);
        const redirect = String((id as { v: number }).v);
        await tracker.call(
          ["CLIENT", "TRACKING", "ON", "REDIRECT", redirect],
          ["GET", "k1"],
          ["GET", "k2"],
          ["SET", "k1", "x"],
        );
        before.push(await listener.takePushes(1));
        await tracker.call(["RESET"], ["SET", "k2", "x"]);
        await listener.call(["PING"]); // the invalidation, if any, is written before this reply
        await new Promise((resolve) => setTimeout(resolve, 200));
        after.push(listener.pushes.splice(0));
      } finally {
        await listener.close();
        await tracker.close();
      }
    }
    const k1 = {
      t: "push",
      v: [{ t: "bulk", v: "invalidate" }, { t: "array", v: [{ t: "bulk", v: "k1" }] }],
    };
    assert.deepEqual(before, [[k1], [k1]], "k1 invalidated before RESET, on both");
    assert.deepEqual(after, [[], []], "no invalidation after RESET (redis-server, atlasd)");
  }));

/** Refused arguments (the replies must be equal); none of them may change the connection. */
const REFUSED: string[][] = [
  ...["00", "-0", "02", "+0", " 0", "", "1.0", "0x1"].map((db) => ["SELECT", db]),
  // int64 but not int32: Redis's int range error; beyond int64: not an integer.
  ...["2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808"].map((
    db,
  ) => ["SELECT", db]),
  ...["9223372036854775808", "-9223372036854775809", "99999999999999999999"].map((
    db,
  ) => ["SELECT", db]),
  ["SELECT", "16"],
  ["SELECT", "-1"],
  ...["03", "02", "00", "-0", "+3", "3.0", "", "0", "4", "-3"].map((v) => ["HELLO", v]),
  ["HELLO", "9223372036854775807"],
  ["HELLO", "9223372036854775808"],
  // CLIENT LIST ID takes any int64 (0 and negatives match nobody), TYPE only on its own.
  ...["0", "-1", "9223372036854775807"].map((id) => ["CLIENT", "LIST", "ID", id]),
  ...["01", "-0", "99999999999999999999", "abc", ""].map((id) => ["CLIENT", "LIST", "ID", id]),
  ["CLIENT", "LIST", "ID", "0", "abc"],
  ["CLIENT", "LIST", "ID", "0", "TYPE", "normal"],
  ["CLIENT", "LIST", "TYPE", "normal", "ID", "0"],
  ["CLIENT", "LIST", "TYPE", "normal", "TYPE", "pubsub"],
  ["CLIENT", "LIST", "TYPE"],
  ["CLIENT", "LIST", "ID"],
  ["CLIENT", "LIST", "TYPE", "bogus"],
];

Deno.test("SELECT, HELLO and CLIENT LIST ID read numbers as redis-server does", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    for (const argv of REFUSED) {
      const [want] = await redis.call(argv);
      const [got] = await atlas.call(argv);
      assert.deepEqual(got, want, argv.join(" "));
    }
    // Still RESP2 and database 0: none of the refused HELLOs and SELECTs took effect ("HELLO 03"
    // once switched atlasd to RESP3).
    const [info] = await atlas.call(["CLIENT", "INFO"]);
    assert.match((info as { v: string }).v, / resp=2\b/);
    assert.match((info as { v: string }).v, / db=0 /);

    // HELLO AUTH with a bad option after it: Redis 7.0 authenticates while reading the options,
    // so the connection is logged in although HELLO answered an error. atlasd does the same.
    for (const client of [redis, atlas]) {
      await client.call(["CONFIG", "SET", "requirepass", "x"], ["RESET"]);
    }
    const sequence = [
      ["HELLO", "3", "AUTH", "default", "x", "SETNAME", "a b"],
      ["GET", "k"],
      ["RESET"],
      ["HELLO", "3", "SETNAME", "a b", "AUTH", "default", "x"],
      ["GET", "k"],
    ];
    assert.deepEqual(await atlas.call(...sequence), await redis.call(...sequence));
  }));
