import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { readSnapshot } from "../snapshot/reader.ts";
import { writeSnapshot } from "../snapshot/writer.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";
import { formatId, parseStreamId, string2ull } from "./stream_id.ts";
import { raxNodes } from "./stream_info.ts";
import { StreamValue } from "./stream_value.ts";
import { Store } from "./store.ts";
import { Harness, stateOf } from "./test_util.ts";

const WRONGTYPE = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const EDOM = {
  err: "ERR The ID specified in XADD is equal or smaller than the target stream top item",
};

Deno.test("stream IDs parse like Redis's string2ull and stay exact past 2^53", () => {
  assert.equal(string2ull("18446744073709551615"), 18446744073709551615n);
  assert.equal(string2ull("18446744073709551616"), null);
  assert.equal(string2ull("-1"), null);
  assert.equal(string2ull(" 5"), 5n); // strtoull skips spaces
  assert.equal(string2ull("-05"), 18446744073709551611n); // and wraps a negative
  assert.equal(string2ull("1x"), null);
  assert.equal(formatId(parseStreamId("9007199254740993-3", 0n, true)!.id), "9007199254740993-3");
  assert.deepEqual(parseStreamId("5-*", 0n, true, true), { id: 5n << 64n, seqGiven: false });
  assert.equal(parseStreamId("5-*", 0n, true), null);
  assert.equal(parseStreamId("+", 0n, true), null);
});

Deno.test("XADD: explicit, ms-* and * IDs (from the command's clock), errors", () => {
  const h = new Harness();
  assert.equal(h.run("XADD", "s", "1-1", "f", "v"), "1-1");
  assert.equal(h.run("XADD", "s", "1-*", "f", "v"), "1-2");
  assert.deepEqual(h.run("XADD", "s", "1-2", "f", "v"), EDOM);
  assert.deepEqual(h.run("XADD", "s", "0-0", "f", "v"), {
    err: "ERR The ID specified in XADD must be greater than 0-0",
  });
  assert.deepEqual(h.run("XADD", "s", "1-1", "f"), {
    err: "ERR wrong number of arguments for 'xadd' command",
  });
  assert.deepEqual(h.run("XADD", "s", "x", "f", "v"), {
    err: "ERR Invalid stream ID specified as stream command argument",
  });
  h.clock.nowMs = 5000;
  assert.equal(h.run("XADD", "s", "*", "f", "v"), "5000-0");
  assert.equal(h.run("XADD", "s", "*", "f", "v"), "5000-1");
  h.clock.nowMs = 10; // a clock behind the last ID: the sequence goes on
  assert.equal(h.run("XADD", "s", "*", "f", "v"), "5000-2");
  assert.equal(h.run("XADD", "nomk", "NOMKSTREAM", "*", "f", "v"), null);
  assert.equal(h.run("EXISTS", "nomk"), 0);
  assert.equal(
    h.run("XADD", "s", "18446744073709551615-18446744073709551615", "f", "v"),
    "18446744073709551615-18446744073709551615",
  );
  assert.deepEqual(h.run("XADD", "s", "*", "f", "v"), {
    err: "ERR The stream has exhausted the last possible ID, unable to add more items",
  });
  assert.equal(h.run("XLEN", "s"), 6);
  assert.equal(h.run("TYPE", "s"), "stream");
  assert.equal(h.run("OBJECT", "ENCODING", "s"), "stream");
});

Deno.test("XADD logs the concrete ID and the exact form of ~ trimming", () => {
  const h = new Harness();
  h.clock.nowMs = 7000;
  h.run("XADD", "s", "*", "f", "v");
  h.run("XADD", "s", "7000-*", "f", "v");
  for (let i = 0; i < 150; i++) h.run("XADD", "s", "MAXLEN", "~", "40", "*", "f", String(i));
  const last = h.logs[h.logs.length - 1];
  assert.deepEqual(h.logs[0], ["XADD", "s", "7000-0", "f", "v"]);
  assert.deepEqual(h.logs[1], ["XADD", "s", "7000-1", "f", "v"]);
  assert.deepEqual(last.slice(0, 5), ["XADD", "s", "MAXLEN", "=", String(h.run("XLEN", "s"))]);
  assert.equal(last[5], "7000-151");
  // Whole 100-entry nodes only: 152 entries minus the first node (redis-server agrees).
  assert.equal(h.run("XLEN", "s"), 52);
  h.run("XTRIM", "s", "MINID", "~", "7000-140", "LIMIT", "1000");
  assert.deepEqual(h.logs.every((argv) => !argv.includes("*") && !argv.includes("~")), true);
});

Deno.test("XRANGE / XREVRANGE: bounds, exclusive ranges, COUNT", () => {
  const h = new Harness();
  for (let i = 1; i <= 5; i++) h.run("XADD", "s", `${i}-0`, "f", String(i));
  const ids = (r: unknown) => (r as [string, string[]][]).map((e) => e[0]);
  assert.deepEqual(ids(h.run("XRANGE", "s", "-", "+")), ["1-0", "2-0", "3-0", "4-0", "5-0"]);
  // `(5` is exclusive of 5-18446744073709551615, so 5-0 is in (as in Redis).
  assert.deepEqual(ids(h.run("XRANGE", "s", "(2-0", "(5")), ["3-0", "4-0", "5-0"]);
  assert.deepEqual(ids(h.run("XRANGE", "s", "(2-0", "(5-0")), ["3-0", "4-0"]);
  assert.deepEqual(ids(h.run("XREVRANGE", "s", "+", "-", "COUNT", "2")), ["5-0", "4-0"]);
  assert.deepEqual(h.run("XRANGE", "s", "-", "+", "COUNT", "0"), null);
  assert.deepEqual(h.run("XRANGE", "s", "-", "(0-0"), {
    err: "ERR invalid end ID for the interval",
  });
  assert.deepEqual(h.run("XRANGE", "s", "(-", "+"), {
    err: "ERR Invalid stream ID specified as stream command argument",
  });
  assert.deepEqual(h.run("XRANGE", "s", "2", "2"), [["2-0", ["f", "2"]]]);
});

Deno.test("XDEL, XTRIM, XSETID and XINFO STREAM", () => {
  const h = new Harness();
  for (let i = 1; i <= 5; i++) h.run("XADD", "s", `${i}-0`, "f", String(i));
  assert.equal(h.run("XDEL", "s", "1-0", "3-0", "9-0"), 2);
  assert.equal(h.run("XDEL", "nokey", "bad"), 0);
  assert.equal(h.run("XTRIM", "s", "MAXLEN", "2"), 1);
  assert.equal(h.run("XTRIM", "s", "MINID", "5"), 1);
  assert.equal(h.run("XLEN", "s"), 1);
  assert.deepEqual(h.run("XSETID", "s", "4-0"), {
    err: "ERR The ID specified in XSETID is smaller than the target stream top item",
  });
  assert.deepEqual(h.run("XSETID", "s", "9-0", "ENTRIESADDED", "0"), {
    err: "ERR The entries_added specified in XSETID is smaller than the target stream length",
  });
  assert.equal(h.run("XSETID", "s", "9-0", "ENTRIESADDED", "10", "MAXDELETEDID", "8-0"), "OK");
  const info = new Map(h.run("XINFO", "STREAM", "s") as [string, unknown][]);
  assert.equal(info.get("length"), 1);
  assert.equal(info.get("last-generated-id"), "9-0");
  assert.equal(info.get("max-deleted-entry-id"), "8-0");
  assert.equal(info.get("entries-added"), 10n);
  assert.deepEqual(info.get("first-entry"), ["5-0", ["f", "5"]]);
  // Trimmed to empty, the stream stays (as in Redis).
  assert.equal(h.run("XTRIM", "s", "MAXLEN", "0"), 1);
  assert.equal(h.run("EXISTS", "s"), 1);
  assert.deepEqual(h.run("XINFO", "STREAM", "nokey"), { err: "ERR no such key" });
});

Deno.test("WRONGTYPE both ways", () => {
  const h = new Harness();
  h.run("SET", "str", "v");
  h.run("XADD", "s", "1-1", "f", "v");
  for (
    const argv of [
      ["XADD", "str", "*", "f", "v"],
      ["XLEN", "str"],
      ["XRANGE", "str", "-", "+"],
      ["XDEL", "str", "1-1"],
      ["XTRIM", "str", "MAXLEN", "1"],
      ["XREAD", "STREAMS", "str", "0"],
      ["XSETID", "str", "1-1"],
      ["XINFO", "STREAM", "str"],
      ["GET", "s"],
      ["LPUSH", "s", "x"],
      ["HSET", "s", "f", "v"],
      ["SADD", "s", "m"],
      ["ZADD", "s", "1", "m"],
      ["SORT", "s"],
    ]
  ) assert.deepEqual(h.run(...argv), WRONGTYPE, argv.join(" "));
});

Deno.test("XREAD: $ and IDs, COUNT, several streams", () => {
  const h = new Harness();
  h.run("XADD", "a", "1-1", "f", "v");
  h.run("XADD", "a", "1-2", "f", "w");
  h.run("XADD", "b", "2-1", "g", "x");
  assert.deepEqual(h.run("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"), [
    ["a", [["1-1", ["f", "v"]]]],
    ["b", [["2-1", ["g", "x"]]]],
  ]);
  assert.deepEqual(h.run("XREAD", "STREAMS", "a", "$"), null);
  assert.deepEqual(h.run("XREAD", "STREAMS", "a", "1-1"), [["a", [["1-2", ["f", "w"]]]]]);
  assert.deepEqual(h.run("XREAD", "STREAMS", "a", "b", "0"), {
    err:
      "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
  });
});

Deno.test("replay: the log rebuilds the same streams, * IDs and ~ trims included", () => {
  const h = new Harness();
  for (let i = 0; i < 400; i++) {
    h.clock.nowMs += i % 3 === 0 ? 0 : 1;
    const key = `s${i % 3}`;
    const big = i % 37 === 0 ? "z".repeat(1500) : String(i);
    if (i % 5 === 0) h.run("XADD", key, "MAXLEN", "~", "50", "*", "f", big);
    else if (i % 7 === 0) h.run("XADD", key, "MINID", "~", `${h.clock.nowMs - 30}`, "*", "f", big);
    else h.run("XADD", key, "*", i % 2 === 0 ? "f" : "g", big);
    if (i % 11 === 0) h.run("XDEL", key, `${h.clock.nowMs}-0`);
    if (i % 53 === 0) h.run("XTRIM", key, "MAXLEN", "~", "20", "LIMIT", "150");
    if (i % 97 === 0) h.run("XSETID", key, `${h.clock.nowMs + 5}-0`);
  }
  const expected = stateOf(h.store);
  const replayed = h.replay(0);
  assert.deepEqual(stateOf(replayed.store), expected);
  assert.equal(replayed.store.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  for (const k of ["s0", "s1", "s2"]) {
    assert.deepEqual(replayed.run("XINFO", "STREAM", k), h.run("XINFO", "STREAM", k));
  }
});

Deno.test("serialize and snapshot round trip keep entries, tombstones, nodes and counters", async () => {
  const h = new Harness();
  for (let i = 1; i <= 250; i++) h.run("XADD", "s", `${i}-${i}`, i % 9 ? "f" : "h", String(i));
  h.run("XDEL", "s", "5-5", "150-150");
  h.run("XTRIM", "s", "MINID", "20");
  h.run("XSETID", "s", "999-0", "ENTRIESADDED", "1000", "MAXDELETEDID", "200-0");
  const s = h.store.dumpValue("s")!;
  const copy = deserializeValue(s) as StreamValue;
  assert.ok(copy instanceof StreamValue);
  assert.equal(serializeValue(copy), s);
  const disk = new SimDisk();
  const written = await writeSnapshot(h.store.snapshotView(), {
    disk,
    dir: "/d",
    aofSeq: 1,
    createdAtMs: 0,
    chunkBytes: 2048,
  });
  const loaded = new Store();
  await readSnapshot(disk, written.path, (k, p, at) => loaded.restoreValue(k, p, at));
  assert.deepEqual(stateOf(loaded), stateOf(h.store));
  assert.equal(loaded.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  const ctx = h.clock;
  const info = (st: Store) => st.execute(["XINFO", "STREAM", "s", "FULL"], ctx).reply;
  assert.deepEqual(info(loaded), info(h.store));
  // COPY deep-copies through the same payload.
  assert.equal(h.run("COPY", "s", "c"), 1);
  assert.deepEqual(h.run("XRANGE", "c", "-", "+"), h.run("XRANGE", "s", "-", "+"));
});

Deno.test("memory estimate: grows with entries, SAMPLES 0 is exact, rax node count", () => {
  const h = new Harness();
  h.run("XADD", "s", "1-1", "f", "v");
  const one = h.run("MEMORY", "USAGE", "s", "SAMPLES", "0") as number;
  for (let i = 2; i < 50; i++) h.run("XADD", "s", `${i}-1`, "f", "v".repeat(i));
  const many = h.run("MEMORY", "USAGE", "s", "SAMPLES", "0") as number;
  assert.ok(many > one + 48 * 48);
  assert.equal(many, h.store.stats.usedMemoryBytes);
  assert.equal(raxNodes([]), 1);
  assert.equal(raxNodes([1n]), 2);
});
