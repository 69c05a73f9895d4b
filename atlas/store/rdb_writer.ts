/**
 * Writes the RDB primitives of a DUMP payload as binary strings (one char per byte): lengths,
 * strings (integer-encoded when Redis would, LZF-compressed as Redis's rdbSaveRawString does, else
 * raw), binary doubles, millisecond times, big-endian 64-bit numbers.
 */
import { Buffer } from "node:buffer";
import { lzfCompress } from "./lzf.ts";
import { latin1 } from "./rdb_reader.ts";

/** RDB_ENCVAL << 6 | RDB_ENC_LZF: an LZF-compressed string follows. */
const RDB_LZF = "\xc3";

const U32_MAX = 0xffffffff;

/** Redis's smallest length form: 6 bits, 14 bits, 32 bits or 64 bits (both big-endian). */
export function rdbLength(n: number | bigint): string {
  if (typeof n === "number") {
    if (n < 0x40) return String.fromCharCode(n);
    if (n < 0x4000) return String.fromCharCode(0x40 | (n >> 8), n & 0xff);
    if (n <= U32_MAX) return "\x80" + u32BigEndian(n);
    return "\x81" + u64BigEndian(BigInt(n));
  }
  return n <= BigInt(U32_MAX) ? rdbLength(Number(n)) : "\x81" + u64BigEndian(n);
}

function u32BigEndian(n: number): string {
  return String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** An unsigned 64-bit number as 8 big-endian bytes (stream IDs sort by these bytes). */
export function u64BigEndian(v: bigint): string {
  return u32BigEndian(Number((v >> 32n) & 0xffffffffn)) + u32BigEndian(Number(v & 0xffffffffn));
}

/** Integers Redis stores in the integer string encodings: canonical text, at most 11 chars. */
const CANONICAL_INT = /^(0|-?[1-9][0-9]{0,9})$/;

/**
 * A string: as an 8/16/32-bit integer encoding when it is the canonical text of such an integer
 * (as Redis's rdbTryIntegerEncoding, so DUMP of "12345" is byte-identical to Redis's), else its
 * length and bytes.
 */
export function rdbString(s: string): string {
  if (s.length <= 11 && CANONICAL_INT.test(s)) {
    const v = Number(s);
    if (v >= -128 && v <= 127) return "\xc0" + String.fromCharCode(v & 0xff);
    if (v >= -32768 && v <= 32767) return "\xc1" + String.fromCharCode(v & 0xff, (v >> 8) & 0xff);
    if (v >= -2147483648 && v <= 2147483647) {
      return "\xc2" + String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
    }
  }
  return rdbLength(s.length) + s;
}

const scratch = new DataView(new ArrayBuffer(8));

/** An IEEE 754 double, 8 little-endian bytes (RDB_TYPE_ZSET_2 scores). */
export function binaryDouble(v: number): string {
  scratch.setFloat64(0, v, true);
  let out = "";
  for (let i = 0; i < 8; i++) out += String.fromCharCode(scratch.getUint8(i));
  return out;
}

/** A signed 64-bit millisecond time, 8 little-endian bytes. */
export function millisecondTime(ms: number): string {
  scratch.setBigInt64(0, BigInt(ms), true);
  let out = "";
  for (let i = 0; i < 8; i++) out += String.fromCharCode(scratch.getUint8(i));
  return out;
}

/** Longer strings are written raw by rdbSavedString (withLzfLimit); no limit by default. */
let lzfMaxBytes = Infinity;

/**
 * Runs `encode` (synchronous) with strings longer than `maxBytes` written raw, never LZF-compressed.
 * LZF costs about 20 ns a byte on data it cannot shrink (a second per 50 MB), so an RDB file made
 * while the server keeps serving bounds what one string may cost; Redis loads either form.
 */
export function withLzfLimit<T>(maxBytes: number, encode: () => T): T {
  const saved = lzfMaxBytes;
  lzfMaxBytes = maxBytes;
  try {
    return encode();
  } finally {
    lzfMaxBytes = saved;
  }
}

/**
 * A string as Redis's rdbSaveRawString writes it: integer-encoded (rdbString), else LZF when it is
 * longer than 20 bytes and compresses into at most its length - 4 bytes, else raw.
 */
export function rdbSavedString(s: string): string {
  if (s.length > 20 && s.length <= lzfMaxBytes) {
    const compressed = lzfCompress(Buffer.from(s, "latin1"), s.length - 4);
    if (compressed !== null) {
      return RDB_LZF + rdbLength(compressed.length) + rdbLength(s.length) + latin1(compressed);
    }
  }
  return rdbString(s);
}
