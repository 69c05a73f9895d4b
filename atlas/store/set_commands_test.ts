import assert from "node:assert/strict";
import { Harness, plain, stateOf } from "./test_util.ts";
import { isIntsetMember } from "./set_value.ts";

const sorted = (x: unknown) => (x as string[]).slice().sort();

Deno.test("SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD", () => {
  const h = new Harness();
  assert.equal(h.run("SADD", "s", "a", "b", "a"), 2);
  assert.equal(h.exec("SADD", "s", "a").log, null);
  assert.equal(h.exec("SMEMBERS", "s").reply.kind, "set");
  assert.deepEqual(sorted(h.run("SMEMBERS", "s")), ["a", "b"]);
  assert.equal(h.run("SISMEMBER", "s", "a"), 1);
  assert.deepEqual(h.run("SMISMEMBER", "s", "a", "x"), [1, 0]);
  assert.equal(h.run("SCARD", "s"), 2);
  assert.equal(h.run("SREM", "s", "a", "b", "c"), 2);
  assert.equal(h.run("EXISTS", "s"), 0);
});

Deno.test("SPOP/SRANDMEMBER; SPOP logs SREM of the chosen members", () => {
  const h = new Harness();
  h.run("SADD", "s", "a", "b", "c", "d", "e");
  const r = h.exec("SPOP", "s", "2");
  const popped = sorted(plain(r.reply));
  assert.equal(popped.length, 2);
  assert.deepEqual(r.log && [r.log[0][0], r.log[0][1], ...r.log[0].slice(2).sort()], [
    "SREM",
    "s",
    ...popped,
  ]);
  assert.equal(h.run("SCARD", "s"), 3);
  assert.equal((h.run("SRANDMEMBER", "s", "10") as string[]).length, 3);
  assert.equal((h.run("SRANDMEMBER", "s", "-10") as string[]).length, 10);
  assert.deepEqual(h.run("SRANDMEMBER", "s", "-2000000"), { err: "ERR value is out of range" });
  assert.ok(typeof h.run("SRANDMEMBER", "s") === "string");
  assert.deepEqual(h.exec("SPOP", "s", "10").log, [["DEL", "s"]]);
  assert.equal(h.run("SPOP", "s"), null);
  assert.deepEqual(h.run("SPOP", "s", "1"), []);
  assert.deepEqual(h.run("SPOP", "s", "-1"), {
    err: "ERR value is out of range, must be positive",
  });
  const replayed = h.replay(h.clock.nowMs);
  assert.deepEqual(stateOf(replayed.store), stateOf(h.store));
});

Deno.test("SINTER SUNION SDIFF and STORE forms, SINTERCARD, SMOVE", () => {
  const h = new Harness();
  h.run("SADD", "a", "1", "2", "3");
  h.run("SADD", "b", "2", "3", "4");
  assert.deepEqual(sorted(h.run("SINTER", "a", "b")), ["2", "3"]);
  assert.deepEqual(sorted(h.run("SUNION", "a", "b")), ["1", "2", "3", "4"]);
  assert.deepEqual(sorted(h.run("SDIFF", "a", "b")), ["1"]);
  assert.deepEqual(h.run("SINTER", "a", "none"), []);
  assert.equal(h.run("SINTERSTORE", "c", "a", "b"), 2);
  assert.equal(h.run("SUNIONSTORE", "c", "a", "b"), 4);
  assert.equal(h.run("SDIFFSTORE", "c", "a", "a"), 0);
  assert.equal(h.run("EXISTS", "c"), 0);
  assert.equal(h.run("SINTERCARD", "2", "a", "b"), 2);
  assert.equal(h.run("SINTERCARD", "2", "a", "b", "LIMIT", "1"), 1);
  h.run("SET", "str", "x");
  assert.deepEqual(h.run("SUNION", "a", "str"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
  assert.equal(h.run("SMOVE", "a", "d", "1"), 1);
  assert.equal(h.run("SMOVE", "a", "d", "1"), 0);
  assert.deepEqual(sorted(h.run("SMEMBERS", "d")), ["1"]);
});

Deno.test("SSCAN visits every member of a large set", () => {
  const h = new Harness();
  const argv = ["SADD", "s"];
  for (let i = 0; i < 1000; i++) argv.push(`m${i}`);
  h.run(...argv);
  const seen = new Set<string>();
  let cursor = "0";
  do {
    const [next, batch] = h.run("SSCAN", "s", cursor, "COUNT", "100") as [string, string[]];
    batch.forEach((m) => seen.add(m));
    cursor = next;
  } while (cursor !== "0");
  assert.equal(seen.size, 1000);
});

Deno.test("an intset answers in ascending numeric order, as Redis's does", () => {
  const h = new Harness();
  const big = [
    "9223372036854775807",
    "9007199254740993",
    "9007199254740992",
    "-9223372036854775808",
  ];
  h.run("SADD", "s", "10", "-2", "3", ...big);
  const ascending = [big[3], "-2", "3", "10", big[2], big[1], big[0]];
  assert.deepEqual(h.run("SMEMBERS", "s"), ascending);
  assert.deepEqual(h.run("SSCAN", "s", "0"), ["0", ascending]);
  assert.deepEqual(h.run("SRANDMEMBER", "s", "100"), ascending);
  assert.deepEqual(h.run("SUNION", "s", "none"), ascending);
  h.run("SADD", "t", "10", "3", "x");
  assert.deepEqual(h.run("SINTER", "t", "s"), ["3", "10"]);
  assert.deepEqual(h.run("SMEMBERS", "t"), ["10", "3", "x"]); // not an intset: insertion order
  h.run("SREM", "t", "x");
  // Still a hashtable, as in Redis: an intset that outgrew itself never converts back.
  assert.deepEqual(h.run("SMEMBERS", "t"), ["10", "3"]);
  assert.deepEqual(h.run("OBJECT", "ENCODING", "t"), "hashtable");
  h.run("SADD", "n", "-0", "01", "1");
  assert.deepEqual(h.run("SMEMBERS", "n"), ["-0", "01", "1"]);
  assert.deepEqual(h.run("SPOP", "s", "7"), ascending);
});

Deno.test("isIntsetMember: canonical int64 only", () => {
  for (const m of ["0", "-1", "9223372036854775807", "-9223372036854775808"]) {
    assert.ok(isIntsetMember(m), m);
  }
  for (const m of ["-0", "01", "+1", " 1", "1.0", "", "9223372036854775808", "1e3"]) {
    assert.ok(!isIntsetMember(m), m);
  }
});
