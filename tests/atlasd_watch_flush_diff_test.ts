/**
 * Side by side with redis-server 7.0: WATCH across FLUSHALL / FLUSHDB from another connection.
 * Redis 7 fails the transaction only when a watched key existed when the flush ran; a watched
 * key that was absent is still absent, so EXEC runs. And WATCH of a key already expired when
 * watched (held past its deadline: active expiry off): its deletion is no change.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  type WatchCase,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

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

/** `key` set in the current database with a 1 ms lifetime, then left to pass its deadline. */
const stale = (key: string) => [["SET", key, "old", "PX", "1"], ["DEBUG", "SLEEP", "0.005"]];

const STALE_CASES: WatchCase[] = [
  // Lazy expiry (EXISTS, DEL of the expired key) or a flush deletes it: no logical change.
  { watch: "x", setup: stale("x"), op: ["EXISTS", "x"] },
  { watch: "x", setup: stale("x"), op: ["DEL", "x"] },
  { watch: "x", setup: stale("x"), op: ["FLUSHDB"] },
  { watch: "x", setup: stale("x"), op: ["FLUSHALL"] },
  // Written over: a change.
  { watch: "x", setup: stale("x"), op: ["SET", "x", "new"] },
  { watch: "x", setup: stale("x"), ops: [["EXISTS", "x"], ["SET", "x", "new"]] },
  // SWAPDB: gone, or replaced by another expired key, or none replaced by an expired one: no
  // change; a live key in its place: a change.
  { watch: "x", setup: stale("x"), op: ["SWAPDB", "0", "1"] },
  {
    watch: "x",
    setup: [["SELECT", "1"], ...stale("x"), ["SELECT", "0"]],
    op: ["SWAPDB", "0", "1"],
  },
  {
    watch: "x",
    setup: [...stale("x"), ["SELECT", "1"], ...stale("x"), ["SELECT", "0"]],
    op: ["SWAPDB", "0", "1"],
  },
  {
    watch: "x",
    setup: [...stale("x"), ["SELECT", "1"], ["SET", "x", "live"], ["SELECT", "0"]],
    op: ["SWAPDB", "0", "1"],
  },
];

Deno.test("WATCH of a key already expired when watched: its deletion is no change, as in redis-server", () =>
  withRedisAndAtlasd(
    async (_redis, _atlas, servers) => {
      const outcomes: string[] = [];
      const differences = await watchDifferences(
        servers,
        STALE_CASES,
        [["DEBUG", "SET-ACTIVE-EXPIRE", "0"]],
        { after: [["DEBUG", "SET-ACTIVE-EXPIRE", "1"]], outcomes },
      );
      assert.deepEqual(differences, [], differences.join("\n"));
      // Both outcomes occur: transactions that ran and ones that were aborted.
      assert.ok(
        outcomes.some((o) => o.includes("PONG")) && outcomes.some((o) => o.includes("nil")),
      );
    },
    ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"],
  ));
