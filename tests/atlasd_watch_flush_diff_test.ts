/**
 * Side by side with redis-server 7.0: WATCH across FLUSHALL / FLUSHDB from another connection.
 * Redis 7 fails the transaction only when a watched key existed when the flush ran; a watched
 * key that was absent is still absent, so EXEC runs.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** The watching connection's script, the other connection's flush in the middle. */
const CASES: { setup: string[][]; watch: string[]; flush: string[] }[] = [
  { setup: [], watch: ["WATCH", "absent"], flush: ["FLUSHALL"] },
  { setup: [["SET", "present", "1"]], watch: ["WATCH", "present"], flush: ["FLUSHALL"] },
  { setup: [["SET", "other", "1"]], watch: ["WATCH", "absent"], flush: ["FLUSHDB"] },
  { setup: [["SET", "b", "1"]], watch: ["WATCH", "a", "b"], flush: ["FLUSHDB", "SYNC"] },
];

async function run(
  watcher: RawClient,
  other: RawClient,
  c: (typeof CASES)[number],
): Promise<RespValue[]> {
  for (const argv of c.setup) await other.call(argv);
  const replies = await watcher.call(c.watch);
  replies.push(...await other.call(c.flush));
  replies.push(...await watcher.call(["MULTI"], ["PING"], ["EXEC"]));
  return replies;
}

Deno.test("WATCH fails after FLUSHALL/FLUSHDB only for keys that existed, as in redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    const others = [await RawClient.connect(redisPort), await RawClient.connect(atlasPort)];
    try {
      const outcomes: string[] = [];
      for (const c of CASES) {
        const want = await run(redis, others[0], c);
        const got = await run(atlas, others[1], c);
        assert.deepEqual(got, want, `${c.watch.join(" ")} then ${c.flush.join(" ")}`);
        outcomes.push(JSON.stringify(got.at(-1)));
      }
      // The run covers both outcomes: an EXEC that ran and one that was aborted.
      assert.ok(
        outcomes.some((o) => o.includes("PONG")) && outcomes.some((o) => o.includes("nil")),
      );
    } finally {
      for (const other of others) await other.close();
    }
  }));
