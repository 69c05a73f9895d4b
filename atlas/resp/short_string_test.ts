import assert from "node:assert/strict";
import { SHORT_STRING_MAX, shortString } from "./short_string.ts";

Deno.test("shortString gives the exact binary string for every length up to the max", () => {
  const bytes = Uint8Array.from({ length: 96 }, (_, i) => (i * 37 + 0x80) & 0xff);
  for (let len = 0; len <= SHORT_STRING_MAX; len++) {
    for (const start of [0, 5, 40]) {
      const want = String.fromCharCode(...bytes.subarray(start, start + len));
      assert.equal(shortString(bytes, start, len), want, `len ${len} at ${start}`);
    }
  }
});
