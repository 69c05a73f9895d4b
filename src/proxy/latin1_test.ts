import assert from "node:assert/strict";
import { latin1, latin1Bytes } from "./latin1.ts";

Deno.test("latin1 decodes every byte value exactly, from any buffer and range", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const head = new TextEncoder().encode("HTTP/1.1 200 OK\r\nX-A: \u00e9\r\n\r\n");
  for (let round = 0; round < 3; round++) {
    // Alternating buffers: the decoder caches a view of the last one.
    const text = latin1(all, 0, 256);
    assert.equal(text.length, 256);
    for (let i = 0; i < 256; i++) assert.equal(text.charCodeAt(i), i);
    assert.equal(latin1(all, 0x80, 0xa0), String.fromCharCode(...all.subarray(0x80, 0xa0)));
    assert.equal(latin1(head, 0, 15), "HTTP/1.1 200 OK");
    assert.equal(latin1(head, 22, 24), "\u00c3\u00a9", "UTF-8 octets pass as two chars");
    assert.equal(latin1(head.subarray(9), 0, 3), "200");
    assert.deepEqual(latin1Bytes(latin1(all, 0, 256)), all);
  }
});
