import assert from "node:assert/strict";
import { encodeCommand, type RawClient } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";
import { bulk, err, int, NIL, OK, simple } from "../testing/resp_values.ts";

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(new RecordingExecutor(), fn);

/** Sends without waiting for the reply. */
const send = (c: RawClient, ...argv: string[]) => c.writeRaw(encodeCommand(argv));

/** The client has no reply within `ms` (it is held). */
const silentFor = (c: RawClient, ms = 150) => assert.rejects(c.next(ms));

Deno.test("CLIENT PAUSE WRITE holds writes, not reads, and UNPAUSE releases them in order", async () => {
  await withServer(async ({ connect }) => {
    const admin = await connect();
    const writer = await connect();
    const other = await connect();
    const reader = await connect(3);
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "100000", "WRITE"), OK);
    await send(writer, "SET", "k", "1");
    await send(writer, "GET", "k"); // behind the held SET on the same connection
    await send(other, "INCR", "n");
    assert.deepEqual(await reader.one("GET", "k"), NIL); // reads still run
    assert.deepEqual(await reader.one("PING"), simple("PONG"));
    await silentFor(writer);
    await silentFor(other, 10);
    // Held clients count in INFO's blocked_clients, as Redis's postponed clients do.
    const info = (await admin.one("INFO", "clients")) as { v: string };
    assert.match(info.v, /\r\nblocked_clients:2\r\n/);
    // A write inside MULTI is held when queued; a read-only EXEC is not.
    assert.deepEqual(await reader.one("MULTI"), OK);
    assert.deepEqual(await reader.one("GET", "k"), simple("QUEUED"));
    assert.equal((await reader.one("EXEC")).t, "array");
    assert.deepEqual(await admin.one("CLIENT", "UNPAUSE"), OK);
    assert.deepEqual(await writer.next(), OK);
    assert.deepEqual(await writer.next(), bulk("1"));
    assert.deepEqual(await other.next(), int(1));
    const after = (await admin.one("INFO", "clients")) as { v: string };
    assert.match(after.v, /\r\nblocked_clients:0\r\n/);
  });
});

Deno.test("CLIENT PAUSE ends at its timeout; ALL holds every command, the pauser's too", async () => {
  await withServer(async ({ connect }) => {
    const admin = await connect();
    const c = await connect();
    const d = await connect();
    const started = Date.now();
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "300", "ALL"), OK);
    await send(c, "GET", "k");
    await send(admin, "CLIENT", "UNPAUSE"); // held as well under ALL, as in Redis
    await silentFor(c, 100);
    // Rejected before the pause check: answered at once.
    assert.deepEqual(
      await d.one("GET"),
      err("ERR wrong number of arguments for 'get' command"),
    );
    assert.deepEqual(await c.next(), NIL);
    assert.deepEqual(await admin.next(), OK);
    assert.ok(Date.now() - started >= 250, "held until the deadline");
    // A held write is released by the timeout too.
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "200", "WRITE"), OK);
    assert.deepEqual(await c.one("SET", "k", "v"), OK);
  });
});

Deno.test("CLIENT PAUSE / UNPAUSE argument errors match Redis", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    assert.deepEqual(
      await c.one("CLIENT", "PAUSE", "10", "foo"),
      err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    );
    assert.deepEqual(
      await c.one("CLIENT", "PAUSE", "abc"),
      err("ERR timeout is not an integer or out of range"),
    );
    assert.deepEqual(await c.one("CLIENT", "PAUSE", "-1"), err("ERR timeout is negative"));
    assert.deepEqual(
      await c.one("CLIENT", "PAUSE", "10", "write", "x"),
      err("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."),
    );
    assert.deepEqual(
      await c.one("CLIENT", "UNPAUSE", "x"),
      err("ERR wrong number of arguments for 'client|unpause' command"),
    );
  });
});

Deno.test("a client disconnecting while held is forgotten; server close clears the pause", async () => {
  await withServer(async ({ connect }) => {
    const admin = await connect();
    const gone = await connect();
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "100000", "WRITE"), OK);
    await send(gone, "SET", "k", "never");
    await silentFor(gone, 50);
    await gone.close();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await admin.one("CLIENT", "UNPAUSE"), OK);
    assert.deepEqual(await admin.one("GET", "k"), NIL);
    // A long pause left on: closing the server must not wait for it (no leaked timer).
    assert.deepEqual(await admin.one("CLIENT", "PAUSE", "100000", "ALL"), OK);
  });
});
