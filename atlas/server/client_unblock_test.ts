import assert from "node:assert/strict";
import { encodeCommand, type RawClient } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";
import { err, int, NIL, OK } from "../testing/resp_values.ts";

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(new RecordingExecutor(), fn);

const send = (c: RawClient, ...argv: string[]) => c.writeRaw(encodeCommand(argv));
const idOf = async (c: RawClient) => String((await c.one("CLIENT", "ID") as { v: number }).v);
const UNBLOCKED = err("UNBLOCKED client unblocked via CLIENT UNBLOCK");

for (
  const [name, argv] of [
    ["BLPOP", ["BLPOP", "list", "0"]],
    ["XREAD BLOCK", ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]],
    ["BZPOPMIN", ["BZPOPMIN", "z", "0"]],
  ] as const
) {
  Deno.test(`CLIENT UNBLOCK ends ${name} as a timeout or with the UNBLOCKED error`, async () => {
    await withServer(async ({ connect, blocked }) => {
      const admin = await connect();
      const waiter = await connect();
      const id = await idOf(waiter);
      await send(waiter, ...argv);
      await blocked(1);
      assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", id, "TIMEOUT"), int(1));
      // The timeout's reply: a nil array (RESP2 `*-1`).
      assert.deepEqual(await waiter.next(), NIL);
      await send(waiter, ...argv);
      await blocked(1);
      assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", id, "ERROR"), int(1));
      assert.deepEqual(await waiter.next(), UNBLOCKED);
      await blocked(0);
      // Not blocked any more: 0; the connection still works.
      assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", id), int(0));
      assert.deepEqual(await waiter.one("LPUSH", "list", "x"), int(1));
    });
  });
}

Deno.test("CLIENT UNBLOCK ends WAIT with its count; default reason is TIMEOUT", async () => {
  await withServer(async ({ connect }) => {
    const admin = await connect();
    const waiter = await connect();
    const id = await idOf(waiter);
    await send(waiter, "WAIT", "1", "0");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", id), int(1));
    assert.deepEqual(await waiter.next(), int(0));
  });
});

Deno.test("CLIENT UNBLOCK errors and clients it cannot unblock", async () => {
  await withServer(async ({ connect }) => {
    const admin = await connect();
    const held = await connect();
    assert.deepEqual(
      await admin.one("CLIENT", "UNBLOCK", "abc"),
      err("ERR value is not an integer or out of range"),
    );
    assert.deepEqual(
      await admin.one("CLIENT", "UNBLOCK", "1", "foo"),
      err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    );
    assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", "999"), int(0));
    // A client held by CLIENT PAUSE is not blocked in UNBLOCK's sense (Redis 7.0.15 crashes).
    const id = await idOf(held);
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "100000", "WRITE"), OK);
    await send(held, "SET", "k", "v");
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(await admin.one("CLIENT", "UNBLOCK", id, "ERROR"), int(0));
    assert.deepEqual(await admin.one("CLIENT", "UNPAUSE"), OK);
    assert.deepEqual(await held.next(), OK);
  });
});
