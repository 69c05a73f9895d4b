/**
 * Side by side with redis-server 7.0: ZRANGE's option parsing and EVAL's numkeys. Redis refuses
 * LIMIT on a rank range only when its count is not -1 (so `LIMIT 1 -1` is accepted, offset
 * ignored), refuses a repeated REV or a second BYSCORE/BYLEX, names WITHSCORES+BYLEX in the
 * legacy ZRANGEBYLEX too, and parses numkeys with string2ll ("01" and "-0" are not integers,
 * any int64 is) before comparing it with the argument count; EVALSHA answers NOSCRIPT for a
 * SHA of the wrong length before looking at numkeys.
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
];

/** Replies to these, in order, must equal Redis's. */
const COMMANDS: string[][] = [
  // LIMIT on a rank range: accepted when the (last) count is -1, the offset ignored.
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "5", "-1", "WITHSCORES"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "1", "-1", "REV"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "2", "LIMIT", "0", "-1"],
  ["ZRANGE", "nokey", "0", "-1", "LIMIT", "0", "-1"],
  ["ZRANGE", "z", "x", "y", "LIMIT", "0", "-1"],
  ["ZREVRANGE", "z", "0", "-1", "LIMIT", "2", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "dst", "z", "1", "-1", "LIMIT", "1", "-1"],
  ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "1", "2"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-2"],
  ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1", "LIMIT", "0", "2"],
  ["ZREVRANGE", "z", "0", "-1", "LIMIT", "1", "2"],
  // WITHSCORES with BYLEX, in ZRANGE and the legacy commands.
  ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"],
  ["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2", "WITHSCORES"],
  ["ZREVRANGEBYLEX", "z", "+", "-", "WITHSCORES"],
  ["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"],
  ["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES", "BOGUS"],
  ["ZRANGESTORE", "dst", "z", "-", "+", "BYLEX", "WITHSCORES"],
  // Each of REV and BYSCORE|BYLEX may be given once.
  ["ZRANGE", "z", "0", "5", "REV", "REV"],
  ["ZRANGE", "z", "0", "5", "BYSCORE", "BYSCORE"],
  ["ZRANGE", "z", "-", "+", "BYLEX", "BYLEX"],
  ["ZRANGE", "z", "0", "5", "BYSCORE", "BYLEX"],
  ["ZRANGE", "z", "0", "5", "BYLEX", "BYSCORE"],
  ["ZRANGE", "z", "0", "5", "REV", "BYSCORE", "REV"],
  ["ZRANGE", "z", "0", "5", "REV", "REV", "LIMIT", "x", "1"],
  ["ZRANGESTORE", "dst", "z", "0", "5", "REV", "REV"],
  ["ZRANGESTORE", "dst", "z", "0", "5", "BYSCORE", "BYSCORE"],
  ["ZRANGE", "z", "5", "0", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
  ["ZRANGE", "z", "(a", "[c", "BYLEX", "LIMIT", "1", "-1"],
  // numkeys: string2ll, then "greater than", then "negative".
  ["EVAL", "return 1", "01"],
  ["EVAL", "return 1", "-0"],
  ["EVAL", "return 1", "+1"],
  ["EVAL", "return 1", "1000000000000000000"],
  ["EVAL", "return 1", "9223372036854775807"],
  ["EVAL", "return 1", "9223372036854775808"],
  ["EVAL", "return 1", "-9223372036854775808"],
  ["EVAL", "return 1", "-1"],
  ["EVAL", "return 1", "1"],
  ["EVAL", "return {KEYS[1], ARGV[1]}", "1", "k", "v"],
  ["EVAL_RO", "return 1", "01"],
  ["EVAL_RO", "return 1", "1000000000000000000"],
  ["EVAL", "return 1", "0"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "01"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "-0"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "1000000000000000000"],
  ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "-1"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
  ["EVALSHA", "abc", "01"],
  ["EVALSHA", "abc", "5"],
  ["EVALSHA_RO", "abc", "-0"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "01"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
];

Deno.test("ZRANGE options and EVAL numkeys match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    // Later lines read what earlier ones stored; all mismatches are reported together.
    const mismatches = await replyDifferences(redis, atlas, COMMANDS);
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  }));
