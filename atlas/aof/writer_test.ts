import assert from "node:assert/strict";
import { AofWriteError } from "./errors.ts";
import { scanAof } from "./scan.ts";
import { SimDisk } from "./sim_disk.ts";
import { AofWriter, type FsyncMode } from "./writer.ts";
import { mulberry32 } from "../testing/prng.ts";

async function openWriter(fsync: FsyncMode, disk = new SimDisk(), blockingFsync = false) {
  const writer = new AofWriter({ disk, dir: "/d", fsync, fileSeq: 1, blockingFsync });
  await writer.start();
  return { writer, disk };
}

function records(disk: SimDisk, path: string): string[][][] {
  const logs: string[][][] = [];
  assert.equal(scanAof(disk.bytes(path), (r) => logs.push(r.log)).status, "ok");
  return logs;
}

Deno.test("every: writes of one turn share one fsync and sync waits for it", async () => {
  const { writer, disk } = await openWriter("every");
  const syncsBefore = disk.syncCount;
  for (let i = 0; i < 100; i++) writer.append(i, [["SET", `k${i}`, "v"]]);
  const waits = Array.from({ length: 100 }, () => writer.sync());
  assert.equal(writer.durableSeq, 0);
  await Promise.all(waits);
  assert.equal(writer.durableSeq, 100);
  assert.equal(disk.syncCount - syncsBefore, 1);
  disk.crash();
  assert.equal(records(disk, "/d/appendonly.1.aof").length, 100);
  await writer.close().catch(() => undefined);
});

Deno.test("every: a failed fsync rejects sync with AofWriteError and stops writing", async () => {
  const errors: AofWriteError[] = [];
  const disk = new SimDisk();
  const writer = new AofWriter({
    disk,
    dir: "/d",
    fsync: "every",
    fileSeq: 1,
    onError: (e) => errors.push(e),
  });
  await writer.start();
  disk.failSyncs = true;
  writer.append(1, [["SET", "a", "1"]]);
  await assert.rejects(writer.sync(), (e: unknown) => {
    assert.ok(e instanceof AofWriteError);
    assert.match(e.message, /^MISCONF Errors writing to the AOF file: .*simulated/);
    return true;
  });
  assert.equal(errors.length, 1);
  writer.append(2, [["SET", "b", "1"]]);
  await assert.rejects(writer.sync(), AofWriteError);
  assert.equal(writer.durableSeq, 0);
  await writer.close();
});

Deno.test("interval and none: sync resolves before any fsync; flush makes it durable", async () => {
  for (const mode of ["interval", "none"] as const) {
    const { writer, disk } = await openWriter(mode);
    writer.append(1, [["SET", "a", "1"]]);
    await writer.sync();
    assert.equal(writer.durableSeq, 0);
    await writer.flush();
    assert.equal(writer.durableSeq, 1);
    disk.crash();
    assert.equal(records(disk, "/d/appendonly.1.aof").length, 1);
    await writer.close().catch(() => undefined);
  }
});

Deno.test("interval: requestFsync syncs written data off the reply path", async () => {
  const { writer } = await openWriter("interval");
  writer.append(1, [["SET", "a", "1"]]);
  await writer.sync();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(writer.writtenSeq, 1);
  assert.equal(writer.durableSeq, 0);
  writer.requestFsync();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(writer.durableSeq, 1);
  await writer.close();
});

Deno.test("rotate splits the log at the exact record boundary", async () => {
  const { writer, disk } = await openWriter("none");
  writer.append(1, [["SET", "a", "1"]]);
  writer.append(2, [["SET", "b", "1"]]);
  const switched = writer.rotate(2);
  writer.append(3, [["SET", "c", "1"]]);
  await switched;
  await writer.flush();
  assert.deepEqual(records(disk, "/d/appendonly.1.aof"), [[["SET", "a", "1"]], [[
    "SET",
    "b",
    "1",
  ]]]);
  assert.deepEqual(records(disk, "/d/appendonly.2.aof"), [[["SET", "c", "1"]]]);
  assert.equal(writer.currentFileSeq, 2);
  await writer.close();
});

Deno.test("large records bigger than a buffer chunk round-trip", async () => {
  const { writer, disk } = await openWriter("every");
  const big = "x".repeat(200_000) + "\xff";
  writer.append(1, [["SET", "big", big]]);
  await writer.sync();
  assert.deepEqual(records(disk, "/d/appendonly.1.aof"), [[["SET", "big", big]]]);
  await writer.close();
});

/** A SimDisk whose files also offer writeSync/syncSync (as the real disk does), counting them. */
class SyncCallsDisk extends SimDisk {
  syncSyncCalls = 0;
  writeSyncCalls = 0;

  override async open(path: string, mode: "read" | "append" | "create") {
    const file = await super.open(path, mode);
    // SimFile's write and sync finish synchronously without a delay hook: reuse them.
    file.writeSync = (bytes) => {
      this.writeSyncCalls++;
      void file.write(bytes);
    };
    file.syncSync = () => {
      this.syncSyncCalls++;
      void file.sync();
    };
    return file;
  }
}

Deno.test("every with synchronous file calls: one write and fsync per batch, acks after it", async () => {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter("every", disk, true);
  for (let i = 0; i < 10; i++) writer.append(i, [["SET", `k${i}`, "v"]]);
  const first = writer.sync();
  const second = writer.sync();
  assert.equal(first, second, "callers before the pump share one wait");
  assert.equal(disk.syncSyncCalls, 0);
  await first;
  assert.equal(disk.writeSyncCalls, 1);
  assert.equal(disk.syncSyncCalls, 1);
  assert.equal(writer.durableSeq, 10);
  disk.crash();
  assert.equal(records(disk, "/d/appendonly.1.aof").length, 10);
  await writer.close().catch(() => undefined);
});

Deno.test("a batch of large records is written part by part, not copied whole first", async () => {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter("interval", disk);
  const big = (i: number) => String.fromCharCode(65 + i).repeat(100_000);
  const logs: string[][][] = [];
  for (let i = 0; i < 4; i++) {
    logs.push([["SET", `small${i}`, "v"]], [["SET", `big${i}`, big(i)]]);
    writer.append(i, logs[logs.length - 2]);
    writer.append(i, logs[logs.length - 1]);
  }
  await writer.sync();
  // The small records share the buffer chunk each big one was sealed after: 8 parts, 8 writes.
  assert.equal(disk.writeSyncCalls, 8);
  assert.deepEqual(records(disk, "/d/appendonly.1.aof"), logs);
  // A batch of small records is still one write.
  for (let i = 0; i < 50; i++) writer.append(i, [["SET", `k${i}`, "v"]]);
  await writer.sync();
  assert.equal(disk.writeSyncCalls, 9);
  await writer.close();
});

Deno.test("every: a sync after the pump took a batch waits for the next fsync", async () => {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter("every", disk, true);
  writer.append(1, [["SET", "a", "1"]]);
  const early = writer.sync();
  await early;
  writer.append(2, [["SET", "b", "1"]]);
  const late = writer.sync();
  assert.notEqual(late, early);
  assert.equal(writer.durableSeq, 1);
  await late;
  assert.equal(writer.durableSeq, 2);
  assert.equal(disk.syncSyncCalls, 2);
  await writer.close();
});

Deno.test("interval keeps its timer fsync off the loop even when the file offers syncSync", async () => {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter("interval", disk, true);
  writer.append(1, [["SET", "a", "1"]]);
  await writer.sync();
  writer.requestFsync();
  await writer.flush();
  assert.equal(writer.durableSeq, 1);
  assert.equal(disk.syncSyncCalls, 0);
  assert.ok(disk.writeSyncCalls >= 1);
  await writer.close();
});

for (const mode of ["every", "interval", "none"] as const) {
  Deno.test(`${mode}: a writer looping on sync() cannot starve the event loop`, async () => {
    await loopingWriterLetsTimersRun(mode);
  });
}

/** With a blocking fsync (`every`) or none at all, the pump never awaits: only kick() yields. */
async function loopingWriterLetsTimersRun(mode: FsyncMode): Promise<void> {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter(mode, disk, true);
  let timerFired = false;
  const timer = setTimeout(() => (timerFired = true), 0);
  let rounds = 0;
  // Without a return to the event loop between batches this loop would never see the timer.
  while (!timerFired && rounds < 10_000) {
    writer.append(rounds, [["SET", `k${rounds}`, "v"]]);
    await writer.sync();
    rounds++;
  }
  clearTimeout(timer);
  assert.ok(timerFired, `the timer never ran in ${rounds} write rounds`);
  await writer.close();
}

Deno.test("every by default fsyncs off the loop; blockingFsync switches from the next batch", async () => {
  const disk = new SyncCallsDisk();
  const { writer } = await openWriter("every", disk);
  writer.append(1, [["SET", "a", "1"]]);
  await writer.sync();
  assert.equal(disk.syncSyncCalls, 0);
  assert.equal(writer.durableSeq, 1);
  writer.blockingFsync = true;
  writer.append(2, [["SET", "b", "1"]]);
  await writer.sync();
  assert.equal(disk.syncSyncCalls, 1);
  assert.equal(writer.durableSeq, 2);
  await writer.close();
});

/** Waits (a bounded number of event-loop turns) until `done` holds. */
async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 0));
  assert.ok(done(), "condition never held");
}

Deno.test("every with preallocation: records overwrite zeros written ahead; close trims the rest", async () => {
  const disk = new SimDisk();
  const path = "/d/appendonly.1.aof";
  const writer = new AofWriter({
    disk,
    dir: "/d",
    fsync: "every",
    fileSeq: 1,
    preallocateBytes: 1024,
  });
  await writer.start();
  assert.equal(disk.bytes(path).length, 16 + 1024, "the new part starts with one step of zeros");
  for (let i = 0; i < 5; i++) writer.append(i, [["SET", `k${i}`, "v"]]);
  await writer.sync();
  assert.equal(disk.bytes(path).length, 16 + 1024, "records went into the preallocated space");
  let scan = scanAof(disk.bytes(path));
  assert.deepEqual([scan.status, scan.records], ["ok", 5]);
  assert.equal(scan.validBytes + scan.paddingBytes, 16 + 1024);
  // Past half a step of zeros left, the next step is appended (and fsynced) off the reply path.
  for (let i = 5; i < 15; i++) writer.append(i, [["SET", `k${i}`, "x".repeat(5)]]);
  await writer.sync();
  await eventually(() => disk.bytes(path).length === 16 + 2048);
  disk.crash(); // the zeros were fsynced with the records: both survive
  scan = scanAof(disk.bytes(path));
  assert.deepEqual([scan.status, scan.records, disk.bytes(path).length], ["ok", 15, 16 + 2048]);

  const next = new AofWriter({
    disk,
    dir: "/d",
    fsync: "every",
    fileSeq: 2,
    preallocateBytes: 1024,
  });
  await next.start();
  next.append(1, [["SET", "a", "1"]]);
  await next.sync();
  await next.rotate(3);
  const part2 = scanAof(disk.bytes("/d/appendonly.2.aof"));
  assert.deepEqual([part2.status, part2.records, part2.paddingBytes], ["ok", 1, 0], "rotate trims");
  next.append(2, [["SET", "b", "2"]]);
  await next.close();
  const part3 = scanAof(disk.bytes("/d/appendonly.3.aof"));
  assert.deepEqual([part3.status, part3.records, part3.paddingBytes], ["ok", 1, 0], "close trims");
  disk.crash();
  assert.equal(scanAof(disk.bytes("/d/appendonly.3.aof")).paddingBytes, 0, "the trim was fsynced");
});

Deno.test("every with preallocation: a crash mid-write leaves a torn record inside the zeros, never a lost ack", async () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) {
    const disk = new SimDisk();
    const path = "/d/appendonly.1.aof";
    const writer = new AofWriter({
      disk,
      dir: "/d",
      fsync: "every",
      fileSeq: 1,
      preallocateBytes: 4096,
    });
    await writer.start();
    for (let i = 0; i < 10; i++) writer.append(i, [["SET", `k${i}`, "v".repeat(i * 7)]]);
    await writer.sync();
    disk.delay = () => new Promise((resolve) => setTimeout(resolve, 1)); // fsyncs take a while
    for (let i = 10; i < 20; i++) writer.append(i, [["SET", `k${i}`, "w".repeat(i * 7)]]);
    await eventually(() => writer.writtenSeq === 20); // written, its fsync not yet done
    disk.crash({ tornTail: true, random: mulberry32(seed) });
    const scan = scanAof(disk.bytes(path));
    assert.ok(scan.status === "ok" || scan.status === "torn", `seed ${seed}: ${scan.status}`);
    assert.ok(scan.records >= 10, `seed ${seed}: an acknowledged record was lost`);
    seen.add(scan.status);
    await writer.close().catch(() => undefined);
  }
  assert.deepEqual([...seen].sort(), ["ok", "torn"], "both a clean cut and a torn record occur");
});

Deno.test("every with preallocation: a failed extension is not an error; records go past the end", async () => {
  const disk = new SimDisk();
  const path = "/d/appendonly.1.aof";
  const open = disk.open.bind(disk);
  let refuse = false;
  disk.open = (p, mode) =>
    refuse && mode === "append" ? Promise.reject(new Error("ENOSPC (simulated)")) : open(p, mode);
  const writer = new AofWriter({
    disk,
    dir: "/d",
    fsync: "every",
    fileSeq: 1,
    preallocateBytes: 256,
  });
  await writer.start();
  refuse = true;
  for (let i = 0; i < 40; i++) writer.append(i, [["SET", `k${i}`, "v".repeat(20)]]);
  await writer.sync();
  assert.equal(writer.failure, null);
  assert.ok(disk.bytes(path).length > 16 + 256, "the records outgrew the preallocated space");
  disk.crash();
  assert.equal(records(disk, path).length, 40);
  refuse = false;
  await writer.close();
});
