import assert from "node:assert/strict";
import { LCS_CELLS_MAX } from "./string_commands.ts";
import { Harness, stateOf } from "./test_util.ts";

Deno.test("GET/SET basics and binary safety", () => {
  const h = new Harness();
  assert.equal(h.run("GET", "k"), null);
  assert.equal(h.run("SET", "k", "\x00\xff\x80"), "OK");
  assert.equal(h.run("get", "k"), "\x00\xff\x80");
  assert.deepEqual(h.run("SET", "k"), { err: "ERR wrong number of arguments for 'set' command" });
  assert.deepEqual(h.run("SET", "k", "v", "BOGUS"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("SET", "k", "v", "NX", "XX"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("SET", "k", "v", "EX", "0"), {
    err: "ERR invalid expire time in 'set' command",
  });
  assert.deepEqual(h.run("SET", "k", "v", "EX", "x"), {
    err: "ERR value is not an integer or out of range",
  });
  assert.deepEqual(h.run("SET", "k", "v", "EX", "10", "KEEPTTL"), { err: "ERR syntax error" });
});

Deno.test("SET NX/XX/GET and WRONGTYPE", () => {
  const h = new Harness();
  assert.equal(h.run("SET", "k", "1", "XX"), null);
  assert.equal(h.run("SET", "k", "1", "NX"), "OK");
  assert.equal(h.run("SET", "k", "2", "NX"), null);
  assert.equal(h.run("SET", "k", "2", "NX", "GET"), "1");
  assert.equal(h.run("GET", "k"), "1");
  assert.equal(h.run("SET", "k", "3", "XX", "GET"), "1");
  assert.equal(h.run("SET", "n", "3", "GET"), null);
  h.run("LPUSH", "l", "a");
  if (h.store.commands.has("lpush")) {
    assert.deepEqual(h.run("GET", "l"), {
      err: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
    assert.deepEqual(h.run("SET", "l", "x", "GET"), {
      err: "WRONGTYPE Operation against a key holding the wrong kind of value",
    });
  }
});

Deno.test("SET clears the TTL unless KEEPTTL; INCR and APPEND keep it", () => {
  const h = new Harness();
  h.run("SET", "k", "1", "EX", "100");
  assert.equal(h.run("TTL", "k"), 100);
  h.run("INCR", "k");
  assert.equal(h.run("TTL", "k"), 100);
  h.run("APPEND", "k", "0");
  assert.equal(h.run("GET", "k"), "20");
  assert.equal(h.run("PTTL", "k"), 100_000);
  h.run("SET", "k", "x", "KEEPTTL");
  assert.equal(h.run("TTL", "k"), 100);
  h.run("SET", "k", "y");
  assert.equal(h.run("TTL", "k"), -1);
  h.run("SET", "k", "z", "PX", "1500");
  h.clock.nowMs += 1000;
  assert.equal(h.run("TTL", "k"), 1); // (500 + 500) / 1000, rounded like Redis
  h.clock.nowMs += 500;
  assert.equal(h.run("GET", "k"), null);
  assert.equal(h.run("TTL", "k"), -2);
});

Deno.test("INCR family: int64 bounds and errors", () => {
  const h = new Harness();
  assert.equal(h.run("INCR", "n"), 1);
  assert.equal(h.run("INCRBY", "n", "-5"), -4);
  assert.equal(h.run("DECRBY", "n", "6"), -10);
  assert.equal(h.run("DECR", "n"), -11);
  h.run("SET", "n", "9223372036854775806");
  assert.equal(h.run("INCR", "n"), 9223372036854775807n);
  assert.deepEqual(h.run("INCR", "n"), { err: "ERR increment or decrement would overflow" });
  h.run("SET", "n", "-9223372036854775808");
  assert.deepEqual(h.run("DECR", "n"), { err: "ERR increment or decrement would overflow" });
  assert.deepEqual(h.run("DECRBY", "x", "-9223372036854775808"), {
    err: "ERR decrement would overflow",
  });
  for (const bad of ["", " 1", "01", "+1", "1.0", "-0", "9223372036854775808", "abc"]) {
    h.run("SET", "b", bad);
    assert.deepEqual(h.run("INCR", "b"), { err: "ERR value is not an integer or out of range" });
    assert.deepEqual(h.run("INCRBY", "n", bad), {
      err: "ERR value is not an integer or out of range",
    });
  }
});

Deno.test("INCRBYFLOAT formats like Redis' long double %.17Lf and logs SET KEEPTTL", () => {
  const h = new Harness();
  assert.equal(h.run("INCRBYFLOAT", "f", "0.1"), "0.1");
  assert.equal(h.run("INCRBYFLOAT", "f", "0.2"), "0.3");
  assert.equal(h.run("INCRBYFLOAT", "f", "1e20"), "100000000000000000000");
  h.run("SET", "g", "10.50");
  assert.equal(h.run("INCRBYFLOAT", "g", "0.1"), "10.6");
  assert.equal(h.run("INCRBYFLOAT", "g", "-5.0e3"), "-4989.39999999999999991");
  h.run("SET", "h", "5.0e3");
  assert.equal(h.run("INCRBYFLOAT", "h", "2.0e2"), "5200");
  assert.deepEqual(h.run("INCRBYFLOAT", "h", "abc"), { err: "ERR value is not a valid float" });
  assert.deepEqual(h.run("INCRBYFLOAT", "h", "inf"), {
    err: "ERR increment would produce NaN or Infinity",
  });
  h.run("PEXPIRE", "g", "5000");
  const r = h.exec("INCRBYFLOAT", "g", "1");
  assert.deepEqual(r.log, [["SET", "g", "-4988.39999999999999991", "KEEPTTL"]]);
  assert.equal(h.run("PTTL", "g"), 5000);
});

Deno.test("APPEND STRLEN GETRANGE SETRANGE", () => {
  const h = new Harness();
  assert.equal(h.run("APPEND", "s", "Hello "), 6);
  assert.equal(h.run("APPEND", "s", "World"), 11);
  assert.equal(h.run("STRLEN", "s"), 11);
  assert.equal(h.run("STRLEN", "none"), 0);
  assert.equal(h.run("GETRANGE", "s", "0", "3"), "Hell");
  assert.equal(h.run("GETRANGE", "s", "-3", "-1"), "rld");
  assert.equal(h.run("GETRANGE", "s", "0", "-1"), "Hello World");
  assert.equal(h.run("GETRANGE", "s", "10", "100"), "d");
  assert.equal(h.run("GETRANGE", "s", "-1", "-5"), "");
  assert.equal(h.run("GETRANGE", "s", "5", "3"), "");
  assert.equal(h.run("GETRANGE", "none", "0", "-1"), "");
  assert.equal(h.run("SETRANGE", "s", "6", "Redis"), 11);
  assert.equal(h.run("GET", "s"), "Hello Redis");
  assert.equal(h.run("SETRANGE", "p", "3", "ab"), 5);
  assert.equal(h.run("GET", "p"), "\0\0\0ab");
  assert.equal(h.run("SETRANGE", "q", "3", ""), 0);
  assert.equal(h.run("EXISTS", "q"), 0);
  assert.deepEqual(h.run("SETRANGE", "q", "-1", "x"), { err: "ERR offset is out of range" });
  assert.deepEqual(h.run("SETRANGE", "q", "536870900", "xxxxxxxxxxxxxxxxxxxxxxxxxx"), {
    err: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  });
});

Deno.test("MGET MSET MSETNX SETNX GETSET GETDEL", () => {
  const h = new Harness();
  assert.equal(h.run("MSET", "a", "1", "b", "2"), "OK");
  assert.deepEqual(h.run("MSET", "a", "1", "b"), {
    err: "ERR wrong number of arguments for 'mset' command",
  });
  assert.deepEqual(h.run("MGET", "a", "b", "c"), ["1", "2", null]);
  assert.equal(h.run("MSETNX", "c", "3", "a", "9"), 0);
  assert.equal(h.run("MSETNX", "c", "3", "d", "4"), 1);
  assert.equal(h.run("SETNX", "a", "x"), 0);
  assert.equal(h.run("SETNX", "e", "x"), 1);
  h.run("EXPIRE", "e", "100");
  assert.equal(h.run("GETSET", "e", "y"), "x");
  assert.equal(h.run("TTL", "e"), -1);
  assert.equal(h.run("GETDEL", "e"), "y");
  assert.equal(h.run("GETDEL", "e"), null);
});

Deno.test("SETEX/PSETEX/GETEX log absolute deadlines", () => {
  const h = new Harness();
  const now = h.clock.nowMs;
  assert.deepEqual(h.exec("SETEX", "k", "10", "v").log, [
    ["SET", "k", "v", "PXAT", String(now + 10_000)],
  ]);
  assert.deepEqual(h.run("SETEX", "k", "0", "v"), {
    err: "ERR invalid expire time in 'setex' command",
  });
  assert.deepEqual(h.exec("PSETEX", "k", "500", "v").log, [
    ["SET", "k", "v", "PXAT", String(now + 500)],
  ]);
  assert.deepEqual(h.exec("GETEX", "k", "EX", "20").log, [
    ["PEXPIREAT", "k", String(now + 20_000)],
  ]);
  assert.deepEqual(h.exec("GETEX", "k", "PERSIST").log, [["PERSIST", "k"]]);
  assert.equal(h.run("TTL", "k"), -1);
  assert.equal(h.exec("GETEX", "k").log, null);
  const r = h.exec("GETEX", "k", "PXAT", String(now - 1));
  assert.equal(r.reply.kind, "bulk");
  assert.deepEqual(r.log, [["DEL", "k"]]);
  assert.equal(h.run("EXISTS", "k"), 0);
  assert.deepEqual(h.exec("SET", "k", "v", "EX", "5", "GET").log, [
    ["SET", "k", "v", "PXAT", String(now + 5000)],
  ]);
});

Deno.test("string log replays to the same state with a later clock, never extending TTLs", () => {
  const h = new Harness();
  h.run("SET", "a", "1", "EX", "10");
  h.run("SETEX", "b", "20", "x");
  h.run("INCR", "a");
  h.run("SET", "c", "v", "PX", "100");
  h.clock.nowMs += 200; // c expired
  h.run("GET", "c"); // lazy expiry logs DEL c
  h.run("INCRBYFLOAT", "f", "1.5");
  h.run("GETEX", "b", "PX", "50000");
  const replayed = h.replay(h.clock.nowMs + 60_000);
  assert.deepEqual(stateOf(replayed.store), stateOf(h.store));
});

// Expected replies below were taken from redis-server 7.0.15.
const LCS_TYPE = { err: "ERR The specified keys must contain string values" };

Deno.test("LCS: the Redis docs example, plain, LEN, IDX, MINMATCHLEN, WITHMATCHLEN", () => {
  const h = new Harness();
  h.run("MSET", "key1", "ohmytext", "key2", "mynewtext");
  assert.equal(h.run("LCS", "key1", "key2"), "mytext");
  assert.equal(h.run("lcs", "key1", "key2", "len"), 6);
  assert.deepEqual(h.run("LCS", "key1", "key2", "IDX"), [
    ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]]],
    ["len", 6],
  ]);
  assert.deepEqual(h.run("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), [
    ["matches", [[[4, 7], [5, 8], 4]]],
    ["len", 6],
  ]);
  assert.deepEqual(h.run("LCS", "key1", "key2", "IDX", "WITHMATCHLEN"), [
    ["matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]]],
    ["len", 6],
  ]);
  // IDX is a map (RESP3 `%`, RESP2 a flat 4-element array).
  const idx = h.exec("LCS", "key1", "key2", "IDX").reply;
  assert.equal(idx.kind, "map");
  // Negative MINMATCHLEN counts as 0; the last MINMATCHLEN wins; options without IDX are ignored.
  assert.deepEqual(
    h.run("LCS", "key1", "key2", "MINMATCHLEN", "-5", "IDX"),
    h.run("LCS", "key1", "key2", "IDX"),
  );
  assert.deepEqual(h.run("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "2", "MINMATCHLEN", "9"), [
    ["matches", []],
    ["len", 6],
  ]);
  assert.equal(h.run("LCS", "key1", "key2", "WITHMATCHLEN", "MINMATCHLEN", "3"), "mytext");
  assert.equal(h.run("LCS", "key1", "key2", "LEN", "WITHMATCHLEN"), 6);
  assert.deepEqual(h.run("LCS", "key1", "key2", "IDX", "idx"), h.run("LCS", "key1", "key2", "IDX"));
  // Read-only: nothing logged, nothing changed.
  assert.equal(h.exec("LCS", "key1", "key2", "IDX").log, null);
  assert.equal(h.store.commands.get("lcs")?.flags.includes("readonly"), true);
});

Deno.test("LCS walks back like Redis: same string and ranges for ties", () => {
  const h = new Harness();
  h.run("MSET", "c1", "ABCBDAB", "c2", "BDCABA", "same", "abcdef");
  h.run("MSET", "r1", "xxabcyyabc", "r2", "abczzabcxx");
  assert.equal(h.run("LCS", "c1", "c2"), "BDAB");
  assert.equal(h.run("LCS", "c2", "c1"), "BCBA");
  assert.deepEqual(h.run("LCS", "c1", "c2", "IDX", "WITHMATCHLEN"), [
    ["matches", [[[5, 6], [3, 4], 2], [[3, 4], [0, 1], 2]]],
    ["len", 4],
  ]);
  assert.deepEqual(h.run("LCS", "c2", "c1", "IDX"), [
    ["matches", [[[5, 5], [5, 5]], [[4, 4], [3, 3]], [[2, 2], [2, 2]], [[0, 0], [1, 1]]]],
    ["len", 4],
  ]);
  assert.deepEqual(h.run("LCS", "same", "same", "IDX", "WITHMATCHLEN"), [
    ["matches", [[[0, 5], [0, 5], 6]]],
    ["len", 6],
  ]);
  assert.equal(h.run("LCS", "r1", "r2"), "abcabc");
  assert.deepEqual(h.run("LCS", "r1", "r2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "3"), [
    ["matches", [[[7, 9], [5, 7], 3], [[2, 4], [0, 2], 3]]],
    ["len", 6],
  ]);
});

Deno.test("LCS on binary strings", () => {
  const h = new Harness();
  h.run("SET", "ba", "\x00\xffab\x80\x00c");
  h.run("SET", "bb", "\xff\x00\x80\x00\x00c");
  assert.equal(h.run("LCS", "ba", "bb"), "\xff\x80\x00c");
  assert.deepEqual(h.run("LCS", "ba", "bb", "IDX", "WITHMATCHLEN"), [
    ["matches", [[[5, 6], [4, 5], 2], [[4, 4], [2, 2], 1], [[1, 1], [0, 0], 1]]],
    ["len", 4],
  ]);
});

Deno.test("LCS: missing keys are empty strings; wrong types and argument errors", () => {
  const h = new Harness();
  h.run("SET", "s", "mynewtext");
  assert.equal(h.run("LCS", "nokey", "s"), "");
  assert.equal(h.run("LCS", "s", "nokey", "LEN"), 0);
  assert.deepEqual(h.run("LCS", "nokey", "nokey2", "IDX"), [["matches", []], ["len", 0]]);
  h.run("RPUSH", "l", "a");
  h.run("HSET", "h", "f", "v");
  // The type check comes first (before option errors), with Redis's own text (not WRONGTYPE).
  assert.deepEqual(h.run("LCS", "l", "s"), LCS_TYPE);
  assert.deepEqual(h.run("LCS", "s", "l"), LCS_TYPE);
  assert.deepEqual(h.run("LCS", "nokey", "h"), LCS_TYPE);
  assert.deepEqual(h.run("LCS", "l", "s", "BOGUS"), LCS_TYPE);
  assert.deepEqual(h.run("LCS", "l", "s", "LEN", "IDX"), LCS_TYPE);
  const both = { err: "ERR If you want both the length and indexes, please just use IDX." };
  assert.deepEqual(h.run("LCS", "s", "s", "LEN", "IDX"), both);
  assert.deepEqual(h.run("LCS", "s", "s", "IDX", "LEN"), both);
  assert.deepEqual(h.run("LCS", "s", "s", "BOGUS"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("LCS", "s", "s", "MINMATCHLEN"), { err: "ERR syntax error" });
  const notInt = { err: "ERR value is not an integer or out of range" };
  for (const bad of ["x", "1.5", "99999999999999999999"]) {
    assert.deepEqual(h.run("LCS", "s", "s", "IDX", "MINMATCHLEN", bad), notInt);
  }
  // Option errors come before the LEN+IDX check, as in Redis.
  assert.deepEqual(h.run("LCS", "s", "s", "LEN", "IDX", "MINMATCHLEN", "x"), notInt);
  assert.deepEqual(h.run("LCS", "s"), { err: "ERR wrong number of arguments for 'lcs' command" });
  // An expired key reads as missing.
  h.run("SET", "e", "text", "PX", "10");
  h.clock.nowMs += 20;
  assert.equal(h.run("LCS", "e", "s"), "");
});

Deno.test("LCS refuses a DP table above LCS_CELLS_MAX instead of allocating it", () => {
  const h = new Harness();
  const side = Math.sqrt(LCS_CELLS_MAX) - 1; // (side+1)^2 cells: exactly the bound
  h.run("SET", "a", "a".repeat(side));
  h.run("SET", "b", "a".repeat(side));
  h.run("SET", "c", "a".repeat(side + 1));
  h.run("SET", "one", "x");
  h.run("SET", "long", "x".repeat(LCS_CELLS_MAX / 2)); // 2 × (2^25 + 1) cells: just above
  assert.equal(h.run("LCS", "a", "b", "LEN"), side);
  const err = (cells: number) => ({
    err:
      `ERR Insufficient memory, transient memory for LCS exceeds the limit of ${LCS_CELLS_MAX} ` +
      `table cells ((len1+1)*(len2+1) = ${cells})`,
  });
  assert.deepEqual(h.run("LCS", "a", "c"), err((side + 1) * (side + 2)));
  assert.deepEqual(h.run("LCS", "c", "a", "IDX"), err((side + 1) * (side + 2)));
  assert.deepEqual(h.run("LCS", "one", "long", "LEN"), err(2 * (LCS_CELLS_MAX / 2 + 1)));
  assert.equal(h.run("LCS", "nokey", "long"), ""); // 1 × (2^25 + 1) cells: fits
  // Errors in the arguments still come first.
  assert.deepEqual(h.run("LCS", "a", "c", "BOGUS"), { err: "ERR syntax error" });
  // The store is fine afterwards.
  assert.equal(h.run("LCS", "one", "a"), "");
});
