import assert from "node:assert/strict";
import { decodeEntry, encodeEntry } from "./command_codec.ts";
import { ByteWriter } from "./byte_writer.ts";

Deno.test("entry codec: the bytes follow the documented layout (binary strings one byte per char)", () => {
  const bytes = encodeEntry({
    kind: "commands",
    nowMs: 1.5,
    seed: 7,
    commands: [["SET", "k", "\xff\x00"]],
  });
  const f64 = new Uint8Array(new Float64Array([1.5]).buffer);
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  assert.deepEqual([...bytes], [
    1,
    ...f64,
    ...u32(7),
    ...u32(1), // commands
    ...u32(3), // arguments
    ...u32(3),
    ..."SET".split("").map((c) => c.charCodeAt(0)),
    ...u32(1),
    0x6b,
    ...u32(2),
    0xff,
    0x00,
  ]);
  assert.deepEqual(decodeEntry(bytes), {
    kind: "commands",
    nowMs: 1.5,
    seed: 7,
    commands: [["SET", "k", "\xff\x00"]],
  });
});

Deno.test("byte writer: output past its first buffer comes back whole and in order", () => {
  const out = new ByteWriter(8);
  const big = "x".repeat(3 * 1024 * 1024);
  out.u32(0xdeadbeef);
  out.binary(big);
  out.f64(2.25);
  const bytes = out.finish();
  assert.equal(bytes.length, 4 + big.length + 8);
  assert.equal(new DataView(bytes.buffer).getUint32(0, true), 0xdeadbeef);
  assert.ok(bytes.subarray(4, 4 + big.length).every((b) => b === 0x78));
  assert.equal(new DataView(bytes.buffer).getFloat64(4 + big.length, true), 2.25);
});

Deno.test("entry codec: commands for other databases carry each one's database (kind 4)", () => {
  const entry = {
    kind: "commands" as const,
    nowMs: 2,
    seed: 9,
    commands: [["SET", "a", "1"], ["SET", "b", "2"], ["SWAPDB", "0", "3"]],
    dbs: [0, 3, 15],
  };
  const bytes = encodeEntry(entry);
  assert.equal(bytes[0], 4);
  assert.deepEqual(decodeEntry(bytes), entry);
  // Database 0 alone: the bytes entries always had (kind 1, no database fields).
  const inZero = encodeEntry({ ...entry, dbs: [0, 0, 0] });
  assert.deepEqual(inZero, encodeEntry({ ...entry, dbs: undefined }));
  assert.equal(inZero[0], 1);
  assert.equal("dbs" in decodeEntry(inZero), false);
});
