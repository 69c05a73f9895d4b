/**
 * Side by side with redis-server 7.0.15: over maxmemory with nothing to evict, MULTI queues no
 * command (each answers OOM, EXEC then EXECABORT), where atlasd used to queue them and run the
 * block partly at EXEC (DEL ran, SET was refused). EXEC, DISCARD and RESET still work. (Under a
 * policy that can evict, atlasd queues while keys can go: its used memory counts the data alone,
 * where Redis's never falls under a limit as low as these tests set.)
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const LINES: string[][] = [
  ["SET", "a", "1"],
  ["SET", "b", "x".repeat(10_000)],
  ["CONFIG", "SET", "maxmemory", "1"],
  ["MULTI"],
  ["DEL", "a"],
  ["SET", "c", "1"],
  ["GET", "a"],
  ["EXEC"],
  ["GET", "a"],
  ["MULTI"],
  ["PING"],
  ["DISCARD"],
  ["MULTI"],
  ["GET", "a"],
  ["RESET"],
  // Outside MULTI only the denyoom commands are refused.
  ["DEL", "a"],
  ["SET", "c", "1"],
  ["CONFIG", "SET", "maxmemory", "0"],
  ["MULTI"],
  ["SET", "c", "1"],
  ["EXEC"],
];

Deno.test("over maxmemory, MULTI queues nothing and EXEC aborts, as in Redis", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, LINES), []);
  }));
