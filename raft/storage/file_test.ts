import assert from "node:assert/strict";
import { join } from "node:path";
import type { Entry } from "../core/types.ts";
import { storageConformance } from "./conformance.ts";
import { FileStorage, WalCorruptError } from "./file.ts";
import { SnapshotCorruptError } from "./snapshot_file.ts";
import { decodeRecord } from "./wal_codec.ts";

const root = Deno.makeTempDirSync({ prefix: "raft-file-storage-" });
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);

storageConformance("file", () => FileStorage.openSync(freshDir()));

function ent(index: number, term: number, text = `v${index}`): Entry {
  return { index, term, type: "normal", data: new TextEncoder().encode(text) };
}

Deno.test("file storage: synced entries and hard state survive a reopen", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir);
  s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
  s.setHardState({ term: 2, vote: "node-2", commit: 2 });
  await s.close();
  const reopened = FileStorage.openSync(dir);
  assert.equal(reopened.lastIndex(), 3);
  assert.deepEqual(reopened.initialState().hardState, { term: 2, vote: "node-2", commit: 2 });
  assert.equal(new TextDecoder().decode(reopened.entries(3, 4, Infinity)[0].data), "v3");
  await reopened.close();
});

Deno.test("file storage: writes not yet synced are lost by a crash, synced ones are not", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir);
  s.append([ent(1, 1)]);
  await s.sync();
  s.append([ent(2, 1)]); // never synced: a crash now loses it
  const reopened = FileStorage.openSync(dir);
  assert.equal(reopened.lastIndex(), 1);
  await Promise.all([s.close(), reopened.close()]);
});

Deno.test("file storage: a conflicting suffix is replaced on replay", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir);
  s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
  await s.sync();
  s.append([ent(2, 2, "new2")]);
  await s.close();
  const reopened = FileStorage.openSync(dir);
  assert.equal(reopened.lastIndex(), 2);
  assert.equal(reopened.term(2), 2);
  await reopened.close();
});

/** Byte offsets where each WAL record starts, and where the records end. */
function recordOffsets(bytes: Uint8Array): { starts: number[]; end: number } {
  const starts: number[] = [];
  let offset = 0;
  for (;;) {
    const outcome = decodeRecord(bytes, offset);
    if (outcome.status !== "ok") return { starts, end: offset };
    starts.push(offset);
    offset = outcome.nextOffset;
  }
}

Deno.test("file storage: segments are preallocated; records go after the last one on reopen", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir, { segmentBytesMax: 4096 });
  s.append([ent(1, 1), ent(2, 1)]);
  await s.close();
  const wal = join(dir, "wal-0000000001.log");
  assert.equal(Deno.statSync(wal).size, 4096); // zero-filled up front
  const reopened = FileStorage.openSync(dir, { segmentBytesMax: 4096 });
  assert.equal(reopened.lastIndex(), 2);
  reopened.append([ent(3, 1)]);
  await reopened.close();
  const again = FileStorage.openSync(dir, { segmentBytesMax: 4096 });
  assert.deepEqual(again.entries(1, 4, Infinity).map((e) => e.index), [1, 2, 3]);
  await again.close();
});

Deno.test("file storage: a torn tail is truncated with a warning; corruption refuses to start", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir);
  s.append([ent(1, 1), ent(2, 1, "x".repeat(2000))]);
  await s.close();
  const wal = join(dir, "wal-0000000001.log");
  const good = Deno.readFileSync(wal);
  const { starts, end } = recordOffsets(good);
  const lastStart = starts[starts.length - 1];

  // An append cut short by a crash (a segment written before preallocation, or past its end).
  Deno.writeFileSync(wal, good.subarray(0, end - 3));
  const torn: number[] = [];
  let recovered = FileStorage.openSync(dir, { onTornTail: (_f, offset) => torn.push(offset) });
  assert.equal(recovered.lastIndex(), 1);
  assert.deepEqual(torn, [lastStart]);
  assert.equal(Deno.statSync(wal).size, lastStart);
  await recovered.close();

  // An overwrite of preallocated blocks that did not all reach the disk: a sector of the last
  // record still reads as zeros.
  const partly = new Uint8Array(good);
  partly.fill(0, Math.ceil((lastStart + 100) / 512) * 512, end);
  Deno.writeFileSync(wal, partly);
  torn.length = 0;
  recovered = FileStorage.openSync(dir, { onTornTail: (_f, offset) => torn.push(offset) });
  assert.equal(recovered.lastIndex(), 1);
  assert.deepEqual(torn, [lastStart]);
  await recovered.close();

  // A flipped bit leaves no zero sector: corruption, even in the last record.
  const flipped = new Uint8Array(good);
  flipped[lastStart + 40] ^= 0xff;
  Deno.writeFileSync(wal, flipped);
  assert.throws(() => FileStorage.openSync(dir), WalCorruptError);

  const corrupt = new Uint8Array(good);
  corrupt[12] ^= 0xff; // inside the first record's payload
  Deno.writeFileSync(wal, corrupt);
  assert.throws(() => FileStorage.openSync(dir), (error: unknown) => {
    assert.ok(error instanceof WalCorruptError);
    assert.equal(error.offset, 0);
    assert.match(error.message, /wal-0000000001\.log is corrupt at byte 0/);
    return true;
  });
});

Deno.test("file storage: snapshots compact the log on disk and restore on reopen", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir, { segmentBytesMax: 200 });
  for (let i = 1; i <= 40; i++) {
    s.append([ent(i, 1, "x".repeat(20))]);
    await s.sync();
  }
  const segmentsBefore = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("wal-")).length;
  assert.ok(segmentsBefore > 3, `expected rotation, got ${segmentsBefore} segments`);
  s.setHardState({ term: 1, vote: "a", commit: 40 });
  s.createSnapshot(
    35,
    { voters: ["a", "b", "c"], learners: [] },
    new TextEncoder().encode("state@35"),
  );
  s.compact(35);
  await s.sync();
  await s.snapshotsWritten(); // our own snapshots are written in the background
  const segmentsAfter = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith("wal-")).length;
  assert.ok(segmentsAfter < segmentsBefore, `segments ${segmentsBefore} -> ${segmentsAfter}`);
  await s.close();

  const reopened = FileStorage.openSync(dir);
  assert.equal(reopened.snapshot().meta.index, 35);
  assert.deepEqual(reopened.snapshot().meta.confState.voters, ["a", "b", "c"]);
  assert.equal(new TextDecoder().decode(reopened.snapshot().data), "state@35");
  assert.equal(reopened.firstIndex(), 36);
  assert.equal(reopened.lastIndex(), 40);
  assert.equal(reopened.initialState().hardState.commit, 40);
  await reopened.close();

  const snap = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".snap"))!.name;
  const bytes = Deno.readFileSync(join(dir, snap));
  bytes[bytes.length - 10] ^= 1;
  Deno.writeFileSync(join(dir, snap), bytes);
  assert.throws(() => FileStorage.openSync(dir), SnapshotCorruptError);
});

Deno.test("file storage: a follower's installed snapshot replaces its log durably", async () => {
  const dir = freshDir();
  const s = FileStorage.openSync(dir);
  s.append([ent(1, 1), ent(2, 1)]);
  await s.sync();
  s.applySnapshot({
    meta: { index: 50, term: 3, confState: { voters: ["a", "b", "c"], learners: [] } },
    data: new TextEncoder().encode("leader state"),
  });
  s.append([ent(51, 3)]);
  await s.close();
  const reopened = FileStorage.openSync(dir);
  assert.equal(reopened.firstIndex(), 51);
  assert.equal(reopened.lastIndex(), 51);
  assert.equal(reopened.initialState().hardState.commit, 50);
  await reopened.close();
});

Deno.test("file storage: bootstrap writes the initial membership once", async () => {
  const dir = freshDir();
  const voters = { voters: ["n1", "n2", "n3"], learners: [] };
  const s = FileStorage.openSync(dir, { bootstrap: voters });
  assert.equal(s.lastIndex(), 3);
  await s.close();
  const again = FileStorage.openSync(dir, { bootstrap: voters });
  assert.equal(again.lastIndex(), 3); // not appended twice
  await again.close();
});

Deno.test("file storage: cleanup", () => {
  Deno.removeSync(root, { recursive: true });
  assert.throws(() => Deno.statSync(root));
});
