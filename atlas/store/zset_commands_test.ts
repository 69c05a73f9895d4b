import assert from "node:assert/strict";
import { Harness, plain, stateOf } from "./test_util.ts";
import { ZSetValue } from "./zset_value.ts";

Deno.test("ZADD flags NX XX GT LT CH INCR and their errors", () => {
  const h = new Harness();
  assert.equal(h.run("ZADD", "z", "1", "a", "2", "b"), 2);
  assert.equal(h.run("ZADD", "z", "NX", "5", "a", "3", "c"), 1);
  assert.equal(h.run("ZSCORE", "z", "a"), 1);
  assert.equal(h.run("ZADD", "z", "XX", "CH", "5", "a", "9", "new"), 1);
  assert.equal(h.run("ZSCORE", "z", "new"), null);
  assert.equal(h.run("ZADD", "z", "GT", "CH", "4", "a"), 0);
  assert.equal(h.run("ZADD", "z", "LT", "CH", "4", "a"), 1);
  assert.equal(h.run("ZADD", "z", "INCR", "1.5", "a"), 5.5);
  assert.equal(h.run("ZADD", "z", "NX", "INCR", "1", "a"), null);
  assert.equal(h.exec("ZADD", "z", "INCR", "1", "a").reply.kind, "double");
  assert.deepEqual(h.run("ZADD", "z", "NX", "XX", "1", "a"), {
    err: "ERR XX and NX options at the same time are not compatible",
  });
  assert.deepEqual(h.run("ZADD", "z", "GT", "LT", "1", "a"), {
    err: "ERR GT, LT, and/or NX options at the same time are not compatible",
  });
  assert.deepEqual(h.run("ZADD", "z", "INCR", "1", "a", "2", "b"), {
    err: "ERR INCR option supports a single increment-element pair",
  });
  assert.deepEqual(h.run("ZADD", "z", "x", "a"), { err: "ERR value is not a valid float" });
  assert.deepEqual(h.run("ZADD", "z", "NX", "1"), { err: "ERR syntax error" });
  h.run("ZADD", "inf", "inf", "a");
  assert.deepEqual(h.run("ZADD", "inf", "INCR", "-inf", "a"), {
    err: "ERR resulting score is not a number (NaN)",
  });
  assert.equal(h.run("ZADD", "none", "XX", "1", "a"), 0);
  assert.equal(h.run("EXISTS", "none"), 0);
});

Deno.test("ZRANGE by rank, score and lex, with REV, LIMIT and WITHSCORES", () => {
  const h = new Harness();
  h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "4", "e");
  assert.deepEqual(h.run("ZRANGE", "z", "0", "-1"), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(h.run("ZRANGE", "z", "-2", "-1", "WITHSCORES"), ["d", 4, "e", 4]);
  const ws = h.exec("ZRANGE", "z", "0", "0", "WITHSCORES").reply;
  assert.ok(ws.kind === "array" && ws.pairs === true);
  assert.deepEqual(h.run("ZRANGE", "z", "0", "1", "REV"), ["e", "d"]);
  assert.deepEqual(h.run("ZRANGE", "z", "(1", "3", "BYSCORE"), ["b", "c"]);
  assert.deepEqual(h.run("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"), [
    "d",
    "c",
  ]);
  assert.deepEqual(h.run("ZRANGEBYSCORE", "z", "-inf", "(2", "WITHSCORES"), ["a", 1]);
  assert.deepEqual(h.run("ZREVRANGEBYSCORE", "z", "4", "3"), ["e", "d", "c"]);
  assert.deepEqual(h.run("ZREVRANGE", "z", "0", "0"), ["e"]);
  h.run("ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d");
  assert.deepEqual(h.run("ZRANGEBYLEX", "lex", "[b", "(d"), ["b", "c"]);
  assert.deepEqual(h.run("ZRANGE", "lex", "+", "[c", "BYLEX", "REV"), ["d", "c"]);
  assert.deepEqual(h.run("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "0", "2"), ["d", "c"]);
  assert.equal(h.run("ZLEXCOUNT", "lex", "-", "+"), 4);
  assert.deepEqual(h.run("ZRANGEBYLEX", "lex", "b", "c"), {
    err: "ERR min or max not valid string range item",
  });
  assert.deepEqual(h.run("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"), {
    err: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
  });
  assert.deepEqual(h.run("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"), {
    err: "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
  });
  assert.deepEqual(h.run("ZCOUNT", "z", "x", "1"), { err: "ERR min or max is not a float" });
  assert.equal(h.run("ZCOUNT", "z", "(1", "4"), 4);
});

Deno.test("ZRANK ZREVRANK ZINCRBY ZMSCORE ZREM ZCARD ZPOP* ZREMRANGEBY*", () => {
  const h = new Harness();
  h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
  assert.equal(h.run("ZRANK", "z", "c"), 2);
  assert.equal(h.run("ZREVRANK", "z", "c"), 2);
  assert.equal(h.run("ZRANK", "z", "x"), null);
  assert.equal(h.run("ZINCRBY", "z", "10", "a"), 11);
  assert.deepEqual(h.exec("ZINCRBY", "z", "1", "a").log, [["ZINCRBY", "z", "1", "a"]]);
  assert.deepEqual(h.run("ZMSCORE", "z", "a", "x"), [12, null]);
  assert.deepEqual(h.run("ZPOPMIN", "z"), ["b", 2]);
  assert.deepEqual(h.run("ZPOPMAX", "z", "2"), ["a", 12, "e", 5]);
  assert.equal(h.run("ZCARD", "z"), 2);
  h.run("ZADD", "z", "6", "f", "7", "g");
  assert.equal(h.run("ZREMRANGEBYSCORE", "z", "(3", "6"), 2);
  assert.equal(h.run("ZREMRANGEBYRANK", "z", "-1", "-1"), 1);
  assert.deepEqual(h.run("ZRANGE", "z", "0", "-1"), ["c"]);
  assert.equal(h.run("ZREM", "z", "c", "x"), 1);
  assert.equal(h.run("EXISTS", "z"), 0);
  assert.deepEqual(h.run("ZPOPMIN", "z"), []);
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});

Deno.test("ZSCAN visits every member; ZRANDMEMBER", () => {
  const h = new Harness();
  const argv = ["ZADD", "z"];
  for (let i = 0; i < 500; i++) argv.push(String(i / 2), `m${i}`);
  h.run(...argv);
  const seen = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, flat] = h.run("ZSCAN", "z", cursor, "COUNT", "64") as [string, string[]];
    for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
    cursor = next;
  } while (cursor !== "0");
  assert.equal(seen.size, 500);
  assert.equal(seen.get("m3"), "1.5");
  assert.equal((h.run("ZRANDMEMBER", "z", "-3") as string[]).length, 3);
  assert.equal(new Set(h.run("ZRANDMEMBER", "z", "600") as string[]).size, 500);
});

Deno.test("the skip list agrees with a sorted-array model under random operations", () => {
  const z = new ZSetValue();
  const model = new Map<string, number>();
  let seed = 7;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 4000; i++) {
    const member = `m${Math.floor(rnd() * 300)}`;
    if (rnd() < 0.3) {
      assert.equal(z.delete(member), model.delete(member));
    } else {
      const score = Math.floor(rnd() * 50);
      z.add(member, score);
      model.set(member, score);
    }
  }
  const sorted = [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  assert.equal(z.size, sorted.length);
  sorted.forEach(([m, s], i) => {
    assert.equal(z.rank(m), i);
    const n = z.byRank(i);
    assert.equal(n?.member, m);
    assert.equal(n?.score, s);
  });
  let back = z.tail;
  for (let i = sorted.length - 1; i >= 0; i--, back = back?.backward ?? null) {
    assert.equal(back?.member, sorted[i][0]);
  }
});

Deno.test("ZRANGESTORE stores a range and deletes the destination when empty", () => {
  const h = new Harness();
  h.run("ZADD", "z", "1", "a", "2", "b", "3", "c");
  assert.equal(h.run("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE"), 2);
  assert.deepEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), ["b", 2, "c", 3]);
  assert.equal(h.run("ZRANGESTORE", "d", "none", "0", "-1"), 0);
  assert.equal(h.run("EXISTS", "d"), 0);
  assert.deepEqual(h.run("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"), {
    err: "ERR syntax error",
  });
});

Deno.test("ZMPOP pops min or max from the first non-empty sorted set", () => {
  const h = new Harness();
  h.run("ZADD", "z", "1", "a", "2", "b", "3", "c");
  const r = h.exec("ZMPOP", "2", "none", "z", "MAX", "COUNT", "2");
  assert.deepEqual(plain(r.reply), ["z", [["c", 3], ["b", 2]]]);
  assert.deepEqual(r.log, [["ZPOPMAX", "z", "2"]]);
  assert.deepEqual(h.run("ZMPOP", "1", "z", "MIN"), ["z", [["a", 1]]]);
  assert.equal(h.exec("ZMPOP", "1", "z", "MIN").reply.kind, "nilArray");
  assert.deepEqual(h.run("ZMPOP", "1", "z", "UP"), { err: "ERR syntax error" });
});

Deno.test("lex ranges on mixed scores keep Redis's answers", () => {
  const h = new Harness();
  h.run("ZADD", "z", "2", "a", "inf", "10");
  assert.equal(h.run("ZREMRANGEBYLEX", "z", "[a", "[c"), 0); // tail "10" < min: empty, as Redis
  assert.equal(h.run("ZLEXCOUNT", "z", "[a", "[c"), 0);
});
