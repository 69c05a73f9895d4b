/**
 * Side by side with redis-server 7.0.15: how sorted-set and geo commands read numbers, and the
 * scores a listpack shows. A score bound (ZCOUNT, ZRANGEBYSCORE, ZRANGE BYSCORE,
 * ZREMRANGEBYSCORE) is a bare strtod: leading whitespace, "" and "(" (0), hex floats and bytes
 * after a NUL pass, 1e400 is inf and 1e-400 is 0. Scores, weights, coordinates and radii are
 * getDoubleFromObject, which takes hex floats too. A small sorted set is a listpack, which stores
 * an integral score up to 2^62 as an integer: ZSCAN shows it without an exponent, and -0 comes
 * back as 0 (a zset that was ever larger stays a skiplist and keeps -0). ZINTER cleans NaN
 * (inf * 0) only from the first source's product; MIN/MAX keep the current score unless the new
 * one is strictly smaller / larger (NaN and 0 against -0 change nothing). Option words end at a
 * NUL byte. Before this test
 * atlasd refused those bounds and hex numbers, printed 1e+17 and -0, and aggregated differently.
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["SET", "str", "x"],
];

/** Replies to these, in order, must equal Redis's (RESP2, then again under RESP3). */
const COMMANDS: string[][] = [
  // Option words are compared as C strings (up to a NUL), as strcasecmp does.
  ["ZADD", "zn", "NX\0x", "CH\0", "1", "a"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES\0"],
  ["ZRANGE", "z", "-inf", "+inf", "BYSCORE\0", "LIMIT\0y", "0", "2"],
  ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT\0", "0", "1"],
  ["ZUNION", "1", "z", "AGGREGATE\0", "MAX\0z", "WITHSCORES\0"],
  ["ZINTERCARD", "1", "z", "LIMIT\0", "2"],
  ["ZRANDMEMBER", "zn", "-2", "WITHSCORES\0"],
  ["HSET", "hn", "f", "v"],
  ["HRANDFIELD", "hn", "-2", "WITHVALUES\0"],
  // ZSCAN looks the key up before reading its options (as HSCAN and SSCAN do).
  ["ZSCAN", "nokey", "0", "foo"],
  ["ZSCAN", "nokey", "0", "COUNT", "0"],
  ["ZSCAN", "str", "0", "foo"],
  // Score bounds: zslParseRange's strtod.
  ["ZCOUNT", "z", "(", "2"],
  ["ZCOUNT", "z", "", "2"],
  ["ZCOUNT", "z", "(", "("],
  ["ZCOUNT", "z", " 1", "5"],
  ["ZCOUNT", "z", "\t(1", "5"],
  ["ZCOUNT", "z", "( 1", " 5"],
  ["ZCOUNT", "z", " ", "5"],
  ["ZCOUNT", "z", "1 ", "5"],
  ["ZCOUNT", "z", "0x1", "5"],
  ["ZCOUNT", "z", "0x10p-3", "+inf"],
  ["ZCOUNT", "z", "2\0junk", "5"],
  ["ZCOUNT", "z", "(1e1", "1e400"],
  ["ZCOUNT", "z", "-1e400", "1e-400"],
  ["ZCOUNT", "z", "(-1e400", "(1e400"],
  ["ZCOUNT", "z", "nan", "5"],
  ["ZCOUNT", "z", "(nan", "5"],
  ["ZCOUNT", "z", "1e", "5"],
  ["ZCOUNT", "z", "((1", "5"],
  ["ZCOUNT", "z", "-inf", "(+inf"],
  ["ZCOUNT", "str", "", "5"],
  ["ZCOUNT", "str", "x", "5"],
  ["ZRANGEBYSCORE", "z", "1e400", "1e401"],
  ["ZRANGEBYSCORE", "z", "", "(3", "WITHSCORES"],
  ["ZREVRANGEBYSCORE", "z", "1e400", " 4"],
  ["ZRANGE", "z", "(", "0x3", "BYSCORE", "WITHSCORES"],
  ["ZRANGE", "z", "1e999", "(", "BYSCORE", "REV", "LIMIT", "1", "2"],
  ["ZRANGESTORE", "dst", "z", "", "0x2", "BYSCORE"],
  ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
  ["ZREMRANGEBYSCORE", "z", "1e400", "1e500"],
  ["ZREMRANGEBYSCORE", "z", "5", "1e400"],
  ["ZADD", "z", "5", "e"],
  // Scores, weights, coordinates and radii take hex floats (not after whitespace).
  ["ZADD", "h", "0x10", "a", "0x1p-2", "b", "-0X1.8P1", "c"],
  ["ZADD", "h", " 0x10", "d"],
  ["ZADD", "h", "0x", "d"],
  ["ZADD", "h", "0x1g", "d"],
  ["ZRANGE", "h", "0", "-1", "WITHSCORES"],
  ["ZINCRBY", "h", "0x2", "a"],
  ["ZADD", "h", "INCR", "-0x1", "b"],
  ["ZUNION", "2", "h", "z", "WEIGHTS", "0x2", "1", "WITHSCORES"],
  ["ZUNION", "1", "h", "WEIGHTS", " 1"],
  ["GEOADD", "g", "0x10", "0x8", "hex", "13.361389", "38.115556", "Palermo"],
  ["GEOPOS", "g", "hex"],
  ["GEOSEARCH", "g", "FROMLONLAT", "0xf", "0x8", "BYRADIUS", "0x100", "km", "WITHDIST"],
  ["GEORADIUS", "g", "16", "8", "0x1p8", "km"],
  ["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "0x1p9", "0x200", "km"],
  ["GEOADD", "g", "0x1p8", "0", "bad"],
  // A listpack's ZSCAN shows integral scores up to 2^62 as integers.
  ["ZADD", "big", "1e17", "a", "123456789012345678", "b", "4611686018427387904", "c"],
  ["ZADD", "big", "4611686018427388928", "d", "-4611686018427387904", "e", "1.5", "f"],
  ["ZADD", "big", "1e16", "g", "inf", "h", "-inf", "i", "0.1", "j"],
  ["ZSCAN", "big", "0"],
  ["ZSCAN", "big", "0", "MATCH", "b"],
  ["ZRANGE", "big", "0", "-1", "WITHSCORES"],
  ["ZSCORE", "big", "a"],
  // -0: a listpack stores 0; a ZADD INCR reply still says -0.
  ["ZADD", "nz", "-0", "a", "1", "b"],
  ["ZSCORE", "nz", "a"],
  ["ZADD", "nz", "-0", "b"],
  ["ZMSCORE", "nz", "a", "b"],
  ["ZADD", "nz", "INCR", "-0", "c"],
  ["ZSCORE", "nz", "c"],
  ["ZINCRBY", "nz", "-0", "c"],
  ["ZSCAN", "nz", "0"],
  ["ZRANGE", "nz", "0", "-1", "WITHSCORES"],
  ["ZUNION", "1", "nz", "WEIGHTS", "-1", "WITHSCORES"],
  ["ZUNIONSTORE", "nzu", "1", "nz", "WEIGHTS", "-1"],
  ["ZRANGE", "nzu", "0", "-1", "WITHSCORES"],
  ["ZRANGESTORE", "nzr", "nz", "0", "-1"],
  ["ZRANGE", "nzr", "0", "-1", "WITHSCORES"],
  ["ZADD", "lng", "-0", "x".repeat(65)],
  ["ZSCORE", "lng", "x".repeat(65)],
  ["ZSCAN", "lng", "0"],
  // ZINTER: NaN from a later source is aggregated as is; MIN/MAX keep ties.
  ["ZADD", "zi", "inf", "a", "0", "b", "-0", "c", "2", "d"],
  ["ZADD", "zs", "0.1", "a", "1", "b", "1", "c", "3", "d", "7", "e"],
  ["ZINTER", "2", "zs", "zi", "WEIGHTS", "2", "0", "WITHSCORES"],
  ["ZINTER", "2", "zs", "zi", "WEIGHTS", "2", "0", "AGGREGATE", "MIN", "WITHSCORES"],
  ["ZINTER", "2", "zs", "zi", "WEIGHTS", "2", "0", "AGGREGATE", "MAX", "WITHSCORES"],
  ["ZINTER", "2", "zi", "zi", "WEIGHTS", "10", "0", "WITHSCORES"],
  ["ZINTER", "2", "zi", "zs", "WEIGHTS", "0", "-1", "AGGREGATE", "MAX", "WITHSCORES"],
  ["ZINTERSTORE", "zd", "2", "zi", "zi", "WEIGHTS", "1", "0"],
  ["ZRANGE", "zd", "0", "-1", "WITHSCORES"],
  ["ZUNION", "2", "zi", "zs", "WEIGHTS", "-1", "0", "AGGREGATE", "MAX", "WITHSCORES"],
  ["ZUNION", "2", "zi", "zs", "WEIGHTS", "0", "1", "AGGREGATE", "MIN", "WITHSCORES"],
  ["ZUNION", "2", "zi", "zs", "WEIGHTS", "1", "0", "WITHSCORES"],
  ["ZINTERCARD", "2", "zi", "zs"],
];

Deno.test("sorted-set and geo numbers and listpack scores match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const mismatches: string[] = [];
    for (const resp of ["2", "3"]) {
      for (const c of [redis, atlas]) await c.call(["HELLO", resp], ["FLUSHALL"]);
      assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
      // Later lines read what earlier ones stored; all mismatches are reported together.
      mismatches.push(...await replyDifferences(redis, atlas, COMMANDS, undefined, `RESP${resp} `));
    }
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  }));
