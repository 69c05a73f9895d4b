/**
 * Side by side with redis-server 7.0.15: key expiry and the generic key commands beyond tests/atlasd_keys_edge_diff_test.ts.
 * Pinned here, and answered differently by atlasd before this test:
 * - option words are compared as C strings (strcasecmp), so an argument is cut at its first NUL:
 *   `EXPIRE k 100 NX\0junk` is NX, `SCAN 0 COUNT\0 5` is COUNT, `SCAN 0 TYPE list\0` filters
 *   lists, `COPY a b REPLACE\0` replaces, `FLUSHALL SYNC\0x` flushes; EXPIRE's "Unsupported option"
 *   error quotes the option up to the NUL, and so does a container's unknown subcommand error;
 * - SCAN ... TYPE looks each key that passed MATCH up as a read (one keyspace hit per key, as INFO
 *   stats shows), and SCAN tests MATCH before it expires a key;
 * - OBJECT REFCOUNT of a small integer changed in place (SETRANGE, APPEND: a "raw" string) is 1,
 *   not the shared integers' 2147483647;
 * - RANDOMKEY deletes expired keys it lands on and goes on until it finds a live key, so it never
 *   answers nil while a live key exists (atlasd gave up after 100 picks).
 * The rest are agreeing neighbours: every NX/XX/GT/LT combination and conflict, GT/LT against a key
 * without TTL, past and negative times (a `del` event, not `expired`), TTL/PTTL/EXPIRETIME/
 * PEXPIRETIME on missing and persistent keys, PERSIST, KEEPTTL, GETEX PERSIST, RENAME/COPY/MOVE
 * with a TTL, TOUCH/EXISTS/DEL/UNLINK with repeats, SCAN TYPE per type, OBJECT FREQ/IDLETIME,
 * which of these commands break a WATCH and the keyspace events they publish. Time-dependent
 * replies are compared rounded ("ttl:") or by shape.
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

/** A command line: space-separated text, or an argv (for empty or binary arguments). */
type Line = string | string[];

const SETUP: string[][] = [
  ["SET", "s", "v"],
  ["SET", "n", "5"],
  ["RPUSH", "l", "a"],
  ["SADD", "st", "a"],
  ["ZADD", "z", "1", "a"],
  ["HSET", "h", "f", "v"],
  ["XADD", "x", "1-1", "f", "v"],
  ["PFADD", "hll", "a"],
];

/**
 * Sent one by one; every reply must equal Redis's. A line may start with a mode: "sort:" compares
 * an array sorted, "scan:" a SCAN reply with its keys sorted, "ttl:" a positive integer rounded to
 * tens (TTL 100 and 99 agree), "pttl:" to tens of seconds, "shape:" only the reply's type, "hits:"
 * only the keyspace_hits / keyspace_misses lines of an INFO stats reply.
 */
const LINES: Line[] = [
  // Option words are C strings.
  "SET e v",
  ["EXPIRE", "e", "100", "nx\x00"],
  "ttl:TTL e",
  ["EXPIRE", "e", "200", "xx\x00yy"],
  "ttl:TTL e",
  ["EXPIRE", "e", "100", "foo\x00bar"],
  ["EXPIRE", "e", "100", "GT\x00", "lt"],
  ["EXPIRE", "e", "100", "nx\x00", "XX"],
  ["PEXPIRE", "e", "100000", "gt\x00junk"],
  // A container's unknown subcommand is quoted as a C string too. (Not "encoding\0": Redis hashes
  // the whole name but compares up to the NUL, so whether it finds ENCODING depends on its seed.)
  ["CONFIG", "foo\x00bar"],
  ["CLIENT", "x\x00y", "z"],
  ["EXPIRE", "e", "100", "\x00"],
  ["EXPIRE", "e", "100", "a\r\nb"],
  ["EXPIRE", "e", "100", ""],
  ["scan:SCAN", "0", "TYPE", "list\x00", "COUNT", "100"],
  ["scan:SCAN", "0", "TYPE", "string\x00hash", "COUNT", "100"],
  ["scan:SCAN", "0", "count\x00", "100"],
  ["scan:SCAN", "0", "match\x00x", "h*", "COUNT", "100"],
  ["scan:SCAN", "0", "type\x00", "zset", "COUNT", "100"],
  ["SCAN", "0", "foo\x00bar"],
  ["scan:SCAN", "0", "TYPE", "\x00", "COUNT", "100"],
  ["scan:HSCAN", "h", "0", "count\x00", "5"],
  ["scan:ZSCAN", "z", "0", "match\x00", "a"],
  ["COPY", "s", "s2", "replace\x00"],
  ["COPY", "s", "s2", "replace\x00"],
  ["COPY", "s", "s2", "db\x00", "0"],
  ["COPY", "s", "s2", "foo\x00bar"],
  // SCAN TYPE: one name per type, any case; an unknown name matches nothing.
  "scan:SCAN 0 TYPE string COUNT 100",
  "scan:SCAN 0 TYPE STRING COUNT 100",
  "scan:SCAN 0 TYPE list COUNT 100",
  "scan:SCAN 0 TYPE set COUNT 100",
  "scan:SCAN 0 TYPE zset COUNT 100",
  "scan:SCAN 0 TYPE hash COUNT 100",
  "scan:SCAN 0 TYPE stream COUNT 100",
  "scan:SCAN 0 TYPE foo COUNT 100",
  "scan:SCAN 0 TYPE none COUNT 100",
  "scan:SCAN 0 TYPE hyperloglog COUNT 100",
  ["scan:SCAN", "0", "TYPE", "", "COUNT", "100"],
  "SCAN 0 TYPE",
  "scan:SCAN 0 TYPE string TYPE list COUNT 100",
  "SCAN x TYPE foo",
  "SCAN 0 COUNT 0 TYPE foo",
  "SCAN 0 TYPE foo COUNT 0",
  // ... and counts a keyspace hit for every key that passed MATCH.
  "CONFIG RESETSTAT",
  "scan:SCAN 0 TYPE string COUNT 100",
  "hits:INFO stats",
  "scan:SCAN 0 MATCH s* TYPE list COUNT 100",
  "hits:INFO stats",
  "scan:SCAN 0 MATCH s* COUNT 100",
  "sort:KEYS *",
  "shape:RANDOMKEY",
  "hits:INFO stats",
  // OBJECT REFCOUNT: a small integer is shared until it is changed in place.
  "OBJECT REFCOUNT n",
  "SET n2 7",
  "SETRANGE n2 0 8",
  "OBJECT ENCODING n2",
  "OBJECT REFCOUNT n2",
  "SET n3 1",
  "APPEND n3 2",
  "OBJECT REFCOUNT n3",
  "SET n4 5",
  "RENAME n4 n5",
  "OBJECT REFCOUNT n5",
  "OBJECT FREQ s",
  "OBJECT FREQ nokey",
  "OBJECT IDLETIME nokey",
  "OBJECT FREQ",
  "OBJECT FREQ s s",
  // EXPIRE family options: conflicts before the time, the time before the key.
  "EXPIRE e 100 NX XX",
  "EXPIRE e 100 NX GT",
  "EXPIRE e 100 LT NX",
  "EXPIRE e 100 GT LT",
  "EXPIRE e 100 XX GT LT",
  "EXPIRE e 100 NX GT LT",
  "EXPIRE e abc NX XX",
  "EXPIRE e abc foo",
  "EXPIRE nokey 100 NX XX",
  "EXPIRE nokey abc",
  "EXPIRE nokey 100 foo",
  "EXPIRE e 100 NX NX",
  "EXPIRE e 100 gt GT",
  "EXPIRE e 100 XX XX",
  "EXPIRE e 1.5",
  "EXPIRE e 1e3",
  ["EXPIRE", "e", " 1"],
  ["EXPIRE", "e", ""],
  "EXPIRE e 9223372036854775",
  "PEXPIRE e 9223372036854775807",
  "EXPIREAT e 9223372036854776",
  // GT/LT against a key without TTL (an infinite TTL), then with one.
  "SET t v",
  "EXPIREAT t 4000000000 GT",
  "EXPIRETIME t",
  "EXPIREAT t 4000000000 XX",
  "EXPIREAT t 4000000000 LT",
  "EXPIRETIME t",
  "EXPIREAT t 4000000000 LT",
  "EXPIREAT t 4000000000 GT",
  "EXPIREAT t 4000000001 GT",
  "EXPIREAT t 3999999999 LT XX",
  "EXPIREAT t 4000000005 NX",
  "PEXPIRETIME t",
  "PEXPIREAT t 3999999999500 GT",
  "PEXPIREAT t 3999999999500 LT",
  "EXPIRETIME t",
  "PEXPIRETIME t",
  "ttl:TTL t",
  // Past and negative times delete the key (whatever NX / LT say); GT and XX need a TTL.
  "SET p v",
  "EXPIRE p -1 GT",
  "EXPIRE p -1 XX",
  "EXISTS p",
  "EXPIRE p -1 LT",
  "EXISTS p",
  "SET p v",
  "PEXPIREAT p 1 NX",
  "EXISTS p",
  "SET p v EX 100",
  "EXPIREAT p 0 XX",
  "EXISTS p",
  "SET p v",
  "EXPIRE p 0",
  "TTL p",
  // TTL / PTTL / EXPIRETIME / PEXPIRETIME / PERSIST.
  "TTL s",
  "PTTL s",
  "EXPIRETIME s",
  "PEXPIRETIME s",
  "TTL nokey",
  "PTTL nokey",
  "EXPIRETIME nokey",
  "PEXPIRETIME nokey",
  "PERSIST s",
  "PERSIST nokey",
  "EXPIRE s 100",
  "ttl:TTL s",
  "pttl:PTTL s",
  "PERSIST s",
  "PERSIST s",
  "TTL s",
  // SET KEEPTTL and GETEX PERSIST.
  "SET k v EX 100",
  "SET k v2 KEEPTTL",
  "ttl:TTL k",
  "SET k v3",
  "TTL k",
  "SET k v EX 100",
  "GETEX k",
  "ttl:TTL k",
  "GETEX k PERSIST",
  "TTL k",
  "GETEX k PERSIST",
  // RENAME / RENAMENX / COPY / MOVE carry the TTL; RENAME to itself; RENAMENX to an existing key.
  "SET r v",
  "EXPIREAT r 4000000000",
  "RENAME r r2",
  "EXPIRETIME r2",
  "RENAME r2 r2",
  "EXPIRETIME r2",
  "RENAMENX r2 r2",
  "RENAMENX r2 s",
  "RENAMENX nokey s",
  "RENAME nokey nokey",
  "RENAMENX r2 r3",
  "EXPIRETIME r3",
  "COPY r3 r4",
  "EXPIRETIME r4",
  "COPY r3 r4",
  "SET r5 v",
  "COPY r5 r4 REPLACE",
  "EXPIRETIME r4",
  "COPY r3 r3",
  "COPY nokey r9",
  "SET r6 v EX 100",
  "RENAME s r6",
  "TTL r6",
  "MOVE r3 0",
  "MOVE r3 1",
  "MOVE nokey 0",
  "EXPIRETIME r3",
  // TOUCH, EXISTS, DEL, UNLINK count repeats their own way; TYPE; KEYS.
  "TOUCH r3 r3 nokey r4",
  "EXISTS r3 r3 nokey r3",
  "TYPE r3",
  "TYPE l",
  "TYPE st",
  "TYPE z",
  "TYPE h",
  "TYPE x",
  "TYPE hll",
  "TYPE nokey",
  "sort:KEYS r?",
  "sort:KEYS [hl]*",
  "sort:KEYS *[^0-9]",
  "DEL r3 r3 r3",
  "UNLINK r4 r4 nokey",
  "DEL nokey",
  "FLUSHALL",
  "RANDOMKEY",
  "KEYS *",
  "SCAN 0",
  "SCAN 0 TYPE string",
  "SET f v",
  ["FLUSHALL", "sync\x00x"],
  "DBSIZE",
  "SET f v",
  ["FLUSHDB", "ASYNC\x00"],
  "DBSIZE",
  ["FLUSHALL", "a\x00"],
];

function infoLine(text: string, field: string): string {
  return text.split("\r\n").find((line) => line.startsWith(field + ":")) ?? `${field}?`;
}

function normalize(mode: string, v: RespValue): string {
  const show = (x: unknown) => JSON.stringify(x);
  const sorted = (x: RespValue) => x.t === "array" ? x.v.map(show).sort() : x;
  if (v.t === "error") return show(v);
  if (mode === "sort") return show(sorted(v));
  if (mode === "scan" && v.t === "array" && v.v.length === 2) return show([v.v[0], sorted(v.v[1])]);
  if (mode === "shape") return v.t;
  if ((mode === "ttl" || mode === "pttl") && v.t === "integer" && Number(v.v) > 0) {
    return `about ${Math.round(Number(v.v) / (mode === "ttl" ? 10 : 10_000))}`;
  }
  if (mode === "hits" && v.t === "bulk") {
    return [infoLine(v.v, "keyspace_hits"), infoLine(v.v, "keyspace_misses")].join(" ");
  }
  return show(v);
}

/** The other connection's commands between WATCH and EXEC, after `setup`, and the key watched. */
const WATCH_CASES: WatchCase[] = [
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "100"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["EXPIRE", "k", "100", "NX"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["EXPIRE", "k", "50", "GT"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["EXPIRE", "k", "500", "LT"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "100", "XX"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "100", "GT"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "100", "LT"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["PERSIST", "k"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["PERSIST", "k"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "-1"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["PEXPIRE", "k", "0", "GT"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["PEXPIRE", "k", "0", "NX"]] },
  { setup: [], watch: "k", ops: [["EXPIRE", "k", "100"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["EXPIRE", "k", "100", "GT", "LT"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["TOUCH", "k"], ["TYPE", "k"], ["TTL", "k"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["RENAME", "k", "k"]] },
  { setup: [["SET", "k", "v"], ["SET", "j", "v"]], watch: "j", ops: [["RENAMENX", "k", "j"]] },
  { setup: [["SET", "k", "v"]], watch: "j", ops: [["RENAME", "k", "j"]] },
  { setup: [["SET", "k", "v"], ["SET", "j", "v"]], watch: "j", ops: [["COPY", "k", "j"]] },
  {
    setup: [["SET", "k", "v"], ["SET", "j", "v"]],
    watch: "j",
    ops: [["COPY", "k", "j", "REPLACE"]],
  },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["MOVE", "k", "0"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["SET", "k", "v", "KEEPTTL"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["GETEX", "k", "PERSIST"]] },
  { setup: [["SET", "k", "v", "EX", "100"]], watch: "k", ops: [["GETEX", "k", "PERSIST"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["DEL", "nokey", "nokey"]] },
  { setup: [["SET", "k", "v"]], watch: "k", ops: [["UNLINK", "k", "k"]] },
];

/** Commands whose keyspace events (and replies) must match, on a RESP3 client that listens. */
const EVENT_LINES: string[][] = [
  ["SET", "k", "v"],
  ["EXPIRE", "k", "100"],
  ["EXPIRE", "k", "100", "NX"],
  ["EXPIRE", "k", "200", "GT"],
  ["EXPIRE", "k", "50", "XX", "LT"],
  ["PERSIST", "k"],
  ["PERSIST", "k"],
  ["EXPIRE", "k", "100", "GT"],
  ["EXPIRE", "k", "100", "LT"],
  ["EXPIRE", "k", "0"],
  ["SET", "k", "v"],
  ["PEXPIRE", "k", "-1", "NX"],
  ["SET", "k", "v", "EX", "100"],
  ["EXPIREAT", "k", "1", "XX"],
  ["SET", "k", "v", "EX", "100"],
  ["EXPIRE", "k", "-1", "GT"],
  ["SET", "k", "v", "EX", "100"],
  ["SET", "k", "v", "KEEPTTL"],
  ["GETEX", "k", "PERSIST"],
  ["GETEX", "k", "PERSIST"],
  ["GETEX", "k", "EX", "100"],
  ["RENAME", "k", "k2"],
  ["RENAME", "k2", "k2"],
  ["COPY", "k2", "k3"],
  ["MOVE", "k3", "0"],
  ["TOUCH", "k2", "nokey"],
  ["DEL", "k3", "k3"],
  ["UNLINK", "k2", "k2", "nokey"],
  ["EXPIRE", "nokey", "-1"],
];

async function eventTranscript(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call(["HELLO", "3"], ["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    await c.writeRaw(encodeCommand(["PSUBSCRIBE", "__keyevent@0__:*"])); // answered by a push
    await c.takePushes(1);
    const out: string[] = [];
    for (const argv of EVENT_LINES) {
      const [reply] = await c.call(argv, ["PING"]);
      const events = c.pushes.splice(0).map((p) =>
        p.t === "push" ? p.v.slice(2).map((x) => "v" in x ? String(x.v) : "").join(" ") : ""
      );
      out.push(`${argv.join(" ")} -> ${JSON.stringify(reply)} [${events.join(", ")}]`);
    }
    return out;
  } finally {
    await c.close();
  }
}

/**
 * Many keys past their deadline around one live key: RANDOMKEY must still find the live one.
 * (Active expiry may have removed some or all of the expired keys by then; either way the answer
 * is "live".)
 */
async function randomKeyAmongExpired(c: RawClient): Promise<RespValue> {
  await c.one("FLUSHALL");
  const sets = Array.from({ length: 20_000 }, (_, i) => ["SET", `gone${i}`, "v", "PX", "20"]);
  await c.call(...sets, ["SET", "live", "v"]);
  await new Promise((r) => setTimeout(r, 80));
  return await c.one("RANDOMKEY");
}

Deno.test("key expiry and generic key commands match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    const modes: string[] = [];
    const commands = LINES.map((line) => {
      const argv = typeof line === "string" ? line.split(" ") : [...line];
      const colon = argv[0].indexOf(":");
      modes.push(colon < 0 ? "" : argv[0].slice(0, colon));
      argv[0] = argv[0].slice(colon + 1);
      return argv;
    });
    const show = (reply: RespValue, i: number) => normalize(modes[i], reply);
    assert.deepEqual(await replyDifferences(redis, atlas, commands, show), []);

    assert.deepEqual(await watchDifferences({ redisPort, atlasPort }, WATCH_CASES), []);

    assert.deepEqual(await eventTranscript(atlasPort), await eventTranscript(redisPort));

    assert.deepEqual(await randomKeyAmongExpired(redis), { t: "bulk", v: "live" });
    assert.deepEqual(await randomKeyAmongExpired(atlas), { t: "bulk", v: "live" });
  }));

/**
 * Overwriting a key past its deadline with active expiry off (DEBUG SET-ACTIVE-EXPIRE 0): SET,
 * SET EX, SETEX and MSET delete it first, as Redis's lookupKeyWrite does — an `expired` event
 * before the `set`, INFO expired_keys counted. And under an LFU policy an overwrite counts as an
 * access (OBJECT FREQ 5 -> 6). Before this test atlasd's plain SET overwrote the expired value
 * silently (no event, not counted) and did not count the access.
 */
async function overwriteTranscript(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const setup = await c.call(
      ["HELLO", "3"],
      ["FLUSHALL"],
      ["CONFIG", "RESETSTAT"],
      ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
      ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
    );
    assert.deepEqual(setup[3], { t: "simple", v: "OK" });
    await c.writeRaw(encodeCommand(["PSUBSCRIBE", "__keyevent@0__:*"]));
    await c.takePushes(1);
    const keys = ["plain", "withex", "setex", "mset"];
    await c.call(...keys.map((k) => ["SET", k, "old", "PX", "1"]));
    await new Promise((r) => setTimeout(r, 20));
    c.pushes.splice(0);
    const out: string[] = [];
    for (
      const argv of [
        ["SET", "plain", "new"],
        ["SET", "withex", "new", "EX", "100"],
        ["SETEX", "setex", "100", "new"],
        ["MSET", "mset", "new", "other", "x"],
      ]
    ) {
      const [reply] = await c.call(argv, ["PING"]);
      const events = c.pushes.splice(0).map((p) =>
        p.t === "push" ? p.v.slice(2).map((x) => "v" in x ? String(x.v) : "").join(" ") : ""
      );
      out.push(`${argv.join(" ")} -> ${JSON.stringify(reply)} [${events.join(", ")}]`);
    }
    const stats = await c.one("INFO", "stats") as { v: string };
    out.push(stats.v.match(/expired_keys:\d+/)![0]);
    await c.call(
      ["CONFIG", "SET", "notify-keyspace-events", ""],
      ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
      ["SET", "f", "a"],
    );
    const before = await c.one("OBJECT", "FREQ", "f");
    await c.one("SET", "f", "b");
    out.push(
      `freq ${JSON.stringify(before)} -> ${JSON.stringify(await c.one("OBJECT", "FREQ", "f"))}`,
    );
    return out;
  } finally {
    await c.call(["DEBUG", "SET-ACTIVE-EXPIRE", "1"], [
      "CONFIG",
      "SET",
      "maxmemory-policy",
      "noeviction",
    ]);
    await c.close();
  }
}

Deno.test("overwriting an expired key deletes it first and counts as an access, as redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const want = await overwriteTranscript(redisPort);
    assert.ok(want[0].includes("expired plain"), want[0]);
    assert.deepEqual(await overwriteTranscript(atlasPort), want);
  }, ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]));
