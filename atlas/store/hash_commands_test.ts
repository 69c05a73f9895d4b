import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

const WRONG = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };

Deno.test("HSET HGET HMGET HDEL HLEN HEXISTS HSTRLEN HKEYS HVALS HGETALL", () => {
  const h = new Harness();
  assert.equal(h.run("HSET", "h", "a", "1", "b", "22"), 2);
  assert.equal(h.run("HSET", "h", "a", "3", "c", "4"), 1);
  assert.deepEqual(h.run("HSET", "h", "a"), {
    err: "ERR wrong number of arguments for 'hset' command",
  });
  assert.equal(h.run("HMSET", "h", "d", "5"), "OK");
  assert.equal(h.run("HGET", "h", "a"), "3");
  assert.equal(h.run("HGET", "h", "x"), null);
  assert.deepEqual(h.run("HMGET", "h", "a", "x"), ["3", null]);
  assert.equal(h.run("HLEN", "h"), 4);
  assert.equal(h.run("HEXISTS", "h", "b"), 1);
  assert.equal(h.run("HSTRLEN", "h", "b"), 2);
  assert.deepEqual(h.run("HKEYS", "h"), ["a", "b", "c", "d"]);
  assert.deepEqual(h.run("HVALS", "h"), ["3", "22", "4", "5"]);
  assert.deepEqual(h.run("HGETALL", "h"), [["a", "3"], ["b", "22"], ["c", "4"], ["d", "5"]]);
  assert.equal(h.exec("HGETALL", "h").reply.kind, "map");
  assert.equal(h.run("HSETNX", "h", "a", "9"), 0);
  assert.equal(h.run("HSETNX", "h", "e", "9"), 1);
  assert.equal(h.run("HDEL", "h", "a", "b", "x"), 2);
  assert.equal(h.run("HDEL", "h", "c", "d", "e"), 3);
  assert.equal(h.run("EXISTS", "h"), 0); // an emptied hash deletes its key
  assert.deepEqual(h.run("HGETALL", "h"), []);
  h.run("SET", "s", "x");
  assert.deepEqual(h.run("HSET", "s", "a", "1"), WRONG);
  assert.deepEqual(h.run("HGET", "s", "a"), WRONG);
});

Deno.test("HSET keeps the TTL; HINCRBY and HINCRBYFLOAT", () => {
  const h = new Harness();
  h.run("HSET", "h", "n", "5");
  h.run("EXPIRE", "h", "100");
  h.run("HSET", "h", "m", "1");
  assert.equal(h.run("TTL", "h"), 100);
  assert.equal(h.run("HINCRBY", "h", "n", "10"), 15);
  assert.equal(h.run("HINCRBY", "h", "new", "-3"), -3);
  h.run("HSET", "h", "big", "9223372036854775807");
  assert.deepEqual(h.run("HINCRBY", "h", "big", "1"), {
    err: "ERR increment or decrement would overflow",
  });
  h.run("HSET", "h", "txt", "abc");
  assert.deepEqual(h.run("HINCRBY", "h", "txt", "1"), { err: "ERR hash value is not an integer" });
  assert.deepEqual(h.run("HINCRBY", "h", "n", "x"), {
    err: "ERR value is not an integer or out of range",
  });
  assert.equal(h.run("HINCRBYFLOAT", "h", "f", "10.5"), "10.5");
  assert.deepEqual(h.exec("HINCRBYFLOAT", "h", "f", "0.1").log, [["HSET", "h", "f", "10.6"]]);
  assert.deepEqual(h.run("HINCRBYFLOAT", "h", "txt", "1"), {
    err: "ERR hash value is not a float",
  });
  assert.equal(h.run("TTL", "h"), 100);
  assert.equal(h.run("HINCRBY", "nohash", "x", "1"), 1);
});

Deno.test("HSCAN returns every field; HRANDFIELD counts", () => {
  const h = new Harness();
  const argv = ["HSET", "h"];
  for (let i = 0; i < 300; i++) argv.push(`f${i}`, `v${i}`);
  h.run(...argv);
  const seen = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, flat] = h.run("HSCAN", "h", cursor, "COUNT", "50") as [string, string[]];
    for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
    cursor = next;
  } while (cursor !== "0");
  assert.equal(seen.size, 300);
  assert.equal(seen.get("f7"), "v7");
  const [, matched] = h.run("HSCAN", "h", "0", "MATCH", "f1?", "COUNT", "1000") as [
    string,
    string[],
  ];
  assert.equal(matched.length, 20);
  assert.equal((h.run("HRANDFIELD", "h", "5") as string[]).length, 5);
  assert.equal(new Set(h.run("HRANDFIELD", "h", "500") as string[]).size, 300);
  assert.equal((h.run("HRANDFIELD", "h", "-500") as string[]).length, 500);
  const withValues = h.exec("HRANDFIELD", "h", "2", "WITHVALUES").reply;
  assert.ok(withValues.kind === "array" && withValues.pairs && withValues.value.length === 4);
  assert.equal(h.run("HRANDFIELD", "none"), null);
  assert.deepEqual(h.run("HRANDFIELD", "none", "3"), []);
  // WITHVALUES: |count| up to LONG_MAX / 2 exactly (a JS number would round it up past).
  h.run("HSET", "one", "f", "v");
  assert.deepEqual(h.run("HRANDFIELD", "one", "4611686018427387903", "WITHVALUES"), ["f", "v"]);
  for (const count of ["4611686018427387904", "-4611686018427387904"]) {
    assert.deepEqual(h.run("HRANDFIELD", "one", count, "WITHVALUES"), {
      err: "ERR value is out of range",
    });
  }
});

Deno.test("hash log replays to the same state", () => {
  const h = new Harness();
  h.run("HSET", "h", "a", "1", "b", "2");
  h.run("HINCRBYFLOAT", "h", "c", "1.25");
  h.run("HDEL", "h", "a");
  h.run("HINCRBY", "h", "b", "40");
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs + 1000).store), stateOf(h.store));
});
