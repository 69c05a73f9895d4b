import assert from "node:assert/strict";
import { Harness } from "./test_util.ts";

// The replies of redis-server 7.0.15 started with `--databases 1`.
const OUT_OF_RANGE = { err: "ERR DB index is out of range" };

Deno.test("MOVE with one database: never moves, Redis's errors in Redis's order", () => {
  const h = new Harness();
  h.run("SET", "k", "v");
  const same = { err: "ERR source and destination objects are the same" };
  assert.deepEqual(h.run("MOVE", "k", "0"), same);
  assert.deepEqual(h.run("MOVE", "nokey", "0"), same);
  assert.deepEqual(h.run("MOVE", "k", "1"), OUT_OF_RANGE);
  assert.deepEqual(h.run("MOVE", "k", "-1"), OUT_OF_RANGE);
  assert.deepEqual(h.run("MOVE", "k", "2147483647"), OUT_OF_RANGE);
  const int32 = { err: "ERR value is out of range, value must between -2147483648 and 2147483647" };
  assert.deepEqual(h.run("MOVE", "k", "2147483648"), int32);
  assert.deepEqual(h.run("MOVE", "k", "-2147483649"), int32);
  const notInt = { err: "ERR value is not an integer or out of range" };
  for (const bad of ["x", "01", "+1", " 1", "-0", "1.0", "99999999999999999999"]) {
    assert.deepEqual(h.run("MOVE", "k", bad), notInt, bad);
  }
  assert.deepEqual(h.run("MOVE", "k"), { err: "ERR wrong number of arguments for 'move' command" });
  assert.equal(h.run("GET", "k"), "v");
  assert.deepEqual(h.logs, [["SET", "k", "v"]]);
});

Deno.test("SWAPDB with one database: 0 0 is OK and not logged, others are errors", () => {
  const h = new Harness();
  h.run("SET", "k", "v");
  assert.equal(h.run("SWAPDB", "0", "0"), "OK");
  for (const [a, b] of [["0", "1"], ["1", "0"], ["1", "1"], ["-1", "0"], ["0", "-1"]]) {
    assert.deepEqual(h.run("SWAPDB", a, b), OUT_OF_RANGE, `${a} ${b}`);
  }
  for (const bad of ["x", "00", "-0", "2147483648", "-2147483649", "1.5"]) {
    assert.deepEqual(h.run("SWAPDB", bad, "0"), { err: "ERR invalid first DB index" }, bad);
    assert.deepEqual(h.run("SWAPDB", "0", bad), { err: "ERR invalid second DB index" }, bad);
  }
  assert.deepEqual(h.run("SWAPDB", "x", "y"), { err: "ERR invalid first DB index" });
  assert.equal(h.run("GET", "k"), "v");
  assert.deepEqual(h.logs, [["SET", "k", "v"]]);
});

Deno.test("MOVE and SWAPDB specs: Redis's arity, flags and keys", () => {
  const h = new Harness();
  const move = h.store.commands.get("move")!;
  assert.deepEqual([move.arity, move.flags, move.firstKey, move.lastKey, move.step], [
    3,
    ["write", "fast"],
    1,
    1,
    1,
  ]);
  const swapdb = h.store.commands.get("swapdb")!;
  assert.deepEqual([swapdb.arity, swapdb.flags, swapdb.firstKey], [3, ["write", "fast"], 0]);
  const bitop = h.store.commands.get("bitop")!;
  assert.deepEqual([bitop.arity, bitop.flags, bitop.firstKey, bitop.lastKey, bitop.step], [
    -4,
    ["write", "denyoom"],
    2,
    -1,
    1,
  ]);
  assert.deepEqual(h.store.commands.get("bitfield")!.flags, ["write", "denyoom"]);
  assert.deepEqual(h.store.commands.get("bitfield_ro")!.flags, ["readonly", "fast"]);
});
