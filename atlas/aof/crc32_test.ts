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
