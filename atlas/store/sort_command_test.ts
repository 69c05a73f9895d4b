/**
 * SORT / SORT_RO. Expected replies were taken from redis-server 7.0.15 (Debian build, C.UTF-8
 * locale) for the same commands.
 */
import assert from "node:assert/strict";
import { pqsort } from "./pqsort.ts";
import { sortScore } from "./sort_command.ts";
import { Harness, stateOf } from "./test_util.ts";

const WRONGTYPE = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const SYNTAX = { err: "ERR syntax error" };
const NOT_INTEGER = { err: "ERR value is not an integer or out of range" };
const SCORES = { err: "ERR One or more scores can't be converted into double" };

Deno.test("SORT numeric by default, DESC, ALPHA, and LIMIT clamping", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "3", "1", "2", "10", "1.5", "-1");
  assert.deepEqual(h.run("SORT", "l"), ["-1", "1", "1.5", "2", "3", "10"]);
  assert.deepEqual(h.run("sort", "l", "desc"), ["10", "3", "2", "1.5", "1", "-1"]);
  assert.deepEqual(h.run("SORT", "l", "ALPHA"), ["-1", "1", "1.5", "10", "2", "3"]);
  assert.deepEqual(h.run("SORT", "l", "DESC", "ASC"), ["-1", "1", "1.5", "2", "3", "10"]);
  const limit = (a: string, b: string) => h.run("SORT", "l", "LIMIT", a, b);
  assert.deepEqual(limit("1", "2"), ["1", "1.5"]);
  assert.deepEqual(limit("-1", "2"), ["-1", "1"]);
  assert.deepEqual(limit("1", "-1"), ["1", "1.5", "2", "3", "10"]);
  assert.deepEqual(limit("1", "0"), []);
  assert.deepEqual(limit("10", "2"), []);
  assert.deepEqual(limit("5", "10"), ["10"]);
  assert.deepEqual(limit("2", "9223372036854775807"), ["1.5", "2", "3", "10"]);
  assert.deepEqual(limit("9223372036854775807", "9223372036854775807"), []);
  assert.deepEqual(limit("-9223372036854775808", "3"), ["-1", "1", "1.5"]);
  assert.deepEqual(limit("1", "-9223372036854775808"), ["1", "1.5", "2", "3", "10"]);
  assert.deepEqual(h.run("SORT", "l", "DESC", "LIMIT", "1", "2"), ["3", "2"]);
  assert.deepEqual(h.run("SORT", "nokey"), []);
  assert.deepEqual(h.run("SORT_RO", "nokey", "GET", "#"), []);
  assert.equal(h.exec("SORT", "l").log, null); // no STORE: nothing to log
});

Deno.test("SORT numeric: equal scores fall back to the elements' bytes", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "1.0", "01", "1", "2", "1", "+1");
  assert.deepEqual(h.run("SORT", "l"), ["+1", "01", "1", "1", "1.0", "2"]);
  assert.deepEqual(h.run("SORT", "l", "DESC"), ["2", "1.0", "1", "1", "01", "+1"]);
  assert.deepEqual(h.run("SORT", "l", "LIMIT", "1", "3"), ["01", "1", "1"]);
  h.run("RPUSH", "z", "-0", "0", "+0");
  assert.deepEqual(h.run("SORT", "z"), ["+0", "-0", "0"]);
});

Deno.test("SORT reads weights like C strtod", () => {
  const h = new Harness();
  const sort = (...xs: string[]) => {
    h.run("DEL", "x");
    h.run("RPUSH", "x", "1", ...xs);
    return h.run("SORT", "x");
  };
  assert.deepEqual(sort(" 2"), ["1", " 2"]); // leading whitespace is skipped
  assert.deepEqual(sort("\n\v\f\r 3"), ["1", "\n\v\f\r 3"]);
  assert.deepEqual(sort(""), ["", "1"]); // no digits at all, but nothing left over: 0
  assert.deepEqual(sort("5\0zz"), ["1", "5\0zz"]); // strtod stops at the NUL
  assert.deepEqual(sort("0x10", "0X1P-2"), ["0X1P-2", "1", "0x10"]); // hex floats
  assert.deepEqual(sort("inf", "-Infinity"), ["-Infinity", "1", "inf"]);
  assert.deepEqual(sort(".5", "5.", "1E+2"), [".5", "1", "5.", "1E+2"]);
  assert.deepEqual(sort("0x1p-1074"), ["0x1p-1074", "1"]); // exact subnormal: no ERANGE
  for (const bad of ["2 ", "  ", "0x", "1e", ".", "nan", "-nan", "infinit", "1,5", "1e400"]) {
    assert.deepEqual(sort(bad), SCORES, JSON.stringify(bad));
  }
  for (const bad of ["1e-400", "4e-320", "2.2250738585072012e-308", "0x1p1024", "0x1.8p-1074"]) {
    assert.deepEqual(sort(bad), SCORES, `ERANGE ${bad}`);
  }
  assert.equal(sortScore("2.2250738585072013e-308"), 2 ** -1022); // rounds up without ERANGE
  assert.equal(sortScore("0x1.8p1"), 3);
  assert.equal(sortScore("  -0x1.Ap3"), -13);
  assert.equal(sortScore("0e99999999999999999999"), 0);
  assert.equal(sortScore("1e-99999999999999999999"), null);
});

Deno.test("SORT ALPHA: strcoll (bytes up to a NUL) without STORE, all bytes with STORE", () => {
  const h = new Harness();
  h.run("RPUSH", "x", "b", "a", "\xff", "\xe9", "B", "a\0c", "a\0b", "a", "", "\x80", "A");
  // Without STORE "a", "a\0c", "a\0b" compare equal and keep the list's order (a stable sort).
  const asc = ["", "A", "B", "a", "a\0c", "a\0b", "a", "b", "\x80", "\xe9", "\xff"];
  assert.deepEqual(h.run("SORT", "x", "ALPHA"), asc);
  assert.deepEqual(h.run("SORT", "x", "ALPHA", "DESC"), [
    "\xff",
    "\xe9",
    "\x80",
    "b",
    "a",
    "a\0c",
    "a\0b",
    "a",
    "B",
    "A",
    "",
  ]);
  assert.equal(h.run("SORT", "x", "ALPHA", "STORE", "d"), 11);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), [
    "",
    "A",
    "B",
    "a",
    "a",
    "a\0b",
    "a\0c",
    "b",
    "\x80",
    "\xe9",
    "\xff",
  ]);
  assert.deepEqual(h.run("SORT", "x"), SCORES);
});

Deno.test("SORT BY a key pattern or a hash field; missing weights count as 0 / sort first", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "2", "1", "3");
  h.run("MSET", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "one", "o_2", "two");
  h.run("HSET", "h_1", "f", "9", "g", "x");
  h.run("HSET", "h_2", "f", "7");
  h.run("HSET", "h_3", "f", "8", "->", "arrow");
  assert.deepEqual(h.run("SORT", "l", "BY", "w_*"), ["2", "3", "1"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "w_*", "DESC"), ["1", "3", "2"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "h_*->f"), ["2", "3", "1"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "h_*->g", "ALPHA"), ["2", "3", "1"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "h_*->g"), SCORES);
  assert.deepEqual(h.run("SORT", "l", "BY", "o_*", "ALPHA"), ["3", "1", "2"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "o_*"), SCORES);
  assert.deepEqual(h.run("SORT", "l", "BY", "nosuch_*"), ["1", "2", "3"]);
  h.run("SET", "2", "22");
  assert.deepEqual(h.run("SORT", "l", "BY", "*"), ["1", "3", "2"]);
  h.run("DEL", "w_3");
  h.run("RPUSH", "w_3", "x"); // not a string: read as missing (weight 0)
  assert.deepEqual(h.run("SORT", "l", "BY", "w_*"), ["3", "2", "1"]);
  assert.deepEqual(h.run("SORT_RO", "l", "BY", "w_*", "GET", "o_*"), [null, "two", "one"]);
});

Deno.test("SORT GET: # is the element, missing values are nil, Redis's pattern parsing", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "2", "1", "3");
  h.run("MSET", "o_1", "one", "o_2", "two");
  h.run("HSET", "h_1", "f", "9");
  h.run("HSET", "h_2", "f", "7");
  h.run("HSET", "h_3", "f", "8", "->", "arrow");
  assert.deepEqual(h.run("SORT", "l", "GET", "o_*"), ["one", "two", null]);
  assert.deepEqual(
    h.run("SORT", "l", "GET", "#", "GET", "o_*", "GET", "h_*->f", "GET", "h_*->nosuch"),
    ["1", "one", "9", null, "2", "two", "7", null, "3", null, "8", null],
  );
  for (const p of ["h_*->", "#x", "##", "o", "*", "o_**", "o_*->f"]) {
    assert.deepEqual(h.run("SORT", "l", "GET", p), [null, null, null], p);
  }
  assert.deepEqual(h.run("SORT", "l", "GET", "h_*->->"), [null, null, "arrow"]); // field "->"
  // C-string rules: "#" then a NUL is "#"; a '*' after a NUL does not count; the key keeps the
  // bytes after a NUL; "->" is only searched before the first NUL.
  h.run("MSET", "k1\0z", "c", "k2\0z", "a", "k3\0z", "b");
  h.run("HSET", "h_1", "f\0g", "10");
  assert.deepEqual(h.run("SORT", "l", "GET", "#\0x"), ["1", "2", "3"]);
  assert.deepEqual(h.run("SORT", "l", "GET", "k*\0z"), ["c", "a", "b"]);
  assert.deepEqual(h.run("SORT", "l", "GET", "\0k*"), [null, null, null]);
  assert.deepEqual(h.run("SORT", "l", "GET", "h_*->f\0g"), ["10", null, null]);
  assert.deepEqual(h.run("SORT", "l", "GET", "h_*\0->f"), [null, null, null]);
  assert.deepEqual(h.run("SORT", "l", "BY", "k*\0z", "ALPHA"), ["2", "3", "1"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "\0k*"), ["2", "1", "3"]); // no '*': no sort
  assert.equal(h.exec("SORT", "l", "GET", "#").reply.kind, "array");
});

Deno.test("SORT BY nosort keeps list and sorted-set order; DESC and LIMIT apply to it", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "2", "1", "3");
  assert.deepEqual(h.run("SORT", "l", "BY", "nosort"), ["2", "1", "3"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "nosort", "DESC"), ["3", "1", "2"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "nosort", "LIMIT", "1", "1"), ["1"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "5"), ["1", "2"]);
  // A BY without '*' stays in force whatever BY follows.
  h.run("MSET", "w_1", "30", "w_2", "10", "w_3", "20");
  assert.deepEqual(h.run("SORT", "l", "BY", "w_*", "BY", "nosort"), ["2", "1", "3"]);
  assert.deepEqual(h.run("SORT", "l", "BY", "nosort", "BY", "w_*"), ["2", "1", "3"]);

  h.run("ZADD", "z", "3", "c", "1", "a", "2", "b", "5", "e", "4", "d");
  const z = (...opts: string[]) => h.run("SORT", "z", "BY", "nosort", ...opts);
  assert.deepEqual(z(), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(z("DESC"), ["e", "d", "c", "b", "a"]);
  assert.deepEqual(z("LIMIT", "1", "2"), ["b", "c"]);
  assert.deepEqual(z("DESC", "LIMIT", "1", "2"), ["d", "c"]);
  assert.deepEqual(z("DESC", "LIMIT", "4", "5"), ["a"]);
  assert.deepEqual(z("DESC", "LIMIT", "5", "5"), []);
  assert.deepEqual(z("LIMIT", "-3", "2"), ["a", "b"]);
  assert.deepEqual(z("GET", "#", "GET", "w_*"), [
    "a",
    null,
    "b",
    null,
    "c",
    null,
    "d",
    null,
    "e",
    null,
  ]);
  assert.deepEqual(h.run("SORT", "z", "ALPHA", "DESC"), ["e", "d", "c", "b", "a"]);
  assert.deepEqual(h.run("SORT", "z"), SCORES);
  assert.equal(z("STORE", "zd"), 5);
  assert.deepEqual(h.run("LRANGE", "zd", "0", "-1"), ["a", "b", "c", "d", "e"]);
});

Deno.test("SORT BY nosort on a set: its own order, but sorted ALPHA with STORE", () => {
  const h = new Harness();
  h.run("SADD", "s", "c", "a", "b", "10", "2");
  const got = h.run("SORT", "s", "BY", "nosort") as string[];
  assert.deepEqual(got, h.run("SMEMBERS", "s")); // no order of its own: the set's iteration order
  assert.deepEqual(h.run("SORT", "s", "BY", "nosort", "DESC"), got); // nothing sorted to reverse
  assert.equal(h.run("SORT", "s", "BY", "nosort", "STORE", "d"), 5);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["10", "2", "a", "b", "c"]);
  assert.equal(h.run("SORT", "s", "BY", "nosort", "DESC", "STORE", "d"), 5);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["c", "b", "a", "2", "10"]);
  assert.equal(h.run("SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "2", "STORE", "d"), 2);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["b", "a"]);
  assert.equal(h.run("SORT", "s", "BY", "nosort", "GET", "#", "GET", "w_*", "STORE", "d"), 10);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["10", "", "2", "", "a", "", "b", "", "c", ""]);
  assert.deepEqual(h.run("SORT", "s", "ALPHA"), ["10", "2", "a", "b", "c"]);
  assert.deepEqual(h.run("SORT", "s"), SCORES);
  h.run("SADD", "n", "3", "1", "2", "10");
  assert.deepEqual(h.run("SORT", "n"), ["1", "2", "3", "10"]);
  assert.deepEqual(h.run("SORT", "n", "DESC", "LIMIT", "0", "2"), ["10", "3"]);
  // An intset's own order is ascending, as Redis walks it; ties ALPHA leaves keep that order.
  h.run("SADD", "i", "3", "-1", "9223372036854775807", "10", "-9223372036854775808");
  const ascending = ["-9223372036854775808", "-1", "3", "10", "9223372036854775807"];
  assert.deepEqual(h.run("SORT", "i", "BY", "nosort"), ascending);
  assert.deepEqual(h.run("SORT", "i", "BY", "nosort", "DESC", "LIMIT", "1", "2"), ["-1", "3"]);
  assert.deepEqual(h.run("SORT", "i", "BY", "nosuch_*", "ALPHA"), ascending);
  h.run("SADD", "i", "01"); // not canonical: no longer an intset
  assert.equal((h.run("SORT", "i", "BY", "nosort") as string[])[0], "3");
});

Deno.test("SORT BY with LIMIT: ties land where Redis's partial quicksort puts them", () => {
  const h = new Harness();
  h.run("RPUSH", "l", ...Array.from({ length: 12 }, (_, i) => String(i + 1)));
  const weights = ["c", "a", "c", "b", "a", "c", "a", "b", "a", "c", "b", "a"];
  h.run("MSET", ...weights.flatMap((w, i) => [`w_${i + 1}`, w]));
  const sort = (...opts: string[]) => h.run("SORT", "l", ...opts);
  // Whole range: stable (glibc's merge sort).
  const all = ["2", "5", "7", "9", "12", "4", "8", "11", "1", "3", "6", "10"];
  assert.deepEqual(sort("BY", "w_*", "ALPHA"), all);
  assert.deepEqual(sort("BY", "w_*", "ALPHA", "LIMIT", "0", "12"), all);
  // A partial range: pqsort.
  assert.deepEqual(sort("BY", "w_*", "ALPHA", "LIMIT", "0", "5"), ["12", "2", "5", "7", "9"]);
  assert.deepEqual(sort("BY", "w_*", "ALPHA", "LIMIT", "3", "4"), ["7", "9", "8", "4"]);
  assert.deepEqual(sort("BY", "w_*", "ALPHA", "DESC", "LIMIT", "0", "12"), [
    "1",
    "3",
    "6",
    "10",
    "4",
    "8",
    "11",
    "2",
    "5",
    "7",
    "9",
    "12",
  ]);
  assert.deepEqual(sort("BY", "w_*", "ALPHA", "DESC", "LIMIT", "1", "12"), [
    "6",
    "10",
    "3",
    "11",
    "8",
    "4",
    "12",
    "2",
    "5",
    "7",
    "9",
  ]);
  assert.deepEqual(sort("BY", "nosuch_*", "ALPHA", "LIMIT", "0", "3"), ["12", "2", "3"]);
  assert.deepEqual(sort("BY", "nosuch_*", "ALPHA", "LIMIT", "0", "11"), [
    "12",
    ...Array.from({ length: 10 }, (_, i) => String(i + 2)),
  ]);
  // Numeric: every weight is 0, so the elements' bytes decide.
  assert.deepEqual(sort("BY", "nosuch_*", "LIMIT", "0", "11"), [
    "1",
    "10",
    "11",
    "12",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
  ]);
});

Deno.test("pqsort sorts every position of the requested range", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let round = 0; round < 200; round++) {
    const n = Math.floor(rnd() * 300);
    const v = Array.from({ length: n }, () => Math.floor(rnd() * 1000));
    const l = Math.floor(rnd() * n);
    const r = Math.min(n - 1, l + Math.floor(rnd() * n));
    const want = v.slice().sort((a, b) => a - b);
    pqsort(v, (a, b) => a - b, l, r);
    assert.deepEqual(v.slice(l, r + 1), want.slice(l, r + 1), `n=${n} [${l}, ${r}]`);
    assert.deepEqual(v.slice().sort((a, b) => a - b), want); // a permutation
  }
});

Deno.test("SORT STORE writes a list, replaces the destination, logs replayably", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "1.0", "01", "1", "2", "1", "+1");
  assert.equal(h.run("SORT", "l", "DESC", "LIMIT", "1", "3", "STORE", "d"), 3);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["1.0", "1", "1"]);
  h.run("SET", "d", "x", "EX", "100");
  const r = h.exec("SORT", "l", "STORE", "d");
  assert.equal(r.reply.kind === "integer" && r.reply.value, 6);
  assert.deepEqual(r.log, [["SORT", "l", "STORE", "d"]]);
  assert.equal(h.run("TTL", "d"), -1);
  assert.equal(h.run("TYPE", "d"), "list");
  assert.equal(h.run("SORT", "l", "STORE", "l"), 6); // into the source itself
  assert.deepEqual(h.run("LRANGE", "l", "0", "-1"), ["+1", "01", "1", "1", "1.0", "2"]);
  assert.deepEqual(h.exec("SORT", "l", "LIMIT", "0", "0", "STORE", "l").log, [["DEL", "l"]]);
  assert.equal(h.run("EXISTS", "l"), 0);
  assert.deepEqual(h.exec("SORT", "nokey", "STORE", "l").log, null); // nothing to delete
  h.run("RPUSH", "l", "b", "a");
  assert.equal(h.run("SORT", "l", "ALPHA", "GET", "nosuch*", "GET", "#", "STORE", "d"), 4);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["", "a", "", "b"]);
  assert.equal(h.run("SORT", "l", "ALPHA", "GET", "nosuch*", "STORE", "d"), 2);
  assert.deepEqual(h.run("LRANGE", "d", "0", "-1"), ["", ""]);
  // Weights and GET values from other keys; one of them expires before the SORT runs.
  h.run("SADD", "s", "x", "y", "z");
  h.run("MSET", "w_x", "3", "w_y", "1", "w_z", "2", "v_x", "X", "v_y", "Y");
  h.run("SET", "v_z", "Z", "PX", "500");
  h.clock.nowMs += 1000;
  const s = h.exec("SORT", "s", "BY", "w_*", "GET", "v_*", "GET", "#", "STORE", "out");
  assert.equal(s.reply.kind === "integer" && s.reply.value, 6);
  assert.deepEqual(s.log, [
    ["DEL", "v_z"],
    ["SORT", "s", "BY", "w_*", "GET", "v_*", "GET", "#", "STORE", "out"],
  ]);
  assert.deepEqual(h.run("LRANGE", "out", "0", "-1"), ["Y", "y", "", "z", "X", "x"]);
  // A destination that has expired is expired first (Redis's setKey looks it up for writing).
  h.run("SET", "gone", "x", "PX", "500");
  h.clock.nowMs += 1000;
  assert.deepEqual(h.exec("SORT", "s", "ALPHA", "STORE", "gone").log, [
    ["DEL", "gone"],
    ["SORT", "s", "ALPHA", "STORE", "gone"],
  ]);
  for (const nowMs of [h.clock.nowMs + 86_400_000, 0]) {
    const replayed = h.replay(nowMs);
    assert.deepEqual(stateOf(replayed.store), stateOf(h.store));
    assert.equal(replayed.store.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  }
});

Deno.test("SORT errors: syntax, LIMIT values, WRONGTYPE, SORT_RO without STORE", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "2", "1");
  for (
    const opts of [["FOO"], ["LIMIT", "1"], ["LIMIT", "1", "2", "3"], ["GET"], ["BY"], ["STORE"]]
  ) {
    assert.deepEqual(h.run("SORT", "l", ...opts), SYNTAX, opts.join(" "));
  }
  assert.deepEqual(h.run("SORT", "l", "LIMIT", "x", "1"), NOT_INTEGER);
  assert.deepEqual(h.run("SORT", "l", "LIMIT", "1", "1.5"), NOT_INTEGER);
  assert.deepEqual(h.run("SORT", "l", "LIMIT", "1", "x", "FOO"), NOT_INTEGER); // left to right
  assert.deepEqual(h.run("SORT", "l", "FOO", "LIMIT", "1", "x"), SYNTAX);
  assert.deepEqual(h.run("SORT_RO", "l", "STORE", "d"), SYNTAX);
  assert.deepEqual(h.run("SORT_RO", "l", "STORE"), SYNTAX);
  assert.deepEqual(h.run("SORT"), { err: "ERR wrong number of arguments for 'sort' command" });
  assert.deepEqual(h.run("SORT_RO"), {
    err: "ERR wrong number of arguments for 'sort_ro' command",
  });
  h.run("SET", "str", "x");
  h.run("HSET", "hh", "a", "b");
  assert.deepEqual(h.run("SORT", "str"), WRONGTYPE);
  assert.deepEqual(h.run("SORT_RO", "hh"), WRONGTYPE);
  assert.deepEqual(h.run("SORT", "str", "FOO"), SYNTAX); // syntax first
  assert.deepEqual(h.run("SORT", "str", "STORE", "d"), WRONGTYPE);
  assert.equal(h.run("EXISTS", "d"), 0);
  // Two STOREs: the last one wins.
  assert.equal(h.run("SORT", "l", "STORE", "d", "STORE", "d2"), 2);
  assert.deepEqual([h.run("EXISTS", "d"), h.run("EXISTS", "d2")], [0, 1]);
  // A conversion error stores nothing.
  h.run("RPUSH", "bad", "1", "x");
  assert.deepEqual(h.exec("SORT", "bad", "STORE", "d2").log, null);
  assert.deepEqual(h.run("LRANGE", "d2", "0", "-1"), ["1", "2"]);
});

Deno.test("SORT bounds: collectionLengthMax for the result, the destination's key limits", () => {
  const h = new Harness({ limits: { collectionLengthMax: 4, keyBytesMax: 8 } });
  h.run("RPUSH", "l", "3", "1", "2");
  assert.deepEqual(h.run("SORT", "l", "GET", "#", "GET", "#"), {
    err: "ERR collection would exceed 4 elements (collectionLengthMax)",
  });
  assert.deepEqual(h.run("SORT", "l", "GET", "#", "GET", "#", "LIMIT", "0", "2"), [
    "1",
    "1",
    "2",
    "2",
  ]);
  assert.deepEqual(h.run("SORT", "l", "STORE", "123456789"), {
    err: "ERR key exceeds the limit of 8 bytes (keyBytesMax)",
  });
  const full = new Harness({ limits: { keysMax: 1 } });
  full.run("RPUSH", "l", "1");
  assert.deepEqual(full.run("SORT", "l", "STORE", "d"), {
    err: "ERR keyspace is full: 1 keys (keysMax)",
  });
  assert.equal(full.run("SORT", "l", "STORE", "l"), 1);
});

Deno.test("SORT and SORT_RO specs: Redis's arity, flags and key positions", () => {
  const h = new Harness();
  const sort = h.store.commands.get("sort");
  const ro = h.store.commands.get("sort_ro");
  assert.deepEqual(
    sort && [sort.arity, [...sort.flags], sort.firstKey, sort.lastKey, sort.step, sort.group],
    [-2, ["write", "denyoom", "movablekeys"], 1, 1, 1, "generic"],
  );
  assert.deepEqual(
    ro && [ro.arity, [...ro.flags], ro.firstKey, ro.lastKey, ro.step],
    [-2, ["readonly", "movablekeys"], 1, 1, 1],
  );
});
