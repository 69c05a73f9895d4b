import assert from "node:assert/strict";
import { encodeCommand, type RawClient, type RespValue } from "../testing/atlasd_harness.ts";
import { withBlockingServer } from "../testing/blocking_env.ts";
import { RecordingExecutor } from "../testing/recording_executor.ts";

const int = (v: number): RespValue => ({ t: "integer", v });
const bulk = (v: string): RespValue => ({ t: "bulk", v });
const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });
const push = (...v: RespValue[]): RespValue => ({ t: "push", v });
const err = (v: string): RespValue => ({ t: "error", v });

const withServer = (fn: Parameters<typeof withBlockingServer>[1]) =>
  withBlockingServer(new RecordingExecutor(), fn);

/** Sends one command and reads `n` RESP2 replies (SSUBSCRIBE a b answers once per channel). */
async function replies(c: RawClient, n: number, ...argv: string[]): Promise<RespValue[]> {
  await c.writeRaw(encodeCommand(argv));
  const out: RespValue[] = [];
  for (let i = 0; i < n; i++) out.push(await c.next());
  return out;
}

/** Sends one command to a RESP3 client and waits for `n` pushes. */
async function pushes(c: RawClient, n: number, ...argv: string[]): Promise<RespValue[]> {
  await c.writeRaw(encodeCommand(argv));
  const got = await c.takePushes(n);
  assert.equal(got.length, n, JSON.stringify(got));
  return got;
}

const sorted = (v: RespValue) => (v as { v: { v: string }[] }).v.map((x) => x.v).sort();

Deno.test("SPUBLISH reaches shard subscribers only, as smessage in RESP2 and RESP3", async () => {
  await withServer(async ({ connect }) => {
    const sub2 = await connect(2);
    const sub3 = await connect(3);
    const classic = await connect(2);
    const pub = await connect(2);
    assert.deepEqual(await replies(sub2, 2, "SSUBSCRIBE", "s1", "s2"), [
      arr(bulk("ssubscribe"), bulk("s1"), int(1)),
      arr(bulk("ssubscribe"), bulk("s2"), int(2)),
    ]);
    assert.deepEqual(await pushes(sub3, 1, "SSUBSCRIBE", "s1"), [
      push(bulk("ssubscribe"), bulk("s1"), int(1)),
    ]);
    assert.deepEqual(
      await classic.one("SUBSCRIBE", "s1"),
      arr(bulk("subscribe"), bulk("s1"), int(1)),
    );
    assert.deepEqual(
      await classic.one("PSUBSCRIBE", "*"),
      arr(bulk("psubscribe"), bulk("*"), int(2)),
    );

    assert.deepEqual(await pub.one("SPUBLISH", "s1", "hello"), int(2));
    assert.deepEqual(await sub2.next(), arr(bulk("smessage"), bulk("s1"), bulk("hello")));
    assert.deepEqual(await sub3.takePushes(1), [
      push(bulk("smessage"), bulk("s1"), bulk("hello")),
    ]);
    // The namespaces are apart: PUBLISH skips shard subscribers, SPUBLISH skips the others.
    assert.deepEqual(await pub.one("PUBLISH", "s1", "classic"), int(2));
    assert.deepEqual(await pub.one("SPUBLISH", "s2", "only-sub2"), int(1));
    assert.deepEqual(await pub.one("SPUBLISH", "nobody", "x"), int(0));
    assert.deepEqual(await sub2.next(), arr(bulk("smessage"), bulk("s2"), bulk("only-sub2")));
    assert.deepEqual(await classic.next(), arr(bulk("message"), bulk("s1"), bulk("classic")));
    assert.deepEqual(
      await classic.next(),
      arr(bulk("pmessage"), bulk("*"), bulk("s1"), bulk("classic")),
    );

    assert.deepEqual(sorted(await pub.one("PUBSUB", "SHARDCHANNELS")), ["s1", "s2"]);
    assert.deepEqual(await pub.one("PUBSUB", "SHARDCHANNELS", "*2"), arr(bulk("s2")));
    assert.deepEqual(
      await pub.one("PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"),
      arr(bulk("s1"), int(2), bulk("s2"), int(1), bulk("s3"), int(0)),
    );
    assert.deepEqual(await pub.one("PUBSUB", "CHANNELS"), arr(bulk("s1")));
    assert.deepEqual(await pub.one("PUBSUB", "SHARDNUMSUB"), arr());
    const info = (await pub.one("INFO", "stats") as { v: string }).v;
    assert.match(info, /\r\npubsubshard_channels:2\r\n/);
    const list = (await pub.one("CLIENT", "LIST") as { v: string }).v;
    assert.match(list, /flags=P db=0 sub=0 psub=0 ssub=2 /);
  });
});

Deno.test("a RESP2 shard subscriber is in pub/sub mode; each namespace counts its own", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(2);
    assert.deepEqual(await replies(c, 1, "SSUBSCRIBE", "a"), [
      arr(bulk("ssubscribe"), bulk("a"), int(1)),
    ]);
    assert.deepEqual(
      await c.one("GET", "x"),
      err(
        "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      ),
    );
    assert.deepEqual(await c.one("PING"), arr(bulk("pong"), bulk("")));
    assert.deepEqual(await c.one("SUBSCRIBE", "c"), arr(bulk("subscribe"), bulk("c"), int(1)));
    assert.deepEqual(await replies(c, 2, "SUNSUBSCRIBE", "nosuch", "a"), [
      arr(bulk("sunsubscribe"), bulk("nosuch"), int(1)),
      arr(bulk("sunsubscribe"), bulk("a"), int(0)),
    ]);
    assert.deepEqual(await c.one("SUNSUBSCRIBE"), arr(bulk("sunsubscribe"), { t: "nil" }, int(0)));
    assert.deepEqual(await c.one("SSUBSCRIBE", "b"), arr(bulk("ssubscribe"), bulk("b"), int(1)));
    assert.deepEqual(await c.one("UNSUBSCRIBE"), arr(bulk("unsubscribe"), bulk("c"), int(0)));
    assert.equal((await c.one("GET", "x")).t, "error"); // still subscribed to shard channel b
    assert.deepEqual(await c.one("SUNSUBSCRIBE"), arr(bulk("sunsubscribe"), bulk("b"), int(0)));
    assert.deepEqual(await c.one("PING"), { t: "simple", v: "PONG" });
  });
});

Deno.test("RESET and disconnecting drop shard subscriptions", async () => {
  await withServer(async ({ connect }) => {
    const a = await connect(2);
    const b = await connect(3);
    const pub = await connect(2);
    await replies(a, 1, "SSUBSCRIBE", "ch");
    await pushes(b, 1, "SSUBSCRIBE", "ch");
    const numsub = () => pub.one("PUBSUB", "SHARDNUMSUB", "ch");
    assert.deepEqual(await numsub(), arr(bulk("ch"), int(2)));
    assert.deepEqual(await a.one("RESET"), { t: "simple", v: "RESET" });
    assert.deepEqual(await a.one("GET", "x"), { t: "nil" }); // out of pub/sub mode
    assert.deepEqual(await numsub(), arr(bulk("ch"), int(1)));
    await b.close();
    const giveUp = Date.now() + 5000;
    while (JSON.stringify(await numsub()) !== JSON.stringify(arr(bulk("ch"), int(0)))) {
      assert.ok(Date.now() < giveUp, "the closed client still counts");
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(await pub.one("PUBSUB", "SHARDCHANNELS"), arr());
  });
});

Deno.test("SSUBSCRIBE is refused inside MULTI; COMMAND describes the channels as keys", async () => {
  await withServer(async ({ connect }) => {
    const c = await connect(2);
    const tx = await c.call(["MULTI"], ["SSUBSCRIBE", "x"], ["SPUBLISH", "x", "m"], ["EXEC"]);
    assert.deepEqual(
      tx[3],
      arr(err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"), int(0)),
    );
    const info = (await c.one("COMMAND", "INFO", "spublish", "ssubscribe", "sunsubscribe")) as {
      v: { v: RespValue[] }[];
    };
    const status = (...names: string[]) => names.map((v) => ({ t: "simple", v }) as RespValue);
    assert.deepEqual(info.v.map((row) => row.v.slice(0, 6)), [
      [
        bulk("spublish"),
        int(3),
        arr(...status("pubsub", "loading", "stale", "fast")),
        int(1),
        int(1),
        int(1),
      ],
      [
        bulk("ssubscribe"),
        int(-2),
        arr(...status("pubsub", "noscript", "loading", "stale")),
        int(1),
        int(-1),
        int(1),
      ],
      [
        bulk("sunsubscribe"),
        int(-1),
        arr(...status("pubsub", "noscript", "loading", "stale")),
        int(1),
        int(-1),
        int(1),
      ],
    ]);
    // Redis flags these key specs not_key: no keys to extract.
    assert.deepEqual(
      await c.one("COMMAND", "GETKEYS", "SPUBLISH", "ch", "m"),
      err("ERR The command has no key arguments"),
    );
    // COMMAND DOCS (the record in command_docs/pubsub.ts): Redis's since, group and arguments.
    const docs = (await c.one("COMMAND", "DOCS", "spublish")) as { v: RespValue[] };
    assert.deepEqual(docs.v[0], bulk("spublish"));
    const fields = (docs.v[1] as { v: RespValue[] }).v;
    const field = (name: string) =>
      fields[fields.findIndex((f) => f.t === "bulk" && f.v === name) + 1];
    assert.deepEqual([field("since"), field("group")], [bulk("7.0.0"), bulk("pubsub")]);
    const args = (field("arguments") as { v: { v: RespValue[] }[] }).v.map((a) => a.v[1]);
    assert.deepEqual(args, [bulk("shardchannel"), bulk("message")]);
    const list = (await c.one("COMMAND", "LIST")) as { v: { v: string }[] };
    for (const name of ["spublish", "ssubscribe", "sunsubscribe", "slowlog", "latency"]) {
      assert.ok(list.v.some((x) => x.v === name), name);
    }
  });
});
