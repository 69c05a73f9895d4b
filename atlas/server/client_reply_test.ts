import assert from "node:assert/strict";
import { encodeCommand } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";
import { arr, bulk, err, OK, push, simple } from "../testing/resp_values.ts";

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(new RecordingExecutor(), fn);

Deno.test("CLIENT REPLY OFF silences every reply, errors too, until ON", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    const pipeline = [
      ["CLIENT", "REPLY", "OFF"],
      ["SET", "k", "1"],
      ["NOSUCHCOMMAND"],
      ["GET"],
      ["CLIENT", "REPLY", "SKIP"], // no effect while OFF
      ["GET", "k"],
      ["CLIENT", "REPLY", "ON"],
      ["GET", "k"],
    ];
    await c.writeRaw(new Uint8Array(pipeline.flatMap((argv) => [...encodeCommand(argv)])));
    assert.deepEqual(await c.next(), OK);
    assert.deepEqual(await c.next(), bulk("1"));
    assert.deepEqual(await c.one("PING"), simple("PONG"));
  });
});

Deno.test("CLIENT REPLY SKIP silences only the next command's reply", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect();
    await c.writeRaw(encodeCommand(["CLIENT", "REPLY", "SKIP"]));
    await c.writeRaw(encodeCommand(["SET", "k", "1"]));
    assert.deepEqual(await c.one("GET", "k"), bulk("1"));
    await c.writeRaw(encodeCommand(["CLIENT", "REPLY", "SKIP"]));
    await c.writeRaw(encodeCommand(["NOSUCH"])); // errors are skipped too
    assert.deepEqual(await c.one("PING"), simple("PONG"));
    assert.deepEqual(await c.one("CLIENT", "REPLY", "ON"), OK);
    assert.deepEqual(await c.one("CLIENT", "REPLY", "MAYBE"), err("ERR syntax error"));
  });
});

Deno.test("CLIENT REPLY OFF keeps pushes, and silences a blocked command's reply", async () => {
  await withServer(async ({ connect, blocked }) => {
    const c = await connect(3);
    const pub = await connect();
    await c.writeRaw(encodeCommand(["SUBSCRIBE", "ch"])); // RESP3: answered by a push
    assert.equal((await c.takePushes(1)).length, 1);
    await c.writeRaw(encodeCommand(["CLIENT", "REPLY", "OFF"]));
    await c.writeRaw(encodeCommand(["BLPOP", "l", "0"]));
    await blocked(1);
    await pub.one("PUBLISH", "ch", "hi");
    assert.deepEqual(await c.takePushes(1), [push(bulk("message"), bulk("ch"), bulk("hi"))]);
    await pub.one("RPUSH", "l", "x");
    await blocked(0);
    assert.deepEqual(await c.one("CLIENT", "REPLY", "ON"), OK);
    assert.deepEqual(await c.one("LRANGE", "l", "0", "-1"), arr());
  });
});
