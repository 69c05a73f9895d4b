/**
 * Key specifications side by side with redis-server 7.0.15: COMMAND GETKEYSANDFLAGS — each key of
 * a command line with what the command does to it — over fixed, keyword, count-led and
 * subcommand keys, the commands whose flags depend on their arguments (SET with or without GET,
 * BITFIELD reading or writing), SORT's STORE, scripts, and lines with no keys or bad counts.
 * (COMMAND INFO's key specs are compared for every command in atlasd_command_info_diff_test.ts.)
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const LINES: string[][] = [
  ["copy", "a", "b"],
  ["set", "k", "v"],
  ["set", "k", "v", "GET"],
  ["set", "k", "v", "ex", "10", "get"],
  ["bitfield", "k", "get", "u8", "0"],
  ["bitfield", "k", "incrby", "u8", "0", "1"],
  ["bitfield_ro", "k", "get", "u8", "0"],
  ["sort", "k", "by", "w*", "store", "d"],
  ["sort", "k"],
  ["sort_ro", "k", "by", "nosort"],
  ["zunionstore", "d", "2", "a", "b"],
  ["zunionstore", "d", "x", "a", "b"],
  ["zinter", "2", "a", "b", "withscores"],
  ["xread", "count", "2", "streams", "s1", "s2", "0", "0"],
  ["xreadgroup", "group", "g", "c", "streams", "s1", "0"],
  ["eval", "return 1", "2", "a", "b", "arg"],
  ["eval", "return 1", "0"],
  ["fcall", "f", "1", "a"],
  ["lmove", "a", "b", "left", "right"],
  ["blmpop", "0", "2", "a", "b", "left"],
  ["exists", "a", "b"],
  ["del", "a", "b", "c"],
  ["mset", "a", "1", "b", "2"],
  ["getex", "k", "persist"],
  ["pfcount", "h1", "h2"],
  ["xadd", "s", "*", "f", "v"],
  ["object", "encoding", "k"],
  ["georadius", "g", "0", "0", "1", "km", "store", "d"],
  ["get"],
  ["ping", "x"],
  ["spublish", "ch", "m"],
];

Deno.test("COMMAND GETKEYSANDFLAGS finds keys and their flags as Redis does", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const lines = LINES.map((line) => ["COMMAND", "GETKEYSANDFLAGS", ...line]);
    assert.deepEqual(await replyDifferences(redis, atlas, lines), []);
    await redis.call(["HELLO", "3"]);
    await atlas.call(["HELLO", "3"]);
    assert.deepEqual(
      await replyDifferences(redis, atlas, lines.slice(0, 6), undefined, "RESP3 "),
      [],
    );
  }));
