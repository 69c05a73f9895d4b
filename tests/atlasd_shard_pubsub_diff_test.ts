/**
 * Sharded pub/sub against a real redis-server: the same steps (two subscribers, RESP2 and RESP3,
 * and a publisher) on both servers, and every frame each connection received, pushes included,
 * must match. The differential harness compares one reply per command, so the multi-reply
 * subscribe flows are checked here.
 */
import assert from "node:assert/strict";
import { type RespValue, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";
import { recordFrames } from "../atlas/testing/frame_recorder.ts";

type Conn = "sub2" | "sub3" | "pub";

const STEPS: [Conn, string[]][] = [
  ["sub2", ["SSUBSCRIBE", "s1", "s2"]],
  ["sub3", ["SSUBSCRIBE", "s1"]],
  ["pub", ["SPUBLISH", "s1", "hello"]],
  ["pub", ["PUBLISH", "s1", "not-for-shard-subscribers"]],
  ["pub", ["SPUBLISH", "s2", "only-sub2"]],
  ["pub", ["PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"]],
  ["pub", ["PUBSUB", "SHARDCHANNELS", "s1"]],
  ["pub", ["PUBSUB", "CHANNELS"]],
  ["sub2", ["PING"]],
  ["sub2", ["GET", "x"]],
  ["sub2", ["SUBSCRIBE", "c"]],
  ["sub2", ["PSUBSCRIBE", "p*"]],
  ["sub2", ["SUNSUBSCRIBE", "s1", "s2", "nosuch"]],
  ["sub2", ["SUNSUBSCRIBE"]],
  ["sub2", ["UNSUBSCRIBE", "c"]],
  ["sub2", ["PUNSUBSCRIBE"]],
  ["sub2", ["PING"]],
  ["sub3", ["GET", "x"]],
  ["sub3", ["PING"]],
  ["sub3", ["MULTI"]],
  ["sub3", ["SSUBSCRIBE", "y"]],
  ["sub3", ["SUNSUBSCRIBE", "s1"]],
  ["sub3", ["EXEC"]],
  ["sub3", ["SUNSUBSCRIBE"]],
  ["pub", ["PUBSUB", "SHARDNUMSUB", "s1"]],
  ["pub", ["SPUBLISH", "s1", "nobody"]],
];

/** Runs STEPS against one server; returns every frame each connection got, in order. */
async function transcript(port: number): Promise<Record<Conn, RespValue[]>> {
  const rec = await recordFrames<Conn>(port, ["sub2", "sub3", "pub"]);
  await rec.send("sub3", ["HELLO", "3"]);
  await rec.settle();
  rec.clear(); // HELLO's map names the server: not part of the comparison
  for (const [conn, argv] of STEPS) {
    await rec.send(conn, argv);
    await rec.settle();
  }
  return await rec.finish();
}

Deno.test("sharded pub/sub: atlasd's frames match redis-server's, RESP2 and RESP3", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port);
    const got = await transcript(atlas.port);
    for (const conn of ["sub2", "sub3", "pub"] as Conn[]) {
      assert.deepEqual(got[conn], want[conn], conn);
    }
    assert.ok(want.sub2.length >= 15 && want.sub3.length >= 8, "the steps produced frames");
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
