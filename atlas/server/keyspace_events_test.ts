import assert from "node:assert/strict";
import { startAtlasServer } from "../server.ts";
import { RawClient, type RespValue } from "../testing/atlasd_harness.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";

const bulk = (v: string): RespValue => ({ t: "bulk", v });
const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });
const ok: RespValue = { t: "simple", v: "OK" };
const pmessage = (channel: string, message: string) =>
  arr(bulk("pmessage"), bulk("__key*__:*"), bulk(channel), bulk(message));

async function withServer(
  notifyKeyspaceEvents: string | undefined,
  fn: (sub: RawClient, cmd: RawClient) => Promise<void>,
): Promise<void> {
  const executor = new RecordingExecutor();
  const server = startAtlasServer({
    executor,
    store: executor.store,
    port: 0,
    notifyKeyspaceEvents,
  });
  const sub = await RawClient.connect(server.addr.port);
  const cmd = await RawClient.connect(server.addr.port);
  try {
    await sub.one("PSUBSCRIBE", "__key*__:*");
    await fn(sub, cmd);
  } finally {
    await sub.close();
    await cmd.close();
    await server.close();
  }
}

Deno.test("keyspace events: CONFIG SET/GET notify-keyspace-events, Redis's forms and errors", async () => {
  await withServer(undefined, async (_sub, cmd) => {
    const get = () => cmd.one("CONFIG", "GET", "notify-keyspace-events");
    assert.deepEqual(await get(), arr(bulk("notify-keyspace-events"), bulk("")));
    assert.deepEqual(await cmd.one("CONFIG", "SET", "notify-keyspace-events", "KEA"), ok);
    assert.deepEqual(await get(), arr(bulk("notify-keyspace-events"), bulk("AKE")));
    assert.deepEqual(await cmd.one("CONFIG", "SET", "notify-keyspace-events", "Kq"), {
      t: "error",
      v: "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - " +
        "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
    });
    assert.deepEqual(await get(), arr(bulk("notify-keyspace-events"), bulk("AKE")));
  });
});

Deno.test("keyspace events: keyspace message before keyevent message, off by default", async () => {
  await withServer(undefined, async (sub, cmd) => {
    await cmd.one("SET", "quiet", "v");
    await cmd.one("CONFIG", "SET", "notify-keyspace-events", "KE$");
    await cmd.one("SET", "k", "v");
    await cmd.one("RPUSH", "l", "a"); // l is not on
    await cmd.one("CONFIG", "SET", "notify-keyspace-events", "");
    await cmd.one("SET", "k", "w");
    await cmd.one("PING");
    assert.deepEqual(await sub.next(), pmessage("__keyspace@0__:k", "set"));
    assert.deepEqual(await sub.next(), pmessage("__keyevent@0__:set", "k"));
    await assert.rejects(sub.next(200), /no reply in time/);
  });
});

Deno.test("keyspace events: the startup setting applies; a bad one is refused", async () => {
  await withServer("Eg", async (sub, cmd) => {
    assert.deepEqual(
      await cmd.one("CONFIG", "GET", "notify-keyspace-events"),
      arr(bulk("notify-keyspace-events"), bulk("gE")),
    );
    await cmd.one("SET", "k", "v");
    await cmd.one("DEL", "k");
    assert.deepEqual(await sub.next(), pmessage("__keyevent@0__:del", "k"));
  });
  const executor = new RecordingExecutor();
  assert.throws(
    () => startAtlasServer({ executor, store: executor.store, port: 0, notifyKeyspaceEvents: "Q" }),
    /Invalid event class character/,
  );
});
