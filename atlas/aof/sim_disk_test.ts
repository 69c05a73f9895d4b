import assert from "node:assert/strict";
import { SimDisk } from "./sim_disk.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("sim disk: a crash undoes overwrites and appends made after the last fsync", async () => {
  const disk = new SimDisk();
  const file = await disk.open("/d/f", "create");
  await file.write(bytes("aaaa...."));
  await file.sync();
  await disk.syncDir("/d");
  await file.write(bytes("bb")); // at the handle's position, the end
  const tail = await disk.open("/d/f", "append");
  await tail.write(bytes("cc"));
  assert.equal(text(disk.bytes("/d/f")), "aaaa....bbcc");
  disk.crash();
  assert.equal(text(disk.bytes("/d/f")), "aaaa....");
});

Deno.test("sim disk: positional writes overwrite preallocated bytes; append-mode handles write at the end", async () => {
  const disk = new SimDisk();
  const main = await disk.open("/d/f", "create");
  await main.write(bytes("HDR"));
  const extend = await disk.open("/d/f", "append");
  await extend.write(new Uint8Array(5));
  await extend.sync();
  await disk.syncDir("/d");
  await main.write(bytes("r1")); // lands on the zeros, right after the header
  await extend.write(bytes("ZZ")); // O_APPEND: after everything
  assert.deepEqual([...disk.bytes("/d/f")], [...bytes("HDRr1"), 0, 0, 0, ...bytes("ZZ")]);
  await main.sync();
  await main.write(bytes("r2"));
  disk.crash(); // r2 never reached the disk: the zeros it overwrote come back
  assert.deepEqual([...disk.bytes("/d/f")], [...bytes("HDRr1"), 0, 0, 0, ...bytes("ZZ")]);
});

Deno.test("sim disk: a torn crash keeps a prefix of the unsynced writes in the order they were made", async () => {
  for (let keep = 0; keep <= 6; keep++) {
    const disk = new SimDisk();
    const file = await disk.open("/d/f", "create");
    await file.write(new Uint8Array(6));
    await file.sync();
    await disk.syncDir("/d");
    const again = await disk.open("/d/f", "create"); // truncate to 0: one more pending change
    await again.write(bytes("abc"));
    await again.write(bytes("def"));
    // `keep` of the 6 bytes written survive; the truncate before them (0 bytes) always does
    disk.crash({ tornTail: true, random: () => (keep + 0.5) / 7 });
    assert.equal(text(disk.bytes("/d/f")), "abcdef".slice(0, keep), `keep ${keep}`);
  }
});

Deno.test("sim disk: an fsync covers only the changes made before it started", async () => {
  const disk = new SimDisk();
  disk.delay = () => new Promise((resolve) => setTimeout(resolve, 0));
  const file = await disk.open("/d/f", "create");
  await disk.syncDir("/d");
  await file.write(bytes("one"));
  const syncing = file.sync();
  const later = disk.open("/d/f", "append").then((h) => h.write(bytes("two")));
  await Promise.all([syncing, later]);
  disk.crash();
  assert.equal(text(disk.bytes("/d/f")), "one");
  const truncating = await disk.open("/d/f", "append");
  await truncating.truncate(1);
  disk.crash(); // a truncate is undone like a write
  assert.equal(text(disk.bytes("/d/f")), "one");
});
