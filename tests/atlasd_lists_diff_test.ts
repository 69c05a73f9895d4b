/**
 * Side by side with redis-server 7.0.15, in RESP2 and RESP3: the list commands past what
 * atlasd_differential_test.ts, atlasd_collections_edge_diff_test.ts and
 * atlasd_argument_order_diff_test.ts cover. Every index combination of LRANGE / LTRIM / LINDEX /
 * LSET (negative, out of range, start > end, ±2^63, not a number), LPOP/RPOP counts (0, negative,
 * huge, on a missing key: nil vs empty array), LREM counts both ways, LINSERT's pivot and word,
 * LPOS's RANK / COUNT / MAXLEN together, LMOVE / RPOPLPUSH rotations and wrong-type ends, LMPOP's
 * numkeys and COUNT, blocking pops queued in MULTI (their non-blocking answers), OBJECT ENCODING
 * under list-max-listpack-size, empty, binary and long elements, TTLs kept or dropped; then what
 * a WATCH, a tracking client and a keyevent subscriber see of the no-op writes (LREM removing
 * nothing, LTRIM keeping everything, LSET to the same value, LPOP count 0, LINSERT without its
 * pivot, a one-element LMOVE rotation). atlasd already answered all of these as Redis does when
 * this test was written (a hunt over a few thousand such lines and a random-command comparison
 * found no difference in atlas/store/list_commands.ts); the test keeps it so.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const w = (line: string): string[] => line.split(" ");

const LONG = "x".repeat(100_000);
const BINARY = ["\x00", "\xff", "a\x00b", "", "\xe9", "\xc3\xa9", "\r\n", " "];

const SETUP: string[][] = [
  w("SET str v"),
  w("RPUSH l a b c d e"),
  w("RPUSH r a b a c a d a"),
  w("RPUSH p a b a c a d a e"),
  ["RPUSH", "bin", ...BINARY],
  ["RPUSH", "long", LONG, "y", LONG + "z"],
];

/** Indexes for the LRANGE / LTRIM / LINDEX / LSET grids over a 5-element list. */
const INDEXES = [
  "0",
  "2",
  "4",
  "5",
  "-1",
  "-5",
  "-6",
  "100",
  "-100",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "x",
  "01",
  "-0",
];

const grid = (f: (a: string, b: string) => string[][]): string[][] =>
  INDEXES.flatMap((a) => INDEXES.flatMap((b) => f(a, b)));

/** Sent one by one after SETUP; every reply must equal Redis's. */
const LINES: string[][] = [
  // Pushes: arity, wrong type, the X forms on missing keys, empty elements.
  w("LPUSH l2"),
  w("LPUSHX nolist a b"),
  w("RPUSHX nolist a"),
  w("LPUSHX str a"),
  w("RPUSH str a"),
  ["RPUSH", "l2", "", "", "x"],
  ["LPUSHX", "l2", ""],
  w("RPUSHX l2 y z"),
  w("LRANGE l2 0 -1"),
  // LPOP / RPOP counts: nil vs empty array, range errors, the key last.
  ...["0", "-1", "-0", "01", "1e3", "inf", "1.0", "9223372036854775807", "9223372036854775808"]
    .flatMap((n) => [w(`LPOP nolist ${n}`), w(`RPOP str ${n}`), w(`LPOP l2 ${n}`)]),
  w("RPUSH l3 a b c"),
  w("RPOP l3 0"),
  w("RPOP l3 1"),
  w("LPOP l3 100"),
  w("EXISTS l3"),
  w("LPOP l3"),
  w("LPOP l3 1"),
  w("LLEN l3"),
  w("LLEN str"),
  // LRANGE and LINDEX over every pair of indexes; the numbers before the key.
  ...grid((a, b) => [w(`LRANGE l ${a} ${b}`)]),
  ...INDEXES.flatMap((i) => [w(`LINDEX l ${i}`), w(`LINDEX nolist ${i}`), w(`LINDEX str ${i}`)]),
  w("LRANGE nolist x 1"),
  w("LRANGE str x 1"),
  w("LRANGE str 0 1"),
  // LTRIM over every pair, on a fresh list each time (emptied lists are deleted).
  ...grid((a, b) => [
    w("DEL t"),
    w("RPUSH t a b c d e"),
    w(`LTRIM t ${a} ${b}`),
    w("LRANGE t 0 -1"),
    w("EXISTS t"),
  ]),
  w("LTRIM nolist x 1"),
  w("LTRIM str x 1"),
  w("LTRIM str 0 1"),
  // LSET: the key before the index, then the range.
  ...INDEXES.flatMap((i) => [w(`LSET l ${i} Z`), w(`LSET nolist ${i} Z`), w(`LSET str ${i} Z`)]),
  ["LSET", "l", "0", ""],
  w("LRANGE l 0 -1"),
  // LREM from the head, the tail, all; nothing removed; the count before the key.
  ...["0", "1", "2", "-1", "-2", "10", "-10", "-9223372036854775808", "x", "1.5"].flatMap((n) => [
    w("DEL r"),
    w("RPUSH r a b a c a d a"),
    w(`LREM r ${n} a`),
    w("LRANGE r 0 -1"),
    w(`LREM r ${n} zz`),
    w(`LREM nolist ${n} a`),
    w(`LREM str ${n} a`),
  ]),
  w("RPUSH r2 a a"),
  w("LREM r2 0 a"),
  w("EXISTS r2"),
  ["RPUSH", "e", "", "x", ""],
  ["LREM", "e", "0", ""],
  w("LRANGE e 0 -1"),
  // LINSERT: the word first (any case), a missing pivot -1, a missing key 0.
  ...["BEFORE", "AFTER", "before", "After", "x", "BEFOR"].flatMap((where) => [
    w(`LINSERT p ${where} a X`),
    w(`LINSERT p ${where} zz X`),
    w(`LINSERT nolist ${where} a X`),
    w(`LINSERT str ${where} a X`),
  ]),
  ["LINSERT", "p", "BEFORE", "", "X"],
  ["LINSERT", "p", "AFTER", "X", ""],
  w("LRANGE p 0 -1"),
  // LPOS: RANK, COUNT and MAXLEN together, from both ends.
  w("DEL p"),
  w("RPUSH p a b a c a d a e"),
  ...["1", "2", "-1", "-2", "3", "-4", "5"].flatMap((rank) =>
    ["0", "1", "2", "3"].flatMap((count) =>
      ["0", "1", "3", "8"].map((maxlen) =>
        w(`LPOS p a RANK ${rank} COUNT ${count} MAXLEN ${maxlen}`)
      )
    )
  ),
  ...["1", "-1", "5", "-5"].flatMap((rank) =>
    ["0", "2", "5"].map((maxlen) => w(`LPOS p a MAXLEN ${maxlen} RANK ${rank}`))
  ),
  w("LPOS p a RANK 1 RANK 2"),
  w("LPOS p a COUNT 1 COUNT 0"),
  w("LPOS p a MAXLEN 1 MAXLEN 0"),
  w("LPOS p a rank 2 count 2 maxlen 0"),
  w("LPOS p a RANK 0 COUNT -1"),
  w("LPOS p a COUNT -1 RANK 0"),
  w("LPOS p a COUNT x MAXLEN -1"),
  w("LPOS p a RANK 9223372036854775808"),
  w("LPOS p a COUNT 9223372036854775808"),
  w("LPOS p a MAXLEN 9223372036854775808"),
  w("LPOS p zz COUNT 0"),
  w("LPOS p zz"),
  w("LPOS nolist a COUNT 0"),
  w("LPOS nolist a RANK 0"),
  w("LPOS str a COUNT 0"),
  w("LPOS str a COUNT -1"),
  // LMOVE / RPOPLPUSH: rotations, a missing source before a wrong-type destination.
  ...["LEFT", "RIGHT", "left", "x"].flatMap((from) =>
    ["LEFT", "RIGHT", "Right", "y"].flatMap((to) => [
      w(`LMOVE l l ${from} ${to}`),
      w("LRANGE l 0 -1"),
      w(`LMOVE l str ${from} ${to}`),
      w(`LMOVE str l ${from} ${to}`),
      w(`LMOVE nolist str ${from} ${to}`),
      w(`LMOVE str nolist ${from} ${to}`),
      w(`LMOVE nolist nolist ${from} ${to}`),
    ])
  ),
  w("RPOPLPUSH l l"),
  w("RPOPLPUSH l str"),
  w("RPOPLPUSH str l"),
  w("RPOPLPUSH nolist str"),
  w("RPOPLPUSH nolist nolist"),
  w("RPUSH one x"),
  w("LMOVE one one LEFT RIGHT"),
  w("LMOVE one two LEFT RIGHT"),
  w("EXISTS one"),
  w("RPOPLPUSH two two"),
  w("LRANGE two 0 -1"),
  // LMPOP: numkeys, the word, COUNT, several keys.
  w("RPUSH m1 a b c d"),
  w("RPUSH m2 x y"),
  ...["0", "-1", "3", "x", "01", "9223372036854775808", "2147483648", "1.0"].flatMap((n) => [
    w(`LMPOP ${n} m1 LEFT`),
    w(`LMPOP ${n} m1 m2 LEFT`),
  ]),
  ...["0", "-1", "x", "100", "9223372036854775808", "01"].flatMap((n) => [
    w(`LMPOP 1 nolist LEFT COUNT ${n}`),
    w(`LMPOP 1 str LEFT COUNT ${n}`),
  ]),
  w("LMPOP 2 nolist m2 RIGHT COUNT 5"),
  w("EXISTS m2"),
  w("LMPOP 2 nolist m1 RIGHT COUNT 1 COUNT 2"),
  w("LMPOP 2 nolist m1 RIGHT COUNT"),
  w("LMPOP 2 nolist m1 UP"),
  w("LMPOP 2 nolist m1"),
  w("LMPOP 2 str m1 LEFT"),
  w("LMPOP 2 m1 str LEFT"),
  w("LMPOP 1 m1 FOO COUNT 0"),
  w("LMPOP 1 m1 LEFT LEFT"),
  w("LMPOP 1 m1 left count 2"),
  w("LMPOP 2 nolist nolist2 LEFT"),
  // Blocking pops inside MULTI answer what the non-blocking form would.
  w("RPUSH q a b c"),
  w("MULTI"),
  w("BLPOP nolist 0"),
  w("BLPOP q 0"),
  w("BRPOP nolist q 0"),
  w("BLPOP nolist str 0"),
  w("BLPOP nolist -1"),
  w("BLMOVE nolist q LEFT LEFT 0"),
  w("BLMOVE q q LEFT RIGHT 0"),
  w("BLMOVE q str LEFT RIGHT 0"),
  w("BLMOVE nolist str LEFT RIGHT 0"),
  w("BRPOPLPUSH nolist q 0"),
  w("BLMPOP 0 1 nolist LEFT"),
  w("BLMPOP 0 2 nolist q LEFT COUNT 2"),
  w("BLMPOP 0 1 str LEFT"),
  w("BLMPOP 0 0 q LEFT"),
  w("BLMPOP 0 1 q LEFT COUNT 0"),
  w("BLMPOP 0.5 1 nolist LEFT"),
  w("BZPOPMIN nolist 0"),
  w("EXEC"),
  // OBJECT ENCODING: quicklist whatever list-max-listpack-size says (7.0 has no listpack lists).
  w("OBJECT ENCODING l"),
  w("OBJECT ENCODING long"),
  w("CONFIG GET list-max-listpack-size"),
  ...["1", "0", "-5", "-6", "x", "-2"].flatMap((v) => [
    w(`CONFIG SET list-max-listpack-size ${v}`),
    w("CONFIG GET list-max-ziplist-size"),
    w("OBJECT ENCODING l"),
  ]),
  // Empty, binary and long elements.
  w("LRANGE bin 0 -1"),
  ["LPOS", "bin", "\x00"],
  ["LPOS", "bin", "\xe9"],
  ["LPOS", "bin", "\xc3\xa9"],
  ["LPOS", "bin", ""],
  ["LREM", "bin", "0", "a\x00b"],
  ["LINSERT", "bin", "BEFORE", "\xff", "\x01\x02"],
  ["LSET", "bin", "0", "\x00\x00"],
  w("LRANGE bin 0 -1"),
  w("LINDEX long 0"),
  ["LPOS", "long", LONG + "z"],
  ["LREM", "long", "1", LONG],
  ["LINSERT", "long", "AFTER", "y", LONG],
  w("LRANGE long 0 -1"),
  // TTLs survive in-place edits; an emptied list takes its TTL with it.
  w("RPUSH tl a b c d e a"),
  w("EXPIRE tl 1000"),
  ...[
    "LREM tl 1 a",
    "LINSERT tl BEFORE b X",
    "LTRIM tl 1 -1",
    "LSET tl 0 Q",
    "LMOVE tl tl LEFT RIGHT",
    "LMOVE tl tl2 LEFT RIGHT",
  ].flatMap((line) => [w(line), w("TTL tl")]),
  w("TTL tl2"),
  w("LMPOP 1 tl LEFT COUNT 100"),
  w("RPUSH tl a"),
  w("TTL tl"),
];

Deno.test("list commands answer as redis-server does (RESP2 and RESP3)", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    assert.deepEqual(await replyDifferences(redis, atlas, LINES), []);
    const redis3 = await RawClient.connect(redisPort);
    const atlas3 = await RawClient.connect(atlasPort);
    try {
      const reset = [["FLUSHALL"], ["HELLO", "3"], [
        "CONFIG",
        "SET",
        "list-max-listpack-size",
        "-2",
      ]];
      for (const c of [redis3, atlas3]) await c.call(...reset);
      assert.deepEqual(await replyDifferences(redis3, atlas3, SETUP, undefined, "RESP3 "), []);
      assert.deepEqual(await replyDifferences(redis3, atlas3, LINES, undefined, "RESP3 "), []);
    } finally {
      await redis3.close();
      await atlas3.close();
    }
  }));

/** Another client's list command, and the key a WATCH / tracking client / subscriber follows. */
const SIDE_EFFECTS: { op: string[]; key: string }[] = [
  { op: w("LREM l 0 zz"), key: "l" },
  { op: w("LREM l 1 a"), key: "l" },
  { op: w("LTRIM l 0 -1"), key: "l" },
  { op: w("LTRIM l 0 100"), key: "l" },
  { op: w("LTRIM l 9 10"), key: "l" },
  { op: w("LSET l 0 a"), key: "l" },
  { op: w("LSET l 0 b"), key: "l" },
  { op: w("LSET l 99 b"), key: "l" },
  { op: w("LSET nolist 0 b"), key: "nolist" },
  { op: w("LPOP l 0"), key: "l" },
  { op: w("RPOP l 0"), key: "l" },
  { op: w("LPOP l -1"), key: "l" },
  { op: w("LPOP nolist 0"), key: "nolist" },
  { op: w("LPOP l 10"), key: "l" },
  { op: w("LINSERT l BEFORE zz x"), key: "l" },
  { op: w("LINSERT l BEFORE a x"), key: "l" },
  { op: w("LINSERT l FOO a x"), key: "l" },
  { op: w("LPUSHX nolist x"), key: "nolist" },
  { op: w("LPUSHX l x"), key: "l" },
  { op: w("LMOVE l l LEFT LEFT"), key: "l" },
  { op: w("LMOVE l l LEFT RIGHT"), key: "l" },
  { op: w("LMOVE one one LEFT LEFT"), key: "one" },
  { op: w("LMOVE one two LEFT RIGHT"), key: "one" },
  { op: w("LMOVE one two LEFT RIGHT"), key: "two" },
  { op: w("LMOVE l str LEFT LEFT"), key: "l" },
  { op: w("LMOVE nolist l LEFT LEFT"), key: "l" },
  { op: w("RPOPLPUSH l l"), key: "l" },
  { op: w("LMPOP 2 nolist l LEFT COUNT 9"), key: "l" },
  { op: w("LMPOP 1 l LEFT COUNT 0"), key: "l" },
  { op: w("LTRIM nolist 0 1"), key: "nolist" },
  { op: w("LREM nolist 0 a"), key: "nolist" },
];

const SIDE_SETUP = [["FLUSHALL"], w("SET str v"), w("RPUSH l a b c a"), w("RPUSH one x")];

/**
 * One case on one server: whether the op breaks a WATCH on the key, the invalidations a RESP3
 * tracking client that read the key gets, and the keyevent messages (KEA) it publishes.
 */
async function sideEffects(port: number, c: (typeof SIDE_EFFECTS)[number]): Promise<string> {
  const [watcher, tracker, sub, other] = await Promise.all(
    [0, 1, 2, 3].map(() => RawClient.connect(port)),
  );
  try {
    await other.call(...SIDE_SETUP, ["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    await tracker.call(["HELLO", "3"], ["CLIENT", "TRACKING", "ON"], ["LRANGE", c.key, "0", "-1"]);
    await sub.call(["HELLO", "3"]);
    // Under RESP3 the subscription's confirmation is a push, not a reply.
    await sub.writeRaw(encodeCommand(["PSUBSCRIBE", "__keyevent@0__:*"]));
    await sub.takePushes(1);
    await watcher.call(["WATCH", c.key]);
    const reply = await other.one(...c.op);
    const exec = (await watcher.call(["MULTI"], ["PING"], ["EXEC"]))[2];
    // A reply on the same connection comes after the pushes the op caused.
    await tracker.one("PING");
    await sub.one("PING");
    const events = sub.pushes.flatMap((p) =>
      p.t === "push" && p.v.length === 4 ? [p.v.slice(2)] : []
    );
    await other.call(["CONFIG", "SET", "notify-keyspace-events", ""]);
    return JSON.stringify({ reply, exec, invalidated: tracker.pushes, events });
  } finally {
    for (const client of [watcher, tracker, sub, other]) await client.close();
  }
}

Deno.test("what WATCH, tracking and keyspace events see of list writes, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const differences: string[] = [];
    for (const c of SIDE_EFFECTS) {
      const want = await sideEffects(redisPort, c);
      const got = await sideEffects(atlasPort, c);
      const line = `${c.key}: ${c.op.join(" ")}`;
      if (got !== want) differences.push(`${line}\n  atlasd: ${got}\n  redis:  ${want}`);
    }
    assert.deepEqual(differences, []);
  }));
