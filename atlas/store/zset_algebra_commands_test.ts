import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

Deno.test("ZUNION/ZINTER/ZDIFF with WEIGHTS, AGGREGATE, sets as input", () => {
  const h = new Harness();
  h.run("ZADD", "a", "1", "x", "2", "y");
  h.run("ZADD", "b", "3", "y", "4", "z");
  h.run("SADD", "s", "x", "q");
  assert.deepEqual(h.run("ZUNION", "2", "a", "b", "WITHSCORES"), ["x", 1, "z", 4, "y", 5]);
  assert.deepEqual(h.run("ZINTER", "2", "a", "b", "WITHSCORES", "AGGREGATE", "MAX"), ["y", 3]);
  assert.deepEqual(h.run("ZDIFF", "2", "a", "b", "WITHSCORES"), ["x", 1]);
  assert.deepEqual(h.run("ZUNION", "2", "a", "s", "WEIGHTS", "2", "10"), ["y", "q", "x"]);
  assert.equal(h.exec("ZUNION", "1", "a", "WITHSCORES").reply.kind, "array");
  assert.deepEqual(h.run("ZUNION", "0", "a"), {
    err: "ERR at least 1 input key is needed for 'zunion' command",
  });
  assert.deepEqual(h.run("ZUNION", "3", "a", "b"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"), {
    err: "ERR weight value is not a float",
  });
  assert.deepEqual(h.run("ZDIFF", "2", "a", "b", "AGGREGATE", "MAX"), { err: "ERR syntax error" });
  h.run("SET", "str", "v");
  assert.deepEqual(h.run("ZUNION", "2", "a", "str", "BAD"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
});

Deno.test("STORE forms replace the destination, delete it when empty; inf/NaN rules", () => {
  const h = new Harness();
  h.run("ZADD", "a", "1", "x", "2", "y");
  h.run("ZADD", "b", "3", "y", "4", "z");
  h.run("SET", "d", "old", "EX", "100");
  assert.equal(h.run("ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "3"), 1);
  assert.deepEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), ["y", 13]);
  assert.equal(h.run("TTL", "d"), -1);
  assert.equal(h.run("ZDIFFSTORE", "d", "1", "nokey"), 0);
  assert.equal(h.run("EXISTS", "d"), 0);
  h.run("ZADD", "n", "-inf", "m");
  assert.equal(h.run("ZUNIONSTORE", "d", "2", "a", "n", "WEIGHTS", "0", "0"), 3);
  assert.deepEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), ["m", 0, "x", 0, "y", 0]);
  h.run("ZADD", "p", "inf", "m");
  assert.equal(h.run("ZUNIONSTORE", "e", "2", "n", "p"), 1);
  assert.equal(h.run("ZSCORE", "e", "m"), 0); // inf + -inf = 0, as Redis
  assert.equal(h.run("ZINTERCARD", "2", "a", "b"), 1);
  assert.equal(h.run("ZINTERCARD", "2", "a", "a", "LIMIT", "1"), 1);
  assert.deepEqual(h.run("ZINTERCARD", "1", "a", "LIMIT", "-1"), {
    err: "ERR LIMIT can't be negative",
  });
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});
