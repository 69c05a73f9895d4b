import assert from "node:assert/strict";
import { crc32, crc32Of2Words } from "./crc32.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(ascii("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(ascii("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32 continues across split input and honours ranges", () => {
  const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
  const whole = crc32(data);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32(data, crc32(data, 0, 0, cut), cut), whole);
  }
  assert.equal(crc32(data, 0, 10, 20), crc32(data.subarray(10, 20)));
});

Deno.test("crc32Of2Words equals crc32 over the two little-endian words", () => {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  const words = [0, 1, 48, 0xff, 0x1234_5678, 0x8000_0000, 0xdead_beef, 0xffff_ffff];
  for (const lo of words) {
    for (const hi of words) {
      view.setUint32(0, lo, true);
      view.setUint32(4, hi, true);
      assert.equal(crc32Of2Words(lo, hi), crc32(bytes), `${lo} ${hi}`);
    }
  }
});

Deno.test("crc32 agrees across the JavaScript/native crossover, whole and continued", () => {
  const data = new Uint8Array(4096).map((_, i) => (i * 131 + 17) & 0xff);
  // The byte-at-a-time definition, independent of both implementations.
  const reference = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const byte of bytes) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  for (const length of [63, 64, 95, 96, 97, 128, 1750, 4096]) {
    const slice = data.subarray(0, length);
    assert.equal(crc32(slice), reference(slice), `length ${length}`);
    assert.equal(crc32(data, 0, 3, 3 + length - 3), reference(data.subarray(3, length)));
    // A short head continued by a long tail, and the reverse.
    const cut = length >> 2;
    assert.equal(crc32(data, crc32(data, 0, 0, cut), cut, length), reference(slice));
    assert.equal(crc32(data, crc32(data, 0, 0, length - 5), length - 5, length), reference(slice));
  }
});
