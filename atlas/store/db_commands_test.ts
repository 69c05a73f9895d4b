import assert from "node:assert/strict";
import { TAG_DATABASE } from "./serialize.ts";
import { databasesHeldBy, Store } from "./store.ts";
import { Harness, plain, TestClock } from "./test_util.ts";

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

/** Every database's keys as `db key payload expireAt` lines, sorted (a snapshot view's reading). */
function databaseState(store: Store): string[] {
  const out: string[] = [];
  let db = 0;
  for (const e of store.snapshotView()) {
    if (e.payload[0] === TAG_DATABASE) db = Number(e.key);
    else out.push(`${db} ${e.key} ${JSON.stringify(e.payload)} ${e.expireAtMs}`);
  }
  return out.sort();
}

/** A store of `databases` databases; `run(db, ...argv)` records each command's log as a record. */
function multiStore(databases: number) {
  const store = new Store({ databases });
  const clock = new TestClock();
  const records: string[][][] = [];
  const run = (db: number, ...argv: string[]) => {
    const r = store.execute(argv, { nowMs: clock.nowMs, random: () => clock.random(), db });
    if (r.log !== null) records.push(r.log);
    return plain(r.reply);
  };
  return { store, clock, records, run };
}

/** Replays records as AOF recovery does: each starts at database 0, SELECT forms move it. */
function replayRecords(records: string[][][], databases: number, nowMs: number): Store {
  const store = new Store({ databases });
  const ctx = { nowMs, random: () => 0, replaying: true, db: 0 };
  for (const record of records) {
    ctx.db = 0;
    for (const argv of record) {
      if (argv[0] === "SELECT") ctx.db = Number(argv[1]);
      else store.execute(argv, ctx);
    }
  }
  return store;
}

Deno.test("databases: a write elsewhere than 0 logs a SELECT first; the records replay every database", () => {
  const { store, clock, records, run } = multiStore(4);
  run(0, "SET", "k", "zero");
  assert.equal(run(2, "SET", "k", "two", "PX", "5000"), "OK");
  assert.deepEqual(records.at(-1), [["SELECT", "2"], ["SET", "k", "two", "PXAT", "1700000005000"]]);
  run(3, "RPUSH", "l", "a", "b");
  assert.equal(run(3, "MOVE", "l", "1"), 1);
  assert.equal(run(3, "MOVE", "l", "1"), 0);
  assert.equal(run(2, "COPY", "k", "k", "DB", "3"), 1);
  assert.equal(run(0, "SWAPDB", "0", "1"), "OK");
  assert.deepEqual(records.at(-1), [["SWAPDB", "0", "1"]]);
  run(1, "SET", "a", "1");
  run(2, "SADD", "gone", "x");
  run(2, "FLUSHDB");
  assert.deepEqual(records.at(-1), [["SELECT", "2"], ["FLUSHDB"]]);
  assert.equal(run(3, "DBSIZE"), 1);
  assert.equal(run(0, "DBSIZE"), 1); // the list, swapped in from database 1
  assert.deepEqual(run(0, "LRANGE", "l", "0", "-1"), ["a", "b"]);
  assert.deepEqual(run(1, "MGET", "k", "a"), ["zero", "1"]);
  assert.deepEqual(run(4, "GET", "k"), { err: "ERR DB index is out of range" });
  const replayed = replayRecords(records, 4, clock.nowMs + 60_000);
  assert.deepEqual(databaseState(replayed), databaseState(store));
  assert.equal(store.stats.keys, 4);
  assert.deepEqual(store.databaseStats().map((d) => [d.index, d.keys, d.volatileKeys]), [
    [0, 1, 0],
    [1, 2, 0],
    [3, 1, 1],
  ]);
});

Deno.test("databases: snapshots mark each database after 0; loading follows the marks", () => {
  const { store, run } = multiStore(16);
  run(0, "SET", "a", "0");
  run(5, "SET", "a", "5");
  run(5, "PEXPIREAT", "a", "4102444800000");
  run(15, "HSET", "h", "f", "v");
  const entries = [...store.snapshotView()];
  assert.deepEqual(
    entries.map((e) => e.payload[0] === TAG_DATABASE ? `[db ${e.key}]` : e.key),
    ["a", "[db 5]", "a", "[db 15]", "h"],
  );
  assert.equal(databasesHeldBy(entries), 16);
  assert.equal(databasesHeldBy(entries.slice(0, 1)), 1);
  const loaded = new Store({ databases: 16 });
  for (const e of entries) loaded.restoreValue(e.key, e.payload, e.expireAtMs);
  assert.deepEqual(databaseState(loaded), databaseState(store));
  assert.equal(loaded.expireAtMs("a", 5), 4102444800000);
  assert.equal(loaded.expireAtMs("a", 0), null);
  const tooFew = new Store({ databases: 8 });
  assert.throws(() => {
    for (const e of entries) tooFew.restoreValue(e.key, e.payload, e.expireAtMs);
  }, /database 15; this store has 8/);
});

Deno.test("databases: active expiry and eviction reach every database", () => {
  const { store, clock, run } = multiStore(4);
  for (const db of [0, 2, 3]) {
    for (let i = 0; i < 10; i++) run(db, "SET", `k${i}`, "v", "PX", "100");
  }
  clock.nowMs += 1000;
  const { expired, log } = store.activeExpireCycle({ nowMs: clock.nowMs, random: () => 0 });
  assert.equal(expired, 30);
  assert.equal(store.stats.keys, 0);
  assert.deepEqual(log.filter((f) => f[0] === "SELECT"), [["SELECT", "2"], ["SELECT", "3"]]);
  // allkeys-random under a limit every database's keys count against: victims from each.
  const big = "x".repeat(1000);
  for (const db of [1, 2]) for (let i = 0; i < 20; i++) run(db, "SET", `b${i}`, big);
  store.setMaxmemory(store.stats.usedMemoryBytes - 10_000, "allkeys-random");
  run(0, "SET", "trigger", "1");
  const left = store.databaseStats();
  assert.ok(store.stats.usedMemoryBytes <= store.stats.maxmemoryBytes);
  assert.ok(left.find((d) => d.index === 1)!.keys < 20, JSON.stringify(left));
  assert.ok(left.find((d) => d.index === 2)!.keys < 20, JSON.stringify(left));
});

Deno.test("databases: the open-views limit holds whichever database is selected", () => {
  const store = new Store({ databases: 4, limits: { snapshotViewsMax: 2 } });
  store.restoreValue("3", TAG_DATABASE, null);
  store.restoreString("k", "v", null); // database 3 is now the selected one...
  store.execute(["DEL", "k"], { nowMs: 0, random: () => 0, db: 3 }); // ...and empty
  const views = [store.snapshotView(), store.snapshotView()];
  assert.throws(() => store.snapshotView(), /Too many open snapshot views/);
  for (const view of views) view.close();
  store.snapshotView().close();
});
