import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { readSnapshot } from "../snapshot/reader.ts";
import { writeSnapshot } from "../snapshot/writer.ts";
import { Store } from "./store.ts";
import { Harness, stateOf } from "./test_util.ts";

function filled(): Harness {
  const h = new Harness();
  for (let i = 1; i <= 5; i++) h.run("XADD", "s", `${i}-0`, "f", String(i));
  h.run("XGROUP", "CREATE", "s", "g", "0");
  return h;
}

Deno.test("XREADGROUP delivers once per group, history re-delivers, XACK clears", () => {
  const h = filled();
  h.clock.nowMs = 10_000;
  assert.deepEqual(h.run("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"), [
    ["s", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]],
  ]);
  assert.deepEqual(h.run("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"), [
    ["s", [["3-0", ["f", "3"]], ["4-0", ["f", "4"]], ["5-0", ["f", "5"]]]],
  ]);
  assert.equal(h.run("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">"), null);
  h.clock.nowMs = 10_500;
  assert.deepEqual(h.run("XPENDING", "s", "g", "-", "+", "10", "a"), [
    ["1-0", "a", 500, 1],
    ["2-0", "a", 500, 1],
  ]);
  // History: the consumer's own PEL, each read counting a delivery and resetting the idle time.
  assert.deepEqual(h.run("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0"), [
    ["s", [["1-0", ["f", "1"]], ["2-0", ["f", "2"]]]],
  ]);
  assert.deepEqual(h.run("XPENDING", "s", "g", "IDLE", "0", "-", "+", "1"), [
    ["1-0", "a", 0, 2],
  ]);
  assert.equal(h.run("XACK", "s", "g", "1-0", "1-0", "9-0"), 1);
  assert.deepEqual(h.run("XPENDING", "s", "g"), [4, "2-0", "5-0", [["a", "1"], ["b", "3"]]]);
  h.run("XDEL", "s", "2-0");
  assert.deepEqual(h.run("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0"), [
    ["s", [["2-0", null]]],
  ]);
  const info = h.run("XINFO", "GROUPS", "s") as [string, unknown][][];
  assert.deepEqual(new Map(info[0]).get("last-delivered-id"), "5-0");
  assert.deepEqual(new Map(info[0]).get("entries-read"), 5n);
});

Deno.test("XCLAIM / XAUTOCLAIM move entries between consumers with the command's time", () => {
  const h = filled();
  h.clock.nowMs = 1_000;
  h.run("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">");
  h.clock.nowMs = 5_000;
  assert.deepEqual(h.run("XCLAIM", "s", "g", "b", "5000", "1-0"), []);
  assert.deepEqual(h.run("XCLAIM", "s", "g", "b", "4000", "1-0", "JUSTID"), ["1-0"]);
  assert.deepEqual(h.run("XPENDING", "s", "g", "-", "+", "1"), [["1-0", "b", 0, 1]]);
  assert.deepEqual(h.run("XAUTOCLAIM", "s", "g", "c", "1000", "0", "COUNT", "2"), [
    "4-0",
    [["2-0", ["f", "2"]], ["3-0", ["f", "3"]]],
    [],
  ]);
  h.run("XDEL", "s", "4-0");
  assert.deepEqual(h.run("XAUTOCLAIM", "s", "g", "c", "0", "4-0", "JUSTID"), [
    "0-0",
    ["5-0"],
    ["4-0"],
  ]);
  assert.equal(h.run("XGROUP", "DELCONSUMER", "s", "g", "c"), 3);
  assert.deepEqual(h.run("XPENDING", "s", "g"), [1, "1-0", "1-0", [["b", "1"]]]);
});

Deno.test("group state: the log replays (with its stamped times) to the same state", () => {
  const h = filled();
  const stamped: [number, string[]][] = [];
  const run = (...argv: string[]) => {
    const before = h.logs.length;
    h.run(...argv);
    for (const form of h.logs.slice(before)) stamped.push([h.clock.nowMs, form]);
  };
  for (const form of h.logs) stamped.push([h.clock.nowMs, form]);
  for (let i = 0; i < 200; i++) {
    h.clock.nowMs += 7;
    const c = ["a", "b", "c"][i % 3];
    if (i % 4 === 0) run("XADD", "s", "*", "f", String(i));
    if (i % 5 === 1) {
      run("XREADGROUP", "GROUP", "g", c, "COUNT", "2", "BLOCK", "0", "STREAMS", "s", ">");
    }
    if (i % 7 === 2) run("XREADGROUP", "GROUP", "g", c, "STREAMS", "s", "0");
    if (i % 11 === 3) run("XACK", "s", "g", `${h.clock.nowMs - 40}-0`);
    if (i % 13 === 4) run("XAUTOCLAIM", "s", "g", c, "20", "0", "COUNT", "3");
    if (i % 17 === 5) run("XCLAIM", "s", "g", c, "0", "1-0", "FORCE", "IDLE", "3");
    if (i % 19 === 6) run("XGROUP", "CREATECONSUMER", "s", "g", `x${i}`);
    if (i % 23 === 7) run("XDEL", "s", `${h.clock.nowMs - 100}-0`);
  }
  assert.ok(h.logs.every((argv) => !argv.includes("BLOCK")));
  const r = new Harness();
  for (const [nowMs, argv] of stamped) {
    r.clock.nowMs = nowMs;
    r.clock.replaying = true;
    r.exec(...argv);
  }
  assert.deepEqual(stateOf(r.store), stateOf(h.store));
  assert.equal(r.store.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
});

Deno.test("group state survives a snapshot and COPY; memory counts it", async () => {
  const h = filled();
  const bare = h.store.stats.usedMemoryBytes;
  h.run("XREADGROUP", "GROUP", "g", "a", "COUNT", "3", "STREAMS", "s", ">");
  h.run("XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "9223372036854775807");
  h.run("XGROUP", "CREATECONSUMER", "s", "g2", "zed");
  assert.ok(h.store.stats.usedMemoryBytes > bare);
  const disk = new SimDisk();
  const written = await writeSnapshot(h.store.snapshotView(), {
    disk,
    dir: "/d",
    aofSeq: 1,
    createdAtMs: 0,
    chunkBytes: 1024,
  });
  const loaded = new Store();
  await readSnapshot(disk, written.path, (k, p, at) => loaded.restoreValue(k, p, at));
  assert.deepEqual(stateOf(loaded), stateOf(h.store));
  assert.equal(loaded.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  const full = (st: Store) => st.execute(["XINFO", "STREAM", "s", "FULL"], h.clock).reply;
  assert.deepEqual(full(loaded), full(h.store));
  assert.equal(h.run("COPY", "s", "t"), 1);
  assert.deepEqual(h.run("XINFO", "GROUPS", "t"), h.run("XINFO", "GROUPS", "s"));
  assert.equal(h.run("XGROUP", "DESTROY", "s", "g"), 1);
  assert.equal((h.run("XINFO", "GROUPS", "t") as unknown[]).length, 2);
});

Deno.test("only XADD and an XDEL / XTRIM that removed something signal a stream key (Redis 7.0)", () => {
  const h = filled();
  const heard: (string | null)[] = [];
  h.store.setModificationListener((key) => heard.push(key));
  const quiet = [
    ["XGROUP", "CREATE", "s", "g2", "0"],
    ["XGROUP", "SETID", "s", "g", "0"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "a"],
    ["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0"],
    ["XCLAIM", "s", "g", "b", "0", "1-0"],
    ["XAUTOCLAIM", "s", "g", "c", "0", "0"],
    ["XACK", "s", "g", "1-0"],
    ["XGROUP", "DELCONSUMER", "s", "g", "a"],
    ["XSETID", "s", "9-0"],
    ["XDEL", "s", "7-0"],
    ["XTRIM", "s", "MAXLEN", "10"],
  ];
  for (const argv of quiet) h.run(...argv);
  assert.deepEqual(heard, []);
  // Their effects are logged all the same (replicas and the AOF see them).
  assert.ok(h.logs.some((argv) => argv[0] === "XSETID"));
  h.run("XDEL", "s", "5-0");
  h.run("XTRIM", "s", "MAXLEN", "0");
  h.run("XADD", "s", "10-0", "f", "v");
  h.run("XGROUP", "CREATE", "new", "g", "$", "MKSTREAM");
  h.run("XGROUP", "DESTROY", "s", "g2");
  assert.deepEqual(heard, ["s", "s", "s", "new"]);
});

Deno.test("blocked readers are signalled as Redis 7.0 signals: XADD, XGROUP DESTROY, a key created, replaced or deleted", () => {
  const h = filled();
  const signalled: (string | null)[] = [];
  h.store.setReadyListener((key) => signalled.push(key));
  const quiet = [
    ["XGROUP", "CREATE", "s", "g2", "0"],
    ["XGROUP", "SETID", "s", "g", "0"],
    ["XGROUP", "CREATECONSUMER", "s", "g", "a"],
    ["XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">"],
    ["XACK", "s", "g", "1-0"],
    ["XGROUP", "DELCONSUMER", "s", "g", "a"],
    ["XSETID", "s", "9-0", "ENTRIESADDED", "20"],
    ["XDEL", "s", "7-0"],
    ["XTRIM", "s", "MAXLEN", "1"],
    ["XGROUP", "DESTROY", "s", "nosuchgroup"],
    ["XADD", "nokey", "NOMKSTREAM", "*", "f", "v"],
    ["EXPIRE", "s", "100"],
  ];
  for (const argv of quiet) h.run(...argv);
  assert.deepEqual(signalled, []);
  h.run("XADD", "s", "MAXLEN", "0", "10-0", "f", "v");
  h.run("XGROUP", "DESTROY", "s", "g2");
  h.run("XGROUP", "CREATE", "new", "g", "$", "MKSTREAM");
  h.run("RENAME", "new", "s");
  h.run("FLUSHALL");
  assert.deepEqual(signalled, ["s", "s", "new", "new", "s", null]);
  h.store.setReadyListener(null);
});
