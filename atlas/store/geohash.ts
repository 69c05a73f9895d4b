/**
 * Geohash math with Redis 7.0's semantics (geohash.c, geohash_helper.c, geo.c): the 52-bit
 * interleaved score (26 bits of longitude on the odd bits, 26 of latitude on the even bits) over
 * the WGS84 / Web Mercator limits, the area decode (cell centre, clamped to the limits), the
 * haversine distance on Redis's earth radius, and the 9-box search plan of radius/box queries.
 *
 * Every step uses the same IEEE double operations in the same order as Redis's C code, so scores,
 * coordinates and distances come out bit-identical. Pure: no I/O, no Deno APIs.
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

function degRad(ang: number): number {
  return ang * D_R;
}
function radDeg(ang: number): number {
  return ang / D_R;
}

export interface GeoRange {
  readonly min: number;
  readonly max: number;
}
const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
const STD_LAT_RANGE: GeoRange = { min: -90, max: 90 };

/** A geohash cell: `bits` holds 2*step interleaved bits (uint64 as a BigInt). */
export interface HashBits {
  bits: bigint;
  step: number;
}

export interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** Spreads the low 16 bits of x onto the even bits of a 32-bit number. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/** Collects the even bits of a 32-bit number into 16 bits. */
function squash32(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** interleave64(lat, lon): lat on the even bits, lon on the odd bits (both uint32). */
function interleave(lat: number, lon: number): bigint {
  const latBits = BigInt(spread16(lat)) | (BigInt(spread16(lat >>> 16)) << 32n);
  const lonBits = BigInt(spread16(lon)) | (BigInt(spread16(lon >>> 16)) << 32n);
  return latBits | (lonBits << 1n);
}

/** deinterleave64: [lat (even bits), lon (odd bits)] as uint32 numbers. */
function deinterleave(bits: bigint): [number, number] {
  const lo = Number(bits & 0xffffffffn);
  const hi = Number((bits >> 32n) & 0xffffffffn);
  return deinterleaveHiLo(hi, lo);
}

function deinterleaveHiLo(hi: number, lo: number): [number, number] {
  const lat = (squash32(lo) + squash32(hi) * 65536) >>> 0;
  const lon = (squash32(lo >>> 1) + squash32(hi >>> 1) * 65536) >>> 0;
  return [lat, lon];
}

/** C's `(uint32_t)d` for a non-negative double below 2^32 (truncation). */
function toUint32(d: number): number {
  return Math.trunc(d) >>> 0;
}

const TWO63 = 9223372036854775808;
const BIT63 = 1n << 63n;

/** C's `(uint64_t)d` as compiled for x86-64 (cvttsd2si; out of range gives 2^63 / wraps). */
export function toUint64(d: number): bigint {
  if (d < TWO63) {
    if (!(d > -TWO63)) return BIT63; // -2^63 and below, -inf, NaN: the "indefinite" value
    return BigInt.asUintN(64, BigInt(Math.trunc(d)));
  }
  const r = d - TWO63;
  const low = r < TWO63 ? BigInt(Math.trunc(r)) : BIT63;
  return low ^ BIT63;
}

/** geohashEncode: null when the point is outside the WGS84 limits or the given ranges. */
export function encode(
  lonRange: GeoRange,
  latRange: GeoRange,
  lon: number,
  lat: number,
  step: number,
): HashBits | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) {
    return null;
  }
  if (lat < latRange.min || lat > latRange.max || lon < lonRange.min || lon > lonRange.max) {
    return null;
  }
  let latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (lon - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  return { bits: interleave(toUint32(latOffset), toUint32(lonOffset)), step };
}

/** The sorted-set score of a point (GEOADD): the 52-bit hash as a double. Null when invalid. */
export function geoScore(lon: number, lat: number): number | null {
  const h = encode(LONG_RANGE, LAT_RANGE, lon, lat, GEO_STEP_MAX);
  return h === null ? null : Number(align52(h));
}

/** geohashAlign52Bits. */
export function align52(h: HashBits): bigint {
  return BigInt.asUintN(64, h.bits << BigInt(52 - h.step * 2));
}

/** geohashDecode: the cell's bounds. */
export function decodeArea(lonRange: GeoRange, latRange: GeoRange, h: HashBits): Area {
  const [ilat, ilon] = deinterleave(h.bits);
  return areaOf(lonRange, latRange, ilat, ilon, h.step);
}

function areaOf(
  lonRange: GeoRange,
  latRange: GeoRange,
  ilat: number,
  ilon: number,
  step: number,
): Area {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const div = 2 ** step;
  return {
    latMin: latRange.min + (ilat / div) * latScale,
    latMax: latRange.min + (((ilat + 1) >>> 0) / div) * latScale, // uint32 arithmetic wraps
    lonMin: lonRange.min + (ilon / div) * lonScale,
    lonMax: lonRange.min + (((ilon + 1) >>> 0) / div) * lonScale,
  };
}

/** geohashDecodeAreaToLongLat: the cell centre, clamped to the limits. */
function centre(a: Area): [number, number] {
  let lon = (a.lonMin + a.lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (a.latMin + a.latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  return [lon, lat];
}

/** decodeGeohash: a sorted-set score back to [longitude, latitude] (any score decodes). */
export function decodeScore(score: number): [number, number] {
  let ilat: number, ilon: number;
  if (score >= 0 && score <= Number.MAX_SAFE_INTEGER && Number.isInteger(score)) {
    const hi = Math.floor(score / 4294967296);
    [ilat, ilon] = deinterleaveHiLo(hi, score - hi * 4294967296);
  } else {
    [ilat, ilon] = deinterleave(toUint64(score));
  }
  return centre(areaOf(LONG_RANGE, LAT_RANGE, ilat, ilon, GEO_STEP_MAX));
}

const GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** GEOHASH: the 11-char standard geohash (re-encoded on [-180,180]x[-90,90]; last char 0). */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode(LONG_RANGE, STD_LAT_RANGE, lon, lat, GEO_STEP_MAX);
  const bits = h === null ? 0n : h.bits;
  let out = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEOALPHABET[idx];
  }
  return out;
}

/** geohashGetLatDistance. */
function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** geohashGetDistance: haversine, in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** A search shape: centre, radius or box (in `unit`s), and the unit's meters (conversion). */
export type GeoShape =
  & { lon: number; lat: number; conversion: number }
  & ({ type: "radius"; radius: number } | { type: "box"; width: number; height: number });

/** geoWithinShape: the distance (meters) when the point is inside the shape, else null. */
export function distanceIfWithin(shape: GeoShape, lon: number, lat: number): number | null {
  if (shape.type === "radius") {
    const d = distance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? null : d;
  }
  const width = shape.width * shape.conversion;
  const height = shape.height * shape.conversion;
  if (latDistance(lat, shape.lat) > height / 2) return null;
  if (distance(lon, lat, shape.lon, lat) > width / 2) return null;
  return distance(shape.lon, shape.lat, lon, lat);
}

/** geohashEstimateStepsByRadius. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat]. */
function boundingBox(s: GeoShape): [number, number, number, number] {
  const height = s.conversion * (s.type === "radius" ? s.radius : s.height / 2);
  const width = s.conversion * (s.type === "radius" ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat - latDelta)),
  );
  const south = s.lat < 0;
  return [
    south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

const M64 = 0xffffffffffffffffn;
const ODD = 0xaaaaaaaaaaaaaaaan;
const EVEN = 0x5555555555555555n;

function moveX(h: HashBits, d: number): HashBits {
  let x = h.bits & ODD;
  const y = h.bits & EVEN;
  const shift = BigInt(64 - h.step * 2);
  const zz = EVEN >> shift;
  if (d > 0) x = (x + zz + 1n) & M64;
  else x = ((x | zz) - (zz + 1n)) & M64;
  x &= ODD >> shift;
  return { bits: x | y, step: h.step };
}

function moveY(h: HashBits, d: number): HashBits {
  const x = h.bits & ODD;
  let y = h.bits & EVEN;
  const shift = BigInt(64 - h.step * 2);
  const zz = ODD >> shift;
  if (d > 0) y = (y + zz + 1n) & M64;
  else y = ((y | zz) - (zz + 1n)) & M64;
  y &= EVEN >> shift;
  return { bits: x | y, step: h.step };
}

interface Neighbors {
  north: HashBits;
  south: HashBits;
  east: HashBits;
  west: HashBits;
  northEast: HashBits;
  northWest: HashBits;
  southEast: HashBits;
  southWest: HashBits;
}

function neighbors(h: HashBits): Neighbors {
  return {
    east: moveX(h, 1),
    west: moveX(h, -1),
    south: moveY(h, -1),
    north: moveY(h, 1),
    northWest: moveY(moveX(h, -1), 1),
    southWest: moveY(moveX(h, -1), -1),
    northEast: moveY(moveX(h, 1), 1),
    southEast: moveY(moveX(h, 1), -1),
  };
}

const ZERO: HashBits = Object.freeze({ bits: 0n, step: 0 });

/**
 * geohashCalculateAreasByShapeWGS84 + the box order of membersOfAllNeighbors: the 9 cells to
 * scan, [centre, N, S, E, W, NE, NW, SE, SW]; a pruned cell is {bits: 0n, step: 0}.
 */
export function searchBoxes(shape: GeoShape): HashBits[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters = shape.conversion *
    (shape.type === "radius"
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2)));
  let steps = estimateSteps(radiusMeters, shape.lat);
  let hash = encode(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, steps) ?? { bits: 0n, step: 0 };
  let n = neighbors(hash);
  let area = decodeArea(LONG_RANGE, LAT_RANGE, hash);
  let decrease = false;
  if (decodeArea(LONG_RANGE, LAT_RANGE, n.north).latMax < maxLat) decrease = true;
  if (decodeArea(LONG_RANGE, LAT_RANGE, n.south).latMin > minLat) decrease = true;
  if (decodeArea(LONG_RANGE, LAT_RANGE, n.east).lonMax < maxLon) decrease = true;
  if (decodeArea(LONG_RANGE, LAT_RANGE, n.west).lonMin > minLon) decrease = true;
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, steps) ?? hash;
    n = neighbors(hash);
    area = decodeArea(LONG_RANGE, LAT_RANGE, hash);
  }
  if (steps >= 2) {
    if (area.latMin < minLat) n.south = n.southWest = n.southEast = ZERO;
    if (area.latMax > maxLat) n.north = n.northEast = n.northWest = ZERO;
    if (area.lonMin < minLon) n.west = n.southWest = n.northWest = ZERO;
    if (area.lonMax > maxLon) n.east = n.southEast = n.northEast = ZERO;
  }
  return [
    hash,
    n.north,
    n.south,
    n.east,
    n.west,
    n.northEast,
    n.northWest,
    n.southEast,
    n.southWest,
  ];
}

/** scoresOfGeoHashBox: the [min, max) score interval of a cell. */
export function boxScores(h: HashBits): [number, number] {
  return [
    Number(align52(h)),
    Number(align52({ bits: BigInt.asUintN(64, h.bits + 1n), step: h.step })),
  ];
}

/**
 * Exact C printf "%.<digits>f" of a double (glibc: exact decimal value, ties to even).
 * inf/-inf/nan print as glibc does.
 */
export function formatFixed(value: number, digits: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  // abs = mant * 2^exp exactly
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, abs);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const biased = hi >>> 20;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) q = (mant << BigInt(exp)) * scale;
  else {
    const num = mant * scale;
    const den = 1n << BigInt(-exp);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  }
  let s = q.toString();
  if (digits > 0) {
    if (s.length <= digits) s = "0".repeat(digits - s.length + 1) + s;
    s = s.slice(0, s.length - digits) + "." + s.slice(s.length - digits);
  }
  return (negative ? "-" : "") + s;
}

/** Redis addReplyHumanLongDouble text: "%.17Lf" with trailing zeros (and '.') removed. */
export function formatCoordinate(value: number): string {
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  let s = formatFixed(value, 17);
  if (s.includes(".")) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s === "-0" ? "0" : s;
}

/** Redis addReplyDoubleDistance text: "%.4f". */
export function formatDistance(value: number): string {
  return formatFixed(value, 4);
}
