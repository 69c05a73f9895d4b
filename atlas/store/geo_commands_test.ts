/**
 * GEO command tests. Expected values are reference values recorded from a real redis-server
 * 7.0.15 (Debian) with the same commands: scores, coordinates, distances and hashes are Redis's
 * own output, not values computed by this implementation.
 */
import assert from "node:assert/strict";
import {
  decodeScore,
  formatCoordinate,
  formatDistance,
  formatFixed,
  geohashString,
  geoScore,
} from "./geohash.ts";
import { pqsort } from "./pqsort.ts";
import { Harness, stateOf } from "./test_util.ts";

const WRONGTYPE = { err: "WRONGTYPE Operation against a key holding the wrong kind of value" };

function sicily(): Harness {
  const h = new Harness();
  assert.equal(
    h.run(
      "GEOADD",
      "Sicily",
      "13.361389",
      "38.115556",
      "Palermo",
      "15.087269",
      "37.502669",
      "Catania",
    ),
    2,
  );
  return h;
}

Deno.test("GEOADD scores, GEOPOS, GEODIST, GEOHASH: the Redis docs' Sicily example", () => {
  const h = sicily();
  assert.deepEqual(h.run("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"), [
    "Palermo",
    3479099956230698,
    "Catania",
    3479447370796909,
  ]);
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "Catania"), "166274.1516");
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "Catania", "km"), "166.2742");
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "Catania", "MI"), "103.3182");
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "Catania", "ft"), "545518.8700");
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "nosuch"), null);
  assert.equal(h.run("GEODIST", "nokey", "a", "b"), null);
  assert.deepEqual(h.run("GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"), [
    ["13.36138933897018433", "38.11555639549629859"],
    ["15.08726745843887329", "37.50266842333162032"],
    null,
  ]);
  assert.deepEqual(h.run("GEOPOS", "nokey", "a"), [null]);
  assert.deepEqual(h.run("GEOHASH", "Sicily", "Palermo", "Catania", "x"), [
    "sqc8b49rny0",
    "sqdtr74hyu0",
    null,
  ]);
  assert.deepEqual(h.run("GEOHASH", "nokey", "a", "b"), [null, null]);
});

Deno.test("GEORADIUS / GEOSEARCH / GEORADIUSBYMEMBER replies (Sicily)", () => {
  const h = sicily();
  assert.deepEqual(h.run("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD"), [
    ["Palermo", "190.4424", ["13.36138933897018433", "38.11555639549629859"]],
    ["Catania", "56.4413", ["15.08726745843887329", "37.50266842333162032"]],
  ]);
  assert.deepEqual(h.run("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHHASH"), [
    ["Palermo", 3479099956230698],
    ["Catania", 3479447370796909],
  ]);
  assert.equal(
    h.run("GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"),
    2,
  );
  assert.deepEqual(
    h.run(
      "GEOSEARCH",
      "Sicily",
      "FROMLONLAT",
      "15",
      "37",
      "BYBOX",
      "400",
      "400",
      "km",
      "ASC",
      "WITHCOORD",
      "WITHDIST",
    ),
    [
      ["Catania", "56.4413", ["15.08726745843887329", "37.50266842333162032"]],
      ["Palermo", "190.4424", ["13.36138933897018433", "38.11555639549629859"]],
      ["edge2", "279.7403", ["17.24151045083999634", "38.78813451624225195"]],
      ["edge1", "279.7405", ["12.7584877610206604", "38.78813451624225195"]],
    ],
  );
  assert.deepEqual(
    h.run("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "DESC"),
    ["Catania", "edge1", "Palermo"],
  );
  assert.deepEqual(h.run("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST"), [
    ["Palermo", "0.0000"],
    ["edge1", "91.4007"],
    ["Catania", "166.2742"],
  ]);
  assert.deepEqual(h.run("GEORADIUS_RO", "Sicily", "15", "37", "1", "m"), []);
  assert.deepEqual(h.run("GEORADIUS", "nokey", "15", "37", "1", "m"), []);
});

Deno.test("GEOSEARCHSTORE / GEORADIUS STORE, and their log replays to the same state", () => {
  const h = sicily();
  h.run("GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2");
  const box = ["FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "COUNT", "3"];
  assert.equal(h.run("GEOSEARCHSTORE", "dst", "Sicily", ...box, "STOREDIST"), 3);
  assert.deepEqual(h.run("ZRANGE", "dst", "0", "-1", "WITHSCORES"), [
    "Catania",
    56.441257870158204,
    "Palermo",
    190.44242984775784,
    "edge2",
    279.7403417843143,
  ]);
  assert.equal(h.run("GEOSEARCHSTORE", "dst2", "Sicily", ...box), 3);
  assert.deepEqual(h.run("ZRANGE", "dst2", "0", "-1", "WITHSCORES"), [
    "Palermo",
    3479099956230698,
    "Catania",
    3479447370796909,
    "edge2",
    3481342659049484,
  ]);
  assert.equal(h.run("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STORE", "st"), 3);
  assert.equal(h.run("ZCARD", "st"), 3);
  h.run("SET", "gone", "x");
  // No match: the destination is deleted (a DEL is logged), the reply is 0.
  assert.equal(h.run("GEORADIUS", "Sicily", "0", "0", "1", "km", "STOREDIST", "gone"), 0);
  assert.equal(h.run("EXISTS", "gone"), 0);
  assert.equal(h.run("GEOSEARCHSTORE", "st", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m"), 0);
  assert.equal(h.run("EXISTS", "st"), 0);
  assert.deepEqual(h.logs.filter((l) => l[0] === "DEL"), [["DEL", "gone"], ["DEL", "st"]]);
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});

Deno.test("GEOADD NX / XX / CH and logging", () => {
  const h = sicily();
  assert.equal(h.run("GEOADD", "Sicily", "XX", "CH", "1", "2", "Palermo", "3", "4", "nonex"), 1);
  assert.equal(h.run("GEOADD", "Sicily", "NX", "CH", "1", "2", "Palermo", "3", "4", "nonex"), 1);
  assert.equal(h.run("GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo"), 1);
  assert.equal(h.run("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"), 0);
  assert.equal(h.run("GEOADD", "nokey", "XX", "1", "2", "a"), 0);
  assert.equal(h.run("EXISTS", "nokey"), 0);
  const logged = h.logs.length;
  assert.equal(h.run("GEOADD", "Sicily", "NX", "1", "2", "Palermo"), 0);
  assert.equal(h.logs.length, logged, "a GEOADD that changes nothing is not logged");
  assert.deepEqual(stateOf(h.replay(h.clock.nowMs).store), stateOf(h.store));
});

Deno.test("edge coordinates and non-geo scores decode as in Redis", () => {
  const h = new Harness();
  assert.equal(
    h.run(
      "GEOADD",
      "g",
      "180",
      "85.05112878",
      "edge1",
      "-180",
      "-85.05112878",
      "edge2",
      "180",
      "-85.05112878",
      "edge3",
      "-180",
      "85.05112878",
      "edge4",
      "0",
      "0",
      "zero",
    ),
    5,
  );
  assert.deepEqual(h.run("ZRANGE", "g", "0", "-1", "WITHSCORES"), [
    "edge2",
    0,
    "zero",
    3377699720527872,
    "edge4",
    4503599627370496,
    "edge3",
    9007199254740992,
    "edge1",
    13510798882111488,
  ]);
  assert.deepEqual(h.run("GEOPOS", "g", "edge1", "edge2", "edge3", "edge4", "zero"), [
    ["180", "85.0511287799999991"],
    ["-179.99999731779098511", "-85.05112751263942528"],
    ["180", "-85.05112751263942528"],
    ["-179.99999731779098511", "85.0511287799999991"],
    ["0.00000268220901489", "0.00000126736058093"],
  ]);
  assert.deepEqual(h.run("GEOHASH", "g", "edge1", "edge2", "edge3", "edge4", "zero"), [
    "bp05b5048p0",
    "00bh0hbj200",
    "00bh0hbj200",
    "bp05b5048p0",
    "s0000000000",
  ]);
  // Scores written by ZADD that GEOADD never makes: Redis casts them to uint64 (x86-64).
  h.run(
    "ZADD",
    "w",
    "inf",
    "a",
    "-inf",
    "b",
    "-1",
    "c",
    "1.5",
    "d",
    "1e30",
    "e",
    "9223372036854775808",
    "f",
    "4503599627370496.5",
    "g",
  );
  assert.deepEqual(h.run("GEOPOS", "w", "a", "b", "c", "d", "e", "f", "g"), [
    ["-179.99999731779098511", "-85.05112751263942528"],
    ["180", "-85.05112751263942528"],
    ["180", "85.0511287799999991"],
    ["-179.99999731779098511", "-85.05112497791824921"],
    ["-179.99999731779098511", "-85.05112751263942528"],
    ["180", "-85.05112751263942528"],
    ["-179.99999731779098511", "85.0511287799999991"],
  ]);
  assert.deepEqual(h.run("GEOHASH", "w", "a", "b", "c", "d", "e"), [
    "00bh0hbj200",
    "00bh0hbj200",
    "bp05b5048p0",
    "00bh0hbj210",
    "00bh0hbj200",
  ]);
});

Deno.test("COUNT with equal distances keeps Redis's pqsort / qsort order", () => {
  const h = new Harness();
  const args: string[] = [];
  for (let n = 0; n < 30; n++) {
    args.push(String(10 + (n % 3) * 0.01), String(20 + (n % 2) * 0.01), `p${(n * 7) % 30}`);
  }
  assert.equal(h.run("GEOADD", "t", ...args), 30);
  const r = (...o: string[]) => h.run("GEORADIUS", "t", "10", "20", "100", "km", ...o);
  assert.deepEqual(r("COUNT", "7", "ASC"), ["p12", "p18", "p0", "p24", "p6", "p22", "p10"]);
  assert.deepEqual(r("COUNT", "7", "DESC"), ["p11", "p5", "p29", "p23", "p17", "p2", "p8"]);
  assert.deepEqual(r("COUNT", "3", "ANY"), ["p0", "p12", "p18"]);
  assert.deepEqual(
    r("ASC"),
    ("p0 p12 p18 p24 p6 p10 p16 p22 p28 p4 p15 p21 p27 p3 p9 p1 p13 p19 p25 p7 p14 p2 p20 " +
      "p26 p8 p11 p17 p23 p29 p5").split(" "),
  );
  const xs = [3, 1, 2, 1, 3, 0, 2, 1, 0, 3, 2];
  pqsort(xs, (a, b) => a - b, 0, xs.length - 1);
  assert.deepEqual(xs, [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
});

Deno.test("GEO errors: texts and order as Redis", () => {
  const h = sicily();
  const e = (text: string) => ({ err: text });
  const syntax = e("ERR syntax error");
  assert.deepEqual(
    h.run("GEOADD", "g", "200", "10", "a"),
    e("ERR invalid longitude,latitude pair 200.000000,10.000000"),
  );
  assert.deepEqual(
    h.run("GEOADD", "g", "-180.0000001", "85.05112879", "a"),
    e("ERR invalid longitude,latitude pair -180.000000,85.051129"),
  );
  assert.deepEqual(
    h.run("GEOADD", "g", "inf", "10", "a"),
    e("ERR invalid longitude,latitude pair inf,10.000000"),
  );
  assert.deepEqual(h.run("GEOADD", "g", "x", "10", "a"), e("ERR value is not a valid float"));
  assert.deepEqual(h.run("GEOADD", "g", "NX", "XX", "1", "2", "a"), syntax);
  assert.deepEqual(h.run("GEOADD", "g", "CH", "1", "2"), syntax);
  assert.deepEqual(h.run("GEOADD", "g", "NX", "CH", "CH"), syntax);
  assert.deepEqual(h.run("GEOADD", "g", "GT", "1", "2", "a"), syntax);
  assert.deepEqual(
    h.run("GEOADD", "g", "1", "2"),
    e("ERR wrong number of arguments for 'geoadd' command"),
  );
  const unit = e("ERR unsupported unit provided. please use M, KM, FT, MI");
  assert.deepEqual(h.run("GEODIST", "Sicily", "Palermo", "Catania", "xx"), unit);
  assert.deepEqual(h.run("GEODIST", "Sicily", "Palermo", "Catania", "km", "x"), syntax);
  assert.deepEqual(h.run("GEORADIUS", "Sicily", "0", "0", "100", "xx"), unit);
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "abc", "km"),
    e("ERR need numeric radius"),
  );
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "-1", "km"),
    e("ERR radius cannot be negative"),
  );
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "1", "km", "COUNT", "0"),
    e("ERR COUNT must be > 0"),
  );
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "1", "km", "COUNT", "x"),
    e("ERR value is not an integer or out of range"),
  );
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "1", "km", "ANY"),
    e("ERR the ANY argument requires COUNT argument"),
  );
  assert.deepEqual(
    h.run("GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "d", "WITHDIST"),
    e("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
  );
  assert.deepEqual(h.run("GEORADIUS_RO", "Sicily", "0", "0", "1", "km", "STORE", "d"), syntax);
  assert.deepEqual(
    h.run("GEORADIUSBYMEMBER", "Sicily", "nomember", "1", "km"),
    e("ERR could not decode requested zset member"),
  );
  // A missing key skips the member's radius parsing, as in Redis.
  assert.deepEqual(h.run("GEORADIUSBYMEMBER", "nokey", "m", "abc", "km"), []);
  assert.deepEqual(
    h.run("GEORADIUS", "nokey", "200", "0", "1", "km"),
    e("ERR invalid longitude,latitude pair 200.000000,0.000000"),
  );
  const s = (...a: string[]) => h.run("GEOSEARCH", "Sicily", ...a);
  assert.deepEqual(
    s("FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
    syntax,
  );
  assert.deepEqual(
    s("FROMLONLAT", "0", "0", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    syntax,
  );
  assert.deepEqual(s("FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "STORE", "x"), syntax);
  assert.deepEqual(
    s("BYRADIUS", "1", "km", "ASC", "WITHDIST"),
    e("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
  );
  assert.deepEqual(
    h.run("geosearch", "Sicily", "FROMLONLAT", "0", "0", "ASC", "WITHDIST"),
    e("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"),
  );
  assert.deepEqual(
    s("FROMLONLAT", "0", "0", "BYBOX", "-1", "1", "km"),
    e("ERR height or width cannot be negative"),
  );
  assert.deepEqual(s("FROMLONLAT", "0", "0", "BYBOX", "x", "1", "km"), e("ERR need numeric width"));
  assert.deepEqual(
    s("FROMLONLAT", "0", "0", "BYBOX", "1", "x", "km"),
    e("ERR need numeric height"),
  );
  assert.deepEqual(
    h.run(
      "GEOSEARCHSTORE",
      "d",
      "Sicily",
      "FROMLONLAT",
      "0",
      "0",
      "BYRADIUS",
      "1",
      "km",
      "WITHDIST",
    ),
    e("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
  );
  assert.deepEqual(
    h.run("GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0"),
    e("ERR wrong number of arguments for 'geosearch' command"),
  );
  h.run("SET", "str", "x");
  assert.deepEqual(h.run("GEOADD", "str", "1", "1", "a"), WRONGTYPE);
  assert.deepEqual(
    h.run("GEOADD", "str", "200", "1", "a"),
    e("ERR invalid longitude,latitude pair 200.000000,1.000000"),
  );
  assert.deepEqual(h.run("GEOPOS", "str", "a"), WRONGTYPE);
  assert.deepEqual(h.run("GEOHASH", "str", "a"), WRONGTYPE);
  assert.deepEqual(h.run("GEODIST", "str", "a", "b"), WRONGTYPE);
  assert.deepEqual(h.run("GEORADIUS", "str", "0", "0", "x", "km"), WRONGTYPE);
  assert.deepEqual(
    h.run("GEOSEARCHSTORE", "d", "str", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    WRONGTYPE,
  );
});

Deno.test("geohash.ts: formatting helpers match C printf", () => {
  assert.equal(formatFixed(1 / 32, 4), "0.0312"); // ties to even, like glibc
  assert.equal(formatFixed(3 / 32, 4), "0.0938");
  assert.equal(formatFixed(-0, 6), "-0.000000");
  assert.equal(formatFixed(1e300, 0).length, 301);
  assert.equal(formatCoordinate(-1e-20), "0");
  assert.equal(formatCoordinate(180), "180");
  assert.equal(formatDistance(0), "0.0000");
  assert.equal(geoScore(13.361389, 38.115556), 3479099956230698);
  assert.equal(geoScore(181, 0), null);
  assert.deepEqual(decodeScore(0), [-179.99999731779098, -85.05112751263943]);
  assert.equal(geohashString(3479447370796909), "sqdtr74hyu0");
});

Deno.test("GEORADIUS STORE bounds its undeclared destination key like declared keys", () => {
  const h = new Harness({ limits: { keysMax: 1, keyBytesMax: 8 } });
  h.run("GEOADD", "g", "13.361389", "38.115556", "Palermo");
  assert.deepEqual(h.run("GEORADIUS", "g", "13", "38", "100", "km", "STORE", "dst"), {
    err: "ERR keyspace is full: 1 keys (keysMax)",
  });
  assert.deepEqual(h.run("GEORADIUS", "g", "13", "38", "100", "km", "STORE", "longer-than-8"), {
    err: "ERR key exceeds the limit of 8 bytes (keyBytesMax)",
  });
  assert.equal(h.run("GEORADIUS", "g", "13", "38", "100", "km", "STORE", "g"), 1);
});

Deno.test("GEOADD that adds or moves nothing tells no listener (WATCH); option words end at NUL", () => {
  const h = sicily();
  const heard: (string | null)[] = [];
  h.store.setModificationListener((key) => heard.push(key));
  // Redis's ZADD signals the key only when a member was added or moved.
  assert.equal(h.run("GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo"), 0);
  assert.equal(h.run("GEOADD", "Sicily", "NX", "1", "1", "Palermo"), 0);
  assert.equal(h.run("GEOADD", "Sicily", "XX", "1", "1", "new"), 0);
  assert.deepEqual(heard, []);
  // The first pair changes nothing, the second moves the member the first named.
  assert.equal(
    h.run("GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo", "1", "1", "Palermo"),
    1,
  );
  assert.deepEqual(heard, ["Sicily"]);
  h.store.setModificationListener(null);
  // strcasecmp compares C strings: "km\0x" is km, "NX\0" is NX, "WITHDIST\0x" is WITHDIST.
  assert.equal(h.run("GEODIST", "Sicily", "Palermo", "Catania", "km\0x"), "4309.1032");
  assert.equal(h.run("GEOADD", "Sicily", "NX\0", "CH\0", "2", "2", "Palermo"), 0);
  assert.deepEqual(h.run("GEORADIUS", "Sicily", "1", "1", "1", "km\0", "WITHDIST\0x"), [
    ["Palermo", "0.0001"],
  ]);
  assert.deepEqual(h.run("GEORADIUS", "Sicily", "1", "1", "1", "k\0m"), {
    err: "ERR unsupported unit provided. please use M, KM, FT, MI",
  });
});
