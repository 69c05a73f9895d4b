import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

const ERR_TYPE =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const ERR_OFFSET = "ERR bit offset is not an integer or out of range";

Deno.test("BITFIELD GET / SET / INCRBY with the default WRAP", () => {
  const h = new Harness();
  assert.deepEqual(h.run("BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0"), [0, 255]);
  assert.deepEqual(h.run("BITFIELD", "k", "INCRBY", "u8", "0", "1", "INCRBY", "i8", "0", "-1"), [
    0,
    -1,
  ]);
  // Bits 5..9 of ff 00 read as i5 are 11100 = -4 (checked against redis-server).
  assert.deepEqual(h.run("BITFIELD", "k", "SET", "i5", "#1", "-16", "GET", "u5", "5"), [-4, 16]);
  assert.equal(h.run("GET", "k"), "\xfc\x00");
  assert.deepEqual(h.run("BITFIELD", "k", "GET", "u4", "12", "GET", "i64", "1000"), [0, 0]);
  assert.deepEqual(h.run("BITFIELD", "k"), []);
  assert.deepEqual(h.run("BITFIELD", "none", "GET", "u8", "0"), [0]);
  assert.equal(h.run("EXISTS", "none"), 0);
});

Deno.test("BITFIELD OVERFLOW SAT / FAIL; the mode applies to the operations after it", () => {
  const h = new Harness();
  assert.deepEqual(
    h.run("BITFIELD", "k", "SET", "i8", "0", "120", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "10"),
    [0, 127],
  );
  assert.deepEqual(
    h.run(
      "BITFIELD",
      "k",
      "OVERFLOW",
      "FAIL",
      "INCRBY",
      "i8",
      "0",
      "1",
      "OVERFLOW",
      "WRAP",
      "INCRBY",
      "i8",
      "0",
      "1",
    ),
    [null, -128],
  );
  assert.deepEqual(h.run("BITFIELD", "k", "OVERFLOW", "sat", "SET", "u8", "0", "-1"), [128]);
  assert.deepEqual(h.run("BITFIELD", "k", "GET", "u8", "0"), [255]);
});

Deno.test("BITFIELD i64 and u63 stay exact beyond 2^53", () => {
  const h = new Harness();
  const max = 9223372036854775807n;
  assert.deepEqual(
    h.run("BITFIELD", "k", "SET", "i64", "0", "9223372036854775807", "GET", "i64", "0"),
    [0, max],
  );
  assert.deepEqual(h.run("BITFIELD", "k", "INCRBY", "i64", "0", "1"), [-max - 1n]);
  assert.deepEqual(h.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-5"), [
    -max - 1n,
  ]);
  assert.deepEqual(h.run("BITFIELD", "k", "SET", "u63", "1", "9007199254740993"), [0]);
  // The sign bit (bit 0) is still set from INT64_MIN: i64 is INT64_MIN + the u63 value.
  assert.deepEqual(h.run("BITFIELD", "k", "GET", "u63", "1", "GET", "i64", "0"), [
    9007199254740993n,
    -9214364837600034815n,
  ]);
});

Deno.test("BITFIELD with a write grows the string even when FAIL writes nothing", () => {
  const h = new Harness();
  assert.deepEqual(h.run("BITFIELD", "g", "OVERFLOW", "FAIL", "SET", "u2", "100", "10"), [null]);
  assert.equal(h.run("GET", "g"), "\0".repeat(13));
  h.run("SET", "t", "ab", "EX", "100");
  assert.deepEqual(h.run("BITFIELD", "t", "SET", "u8", "#3", "65"), [0]);
  assert.equal(h.run("GET", "t"), "ab\0A");
  assert.equal(h.run("TTL", "t"), 100); // the TTL stays, as SETBIT's
  assert.deepEqual(h.run("BITFIELD", "t", "SET", "u8", "8", "66", "GET", "u16", "8"), [98, 16896]);
  assert.equal(h.run("GET", "t"), "aB\0A");
});

Deno.test("BITFIELD argument errors come before type errors; nothing runs on an error", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "x");
  h.run("SET", "s", "a");
  assert.deepEqual(h.run("BITFIELD", "s", "GET", "u64", "0"), { err: ERR_TYPE });
  assert.deepEqual(h.run("BITFIELD", "s", "GET", "U8", "0"), { err: ERR_TYPE });
  assert.deepEqual(h.run("BITFIELD", "s", "GET", "u8", "-1"), { err: ERR_OFFSET });
  assert.deepEqual(h.run("BITFIELD", "s", "GET", "u8", "4294967296"), { err: ERR_OFFSET });
  assert.deepEqual(h.run("BITFIELD", "s", "SET", "u8", "0", "1", "SET", "u8", "0", "x"), {
    err: "ERR value is not an integer or out of range",
  });
  assert.equal(h.run("GET", "s"), "a");
  assert.deepEqual(h.run("BITFIELD", "s", "OVERFLOW", "MAYBE"), {
    err: "ERR Invalid OVERFLOW type specified",
  });
  assert.deepEqual(h.run("BITFIELD", "s", "OVERFLOW"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("BITFIELD", "s", "GET", "u8"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("BITFIELD", "s", "DEL", "u8", "0"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("BITFIELD", "l", "GET", "u99", "0"), { err: ERR_TYPE });
  assert.deepEqual(h.run("BITFIELD", "l", "GET", "u8", "0"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
  assert.deepEqual(h.run("BITFIELD", "l", "SET", "u8", "0", "1"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
});

Deno.test("BITFIELD refuses to grow a string past valueBytesMax", () => {
  const h = new Harness({ limits: { valueBytesMax: 16 } });
  assert.deepEqual(h.run("BITFIELD", "k", "SET", "u8", "#15", "1"), [0]);
  assert.deepEqual(h.run("BITFIELD", "k", "SET", "u8", "121", "1"), {
    err: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  });
  assert.deepEqual(h.run("BITFIELD", "k", "GET", "u8", "1000"), [0]); // reads need no room
});

Deno.test("BITFIELD_RO: GET only, the same errors, never logged", () => {
  const h = new Harness();
  h.run("SET", "s", "\x81");
  assert.deepEqual(h.run("BITFIELD_RO", "s", "GET", "i8", "0", "GET", "u1", "7"), [-127, 1]);
  assert.deepEqual(h.run("BITFIELD_RO", "s"), []);
  for (const op of [["SET", "u8", "0", "1"], ["INCRBY", "u8", "0", "1"]]) {
    assert.deepEqual(h.run("BITFIELD_RO", "s", "GET", "u8", "0", ...op), {
      err: "ERR BITFIELD_RO only supports the GET subcommand",
    });
  }
  assert.deepEqual(h.run("BITFIELD_RO", "s", "SET", "u8", "0", "x"), {
    err: "ERR value is not an integer or out of range",
  });
  assert.equal(h.logs.length, 1); // the SET
});

Deno.test("BITFIELD logs itself only when it writes; the log replays to the same state", () => {
  const h = new Harness();
  h.run("BITFIELD", "k", "GET", "u8", "0");
  assert.deepEqual(h.logs, []);
  const calls = [
    ["BITFIELD", "k", "SET", "i16", "#2", "-300", "INCRBY", "u3", "5", "9"],
    ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "200", "1000"],
    ["BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "9", "-9223372036854775808"],
  ];
  for (const argv of calls) h.run(...argv);
  assert.deepEqual(h.logs, calls);
  assert.deepEqual(stateOf(h.replay(0).store), stateOf(h.store));
});

Deno.test("BITFIELD grown only by writes OVERFLOW FAIL refused tells no listener (WATCH)", () => {
  const h = new Harness();
  const heard: (string | null)[] = [];
  h.store.setModificationListener((key) => heard.push(key));
  h.run("SET", "k", "abc");
  heard.length = 0;
  // Grown (or created) but no field stored: Redis does not signal the key.
  assert.deepEqual(h.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "1000"), [
    null,
  ]);
  assert.deepEqual(h.run("BITFIELD", "n", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"), [null]);
  assert.equal(h.run("STRLEN", "k"), 14);
  assert.equal(h.run("GET", "n"), "\0");
  assert.deepEqual(heard, []);
  // A stored field in a grown string, or a new value, is a change.
  h.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "200", "256", "SET", "u8", "0", "97");
  h.run("BITFIELD", "n", "SET", "u8", "0", "1");
  assert.deepEqual(heard, ["k", "n"]);
  h.store.setModificationListener(null);
});

Deno.test("a GET-only BITFIELD counts keyspace hits / misses, as BITFIELD_RO", () => {
  const h = new Harness();
  const counts = () => [h.store.stats.keyspaceHits, h.store.stats.keyspaceMisses];
  h.run("SET", "s", "v");
  h.run("BITFIELD", "s", "GET", "u8", "0");
  h.run("BITFIELD", "none", "GET", "u8", "0");
  h.run("BITFIELD", "none");
  h.run("BITFIELD_RO", "s", "GET", "u8", "0");
  assert.deepEqual(counts(), [2, 2]);
  h.run("BITFIELD", "s", "SET", "u8", "0", "1"); // a write lookup
  h.run("BITFIELD", "s", "GET", "u99", "0"); // no lookup
  assert.deepEqual(counts(), [2, 2]);
});
