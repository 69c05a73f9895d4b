/**
 * GEO commands (Redis 7.0): GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH GEOSEARCHSTORE and the older
 * GEORADIUS / GEORADIUSBYMEMBER (+ _RO). A geo value is a sorted set whose score is the 52-bit
 * interleaved geohash (geohash.ts); option parsing, error order and texts follow Redis's geo.c.
 *
 * Coordinates are replied as Redis does: doubles carrying Redis's addReplyHumanLongDouble text
 * ("%.17Lf", trimmed), so RESP3 clients get `,13.36...` and RESP2 clients that text in a bulk
 * string.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import {
  boxScores,
  decodeScore,
  distance,
  distanceIfWithin,
  formatCoordinate,
  formatDistance,
  formatFixed,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geohashString,
  geoScore,
  type GeoShape,
  type HashBits,
  searchBoxes,
} from "./geohash.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { pqsort } from "./pqsort.ts";
import { array, bulk, EMPTY_ARRAY, error, integer, NIL, NIL_ARRAY, type Reply } from "./reply.ts";
import { cWord, exceedsLength, lookupAs, parseInt64Arg } from "./util.ts";
import { parseScoreArg } from "./zset_commands.ts";
import { ZSetValue } from "./zset_value.ts";

const G = "geo";

function isReply(x: unknown): x is Reply {
  return typeof x === "object" && x !== null && "kind" in x;
}

/** extractLongLatOrReply: two floats, then the WGS84 bounds check. */
function extractLongLat(argv: string[], i: number): [number, number] | Reply {
  const lon = parseScoreArg(argv[i]);
  if (lon === null) return ERR_NOT_FLOAT;
  const lat = parseScoreArg(argv[i + 1]);
  if (lat === null) return ERR_NOT_FLOAT;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    return error(
      `ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`,
    );
  }
  return [lon, lat];
}

/** extractUnitOrReply: meters per unit (strcasecmp: "km\0x" is km). */
function extractUnit(text: string): number | Reply {
  switch (cWord(text)) {
    case "m":
      return 1;
    case "km":
      return 1000;
    case "ft":
      return 0.3048;
    case "mi":
      return 1609.34;
  }
  return error("ERR unsupported unit provided. please use M, KM, FT, MI");
}

/** A float argument with Redis's custom message ("ERR need numeric radius"). */
function numeric(text: string, what: string): number | Reply {
  const v = parseScoreArg(text);
  return v === null ? error(`ERR need numeric ${what}`) : v;
}

/** extractDistanceOrReply: [radius, conversion]. */
function extractDistance(argv: string[], i: number): [number, number] | Reply {
  const radius = numeric(argv[i], "radius");
  if (isReply(radius)) return radius;
  if (radius < 0) return error("ERR radius cannot be negative");
  const conversion = extractUnit(argv[i + 1]);
  if (isReply(conversion)) return conversion;
  return [radius, conversion];
}

/** extractBoxOrReply: [width, height, conversion]. */
function extractBox(argv: string[], i: number): [number, number, number] | Reply {
  const width = numeric(argv[i], "width");
  if (isReply(width)) return width;
  const height = numeric(argv[i + 1], "height");
  if (isReply(height)) return height;
  if (height < 0 || width < 0) return error("ERR height or width cannot be negative");
  const conversion = extractUnit(argv[i + 2]);
  if (isReply(conversion)) return conversion;
  return [width, height, conversion];
}

/** Whether GEOADD's pair (member, score) adds or moves a member of `z`. */
function changes(z: ZSetValue, member: string, score: number, nx: boolean, xx: boolean): boolean {
  const current = z.score(member);
  return current === undefined ? !xx : !nx && current !== score;
}

/** GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]: a ZADD of geohash scores. */
function geoadd(ks: Keyspace, argv: string[]): Reply {
  let xx = false, nx = false, ch = false;
  let longidx = 2;
  for (; longidx < argv.length; longidx++) {
    const opt = cWord(argv[longidx]); // strcasecmp: up to a NUL byte
    if (opt === "nx") nx = true;
    else if (opt === "xx") xx = true;
    else if (opt === "ch") ch = true;
    else break;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) return ERR_SYNTAX;
  const scores: number[] = [];
  const members: string[] = [];
  for (let i = longidx; i < argv.length; i += 3) {
    const xy = extractLongLat(argv, i);
    if (isReply(xy)) return xy;
    scores.push(geoScore(xy[0], xy[1]) as number);
    members.push(argv[i + 2]);
  }
  if (scores.length === 0) return ERR_SYNTAX; // the ZADD it becomes has no score-member pair
  const key = argv[1];
  let z = lookupAs(ks, key, ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z !== undefined && !scores.some((s, j) => changes(z as ZSetValue, members[j], s, nx, xx))) {
    // Nothing to add or move: no change at all (Redis's ZADD signals the key only when it
    // changed, so a WATCH on it still holds). Until a pair changes something, every pair sees
    // the set as it was, so testing each against it is exact.
    return integer(0);
  }
  const tooLong = exceedsLength(ks, z?.size ?? 0, scores.length);
  if (tooLong !== null) return tooLong;
  if (z === undefined) {
    if (xx) return integer(0);
    z = ks.createCollection(key, new ZSetValue());
  }
  const before = ks.beginMutation(key, z);
  let added = 0, updated = 0;
  for (let j = 0; j < scores.length; j++) {
    const current = z.score(members[j]);
    if (current === undefined) {
      if (xx) continue;
      z.add(members[j], scores[j]);
      added++;
    } else if (!nx && current !== scores[j]) {
      z.add(members[j], scores[j]);
      updated++;
    }
  }
  ks.endMutation(key, z, before);
  if (added + updated > 0) {
    ks.notify(EventClass.ZSet, "zadd", key); // GEOADD runs as ZADD in Redis
    ks.emit(argv);
  }
  return integer(ch ? added + updated : added);
}

/** [lon, lat] as doubles printed the way Redis prints coordinates (RESP3 `,`, RESP2 bulk). */
function lonLatReply(lon: number, lat: number): Reply {
  return array([
    { kind: "double", value: lon, text: formatCoordinate(lon) },
    { kind: "double", value: lat, text: formatCoordinate(lat) },
  ]);
}

function coordinates(score: number): Reply {
  const [lon, lat] = decodeScore(score);
  return lonLatReply(lon, lat);
}

/** GEOPOS key member...: [lon, lat] per member, nil arrays for the missing. */
function geopos(ks: Keyspace, argv: string[]): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    out.push(s === undefined ? NIL_ARRAY : coordinates(s));
  }
  return array(out);
}

/** GEODIST key m1 m2 [unit]. */
function geodist(ks: Keyspace, argv: string[]): Reply {
  let toMeter = 1;
  if (argv.length === 5) {
    const u = extractUnit(argv[4]);
    if (isReply(u)) return u;
    toMeter = u;
  } else if (argv.length > 5) return ERR_SYNTAX;
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined) return NIL;
  const s1 = z.score(argv[2]);
  const s2 = z.score(argv[3]);
  if (s1 === undefined || s2 === undefined) return NIL;
  const [lon1, lat1] = decodeScore(s1);
  const [lon2, lat2] = decodeScore(s2);
  return bulk(formatDistance(distance(lon1, lat1, lon2, lat2) / toMeter));
}

/** GEOHASH key member...: 11-char standard geohashes, nil for the missing. */
function geohash(ks: Keyspace, argv: string[]): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    out.push(s === undefined ? NIL : bulk(geohashString(s)));
  }
  return array(out);
}

interface GeoPoint {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/** geoGetPointsInRange: members with min <= score < max that fall inside the shape. */
function pointsInRange(
  z: ZSetValue,
  min: number,
  max: number,
  shape: GeoShape,
  out: GeoPoint[],
  limit: number,
): void {
  if (!(min < max)) return;
  let n = z.firstInScoreRange({ min, max, minEx: false, maxEx: true });
  while (n !== null && n.score < max) {
    const [lon, lat] = decodeScore(n.score);
    const dist = distanceIfWithin(shape, lon, lat);
    if (dist !== null) out.push({ member: n.member, score: n.score, lon, lat, dist });
    if (limit > 0 && out.length >= limit) break;
    n = n.next;
  }
}

/** membersOfAllNeighbors: scans the 9 boxes in Redis's order, skipping a repeat of the last. */
function membersOfAllNeighbors(z: ZSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const boxes: HashBits[] = searchBoxes(shape);
  const out: GeoPoint[] = [];
  let last = 0;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (b.bits === 0n && b.step === 0) continue;
    if (last !== 0 && b.bits === boxes[last].bits && b.step === boxes[last].step) continue;
    if (limit > 0 && out.length >= limit) break;
    const [min, max] = boxScores(b);
    pointsInRange(z, min, max, shape, out, limit);
    last = i;
  }
  return out;
}

const SORT_ASC = (a: GeoPoint, b: GeoPoint): number =>
  a.dist === b.dist ? 0 : a.dist > b.dist ? 1 : -1;
const SORT_DESC = (a: GeoPoint, b: GeoPoint): number =>
  a.dist === b.dist ? 0 : a.dist > b.dist ? -1 : 1;

/** A score as Redis's addReplyLongLong((long long)score). */
function scoreInteger(score: number): Reply {
  const t = Math.trunc(score);
  return Number.isSafeInteger(t) ? integer(t) : integer(BigInt(t));
}

interface SearchFlags {
  coords?: boolean; // GEORADIUS: lon lat radius unit
  member?: boolean; // GEORADIUSBYMEMBER: member radius unit
  noStore?: boolean; // the _RO forms
  search?: boolean; // GEOSEARCH
  searchStore?: boolean; // GEOSEARCHSTORE
}

/** georadiusGeneric: every search command, with Redis's parse and error order. */
function georadiusGeneric(ks: Keyspace, argv: string[], src: number, f: SearchFlags): Reply {
  // A read lookup even for the STORE forms (hits / misses, "keymiss"), as Redis's georadiusGeneric.
  const v = ks.lookupRead(argv[src]);
  const z = v === undefined ? undefined : v instanceof ZSetValue ? v : null;
  if (z === null) return WRONGTYPE;
  let storeKey: string | null = null;
  let storeDist = false;
  let lon = 0, lat = 0, conversion = 1;
  let radius = 0, width = 0, height = 0;
  let type: "radius" | "box" | null = null;
  let baseArgs: number;
  if (f.coords) {
    baseArgs = 6;
    const xy = extractLongLat(argv, 2);
    if (isReply(xy)) return xy;
    [lon, lat] = xy;
    const d = extractDistance(argv, 4);
    if (isReply(d)) return d;
    [radius, conversion] = d;
    type = "radius";
  } else if (f.member && z === undefined) {
    baseArgs = 5;
  } else if (f.member) {
    baseArgs = 5;
    const s = (z as ZSetValue).score(argv[2]);
    if (s === undefined) return error("ERR could not decode requested zset member");
    [lon, lat] = decodeScore(s);
    const d = extractDistance(argv, 3);
    if (isReply(d)) return d;
    [radius, conversion] = d;
    type = "radius";
  } else {
    baseArgs = 2;
    if (f.searchStore) {
      baseArgs = 3;
      storeKey = argv[1];
    }
  }
  let withDist = false, withHash = false, withCoords = false;
  let fromMember = false, fromLoc = false, byRadius = false, byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    const arg = cWord(argv[at]); // strcasecmp: "WITHDIST\0x" is WITHDIST
    if (arg === "withdist") withDist = true;
    else if (arg === "withhash") withHash = true;
    else if (arg === "withcoord") withCoords = true;
    else if (arg === "any") any = true;
    else if (arg === "asc") sort = "asc";
    else if (arg === "desc") sort = "desc";
    else if (arg === "count" && i + 1 < remaining) {
      const n = parseInt64Arg(argv[at + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n <= 0) return error("ERR COUNT must be > 0");
      count = Number(n);
      i++;
    } else if (
      (arg === "store" || arg === "storedist") && i + 1 < remaining && !f.noStore && !f.search
    ) {
      storeKey = argv[at + 1];
      storeDist = arg === "storedist";
      i++;
    } else if (arg === "storedist" && f.search && f.searchStore) {
      storeDist = true;
    } else if (arg === "frommember" && i + 1 < remaining && f.search && !fromLoc) {
      if (z !== undefined) {
        const s = z.score(argv[at + 1]);
        if (s === undefined) return error("ERR could not decode requested zset member");
        [lon, lat] = decodeScore(s);
      }
      fromMember = true;
      i++;
    } else if (arg === "fromlonlat" && i + 2 < remaining && f.search && !fromMember) {
      const xy = extractLongLat(argv, at + 1);
      if (isReply(xy)) return xy;
      [lon, lat] = xy;
      fromLoc = true;
      i += 2;
    } else if (arg === "byradius" && i + 2 < remaining && f.search && !byBox) {
      const d = extractDistance(argv, at + 1);
      if (isReply(d)) return d;
      [radius, conversion] = d;
      type = "radius";
      byRadius = true;
      i += 2;
    } else if (arg === "bybox" && i + 3 < remaining && f.search && !byRadius) {
      const b = extractBox(argv, at + 1);
      if (isReply(b)) return b;
      [width, height, conversion] = b;
      type = "box";
      byBox = true;
      i += 3;
    } else return ERR_SYNTAX;
  }
  if (storeKey !== null && (withDist || withHash || withCoords)) {
    const who = f.searchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    return error(`ERR ${who} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (f.search && !(fromMember || fromLoc)) {
    return error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
  }
  if (f.search && !(byRadius || byBox)) {
    return error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) return error("ERR the ANY argument requires COUNT argument");
  if (z === undefined) {
    if (storeKey === null) return EMPTY_ARRAY;
    if (ks.deleteKey(storeKey)) {
      ks.notify(EventClass.Generic, "del", storeKey);
      ks.emit(["DEL", storeKey]);
    }
    return integer(0);
  }
  if (count !== 0 && sort === "none" && !any) sort = "asc";
  const shape: GeoShape = type === "box"
    ? { type: "box", lon, lat, conversion, width, height }
    : { type: "radius", lon, lat, conversion, radius };
  const found = membersOfAllNeighbors(z, shape, any ? count : 0);
  if (found.length === 0 && storeKey === null) return EMPTY_ARRAY;
  const returned = count === 0 || found.length < count ? found.length : count;
  if (sort !== "none") {
    const cmp = sort === "asc" ? SORT_ASC : SORT_DESC;
    if (returned === found.length) found.sort(cmp); // glibc qsort: a stable merge sort
    else pqsort(found, cmp, 0, returned - 1);
  }
  if (storeKey === null) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
    const out: Reply[] = [];
    for (let i = 0; i < returned; i++) {
      const p = found[i];
      if (options === 0) {
        out.push(bulk(p.member));
        continue;
      }
      const item: Reply[] = [bulk(p.member)];
      if (withDist) item.push(bulk(formatDistance(p.dist / conversion)));
      if (withHash) item.push(scoreInteger(p.score));
      if (withCoords) item.push(lonLatReply(p.lon, p.lat));
      out.push(array(item));
    }
    return array(out);
  }
  if (returned === 0) {
    if (ks.deleteKey(storeKey)) {
      ks.notify(EventClass.Generic, "del", storeKey);
      ks.emit(["DEL", storeKey]);
    }
    return integer(0);
  }
  if (!f.searchStore) {
    // GEORADIUS declares only its source key: bound the STORE destination like Store does.
    const limits = ks.limits;
    if (storeKey.length > limits.keyBytesMax) {
      return error(`ERR key exceeds the limit of ${limits.keyBytesMax} bytes (keyBytesMax)`);
    }
    if (ks.data.size >= limits.keysMax && !ks.data.has(storeKey)) {
      return error(`ERR keyspace is full: ${limits.keysMax} keys (keysMax)`);
    }
  }
  const dst = new ZSetValue();
  for (let i = 0; i < returned; i++) {
    const p = found[i];
    dst.add(p.member, storeDist ? p.dist / conversion : p.score);
  }
  ks.setValue(storeKey, dst);
  ks.notify(EventClass.ZSet, f.searchStore ? "geosearchstore" : "georadiusstore", storeKey);
  // Deterministic given the source set (which the log reproduces), like ZRANGESTORE.
  ks.emit(argv);
  return integer(returned);
}

const K: [number, number, number] = [1, 1, 1];
const WM = "write denyoom movablekeys";

export const GEO_COMMANDS: readonly BuiltinCommand[] = [
  command("geoadd", -5, "write denyoom", K, G, geoadd),
  command("geopos", -2, "readonly", K, G, geopos),
  command("geodist", -4, "readonly", K, G, geodist),
  command("geohash", -2, "readonly", K, G, geohash),
  command("georadius", -6, WM, K, G, (ks, a) => georadiusGeneric(ks, a, 1, { coords: true })),
  command(
    "georadius_ro",
    -6,
    "readonly",
    K,
    G,
    (ks, a) => georadiusGeneric(ks, a, 1, { coords: true, noStore: true }),
  ),
  command(
    "georadiusbymember",
    -5,
    WM,
    K,
    G,
    (ks, a) => georadiusGeneric(ks, a, 1, { member: true }),
  ),
  command(
    "georadiusbymember_ro",
    -5,
    "readonly",
    K,
    G,
    (ks, a) => georadiusGeneric(ks, a, 1, { member: true, noStore: true }),
  ),
  command(
    "geosearch",
    -7,
    "readonly",
    K,
    G,
    (ks, a) => georadiusGeneric(ks, a, 1, { search: true }),
  ),
  command(
    "geosearchstore",
    -8,
    "write denyoom",
    [1, 2, 1],
    G,
    (ks, a) => georadiusGeneric(ks, a, 2, { search: true, searchStore: true }),
  ),
];
