/**
 * A real atlasd whose V8 heap is capped small (DENO_V8_FLAGS=--max-old-space-size): filling it
 * gets OOM replies, not a dead process. Before the heap guard, V8 aborted the process ("Fatal
 * JavaScript out of memory") once the data reached its heap limit — about 4 GiB by default, on
 * any machine — and did again while loading the data back. Reads and deletes go on while writes
 * are refused; once deletes free the heap, writes are accepted again.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, startAtlasd } from "../atlas/testing/atlasd_harness.ts";

const VALUE_BYTES = 512 * 1024;

/** `SET key <512 KiB>` as RESP bytes, built without encoding the value each time. */
function setFrame(key: string): Uint8Array {
  const head = new TextEncoder().encode(
    `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${VALUE_BYTES}\r\n`,
  );
  const frame = new Uint8Array(head.length + VALUE_BYTES + 2).fill(0x76); // "v"
  frame.set(head);
  frame.set([13, 10], frame.length - 2);
  return frame;
}

Deno.test("atlasd near its V8 heap limit refuses writes with OOM instead of aborting", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"], undefined, {
    env: { DENO_V8_FLAGS: "--max-old-space-size=160" },
  });
  const client = await RawClient.connect(atlas.port);
  try {
    let stored = 0;
    let refusal: RespValue | null = null;
    // 2000 × 512 KiB is six times the heap: the guard must refuse long before.
    for (let i = 0; i < 2000 && refusal === null; i++) {
      await client.writeRaw(setFrame(`big:${i}`));
      const reply = await client.next();
      if (reply.t === "simple") stored++;
      else refusal = reply;
    }
    assert.deepEqual(refusal, {
      t: "error",
      v: "OOM command not allowed when used memory > 'maxmemory'.",
    });
    assert.ok(stored > 50, `stored ${stored} values before the refusal`);
    assert.equal(client.closedByPeer, false, "the server is alive");
    assert.deepEqual(await client.one("STRLEN", "big:0"), { t: "integer", v: VALUE_BYTES });
    assert.deepEqual(await client.one("DBSIZE"), { t: "integer", v: stored });

    // Deleting most of it readmits writes once the guard sees the heap back under its mark.
    const keys = Array.from({ length: stored - 10 }, (_, i) => `big:${i}`);
    assert.deepEqual(await client.one("DEL", ...keys), { t: "integer", v: keys.length });
    let accepted: RespValue | null = null;
    for (let waited = 0; waited < 10_000; waited += 100) {
      accepted = await client.one("SET", "after", "v");
      if (accepted.t === "simple") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(accepted, { t: "simple", v: "OK" });
  } finally {
    await client.close();
    await atlas.stop();
  }
});
