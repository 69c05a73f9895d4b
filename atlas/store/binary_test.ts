import assert from "node:assert/strict";
import { binaryToBytes, bytesToBinary, writeBinaryString } from "./binary.ts";

Deno.test("writeBinaryString copies one byte per char, ASCII or not, short or long", () => {
  const allBytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  const cases = [
    "",
    "short",
    "x".repeat(63),
    "y".repeat(64),
    JSON.stringify({ id: "01J9ZK3X9Q8W7E6R5T4Y3U2I1O", status: "RUNNING", n: [1, 2, 3] }),
    "a".repeat(100) + "\xff", // non-ASCII only at the very end
    "\x80" + "b".repeat(100), // and at the very start
    allBytes,
    allBytes.repeat(300),
  ];
  for (const text of cases) {
    const out = new Uint8Array(text.length + 10).fill(0xee);
    const end = writeBinaryString(out, 5, text);
    assert.equal(end, 5 + text.length);
    assert.equal(bytesToBinary(out, 5, end), text, `a string of ${text.length} chars`);
    assert.deepEqual([...out.subarray(0, 5), ...out.subarray(end)], Array(10).fill(0xee));
    assert.deepEqual(binaryToBytes(text), out.subarray(5, end));
  }
});

Deno.test("bytesToBinary decodes every byte at every length and offset (each decoding path)", () => {
  const bytes = new Uint8Array(600);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
  // Within a larger array too: a subarray's offset into its buffer must be honoured.
  const view = new Uint8Array(bytes.buffer, 7, 500);
  for (const length of [0, 1, 3, 12, 13, 30, 48, 49, 64, 300]) {
    for (const start of [0, 5]) {
      const text = bytesToBinary(view, start, start + length);
      assert.equal(text.length, length);
      for (let i = 0; i < length; i++) {
        assert.equal(
          text.charCodeAt(i),
          view[start + i],
          `length ${length} start ${start} at ${i}`,
        );
      }
    }
  }
});
