/**
 * Client-side caching (CLIENT TRACKING) against a real redis-server: the same steps on both
 * servers — a RESP3 tracker, a RESP2 tracker redirecting to a RESP2 subscriber of
 * `__redis__:invalidate`, a RESP3 BCAST tracker and a writer — and every frame each connection
 * received, invalidation pushes and messages included, must match in order.
 */
import assert from "node:assert/strict";
import { type RespValue, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";
import { recordFrames } from "../atlas/testing/frame_recorder.ts";

type Conn = "t3" | "t2" | "sub" | "b3" | "w";
const CONNS: Conn[] = ["t3", "t2", "sub", "b3", "w"];

/** `{sub}` is replaced by the subscriber's client ID on each server. */
const STEPS: [Conn, string[]][] = [
  ["sub", ["SUBSCRIBE", "__redis__:invalidate"]],
  ["t3", ["CLIENT", "TRACKING", "ON"]],
  ["t2", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{sub}"]],
  ["b3", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "k", "NOLOOP"]],
  ["t3", ["GET", "k1"]],
  ["t3", ["MGET", "k1", "k2"]],
  ["t3", ["HGET", "h", "f"]],
  ["t2", ["GET", "k1"]],
  ["w", ["SET", "k1", "v"]],
  ["w", ["HSET", "h", "f", "v"]],
  ["w", ["SET", "k1", "again"]],
  ["t3", ["SET", "k2", "mine"]],
  ["t3", ["CLIENT", "TRACKINGINFO"]],
  ["b3", ["CLIENT", "TRACKINGINFO"]],
  ["w", ["MSET", "user:1", "a", "user:2", "b", "other", "c"]],
  ["b3", ["SET", "user:3", "x"]],
  ["t3", ["GET", "k1"]],
  ["t3", ["MULTI"]],
  ["t3", ["GET", "k2"]],
  ["t3", ["EXEC"]],
  ["w", ["DEL", "k1", "k2"]],
  ["t3", ["CLIENT", "TRACKING", "OFF"]],
  ["t3", ["CLIENT", "TRACKING", "ON", "OPTIN"]],
  ["t3", ["GET", "a"]],
  ["t3", ["CLIENT", "CACHING", "YES"]],
  ["t3", ["GET", "b"]],
  ["w", ["MSET", "a", "1", "b", "2"]],
  ["t2", ["GET", "k1"]],
  ["w", ["FLUSHALL"]],
  ["t2", ["CLIENT", "TRACKING", "OFF"]],
  ["w", ["SET", "k1", "z"]],
  // A key the BCAST NOLOOP client wrote, then expired by its own later read: the expiry is no
  // client's change, so NOLOOP lets its invalidation through (its own SETs stay filtered). In a
  // MULTI the time stands still: the GET there still finds the key, as in Redis.
  ["w", ["DEBUG", "SET-ACTIVE-EXPIRE", "0"]],
  ["b3", ["MULTI"]],
  ["b3", ["SET", "kexp", "v", "PX", "1"]],
  ["b3", ["SET", "kother", "v"]],
  ["b3", ["DEBUG", "SLEEP", "0.01"]],
  ["b3", ["GET", "kexp"]],
  ["b3", ["EXEC"]],
  ["b3", ["DEBUG", "SLEEP", "0.01"]],
  ["b3", ["GET", "kexp"]],
  ["w", ["DEBUG", "SET-ACTIVE-EXPIRE", "1"]],
  ["sub", ["PING"]],
];

/** Runs STEPS against one server; returns every frame each connection got, in order. */
async function transcript(port: number): Promise<Record<Conn, RespValue[]>> {
  const rec = await recordFrames<Conn>(port, CONNS);
  await rec.send("t3", ["HELLO", "3"]);
  await rec.send("b3", ["HELLO", "3"]);
  await rec.send("sub", ["CLIENT", "ID"]);
  await rec.settle();
  const subReply = rec.text("sub");
  const subId = subReply.slice(1, subReply.indexOf("\r\n"));
  rec.clear(); // HELLO's map names the server, CLIENT ID differs: setup is not compared.
  for (const [conn, argv] of STEPS) {
    await rec.send(conn, argv.map((a) => a === "{sub}" ? subId : a));
    await rec.settle();
  }
  return await rec.finish();
}

Deno.test("client tracking: atlasd's frames match redis-server's, pushes included", async () => {
  const redis = await startRedis([
    "--save",
    "",
    "--appendonly",
    "no",
    "--enable-debug-command",
    "yes",
  ]);
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port);
    const got = await transcript(atlas.port);
    for (const conn of CONNS) assert.deepEqual(got[conn], want[conn], conn);
    const pushes = want.t3.filter((f) => f.t === "push").length;
    assert.ok(pushes >= 5 && want.sub.length >= 4, "the steps produced invalidations");
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
