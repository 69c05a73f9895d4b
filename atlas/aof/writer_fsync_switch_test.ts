/** AofWriter.setFsyncMode: switching at run time keeps every promise already made. */
import assert from "node:assert/strict";
import { scanAof } from "./scan.ts";
import { SimDisk } from "./sim_disk.ts";
import { AofWriter, type FsyncMode } from "./writer.ts";

async function openWriter(fsync: FsyncMode, disk = new SimDisk()) {
  const writer = new AofWriter({ disk, dir: "/d", fsync, fileSeq: 1, preallocateBytes: 4096 });
  await writer.start();
  return { writer, disk };
}

function keysAfterCrash(disk: SimDisk): string[] {
  disk.crash();
  const keys: string[] = [];
  const scan = scanAof(disk.bytes("/d/appendonly.1.aof"), (r) => keys.push(r.log[0][1]));
  assert.notEqual(scan.status, "corrupt");
  return keys;
}

Deno.test("setFsyncMode none → every: the next sync covers everything written before", async () => {
  const { writer, disk } = await openWriter("none");
  writer.append(1, [["SET", "a", "1"]]);
  await writer.sync();
  assert.equal(writer.writtenSeq, 1);
  assert.equal(writer.durableSeq, 0, "none: no fsync on the reply path");
  writer.setFsyncMode("every");
  assert.equal(writer.fsyncMode, "every");
  assert.equal(writer.unsettled, true, "a written but unsynced record is unsettled under every");
  writer.append(2, [["SET", "b", "1"]]);
  await writer.sync();
  assert.equal(writer.durableSeq, 2);
  assert.deepEqual(keysAfterCrash(disk), ["a", "b"]);
});

Deno.test("setFsyncMode none → every with nothing new: a bare sync still fsyncs", async () => {
  const { writer, disk } = await openWriter("none");
  writer.append(1, [["SET", "a", "1"]]);
  await writer.sync();
  writer.setFsyncMode("every");
  await writer.sync(); // no append since the switch: must not hang, must be durable
  assert.equal(writer.durableSeq, 1);
  assert.deepEqual(keysAfterCrash(disk), ["a"]);
});

Deno.test("setFsyncMode every → none: records appended under every still get their fsync", async () => {
  for (const weaker of ["none", "interval"] as const) {
    const { writer, disk } = await openWriter("every");
    writer.append(1, [["SET", "a", "1"]]);
    writer.append(2, [["SET", "b", "1"]]);
    writer.setFsyncMode(weaker); // before their replies waited: they were promised an fsync
    await writer.sync();
    assert.ok(writer.durableSeq >= 2, `${weaker}: sync waited for the fsync`);
    writer.append(3, [["SET", "c", "1"]]);
    await writer.sync();
    assert.equal(writer.writtenSeq, 3);
    assert.equal(writer.durableSeq, 2, `${weaker}: later writes are not fsynced on the reply path`);
    assert.equal(writer.unsettled, false);
    assert.deepEqual(keysAfterCrash(disk), ["a", "b"]);
  }
});

Deno.test("setFsyncMode every → none while sync() waits: the waiter still gets its fsync", async () => {
  const { writer, disk } = await openWriter("every");
  writer.append(1, [["SET", "a", "1"]]);
  const waiting = writer.sync();
  writer.setFsyncMode("none");
  await waiting;
  assert.equal(writer.durableSeq, 1);
  assert.deepEqual(keysAfterCrash(disk), ["a"]);
});

Deno.test("setFsyncMode: repeated switches and close leave a clean log", async () => {
  const { writer, disk } = await openWriter("every");
  const modes: FsyncMode[] = ["none", "every", "interval", "every", "none", "interval"];
  for (let i = 0; i < modes.length; i++) {
    writer.setFsyncMode(modes[i]);
    writer.append(i, [["SET", `k${i}`, "v"]]);
    await writer.sync();
  }
  await writer.close();
  assert.equal(writer.durableSeq, modes.length);
  assert.deepEqual(keysAfterCrash(disk), modes.map((_, i) => `k${i}`));
  assert.throws(() => writer.setFsyncMode("sometimes" as FsyncMode), RangeError);
});
