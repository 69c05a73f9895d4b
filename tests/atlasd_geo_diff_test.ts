/**
 * Side by side with redis-server 7.0.15: the geo commands beyond the number parsing of
 * atlasd_zset_geo_edge_diff_test.ts. Option words, units and GEOADD's NX/XX/CH are compared with
 * strcasecmp, so they end at a NUL byte ("km\0junk" is km, "WITHDIST\0x" is WITHDIST, "STORE\0"
 * is STORE); and a GEOADD that adds or moves nothing (a member already at that position, NX on
 * existing members, XX on missing ones) leaves a WATCHed key untouched, as Redis's ZADD signals
 * the key only when it changed. Before this test atlasd answered those words with "ERR syntax
 * error" / "ERR unsupported unit", and such a GEOADD broke a WATCH. The neighbouring lines pin
 * what already agreed: GEOADD option conflicts and coordinate errors, GEOPOS / GEODIST / GEOHASH
 * of missing members and keys, units, the search commands' option errors and their order,
 * reply shapes (WITHCOORD / WITHDIST / WITHHASH in RESP2 and RESP3), COUNT / ANY, STORE /
 * STOREDIST (refused by the _RO forms), points at the poles and on the antimeridian, huge radii
 * and boxes, zero radii, and searches over sorted sets whose scores GEOADD never makes.
 */
import assert from "node:assert/strict";
import {
  replyDifferences,
  type WatchCase,
  watchDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
  ["GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
  ["GEOADD", "g", "1", "1", "a", "1.0001", "1", "b", "1", "1.0001", ""],
  ["GEOADD", "p", "0", "85", "n1", "90", "85", "n2", "180", "85", "n3", "-180", "85", "n4"],
  ["GEOADD", "p", "-90", "85.05112878", "n5", "0", "-85", "s1", "179.9999", "-85", "s2"],
  ["GEOADD", "a", "179.999", "0", "e1", "-179.999", "0", "w1", "180", "0", "e2", "-180", "0", "w2"],
  ["GEOADD", "a", "179.5", "10", "e3", "-179.5", "-10", "w3"],
  ["ZADD", "z", "-1", "neg", "0", "zero", "1.5", "frac", "4503599627370495", "top", "inf", "pinf"],
  ["SET", "str", "x"],
];

/** Replies to these, in order, must equal Redis's (RESP2, then again under RESP3). */
const COMMANDS: string[][] = [
  // strcasecmp: an option word, a unit or a GEOADD flag ends at its first NUL byte.
  ["GEORADIUS", "g", "1", "1", "1", "km\0"],
  ["GEORADIUS", "g", "1", "1", "1", "KM\0junk", "ASC\0", "WITHDIST\0x", "COUNT\0", "1"],
  ["GEORADIUS", "g", "1", "1", "1", "km", "DESC\0"],
  ["GEODIST", "g", "a", "b", "ft\0"],
  ["GEODIST", "g", "a", "b", "\0"],
  ["GEODIST", "g", "a", "b", "f\0t"],
  ["GEOADD", "g", "NX\0y", "CH\0", "1", "1", "c"],
  ["GEOADD", "g", "xx\0", "1", "1", "d"],
  ["GEOSEARCH", "g", "FROMMEMBER\0", "a", "BYBOX\0", "1", "1", "m\0", "WITHCOORD\0", "DESC\0"],
  ["GEOSEARCH", "g", "FROMLONLAT\0", "1", "1", "BYRADIUS\0z", "1", "mi\0", "ANY\0", "COUNT", "1"],
  ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STOREDIST\0"],
  ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
  ["GEORADIUS", "g", "1", "1", "1", "km", "STORE\0", "d2"],
  ["ZRANGE", "d2", "0", "-1", "WITHSCORES"],
  ["GEORADIUSBYMEMBER", "g", "a", "1", "km", "WITHHASH\0", "STOREDIST\0"],
  ["GEORADIUS", "g", "1", "1", "1", "km", "\0"],
  ["GEORADIUS", "g", "1", "1", "1", "km", "WITHDISTX"],
  ["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "k\0" + "m".repeat(40)],
  ["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "WITHDIST\0" + "x".repeat(40)],
  // GEOADD: flags, conflicts, odd argument counts, coordinates out of range.
  ["GEOADD", "g", "NX", "XX", "1", "2", "x"],
  ["GEOADD", "g", "NX", "1", "2"],
  ["GEOADD", "g", "1", "2", "x", "y"],
  ["GEOADD", "g", "CH", "CH", "1", "2", "a"],
  ["GEOADD", "g", "XX", "CH", "1", "2", "zz", "1.5", "2", "a"],
  ["GEOADD", "g", "NX", "CH", "3", "4", "a", "3", "4", "new"],
  ["GEOADD", "g", "CH", "3", "4", "dup", "5", "6", "dup"],
  ["GEOADD", "nokey", "XX", "1", "2", "x"],
  ["EXISTS", "nokey"],
  ["GEOADD", "g", "180", "85.05112878", "corner"],
  ["GEOADD", "g", "180", "85.05112879", "x"],
  ["GEOADD", "g", "-180.0000001", "0", "x"],
  ["GEOADD", "g", "1", "2", "ok", "200", "0", "bad"],
  ["GEOADD", "g", "-1e-300", "86", "x"],
  ["GEOADD", "g", "1e300", "0", "x"],
  ["GEOADD", "g", "inf", "0", "x"],
  ["GEOADD", "g", "nan", "0", "x"],
  ["GEOADD", "str", "200", "0", "x"],
  ["GEOADD", "str", "1", "2", "x"],
  // GEOPOS / GEODIST / GEOHASH.
  ["GEOPOS", "g", "a", "", "nosuch", "corner", "dup"],
  ["GEOPOS", "nokey", "a", "b"],
  ["GEOPOS", "g"],
  ["GEOPOS", "str", "a"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "m"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "KM"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "mi"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "cm"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"],
  ["GEODIST", "Sicily", "Palermo", "nosuch"],
  ["GEODIST", "Sicily", "Palermo", "Palermo", "km"],
  ["GEODIST", "nokey", "a", "b", "bad"],
  ["GEODIST", "nokey", "a", "b"],
  ["GEODIST", "str", "a", "b", "bad"],
  ["GEODIST", "str", "a", "b"],
  ["GEODIST", "a", "e2", "w2"],
  ["GEODIST", "p", "n1", "s1", "mi"],
  ["GEOHASH", "Sicily", "Palermo", "Catania", "nosuch"],
  ["GEOHASH", "p", "n1", "n2", "n3", "n4", "n5", "s1", "s2"],
  ["GEOHASH", "a", "e1", "w1", "e2", "w2"],
  ["GEOHASH", "nokey", "a"],
  ["GEOHASH", "str", "a"],
  // Reply shapes and options.
  [
    "GEOSEARCH",
    "Sicily",
    "FROMMEMBER",
    "Palermo",
    "BYRADIUS",
    "200",
    "km",
    "WITHHASH",
    "WITHCOORD",
  ],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "WITHDIST", "DESC"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "COUNT", "2"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "2", "ANY"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "ANY"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "0"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "-1"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "x"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo"],
  ["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km"],
  ["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "FROMMEMBER", "nosuch"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "x", "km"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "parsec"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "parsec"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "x"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"],
  ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "x", "km"],
  ["GEOSEARCH", "str", "FROMMEMBER", "x"],
  ["GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "WITHDIST"],
  ["GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "ANY"],
  ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"],
  ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
  ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"],
  ["EXISTS", "dst"],
  [
    "GEORADIUS",
    "Sicily",
    "15",
    "37",
    "200",
    "km",
    "WITHCOORD",
    "WITHDIST",
    "WITHHASH",
    "COUNT",
    "2",
  ],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1", "STOREDIST", "d3"],
  ["EXISTS", "d1", "d3"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1", "WITHDIST"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"],
  ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x"],
  ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STOREDIST", "x"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
  ["GEORADIUS", "Sicily", "200", "37", "x", "parsec"],
  ["GEORADIUS", "str", "200", "37", "200", "km"],
  ["GEORADIUS", "nokey", "15", "37", "200", "km", "ANY"],
  ["GEORADIUSBYMEMBER", "Sicily", "nosuch", "x", "km"],
  ["GEORADIUSBYMEMBER", "nokey", "nosuch", "x", "km"],
  ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST", "d5", "DESC", "COUNT", "2"],
  ["ZRANGE", "d5", "0", "-1", "WITHSCORES"],
  // The poles, the antimeridian, huge and zero radii.
  ["GEOSEARCH", "p", "FROMLONLAT", "0", "85", "BYRADIUS", "1000", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "p", "FROMLONLAT", "0", "85.05112878", "BYRADIUS", "2000", "km", "WITHCOORD"],
  ["GEOSEARCH", "p", "FROMLONLAT", "180", "-85", "BYRADIUS", "100", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "p", "FROMLONLAT", "0", "85", "BYBOX", "40000", "400", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "a", "FROMLONLAT", "180", "0", "BYRADIUS", "100", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "a", "FROMLONLAT", "-180", "0", "BYBOX", "3000", "3000", "km", "DESC", "WITHHASH"],
  ["GEOSEARCH", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "a", "FROMLONLAT", "0", "0", "BYRADIUS", "1e300", "km", "ASC", "WITHDIST"],
  ["GEOSEARCH", "p", "FROMLONLAT", "0", "0", "BYBOX", "inf", "inf", "km", "ASC"],
  ["GEORADIUS", "a", "0", "0", "1.7e308", "mi", "ASC", "WITHDIST"],
  ["GEORADIUSBYMEMBER", "a", "e2", "0", "m", "WITHDIST", "WITHCOORD"],
  ["GEORADIUSBYMEMBER", "p", "n1", "20000", "km", "WITHDIST", "WITHHASH", "DESC", "COUNT", "3"],
  // Scores GEOADD never makes still decode (and are searched as Redis does).
  ["GEOPOS", "z", "neg", "zero", "frac", "top", "pinf"],
  ["GEOHASH", "z", "neg", "zero", "frac", "top", "pinf"],
  ["GEOSEARCH", "z", "FROMMEMBER", "zero", "BYRADIUS", "100", "km", "WITHHASH", "WITHDIST"],
  ["GEOSEARCH", "z", "FROMLONLAT", "180", "85", "BYRADIUS", "300", "km", "WITHHASH"],
  // COUNT cutting through equal distances
  // (Redis 7.0.15's pqsort has no switch to insertion sort), and GETKEYS from the key specs.
  ["GEOADD", "t", "0", "0", "p0", "1", "0", "p1", "0", "0", "p2", "2", "0", "p3", "2", "0", "p4"],
  ["GEOADD", "t", "0", "0", "p5", "2", "0", "p6"],
  ["GEOSEARCH", "t", "FROMLONLAT", "0", "0", "BYRADIUS", "1000", "km", "ASC", "COUNT", "4"],
  ["GEOSEARCH", "t", "FROMLONLAT", "0", "0", "BYRADIUS", "1000", "km", "COUNT", "3"],
  ["GEOADD", "t2", "2", "0", "p0", "2", "0", "p1", "0", "0", "p2", "2", "0", "p3", "0", "0", "p4"],
  ["GEOADD", "t2", "1", "0", "p5", "0", "0", "p6"],
  [
    "GEOSEARCHSTORE",
    "u",
    "t2",
    "FROMLONLAT",
    "0",
    "0",
    "BYRADIUS",
    "1000",
    "km",
    "ASC",
    "COUNT",
    "2",
  ],
  ["ZRANGE", "u", "0", "-1"],
  ["COMMAND", "GETKEYS", "GEORADIUS", "g", "15", "37", "200", "km", "STORE", "a", "STORE", "b"],
  ["COMMAND", "GETKEYS", "GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "a", "STORE", "b"],
  ["COMMAND", "GETKEYS", "GEORADIUS", "g", "1", "2", "3", "km", "STORE", "x", "STORE"],
  ["COMMAND", "GETKEYS", "GEORADIUS", "g", "1", "2", "store", "x", "km"],
  ["COMMAND", "GETKEYS", "GEORADIUS", "g", "1", "2", "3", "km", "STORE\0x", "d"],
  ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "g", "STORE", "200", "km"],
  ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "g", "m", "200", "km", "STORE", "d"],
  ["COMMAND", "GETKEYS", "SORT", "l", "STORE\0", "d"],
];

/** The other connection's command between WATCH and EXEC, and the key watched. */
const WATCH_CASES: WatchCase[] = [
  // Nothing added or moved: the key is untouched.
  { op: ["GEOADD", "g", "13.361389", "38.115556", "Palermo"], watch: "g" },
  { op: ["GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo"], watch: "g" },
  { op: ["GEOADD", "g", "NX", "1", "1", "Palermo"], watch: "g" },
  { op: ["GEOADD", "g", "XX", "1", "1", "new"], watch: "g" },
  { op: ["GEOADD", "nokey", "XX", "1", "1", "new"], watch: "nokey" },
  { op: ["GEOADD", "g", "200", "1", "Palermo"], watch: "g" },
  // A change anywhere in the command touches it.
  { op: ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "1", "1", "new"], watch: "g" },
  { op: ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "1", "1", "Palermo"], watch: "g" },
  { op: ["GEOADD", "g", "XX", "1", "1", "Palermo"], watch: "g" },
  { op: ["GEOADD", "g", "NX", "1", "1", "new"], watch: "g" },
  // ZADD under a GEO set alike: only an added or moved member touches the key.
  { op: ["ZADD", "zw", "1", "a"], watch: "zw" },
  { op: ["ZADD", "zw", "NX", "5", "a"], watch: "zw" },
  { op: ["ZADD", "zw", "XX", "CH", "1", "new"], watch: "zw" },
  { op: ["ZADD", "zw", "GT", "0", "a"], watch: "zw" },
  { op: ["ZADD", "zw", "INCR", "0", "b"], watch: "zw" },
  { op: ["ZADD", "zw", "3", "a"], watch: "zw" },
  // Stores: an empty result deletes the destination (touching it only when it existed).
  { op: ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], watch: "d" },
  {
    op: ["GEOSEARCHSTORE", "old", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
    watch: "old",
  },
  {
    op: ["GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"],
    watch: "d",
  },
  { op: ["GEORADIUS", "nokey", "15", "37", "500", "km", "STORE", "old"], watch: "old" },
  { op: ["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"], watch: "g" },
];

/** What the other connection stores before each case. */
const WATCH_SETUP: string[][] = [
  ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
  ["SET", "old", "x"],
  ["ZADD", "zw", "1", "a", "2", "b"],
];

Deno.test("geo commands match redis-server: options, errors, shapes, poles, NUL-ended words", () =>
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

Deno.test("which geo writes touch a WATCHed key, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const differences = await watchDifferences(servers, WATCH_CASES, WATCH_SETUP);
    assert.deepEqual(differences, [], differences.join("\n"));
  }));
