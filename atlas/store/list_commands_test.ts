import assert from "node:assert/strict";
import { Harness, plain, stateOf } from "./test_util.ts";

Deno.test("LPUSH RPUSH LRANGE LLEN LINDEX with negative indexes", () => {
  const h = new Harness();
  assert.equal(h.run("RPUSH", "l", "a", "b", "c"), 3);
  assert.equal(h.run("LPUSH", "l", "z", "y"), 5);
  assert.deepEqual(h.run("LRANGE", "l", "0", "-1"), ["y", "z", "a", "b", "c"]);
  assert.deepEqual(h.run("LRANGE", "l", "-2", "100"), ["b", "c"]);
  assert.deepEqual(h.run("LRANGE", "l", "3", "1"), []);
  assert.deepEqual(h.run("LRANGE", "l", "-100", "0"), ["y"]);
  assert.equal(h.run("LLEN", "l"), 5);
  assert.equal(h.run("LINDEX", "l", "-1"), "c");
  assert.equal(h.run("LINDEX", "l", "5"), null);
  assert.equal(h.run("LPUSHX", "none", "a"), 0);
  assert.equal(h.run("RPUSHX", "l", "d"), 6);
  assert.equal(h.run("EXISTS", "none"), 0);
});

Deno.test("LPOP/RPOP with count; empty lists delete their key", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "a", "b", "c", "d");
  assert.equal(h.run("LPOP", "l"), "a");
  assert.deepEqual(h.run("RPOP", "l", "2"), ["d", "c"]);
  assert.deepEqual(h.run("LPOP", "l", "0"), []);
  assert.deepEqual(h.run("LPOP", "l", "-1"), {
    err: "ERR value is out of range, must be positive",
  });
  assert.deepEqual(h.run("LPOP", "l", "10"), ["b"]);
  assert.equal(h.run("EXISTS", "l"), 0);
  assert.equal(h.run("LPOP", "l"), null);
  assert.equal(h.exec("LPOP", "l", "2").reply.kind, "nilArray");
});

Deno.test("LPUSH keeps the TTL; LSET LREM LTRIM LINSERT", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "a", "b", "a", "c", "a");
  h.run("EXPIRE", "l", "50");
  h.run("LPUSH", "l", "x");
  assert.equal(h.run("TTL", "l"), 50);
  assert.equal(h.run("LSET", "l", "-1", "A"), "OK");
  assert.deepEqual(h.run("LSET", "l", "99", "A"), { err: "ERR index out of range" });
  assert.deepEqual(h.run("LSET", "none", "0", "A"), { err: "ERR no such key" });
  assert.equal(h.run("LREM", "l", "-1", "a"), 1);
  assert.deepEqual(h.run("LRANGE", "l", "0", "-1"), ["x", "a", "b", "c", "A"]);
  h.run("RPUSH", "l", "a", "a");
  assert.equal(h.run("LREM", "l", "0", "a"), 3);
  assert.equal(h.run("LINSERT", "l", "BEFORE", "b", "q"), 5);
  assert.equal(h.run("LINSERT", "l", "after", "A", "r"), 6);
  assert.equal(h.run("LINSERT", "l", "after", "nope", "r"), -1);
  assert.equal(h.run("LINSERT", "none", "after", "nope", "r"), 0);
  assert.deepEqual(h.run("LINSERT", "l", "middle", "A", "r"), { err: "ERR syntax error" });
  assert.deepEqual(h.run("LRANGE", "l", "0", "-1"), ["x", "q", "b", "c", "A", "r"]);
  assert.equal(h.run("LTRIM", "l", "1", "-2"), "OK");
  assert.deepEqual(h.run("LRANGE", "l", "0", "-1"), ["q", "b", "c", "A"]);
  assert.equal(h.run("LTRIM", "l", "5", "10"), "OK");
  assert.equal(h.run("EXISTS", "l"), 0);
});

Deno.test("LPOS with RANK COUNT MAXLEN", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c");
  assert.equal(h.run("LPOS", "l", "c"), 2);
  assert.equal(h.run("LPOS", "l", "c", "RANK", "2"), 6);
  assert.equal(h.run("LPOS", "l", "c", "RANK", "-1"), 7);
  assert.deepEqual(h.run("LPOS", "l", "c", "COUNT", "0"), [2, 6, 7]);
  assert.deepEqual(h.run("LPOS", "l", "c", "COUNT", "2", "RANK", "-1"), [7, 6]);
  assert.deepEqual(h.run("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"), [2]);
  assert.equal(h.run("LPOS", "l", "zz"), null);
  assert.deepEqual(h.run("LPOS", "l", "c", "RANK", "0"), {
    err:
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  });
  assert.deepEqual(h.run("LPOS", "l", "c", "COUNT", "-1"), { err: "ERR COUNT can't be negative" });
});

Deno.test("LMOVE and RPOPLPUSH, including rotation and WRONGTYPE", () => {
  const h = new Harness();
  h.run("RPUSH", "a", "1", "2", "3");
  assert.equal(h.run("LMOVE", "a", "b", "LEFT", "RIGHT"), "1");
  assert.equal(h.run("RPOPLPUSH", "a", "b"), "3");
  assert.deepEqual(h.run("LRANGE", "b", "0", "-1"), ["3", "1"]);
  assert.equal(h.run("LMOVE", "b", "b", "LEFT", "RIGHT"), "3");
  assert.deepEqual(h.run("LRANGE", "b", "0", "-1"), ["1", "3"]);
  h.run("SET", "s", "x");
  assert.deepEqual(h.run("LMOVE", "a", "s", "LEFT", "LEFT"), {
    err: "WRONGTYPE Operation against a key holding the wrong kind of value",
  });
  assert.deepEqual(h.run("LRANGE", "a", "0", "-1"), ["2"]); // nothing popped
  assert.equal(h.run("LMOVE", "a", "a", "LEFT", "LEFT"), "2");
  assert.equal(h.run("LMOVE", "none", "b", "LEFT", "LEFT"), null);
  assert.deepEqual(h.run("LMOVE", "a", "b", "UP", "LEFT"), { err: "ERR syntax error" });
  assert.equal(h.run("RPOPLPUSH", "a", "c"), "2");
  assert.equal(h.run("EXISTS", "a"), 0);
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});

Deno.test("LMPOP pops from the first non-empty list, logged as LPOP/RPOP", () => {
  const h = new Harness();
  h.run("RPUSH", "b", "1", "2", "3");
  const r = h.exec("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2");
  assert.deepEqual(plain(r.reply), ["b", ["3", "2"]]);
  assert.deepEqual(r.log, [["RPOP", "b", "2"]]);
  assert.deepEqual(h.run("LMPOP", "1", "b", "LEFT", "COUNT", "5"), ["b", ["1"]]);
  assert.equal(h.run("EXISTS", "b"), 0);
  assert.equal(h.exec("LMPOP", "1", "b", "LEFT").reply.kind, "nilArray");
  assert.deepEqual(h.run("LMPOP", "0", "b", "LEFT"), {
    err: "ERR numkeys should be greater than 0",
  });
  assert.deepEqual(h.run("LMPOP", "1", "b", "LEFT", "COUNT", "0"), {
    err: "ERR count should be greater than 0",
  });
  assert.deepEqual(h.run("LMPOP", "2", "b", "LEFT"), { err: "ERR syntax error" });
});
