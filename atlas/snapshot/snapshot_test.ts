import assert from "node:assert/strict";
import { SimDisk } from "../aof/sim_disk.ts";
import { Store } from "../store/store.ts";
import { sortedDump } from "../testing/store_dump.ts";
import { SnapshotCorruptError } from "./errors.ts";
import { readSnapshot } from "./reader.ts";
import { writeSnapshot } from "./writer.ts";
import { ChunkEncoder } from "./format.ts";

const ctx = { nowMs: 1_000, random: () => 0.5 };

function filledStore(keys: number): Store {
  const store = new Store();
  for (let i = 0; i < keys; i++) {
    const value = i % 7 === 0 ? "\x00\xff\r\n".repeat(i % 50) : `value-${i}`;
    store.execute(["SET", `key:${i}`, value], ctx);
    if (i % 3 === 0) store.execute(["PEXPIREAT", `key:${i}`, String(50_000 + i)], ctx);
  }
  return store;
}

async function roundTrip(store: Store, disk = new SimDisk()) {
  const written = await writeSnapshot(store.snapshotView(), {
    disk,
    dir: "/d",
    aofSeq: 7,
    createdAtMs: 1234,
    chunkBytes: 2048,
  });
  return { disk, written };
}

Deno.test("a snapshot round-trips every key, payload and deadline", async () => {
  const store = filledStore(2_000);
  const { disk, written } = await roundTrip(store);
  assert.equal(written.path, "/d/snapshot.7.snap");
  assert.equal(written.keys, 2_000);
  const loaded = new Store();
  const read = await readSnapshot(disk, written.path, (k, p, at) => loaded.restoreValue(k, p, at));
  assert.equal(read.aofSeq, 7);
  assert.equal(read.createdAtMs, 1234);
  assert.equal(read.keys, 2_000);
  assert.deepEqual(sortedDump(loaded), sortedDump(store));
  assert.deepEqual(await disk.readDir("/d"), ["snapshot.7.snap"]);
});

Deno.test("an empty store makes a valid snapshot", async () => {
  const { disk, written } = await roundTrip(new Store());
  const read = await readSnapshot(disk, written.path, () => assert.fail("no entries expected"));
  assert.equal(read.keys, 0);
});

Deno.test("any flipped byte or cut tail makes the snapshot refuse to load", async () => {
  const { disk, written } = await roundTrip(filledStore(500));
  const good = disk.bytes(written.path);
  const damages: [string, Uint8Array][] = [];
  for (const at of [3, 20, 40, 41, 100, Math.floor(good.length / 2), good.length - 3]) {
    const bad = good.slice();
    bad[at] ^= 0x20;
    damages.push([`flip at ${at}`, bad]);
  }
  damages.push(["cut end marker", good.slice(0, good.length - 4)]);
  damages.push(["cut mid-file", good.slice(0, Math.floor(good.length / 2))]);
  const extra = new Uint8Array(good.length + 1);
  extra.set(good);
  damages.push(["trailing byte", extra]);
  for (const [what, bytes] of damages) {
    disk.setBytes(written.path, bytes);
    await assert.rejects(
      readSnapshot(disk, written.path, () => {}),
      (error: unknown) => error instanceof SnapshotCorruptError && error.file === written.path,
      what,
    );
  }
});

Deno.test("the string fast path hands over values, other types still come as payloads", async () => {
  const store = filledStore(300);
  store.execute(["RPUSH", "list", "a", "b"], ctx);
  const { disk, written } = await roundTrip(store);
  const strings = new Map<string, string>();
  const payloads = new Map<string, string>();
  await readSnapshot(
    disk,
    written.path,
    (key, payload) => payloads.set(key, payload),
    (key, value) => strings.set(key, value),
  );
  assert.deepEqual([...payloads.keys()], ["list"]);
  assert.equal(payloads.get("list"), store.dumpValue("list"));
  assert.equal(strings.size, 300);
  for (const [key, value] of strings) assert.equal("\x00" + value, store.dumpValue(key));
});

Deno.test("string values are written from the value itself: the same bytes as from the payload", () => {
  const value = "\x00\xff\r\nbig".repeat(40_000);
  const payload = "\x00" + value; // serializeValue's form, a cons string V8 would flatten to read
  const fromPayload = new ChunkEncoder(64);
  fromPayload.add("k", payload, 42);
  const fromValue = new ChunkEncoder(64);
  fromValue.add("k", payload, 42, value);
  assert.deepEqual(fromValue.take(), fromPayload.take());
});

Deno.test("large values, several chunks, keys changed while the snapshot is written", async () => {
  const store = new Store();
  const big = (i: number) => String.fromCharCode(i % 256).repeat(150_000 + i);
  for (let i = 0; i < 12; i++) store.execute(["SET", `big:${i}`, big(i)], ctx);
  store.execute(["HSET", "hash", "f", big(99)], ctx);
  const before = sortedDump(store);
  const disk = new SimDisk();
  // Each chunk write yields: the writes below land between chunks and must not reach the file
  // (the view keeps the state it opened with; preserved entries carry their values too).
  let writes = 0;
  disk.delay = () => {
    if (++writes === 2) {
      for (let i = 0; i < 12; i++) store.execute(["SET", `big:${i}`, "changed"], ctx);
      store.execute(["DEL", "hash"], ctx);
    }
    return Promise.resolve();
  };
  const written = await writeSnapshot(store.snapshotView(), {
    disk,
    dir: "/d",
    aofSeq: 1,
    createdAtMs: 1,
    chunkBytes: 200_000,
  });
  disk.delay = null;
  const loaded = new Store();
  await readSnapshot(disk, written.path, (k, p, at) => loaded.restoreValue(k, p, at));
  assert.deepEqual(sortedDump(loaded), before);
});
