import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { AofCorruptError, AofTruncatedError, AofWriteError } from "./aof/errors.ts";
import { scanAof } from "./aof/scan.ts";
import { SimDisk } from "./aof/sim_disk.ts";
import { readWholeFile } from "./aof/disk.ts";
import { AtlasEngine, type AtlasEngineOptions } from "./engine.ts";
import { HeapGuard } from "./heap_guard.ts";
import { readSnapshot } from "./snapshot/reader.ts";
import { SnapshotCorruptError } from "./snapshot/errors.ts";
import { Store } from "./store/store.ts";
import { ManualTimers, RecordingLogger, settle } from "./testing/manual_timers.ts";
import { dumpStore, sortedDump } from "./testing/store_dump.ts";

const DIR = "/data";

function harness(disk = new SimDisk(), nowMs = 1_000_000) {
  const clock = { nowMs };
  const logger = new RecordingLogger();
  const timers = new ManualTimers();
  const open = (extra: Partial<AtlasEngineOptions> = {}) =>
    AtlasEngine.open({
      dataDir: DIR,
      disk,
      logger,
      timers,
      clock: () => clock.nowMs,
      heapGuard: null, // its timer would count among those the tests count
      ...extra,
    });
  return { disk, clock, logger, timers, open };
}

async function run(engine: AtlasEngine, ...argv: string[]) {
  const reply = await engine.execute(argv);
  await engine.sync();
  return reply;
}

Deno.test("engine: writes survive close and reopen", async () => {
  const h = harness();
  const engine = await h.open();
  assert.deepEqual(await run(engine, "SET", "a", "1"), { kind: "simple", value: "OK" });
  await run(engine, "SET", "b", "\x00\xff");
  await run(engine, "INCR", "a");
  await run(engine, "DEL", "b");
  await engine.close();
  await engine.close(); // idempotent
  const again = await h.open();
  assert.deepEqual(await run(again, "GET", "a"), { kind: "bulk", value: "2" });
  assert.deepEqual(await run(again, "GET", "b"), { kind: "nil" });
  assert.equal(again.stats.recovery.aofRecords, 4);
  await again.close();
  assert.equal(h.timers.active, 0);
});

Deno.test("engine: replay with an injected clock never extends a TTL", async () => {
  const h = harness(new SimDisk(), 1_000_000);
  const engine = await h.open();
  await run(engine, "SET", "k", "v", "EX", "10");
  await run(engine, "SET", "n", "1", "PX", "5000");
  h.clock.nowMs += 4_000;
  await run(engine, "INCR", "n"); // keeps the TTL; runs 4 s later
  await run(engine, "SET", "p", "x");
  await run(engine, "EXPIRE", "p", "100");
  await engine.close();

  h.clock.nowMs = 1_008_000; // 8 s after the first SET
  const later = await h.open();
  assert.deepEqual(await run(later, "PTTL", "k"), { kind: "integer", value: 2_000 });
  assert.deepEqual(await run(later, "GET", "n"), { kind: "nil" }); // expired at 1_005_000
  assert.deepEqual(await run(later, "TTL", "p"), { kind: "integer", value: 96 });
  await later.close();

  h.clock.nowMs = 1_200_000;
  const muchLater = await h.open();
  for (const key of ["k", "n", "p"]) {
    assert.deepEqual(await run(muchLater, "GET", key), { kind: "nil" });
  }
  await muchLater.close();
});

Deno.test("engine: a torn final record is cut with a warning, or refused when asked", async () => {
  const h = harness();
  const engine = await h.open();
  for (let i = 0; i < 10; i++) await run(engine, "SET", `k${i}`, `v${i}`);
  await engine.close();
  const path = `${DIR}/appendonly.1.aof`;
  const good = h.disk.bytes(path);
  const torn = good.slice(0, good.length - 5);
  h.disk.setBytes(path, torn);

  await assert.rejects(h.open({ aofLoadTruncated: false }), (error: unknown) => {
    assert.ok(error instanceof AofTruncatedError);
    assert.equal(error.file, path);
    assert.match(error.message, /helios aof check \/data\/appendonly\.1\.aof --fix/);
    return true;
  });
  const reopened = await h.open();
  const warning = h.logger.at("warn").find((line) => /partial record/.test(line.message));
  assert.ok(warning, "a warning names the truncation");
  assert.equal(warning.fields.file, path);
  assert.deepEqual(await run(reopened, "GET", "k8"), { kind: "bulk", value: "v8" });
  assert.deepEqual(await run(reopened, "GET", "k9"), { kind: "nil" });
  assert.ok(h.disk.bytes(path).length < torn.length);
  await reopened.close();
  const third = await h.open(); // the cut part is no longer last: it must now read clean
  assert.equal(third.stats.recovery.truncated, null);
  assert.deepEqual(await run(third, "GET", "k8"), { kind: "bulk", value: "v8" });
  await third.close();
});

Deno.test("engine: under every the AOF is preallocated; recovery trims the zeros a crash left", async () => {
  const h = harness();
  const engine = await h.open({ fsync: "every", aofPreallocateBytes: 4096 });
  for (let i = 0; i < 10; i++) await run(engine, "SET", `k${i}`, `v${i}`);
  const path = `${DIR}/appendonly.1.aof`;
  const live = scanAof(h.disk.bytes(path));
  assert.deepEqual([live.status, live.records], ["ok", 10]);
  assert.ok(live.paddingBytes > 0, "records sit in front of preallocated zeros");
  h.disk.crash(); // no close: the zeros stay behind
  const reopened = await h.open({ fsync: "every", aofPreallocateBytes: 4096 });
  assert.deepEqual(await run(reopened, "GET", "k9"), { kind: "bulk", value: "v9" });
  assert.equal(reopened.stats.recovery.aofRecords, 10);
  assert.equal(reopened.stats.recovery.truncated, null, "padding is not a torn tail");
  assert.equal(h.logger.at("warn").length, 0);
  assert.equal(h.disk.bytes(path).length, live.validBytes, "the zeros were trimmed");
  await reopened.close();
  const interval = await h.open({ fsync: "interval", aofPreallocateBytes: 4096 });
  await run(interval, "SET", "i", "1");
  assert.equal(scanAof(h.disk.bytes(`${DIR}/appendonly.3.aof`)).paddingBytes, 0, "every only");
  await interval.close();
});

Deno.test("engine: corruption before the end refuses to start, naming file, offset and fix", async () => {
  const h = harness();
  const engine = await h.open();
  for (let i = 0; i < 10; i++) await run(engine, "SET", `k${i}`, `v${i}`);
  await engine.close();
  const path = `${DIR}/appendonly.1.aof`;
  const bytes = h.disk.bytes(path);
  bytes[200] ^= 0xff;
  h.disk.setBytes(path, bytes);
  await assert.rejects(h.open(), (error: unknown) => {
    assert.ok(error instanceof AofCorruptError);
    assert.equal(error.file, path);
    assert.ok(error.offset > 16 && error.offset <= 200);
    assert.match(error.message, /byte offset \d+/);
    assert.match(error.message, /helios aof check \/data\/appendonly\.1\.aof --fix/);
    return true;
  });
});

Deno.test("engine: a torn tail in a part that is not the last is corruption", async () => {
  const h = harness();
  const first = await h.open();
  await run(first, "SET", "a", "1");
  await run(first, "SET", "b", "2");
  await first.close();
  const second = await h.open(); // writes part 2
  await run(second, "SET", "c", "3");
  await second.close();
  const path = `${DIR}/appendonly.1.aof`;
  const bytes = h.disk.bytes(path);
  h.disk.setBytes(path, bytes.slice(0, bytes.length - 3));
  await assert.rejects(h.open(), AofCorruptError);
});

Deno.test("engine: a snapshot under concurrent writes restores exactly its log position", async () => {
  const h = harness();
  const engine = await h.open({ snapshotChunkBytes: 1024 });
  for (let i = 0; i < 6_000; i++) engine.execute(["SET", `key:${i}`, `initial-${i}`]);
  engine.execute(["EXPIRE", "key:1", "500"]);
  await engine.sync();
  const atStart = sortedDump(engine.store);
  const snapshot = engine.snapshot();
  let finished = false;
  snapshot.finally(() => (finished = true));
  let writes = 0;
  while (!finished) {
    // Writers interleave with the chunked serialization: overwrite, delete, create, expire.
    for (let j = 0; j < 20; j++) {
      const i = (writes * 20 + j) % 6_000;
      engine.execute(["SET", `key:${i}`, `changed-${writes}`]);
      engine.execute(["DEL", `key:${(i * 7) % 6_000}`]);
      engine.execute(["SET", `new:${writes}:${j}`, "x"]);
      engine.execute(["PEXPIRE", `key:${(i * 13) % 6_000}`, "100000"]);
    }
    writes++;
    await engine.sync();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const info = await snapshot;
  assert.ok(writes > 10, `writes interleaved with the snapshot (${writes})`);
  const fromSnapshot = new Store();
  await readSnapshot(h.disk, info.path, (k, p, at) => fromSnapshot.restoreValue(k, p, at));
  assert.deepEqual(sortedDump(fromSnapshot), atStart);

  const final = sortedDump(engine.store);
  await engine.close();
  const reopened = await h.open();
  assert.deepEqual(sortedDump(reopened.store), final);
  assert.equal(reopened.stats.recovery.snapshotSeq, info.aofSeq);
  await reopened.close();
});

Deno.test("engine: after a snapshot the AOF history is deleted (disk bounded by live data)", async () => {
  const h = harness();
  const engine = await h.open();
  const value = "v".repeat(1000);
  for (let i = 0; i < 500; i++) engine.execute(["SET", "same-key", value + i]);
  await engine.sync();
  const before = engine.stats.aofSizeBytes;
  assert.ok(before > 500_000);
  const info = await engine.snapshot();
  assert.ok(info.sizeBytes < 2_000);
  assert.ok(engine.stats.aofSizeBytes < 100, `aof size ${engine.stats.aofSizeBytes}`);
  assert.deepEqual((await h.disk.readDir(DIR)).sort(), [
    `appendonly.${info.aofSeq}.aof`,
    `snapshot.${info.aofSeq}.snap`,
  ]);
  assert.equal(engine.stats.lastSnapshotStatus, "ok");
  assert.equal(engine.stats.changesSinceLastSnapshot, 0);
  await run(engine, "SET", "after", "1");
  await engine.close();
  const reopened = await h.open();
  assert.deepEqual(await run(reopened, "GET", "same-key"), { kind: "bulk", value: value + 499 });
  assert.deepEqual(await run(reopened, "GET", "after"), { kind: "bulk", value: "1" });
  await reopened.close();
});

/** Lets a triggered snapshot start and finish. */
async function snapshotsSettle(engine: AtlasEngine): Promise<void> {
  await settle();
  while (engine.stats.snapshotInProgress) await settle();
}

Deno.test("engine: snapshots trigger on command count and on the time interval", async () => {
  const h = harness();
  const snapshots: number[] = [];
  const engine = await h.open({
    snapshotIntervalCmds: 50,
    snapshotMinIntervalMs: 0,
    snapshotIntervalMs: 60_000,
    hooks: { onSnapshot: (seconds) => snapshots.push(seconds) },
  });
  // The options stand for Redis's `save 60 1 0 50`.
  assert.deepEqual(engine.saveRules, [
    { afterMs: 60_000, changes: 1 },
    { afterMs: 0, changes: 50 },
  ]);
  for (let i = 0; i < 49; i++) await run(engine, "SET", `k${i}`, "v");
  h.timers.fire(1000); // the rules' check: 49 changes, and 60 s have not passed
  await snapshotsSettle(engine);
  assert.equal(snapshots.length, 0);
  await run(engine, "SET", "k49", "v");
  h.timers.fire(1000);
  await snapshotsSettle(engine);
  assert.equal(snapshots.length, 1);
  h.clock.nowMs += 60_000;
  h.timers.fire(1000); // nothing changed since: no snapshot
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 1);
  await run(engine, "SET", "x", "1");
  h.timers.fire(1000); // one change, 60 s since the last snapshot
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 2);
  await engine.close();
  assert.equal(h.timers.active, 0);
});

Deno.test("engine: a count-triggered snapshot waits snapshotMinIntervalMs after the start and the last", async () => {
  const h = harness();
  const engine = await h.open({
    snapshotIntervalCmds: 10,
    snapshotMinIntervalMs: 60_000,
    snapshotIntervalMs: 0,
  });
  const writeBatch = async (from: number) => {
    for (let i = from; i < from + 10; i++) await run(engine, "SET", `k${i}`, "v");
    h.timers.fire(1000);
    await snapshotsSettle(engine);
  };
  await writeBatch(0); // the count is reached, but the engine opened just now (Redis's `save`)
  assert.equal(engine.stats.snapshotsTotal, 0);
  h.clock.nowMs += 60_000;
  await writeBatch(10); // 60 s after the start: the count decides
  assert.equal(engine.stats.snapshotsTotal, 1);
  h.clock.nowMs += 30_000;
  await writeBatch(20); // 10 more writes, but only 30 s since the snapshot: none
  await writeBatch(30);
  assert.equal(engine.stats.snapshotsTotal, 1);
  h.clock.nowMs += 30_000;
  h.timers.fire(1000); // 60 s since and the count long reached: now, without another write
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 2);
  await engine.close();
});

Deno.test("engine: setSaveRules replaces the schedule at run time, as CONFIG SET save", async () => {
  const h = harness();
  const engine = await h.open({ snapshotIntervalMs: 0 });
  assert.deepEqual(engine.saveRules, []);
  assert.equal(h.timers.active, 1); // only the expire cycle: no rules, no check
  for (let i = 0; i < 5; i++) await run(engine, "SET", `k${i}`, "v");
  h.clock.nowMs += 3_600_000;
  h.timers.fire(1000);
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 0);

  engine.setSaveRules([{ afterMs: 3_600_000, changes: 1 }, { afterMs: 300_000, changes: 100 }]);
  assert.equal(h.timers.active, 2);
  h.timers.fire(1000); // an hour since the start, 5 changes: the first rule
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 1);
  for (let i = 0; i < 100; i++) await run(engine, "SET", `k${i}`, "w");
  h.clock.nowMs += 299_000;
  h.timers.fire(1000);
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 1); // 100 changes, but 299 s
  h.clock.nowMs += 1_000;
  h.timers.fire(1000);
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 2);

  engine.setSaveRules([]); // `save ""`
  assert.equal(h.timers.active, 1);
  await run(engine, "SET", "after", "v");
  h.clock.nowMs += 7_200_000;
  h.timers.fire();
  await snapshotsSettle(engine);
  assert.equal(engine.stats.snapshotsTotal, 2);
  assert.throws(() => engine.setSaveRules([{ afterMs: -1, changes: 1 }]), RangeError);
  await engine.close();
  assert.equal(h.timers.active, 0);
});

Deno.test("engine: SAVE, BGSAVE and LASTSAVE", async () => {
  const h = harness(new SimDisk(), 5_000_000);
  const engine = await h.open();
  // Before any snapshot: the time the engine opened, as Redis answers its start time.
  assert.deepEqual(await engine.execute(["LASTSAVE"]), { kind: "integer", value: 5_000 });
  await run(engine, "SET", "a", "1");
  h.clock.nowMs += 2_000_000;
  assert.deepEqual(await engine.execute(["save"]), { kind: "simple", value: "OK" });
  assert.deepEqual(await engine.execute(["LASTSAVE"]), { kind: "integer", value: 7_000 });
  assert.deepEqual(await engine.execute(["BGSAVE"]), {
    kind: "simple",
    value: "Background saving started",
  });
  assert.equal((await engine.execute(["BGSAVE"])).kind, "error");
  while (engine.stats.snapshotInProgress) await settle();
  assert.equal(engine.stats.snapshotsTotal, 2);
  await engine.close();
});

Deno.test("engine: BGSAVE / BGREWRITEAOF / SAVE answer by what the running snapshot stands for", async () => {
  const h = harness(new SimDisk(), 5_000_000);
  const engine = await h.open();
  await run(engine, "SET", "a", "1");
  const answer = async (...argv: string[]) => {
    const reply = await engine.execute(argv);
    return `${reply.kind} ${(reply as { value: string }).value}`;
  };
  const idle = async () => {
    while (engine.stats.snapshotInProgress) await settle();
  };
  // A save runs: a rewrite is queued behind it, as Redis schedules one behind its RDB child.
  assert.equal(await answer("BGSAVE"), "simple Background saving started");
  assert.equal(
    await answer("BGREWRITEAOF"),
    "simple Background append only file rewriting scheduled",
  );
  assert.equal(engine.stats.snapshotQueued, "aof");
  assert.equal(await answer("BGSAVE"), "error ERR Background save already in progress");
  assert.equal(await answer("SAVE"), "error ERR Background save already in progress");
  assert.equal(await answer("BGSAVE", "x"), "error ERR syntax error");
  await idle();
  assert.equal(engine.stats.snapshotsTotal, 2); // the queued one ran after the first
  assert.equal(engine.stats.snapshotQueued, null);
  // A rewrite runs: BGSAVE is refused unless SCHEDULE, SAVE waits for it and saves.
  assert.equal(
    await answer("BGREWRITEAOF"),
    "simple Background append only file rewriting started",
  );
  assert.equal(
    await answer("BGREWRITEAOF"),
    "error ERR Background append only file rewriting already in progress",
  );
  assert.match(await answer("BGSAVE"), /^error ERR Another child process is active \(AOF\?\)/);
  assert.equal(await answer("BGSAVE", "SCHEDULE"), "simple Background saving scheduled");
  assert.equal(await answer("SAVE"), "simple OK");
  await idle();
  assert.equal(engine.stats.snapshotsTotal, 4);
  await engine.close();
});

Deno.test("engine: a bad snapshot checksum refuses to start", async () => {
  const h = harness();
  const engine = await h.open();
  for (let i = 0; i < 100; i++) engine.execute(["SET", `k${i}`, "v"]);
  const info = await engine.snapshot();
  await engine.close();
  const bytes = h.disk.bytes(info.path);
  bytes[bytes.length - 30] ^= 1;
  h.disk.setBytes(info.path, bytes);
  await assert.rejects(h.open(), SnapshotCorruptError);
});

Deno.test("engine: a failed fsync never acknowledges and turns writes into MISCONF", async () => {
  const h = harness();
  const engine = await h.open();
  await run(engine, "SET", "a", "1");
  h.disk.failSyncs = true;
  engine.execute(["SET", "b", "2"]);
  await assert.rejects(engine.sync(), AofWriteError);
  const refused = await engine.execute(["SET", "c", "3"]);
  assert.equal(refused.kind, "error");
  assert.match((refused as { value: string }).value, /^MISCONF Errors writing to the AOF file: /);
  assert.deepEqual(await engine.execute(["GET", "a"]), { kind: "bulk", value: "1" });
  assert.equal(engine.stats.aofLastWriteStatus, "err");
  const logged = h.logger.at("error");
  assert.equal(logged.length, 1);
  assert.match(String(logged[0].fields.error), /simulated/);
  await engine.close();
});

Deno.test("engine: active expiry deletes keys on its timer and logs the DELs", async () => {
  const h = harness();
  const engine = await h.open();
  for (let i = 0; i < 50; i++) await run(engine, "SET", `t${i}`, "v", "PX", "100");
  await run(engine, "SET", "keep", "v");
  h.clock.nowMs += 1_000;
  h.timers.fire(100);
  await engine.sync();
  assert.equal(engine.stats.keys, 1);
  assert.equal(engine.stats.expiredKeysTotal, 50);
  await engine.close();
  h.clock.nowMs -= 900; // even a clock that went back replays the DELs
  const reopened = await h.open();
  assert.equal(reopened.stats.keys, 1);
  assert.deepEqual([...dumpStore(reopened.store).keys()], ["keep"]);
  await reopened.close();
});

Deno.test("engine: under every, sync() waits for the batch's fsync; under interval only for its write", async () => {
  for (const fsync of ["every", "interval"] as const) {
    const h = harness();
    const engine = await h.open({ fsync });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.disk.delay = () => gate; // every write and fsync blocks until released
    engine.execute(["SET", "a", "1"]);
    engine.execute(["SET", "b", "2"]);
    let acknowledged = false;
    const synced = engine.sync().then(() => (acknowledged = true));
    await settle();
    // Neither mode acknowledges before the records reached the OS (a process crash loses nothing).
    assert.equal(acknowledged, false, `${fsync}: acknowledged before the write`);
    const syncsBefore = h.disk.syncCount;
    release();
    await synced;
    await settle();
    assert.equal(h.disk.syncCount - syncsBefore, fsync === "every" ? 1 : 0, "one fsync per batch");
    h.disk.delay = null;
    await engine.close();
  }
});

Deno.test("engine: AOF growth past the rewrite threshold triggers a compacting snapshot", async () => {
  const h = harness();
  const engine = await h.open({ aofRewriteMinBytes: 20_000, aofRewritePercentage: 100 });
  for (let i = 0; i < 200; i++) await run(engine, "SET", "k", "x".repeat(500));
  while (engine.stats.snapshotInProgress) await settle();
  assert.ok(engine.stats.snapshotsTotal >= 1);
  assert.ok(engine.stats.aofSizeBytes < 40_000, `aof ${engine.stats.aofSizeBytes} bytes`);
  await engine.close();
});

Deno.test("engine: auto-aof-rewrite-percentage 0 turns the growth trigger off; a run-time change applies", async () => {
  const h = harness();
  const engine = await h.open({ aofRewriteMinBytes: 20_000, aofRewritePercentage: 0 });
  assert.deepEqual(engine.aofRewrite, { percentage: 0, minBytes: 20_000 });
  for (let i = 0; i < 200; i++) await run(engine, "SET", "k", "x".repeat(500));
  while (engine.stats.snapshotInProgress) await settle();
  assert.equal(engine.stats.snapshotsTotal, 0);
  assert.ok(engine.stats.aofSizeBytes > 100_000, `aof ${engine.stats.aofSizeBytes} bytes`);
  // CONFIG SET auto-aof-rewrite-percentage 100: the next write finds the AOF past the threshold.
  engine.setAofRewrite({ percentage: 100 });
  await run(engine, "SET", "k", "y");
  await settle(); // the snapshot starts on the next turn
  while (engine.stats.snapshotInProgress) await settle();
  assert.equal(engine.stats.snapshotsTotal, 1);
  assert.ok(engine.stats.aofSizeBytes < 40_000, `aof ${engine.stats.aofSizeBytes} bytes`);
  assert.throws(() => engine.setAofRewrite({ minBytes: -1 }), RangeError);
  assert.deepEqual(engine.aofRewrite, { percentage: 100, minBytes: 20_000 });
  await engine.close();
});

Deno.test("engine: extension commands registered through `extend` replay from the AOF", async () => {
  const h = harness();
  const extend = (store: Store) =>
    store.registerCommand(
      { name: "x.set", arity: 3, flags: ["write"], firstKey: 1, lastKey: 1, step: 1, group: "x" },
      (s, argv, ctx) => {
        const inner = s.execute(["SET", argv[1], argv[2].toUpperCase()], ctx);
        return { reply: inner.reply, log: [["X.SET", argv[1], argv[2]]] }; // logs its own name
      },
    );
  const engine = await h.open({ extend });
  await run(engine, "X.SET", "k", "abc");
  assert.deepEqual(await run(engine, "X.SET"), {
    kind: "error",
    value: "ERR wrong number of arguments for 'x.set' command",
  });
  assert.deepEqual(await engine.execute([]), { kind: "error", value: "ERR empty command" });
  await engine.close();
  const reopened = await h.open({ extend });
  assert.deepEqual(await run(reopened, "GET", "k"), { kind: "bulk", value: "ABC" });
  assert.equal(reopened.stats.recovery.replayErrors, 0);
  await reopened.close();
});

Deno.test("engine: hooks report each fsync with its mode and each expiry cycle's duration", async () => {
  const h = harness();
  const fsyncs: string[] = [];
  const cycles: number[] = [];
  const engine = await h.open({
    fsync: "every",
    hooks: {
      onFsync: (seconds, mode) => fsyncs.push(`${mode} ${seconds >= 0}`),
      onExpireCycle: (seconds) => cycles.push(seconds),
    },
  });
  await run(engine, "SET", "a", "1");
  assert.deepEqual(fsyncs, ["every true"]);
  await run(engine, "SET", "b", "1", "PX", "10");
  h.clock.nowMs += 20;
  h.timers.fire(100); // the expiry cycle (activeExpireHz 10)
  assert.equal(cycles.length, 1);
  assert.ok(cycles[0] >= 0 && cycles[0] < 1);
  assert.deepEqual(await run(engine, "EXISTS", "b"), { kind: "integer", value: 0 });
  const underEvery = fsyncs.length;
  assert.deepEqual(fsyncs, Array(underEvery).fill("every true"));
  engine.setFsyncMode("interval");
  await run(engine, "SET", "c", "1");
  await engine.close(); // the close's fsync, under interval
  assert.ok(fsyncs.length > underEvery);
  assert.ok(fsyncs.slice(underEvery).every((line) => line === "interval true"), fsyncs.join());
});

Deno.test("engine: setActiveExpireHz (CONFIG SET hz) sets how often active expiry runs; 0 stops it", async () => {
  const h = harness();
  const cycles: number[] = [];
  const engine = await h.open({ hooks: { onExpireCycle: (s) => cycles.push(s) } });
  try {
    assert.equal(engine.activeExpireHz, 10);
    engine.setActiveExpireHz(50);
    assert.equal(engine.activeExpireHz, 50);
    h.timers.fire(100); // the old period: gone
    assert.equal(cycles.length, 0);
    await run(engine, "SET", "k", "v", "PX", "10");
    h.clock.nowMs += 20;
    h.timers.fire(20); // 1000 / 50
    assert.equal(cycles.length, 1);
    assert.equal(engine.store.stats.keys, 0);
    engine.setActiveExpireHz(0);
    h.timers.fire();
    assert.equal(cycles.length, 1);
    assert.throws(() => engine.setActiveExpireHz(501), RangeError);
  } finally {
    await engine.close();
  }
});

Deno.test("engine: reloadFromDisk (DEBUG LOADAOF) loads what the files hold; commands meanwhile wait", async () => {
  const h = harness();
  const engine = await h.open();
  await run(engine, "SET", "a", "1");
  await run(engine, "SET", "ttl", "v", "PX", "100000");
  await engine.snapshot();
  await run(engine, "SET", "b", "2"); // in the AOF after the snapshot
  const digests = engine.store.valueDigests(0, ["a", "b", "ttl"]);
  engine.store.restoreString("ghost", "in memory only", null); // never logged: not on disk
  const reloading = engine.reloadFromDisk();
  const during = engine.execute(["SET", "c", "3"]); // waits for the loaded data set
  assert.ok(during instanceof Promise);
  assert.equal(await reloading, 3); // c waited: it runs on the loaded data set
  assert.deepEqual(engine.store.valueDigests(0, ["a", "b", "ttl"]), digests);
  assert.deepEqual(await during, { kind: "simple", value: "OK" });
  await engine.sync();
  assert.deepEqual(await run(engine, "PTTL", "ttl"), { kind: "integer", value: 100000 });
  assert.deepEqual(await run(engine, "EXISTS", "ghost"), { kind: "integer", value: 0 });
  await engine.close();
  const reopened = await h.open();
  assert.deepEqual(await run(reopened, "MGET", "a", "b", "c"), {
    kind: "array",
    value: ["1", "2", "3"].map((value) => ({ kind: "bulk", value })),
  });
  await reopened.close();
});

Deno.test("engine: FLUSHALL saves at once when save rules are set, as Redis's does", async () => {
  const h = harness();
  const engine = await h.open({
    snapshotIntervalMs: 0,
    saveRules: [{ afterMs: 3_600_000, changes: 1 }],
  });
  await run(engine, "SET", "secret", "flushed-value");
  await run(engine, "SET", "other", "v");
  assert.equal(engine.stats.changesSinceLastSnapshot, 2);
  // A client's own FLUSHALL (interruptible): the snapshot of the emptied data set comes first.
  assert.deepEqual(await engine.execute(["FLUSHALL"], 0, true), { kind: "simple", value: "OK" });
  assert.equal(engine.stats.snapshotsTotal, 1);
  assert.equal(engine.stats.changesSinceLastSnapshot, 0);
  // The AOF part that held the flushed values is gone with the older snapshot layout.
  for (const name of await h.disk.readDir(DIR)) {
    const bytes = await readWholeFile(h.disk, `${DIR}/${name}`);
    assert.ok(!new TextDecoder().decode(bytes).includes("flushed-value"), name);
  }
  // Without save rules (`save ""`) a FLUSHALL is only logged, as in Redis.
  engine.setSaveRules([]);
  await run(engine, "SET", "k", "v");
  await engine.execute(["FLUSHALL"], 0, true);
  assert.equal(engine.stats.snapshotsTotal, 1);
  assert.equal(engine.stats.changesSinceLastSnapshot, 2);
  await engine.close();
});

Deno.test("engine: an EXEC's writes reach the AOF as one record, at its end", async () => {
  const h = harness();
  const engine = await h.open({ fsync: "every" });
  await run(engine, "SET", "before", "1");
  const path = `${DIR}/appendonly.1.aof`;
  // A block under way (a script in it paused, say): what it wrote is held back, however long.
  engine.beginTransaction();
  engine.execute(["SET", "a", "1"]);
  engine.execute(["INCR", "n"]);
  await new Promise((resolve) => setTimeout(resolve, 10)); // the writer's pump had its turns
  await engine.sync();
  assert.equal(scanAof(h.disk.bytes(path)).records, 1, "only the write before the block");
  // A snapshot asked for meanwhile waits for the block: its view must not hold half of it.
  let snapshotted = false;
  const snapshot = engine.snapshot().then(() => (snapshotted = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(snapshotted, false);
  engine.execute(["INCR", "n"]);
  engine.endTransaction();
  await engine.sync();
  await snapshot;
  await run(engine, "SET", "after", "1");
  await engine.close();
  const again = await h.open();
  assert.deepEqual(await run(again, "GET", "n"), { kind: "bulk", value: "2" });
  assert.deepEqual(await run(again, "GET", "a"), { kind: "bulk", value: "1" });
  await again.close();
});

Deno.test("engine: a crash in the middle of an EXEC recovers none of it", async () => {
  const h = harness();
  const engine = await h.open({ fsync: "every" });
  await run(engine, "SET", "n", "10");
  engine.beginTransaction();
  engine.execute(["INCR", "n"]);
  engine.execute(["SET", "half", "done"]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  await engine.sync();
  h.disk.crash(); // the block never ended
  const reopened = await h.open({ fsync: "every" });
  assert.deepEqual(await run(reopened, "GET", "n"), { kind: "bulk", value: "10" });
  assert.deepEqual(await run(reopened, "EXISTS", "half"), { kind: "integer", value: 0 });
  await reopened.close();
});

Deno.test("engine: its heap guard refuses memory-growing writes near V8's limit, and readmits them", async () => {
  const h = harness();
  const heap = { used: 100 };
  const heapGuard = new HeapGuard({ limitBytes: 1000, usedBytes: () => heap.used, collect: null });
  const engine = await h.open({ heapGuard, activeExpireHz: 0, snapshotIntervalMs: 0 });
  assert.equal(h.timers.active, 1, "the guard's check");
  const OK = { kind: "simple", value: "OK" };
  assert.deepEqual(await run(engine, "SET", "a", "1"), OK);
  heap.used = 850;
  h.timers.fire(100);
  assert.deepEqual(await run(engine, "SET", "b", "1"), {
    kind: "error",
    value: "OOM command not allowed when used memory > 'maxmemory'.",
  });
  assert.deepEqual(await run(engine, "GET", "a"), { kind: "bulk", value: "1" });
  assert.deepEqual(await run(engine, "DEL", "a"), { kind: "integer", value: 1 });
  assert.ok(
    h.logger.lines.some((l) => l.level === "warn" && /V8 heap near its limit/.test(l.message)),
  );
  heap.used = 600;
  h.timers.fire(100);
  assert.deepEqual(await run(engine, "SET", "b", "1"), OK);
  assert.ok(
    h.logger.lines.some((l) => l.level === "info" && /writes accepted again/.test(l.message)),
  );
  await engine.close();
  assert.equal(h.timers.active, 0);
});
