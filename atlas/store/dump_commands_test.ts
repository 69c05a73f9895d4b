/**
 * DUMP / RESTORE / RESTORE-ASKING in the store: Redis 7.0's replies and error order, TTL forms,
 * and the log (a relative TTL logged as an absolute deadline, so replay gives the same key).
 */
import assert from "node:assert/strict";
import { binaryToBytes } from "./binary.ts";
import { BUILTIN_COMMANDS } from "./commands.ts";
import { crc64LittleEndian } from "./crc64.ts";
import { encodeDumpPayload } from "./rdb_encode.ts";
import { Harness, stateOf } from "./test_util.ts";

const err = (text: string) => ({ err: text });
const dumpOf = (h: Harness, key: string) => h.run("DUMP", key) as string;
const hi = encodeDumpPayload("hi");

/** A payload around any object bytes: RDB version 10 and a correct CRC-64. */
function withFooter(body: string): string {
  const withVersion = body + "\x0a\x00";
  return withVersion + String.fromCharCode(...crc64LittleEndian(binaryToBytes(withVersion)));
}

Deno.test("DUMP: nil for a missing or expired key; Redis's bytes for a small string", () => {
  const h = new Harness();
  assert.equal(h.run("DUMP", "nosuch"), null);
  h.run("SET", "k", "hello");
  // As redis-server 7.0.15 answers DUMP of "hello": type 0, length 5, RDB 10, CRC-64.
  assert.equal(dumpOf(h, "k"), "\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a");
  h.run("SET", "e", "v", "PX", "10");
  h.clock.nowMs += 10;
  assert.equal(h.run("DUMP", "e"), null);
  assert.deepEqual(h.exec("DUMP", "k").log, null, "a read logs nothing");
});

Deno.test("DUMP writes the encoding Redis holds the value in (OBJECT ENCODING's)", () => {
  const h = new Harness();
  const typeOf = (key: string) => dumpOf(h, key).charCodeAt(0);
  h.run("SADD", "intset", "3", "-1", "70000");
  h.run("SADD", "table", "3", "x");
  h.run("HSET", "lp", "f", "v");
  h.run("HSET", "wide", "f", "v".repeat(65));
  h.run("ZADD", "zlp", "1", "a");
  h.run("ZADD", "zskip", "1", "m".repeat(65));
  h.run("SET", "long", "a".repeat(100));
  const types = ["intset", "table", "lp", "wide", "zlp", "zskip"].map(typeOf);
  assert.deepEqual(types, [11, 2, 16, 4, 17, 5]);
  assert.equal(h.run("OBJECT", "ENCODING", "intset"), "intset");
  // intset: width 4 (70000 needs 32 bits), 3 members, sorted, little-endian.
  assert.equal(
    dumpOf(h, "intset").slice(0, 22),
    "\x0b\x14\x04\x00\x00\x00\x03\x00\x00\x00\xff\xff\xff\xff\x03\x00\x00\x00\x70\x11\x01\x00",
  );
  // Strings over 20 bytes are LZF-compressed when that saves space: redis-server's bytes.
  const long = "\x00\xc3\x09\x40\x64\x01\x61\x61\xe0\x57\x00\x01\x61\x61\x0a\x00";
  assert.equal(dumpOf(h, "long"), long + "\xe8\xa3\xb5\x07\xb0\x6d\xf2\x71");
});

Deno.test("RESTORE: Redis 7.0's errors, in Redis's order", () => {
  const h = new Harness();
  h.run("SET", "busy", "x");
  const cases: [string[], unknown][] = [
    [["RESTORE", "k"], err("ERR wrong number of arguments for 'restore' command")],
    [["RESTORE", "busy", "abc", "x", "foo"], err("ERR syntax error")],
    [["RESTORE", "busy", "-1", "x"], err("BUSYKEY Target key name already exists.")],
    [["RESTORE", "k", "abc", "x"], err("ERR value is not an integer or out of range")],
    [["RESTORE", "k", "-1", "x"], err("ERR Invalid TTL value, must be >= 0")],
    [["RESTORE", "k", "0", "x"], err("ERR DUMP payload version or checksum are wrong")],
    [
      ["RESTORE", "k", "0", hi.slice(0, -1) + "\x00"],
      err(
        "ERR DUMP payload version or checksum are wrong",
      ),
    ],
    [
      ["RESTORE", "k", "0", encodeDumpPayload("x").replace("\x00\x01x", "\x00\x02x")],
      err(
        "ERR DUMP payload version or checksum are wrong",
      ),
    ],
    [["RESTORE", "k", "0", hi, "IDLETIME", "-1"], err("ERR Invalid IDLETIME value, must be >= 0")],
    [
      ["RESTORE", "k", "0", hi, "IDLETIME", "x"],
      err("ERR value is not an integer or out of range"),
    ],
    [["RESTORE", "k", "0", hi, "IDLETIME"], err("ERR syntax error")],
    [
      ["RESTORE", "k", "0", hi, "FREQ", "256"],
      err(
        "ERR Invalid FREQ value, must be >= 0 and <= 255",
      ),
    ],
    [["RESTORE", "k", "0", hi, "IDLETIME", "1", "FREQ", "2"], err("ERR syntax error")],
    [["RESTORE", "k", "0", hi, "FREQ", "2", "IDLETIME", "-1"], err("ERR syntax error")],
    [["RESTORE", "busy", "0", hi, "REPLACE", "IDLETIME", "10"], "OK"],
    [["RESTORE", "k2", "0", hi, "FREQ", "255", "ABSTTL"], "OK"],
  ];
  for (const [argv, want] of cases) assert.deepEqual(h.run(...argv), want, argv.join(" "));
  assert.equal(h.run("GET", "busy"), "hi");
});

Deno.test("RESTORE: bad content is 'Bad data format'; a value over ATLAS's limits says which", () => {
  const h = new Harness({ limits: { collectionLengthMax: 3 } });
  const source = new Harness();
  source.run("RPUSH", "l", "a", "b", "c", "d");
  const long = dumpOf(source, "l");
  assert.deepEqual(
    h.run("RESTORE", "l", "0", long),
    err("ERR collection would exceed 3 elements (collectionLengthMax)"),
  );
  for (const body of ["\x01\x00", "\x63", "\x00\x3fab"]) {
    // An empty list, an unknown type, a string longer than the whole payload (a shorter
    // overrun reads into the footer, as Redis's reader does); the footers are valid.
    const payload = withFooter(body);
    assert.deepEqual(h.run("RESTORE", "k", "0", payload), err("ERR Bad data format"), body);
  }
  assert.equal(h.run("EXISTS", "k", "l"), 0);
  assert.deepEqual(h.logs, []);
});

Deno.test("RESTORE: TTL relative, absolute (ABSTTL) or none; REPLACE; past deadlines", () => {
  const h = new Harness();
  const now = h.clock.nowMs;
  assert.equal(h.run("RESTORE", "rel", "5000", hi), "OK");
  assert.equal(h.run("PTTL", "rel"), 5000);
  assert.equal(h.run("RESTORE", "abs", String(now + 7000), hi, "ABSTTL"), "OK");
  assert.equal(h.run("PEXPIRETIME", "abs"), now + 7000);
  assert.equal(h.run("RESTORE", "none", "0", hi, "ABSTTL"), "OK");
  assert.equal(h.run("TTL", "none"), -1);
  // REPLACE drops the old value and its TTL.
  assert.equal(h.run("RESTORE", "rel", "0", encodeDumpPayload("new"), "REPLACE"), "OK");
  assert.deepEqual([h.run("GET", "rel"), h.run("TTL", "rel")], ["new", -1]);
  // An absolute deadline already past creates nothing; with REPLACE the old key goes.
  h.logs.length = 0;
  assert.equal(h.run("RESTORE", "gone", "1000", hi, "ABSTTL"), "OK");
  assert.equal(h.run("EXISTS", "gone"), 0);
  assert.deepEqual(h.logs, []);
  assert.equal(h.run("RESTORE", "abs", String(now), hi, "ABSTTL", "REPLACE"), "OK");
  assert.equal(h.run("EXISTS", "abs"), 0);
  assert.deepEqual(h.logs, [["DEL", "abs"]]);
  // An expired key is not busy (it is deleted first, and that DEL is logged).
  h.run("SET", "old", "v", "PX", "5");
  h.clock.nowMs += 5;
  h.logs.length = 0;
  assert.equal(h.run("RESTORE", "old", "0", hi), "OK");
  assert.deepEqual(h.logs, [["DEL", "old"], ["RESTORE", "old", "0", hi]]);
  // With REPLACE nothing is looked up: the expired key is replaced like a live one.
  h.run("SET", "old", "v", "PX", "5");
  h.clock.nowMs += 5;
  h.logs.length = 0;
  assert.equal(h.run("RESTORE", "old", "0", hi, "REPLACE"), "OK");
  assert.deepEqual(h.logs, [["RESTORE", "old", "0", hi, "REPLACE"]]);
  assert.equal(h.run("GET", "old"), "hi");
  // Deadlines beyond 2^53 ms are taken, as Redis takes any int64, and kept as the nearest double
  // below 2^63 (as EXPIRE keeps them).
  assert.equal(h.run("RESTORE", "far", "9223372036854775807", hi, "ABSTTL"), "OK");
  assert.equal(h.run("PEXPIRETIME", "far"), 9223372036854774784);
  assert.equal(h.run("RESTORE", "far", String(2 ** 53 - h.clock.nowMs), hi, "REPLACE"), "OK");
  assert.equal(h.run("PEXPIRETIME", "far"), 2 ** 53);
  h.run("DEL", "far");
  // A relative TTL whose deadline passes INT64_MAX wraps negative in Redis: already past, so
  // nothing is created and REPLACE only deletes.
  const clock = BigInt(h.clock.nowMs);
  h.logs.length = 0;
  assert.equal(h.run("RESTORE", "far", "9223372036854775807", hi), "OK");
  assert.equal(h.run("EXISTS", "far"), 0);
  h.run("SET", "far", "v");
  assert.equal(h.run("RESTORE", "far", String(2n ** 63n - clock), hi, "REPLACE"), "OK");
  assert.equal(h.run("EXISTS", "far"), 0);
  assert.deepEqual(h.logs, [["SET", "far", "v"], ["DEL", "far"]]);
  assert.equal(h.run("RESTORE", "far", String(2n ** 63n - 1n - clock), hi), "OK");
  assert.equal(h.run("PEXPIRETIME", "far"), 9223372036854774784);
});

Deno.test("RESTORE is logged with an absolute deadline; replay gives the same keys and deadlines", () => {
  const h = new Harness();
  const source = new Harness();
  source.run("RPUSH", "l", "a", "b", "\x00\xff");
  source.run("HSET", "h", "f", "v");
  source.run("ZADD", "z", "1.5", "m");
  source.run("SADD", "s", "1", "x");
  source.run("XADD", "x", "5-1", "f", "v");
  const start = h.clock.nowMs;
  h.run("RESTORE", "l", "60000", dumpOf(source, "l"));
  assert.deepEqual(h.logs.at(-1), [
    "RESTORE",
    "l",
    String(start + 60000),
    dumpOf(source, "l"),
    "ABSTTL",
  ]);
  h.clock.nowMs += 1000;
  h.run("RESTORE-ASKING", "h", "30000", dumpOf(source, "h"), "IDLETIME", "5");
  assert.deepEqual(h.logs.at(-1), [
    "RESTORE-ASKING",
    "h",
    String(start + 31000),
    dumpOf(source, "h"),
    "IDLETIME",
    "5",
    "ABSTTL",
  ]);
  h.run("RESTORE", "z", String(start + 90000), dumpOf(source, "z"), "ABSTTL");
  h.run("RESTORE", "s", "0", dumpOf(source, "s"));
  h.run("RESTORE", "x", "2000", dumpOf(source, "x"));
  h.clock.nowMs += 1500;
  h.run("RESTORE", "l", "0", dumpOf(source, "x"), "REPLACE");
  h.run("RESTORE", "z", "500", dumpOf(source, "l"), "REPLACE");
  h.clock.nowMs += 1500;
  h.run("GET", "x"); // expired: deleted and logged
  const expected = stateOf(h.store);
  assert.deepEqual(
    expected.map(([k, , at]) => [k, at]),
    [["h", start + 31000], ["l", null], ["s", null], ["z", start + 3000]],
  );
  // Replayed on a clock long after every deadline, or before the run: the same state.
  for (const nowMs of [start + 10_000_000, 0]) {
    const replayed = h.replay(nowMs);
    assert.deepEqual(stateOf(replayed.store), expected, `replay at ${nowMs}`);
    assert.equal(replayed.store.expireAtMs("h"), start + 31000);
    assert.equal(replayed.store.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  }
});

Deno.test("DUMP / RESTORE / RESTORE-ASKING specs are Redis 7.0's (COMMAND INFO)", () => {
  const spec = (name: string) => BUILTIN_COMMANDS.find((c) => c.spec.name === name)!.spec;
  const info = (name: string) => {
    const s = spec(name);
    return [s.arity, [...s.flags], s.firstKey, s.lastKey, s.step];
  };
  assert.deepEqual(info("dump"), [2, ["readonly"], 1, 1, 1]);
  assert.deepEqual(info("restore"), [-4, ["write", "denyoom"], 1, 1, 1]);
  assert.deepEqual(info("restore-asking"), [-4, ["write", "denyoom", "asking"], 1, 1, 1]);
});
