/**
 * Redis's listpack, read and written: the blob behind QUICKLIST_2 list nodes, HASH_LISTPACK,
 * ZSET_LISTPACK, SET_LISTPACK and stream nodes in DUMP payloads.
 *
 * Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), the elements, 0xFF.
 * Each element is an encoding byte (plus length / integer bytes), its data, then a "backlen": the
 * element's size so far, 7 bits per byte, most significant first, every byte but the first with
 * the high bit set (so it can be read right to left). A string that is the canonical text of an
 * int64 is stored as an integer, as Redis's lpAppend does, and read back as that text.
 */
import { RdbFormatError } from "./rdb_reader.ts";
import { Buffer } from "node:buffer";

const HEADER_BYTES = 6;
const END = 0xff;
const COUNT_UNKNOWN = 65535;

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/** How many bytes the backlen of an element of `size` bytes takes. */
export function backlenBytes(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

function backlen(size: number): string {
  const n = backlenBytes(size);
  let out = "";
  for (let i = n - 1; i >= 0; i--) {
    const bits = Math.floor(size / 2 ** (7 * i)) & 0x7f;
    out += String.fromCharCode(i === n - 1 ? bits : bits | 0x80);
  }
  return out;
}

const CANONICAL_INT = /^(0|-?[1-9][0-9]*)$/;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** The int64 a string stands for when listpack would store it as an integer, else null. */
function asInt64(s: string): bigint | number | null {
  if (s.length === 0 || s.length > 20 || !CANONICAL_INT.test(s)) return null;
  if (s.length <= 15) return Number(s);
  const v = BigInt(s);
  return v >= I64_MIN && v <= I64_MAX ? v : null;
}

function littleEndian(v: bigint, bytes: number): string {
  let u = BigInt.asUintN(bytes * 8, v);
  let out = "";
  for (let i = 0; i < bytes; i++) {
    out += String.fromCharCode(Number(u & 0xffn));
    u >>= 8n;
  }
  return out;
}

function intEncoding(v: bigint | number): string {
  if (typeof v === "number") {
    if (v >= 0 && v <= 127) return String.fromCharCode(v);
    if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      return String.fromCharCode(0xc0 | (u >> 8), u & 0xff);
    }
    v = BigInt(v);
  }
  if (v >= -32768n && v <= 32767n) return "\xf1" + littleEndian(v, 2);
  if (v >= -8388608n && v <= 8388607n) return "\xf2" + littleEndian(v, 3);
  if (v >= -2147483648n && v <= 2147483647n) return "\xf3" + littleEndian(v, 4);
  return "\xf4" + littleEndian(v, 8);
}

function stringEncoding(s: string): string {
  const n = s.length;
  if (n <= 63) return String.fromCharCode(0x80 | n) + s;
  if (n <= 4095) return String.fromCharCode(0xe0 | (n >> 8), n & 0xff) + s;
  return "\xf0" + littleEndian(BigInt(n), 4) + s;
}

/** One element (encoding, data, backlen) as a binary string. */
export function listpackElement(s: string): string {
  const v = asInt64(s);
  const body = v === null ? stringEncoding(s) : intEncoding(v);
  return body + backlen(body.length);
}

/** A whole listpack from elements made by listpackElement. */
export function buildListpack(elements: readonly string[]): string {
  let size = HEADER_BYTES + 1;
  for (const e of elements) size += e.length;
  const count = Math.min(elements.length, COUNT_UNKNOWN);
  const header = littleEndian(BigInt(size), 4) + littleEndian(BigInt(count), 2);
  return header + elements.join("") + "\xff";
}

/** Every element of a listpack as a binary string (integers as their decimal text). */
export function parseListpack(lp: Uint8Array): string[] {
  const size = lp.length;
  if (size < HEADER_BYTES + 1) throw new RdbFormatError("listpack too short");
  const view = new DataView(lp.buffer, lp.byteOffset, lp.byteLength);
  if (view.getUint32(0, true) !== size) throw new RdbFormatError("listpack size mismatch");
  if (lp[size - 1] !== END) throw new RdbFormatError("listpack without terminator");
  const count = view.getUint16(4, true);
  const text = Buffer.from(lp.buffer, lp.byteOffset, lp.byteLength) as unknown as Latin1Slicer;
  const out: string[] = [];
  const last = size - 1;
  let pos = HEADER_BYTES;
  while (pos < last) {
    const b = lp[pos];
    let header: number;
    let strLength = -1;
    let value: number | bigint = 0;
    if ((b & 0x80) === 0) {
      header = 1;
      value = b;
    } else if ((b & 0xc0) === 0x80) {
      header = 1;
      strLength = b & 0x3f;
    } else if ((b & 0xe0) === 0xc0) {
      header = 2;
      if (pos + 2 > last) throw new RdbFormatError("listpack element truncated");
      const u = ((b & 0x1f) << 8) | lp[pos + 1];
      value = u >= 4096 ? u - 8192 : u;
    } else if ((b & 0xf0) === 0xe0) {
      header = 2;
      if (pos + 2 > last) throw new RdbFormatError("listpack element truncated");
      strLength = ((b & 0x0f) << 8) | lp[pos + 1];
    } else {
      const data = b === 0xf0
        ? 4
        : b === 0xf1
        ? 2
        : b === 0xf2
        ? 3
        : b === 0xf3
        ? 4
        : b === 0xf4
        ? 8
        : -1;
      if (data < 0) throw new RdbFormatError(`bad listpack encoding ${b}`);
      header = 1 + data;
      if (pos + header > last) throw new RdbFormatError("listpack element truncated");
      if (b === 0xf0) strLength = view.getUint32(pos + 1, true);
      else if (b === 0xf1) value = view.getInt16(pos + 1, true);
      else if (b === 0xf2) value = (view.getUint16(pos + 1, true) | (lp[pos + 3] << 16)) << 8 >> 8;
      else if (b === 0xf3) value = view.getInt32(pos + 1, true);
      else value = view.getBigInt64(pos + 1, true);
    }
    const entry = header + (strLength < 0 ? 0 : strLength);
    const next = pos + entry + backlenBytes(entry);
    if (next > last) throw new RdbFormatError("listpack element beyond the end");
    out.push(
      strLength < 0 ? String(value) : text.latin1Slice(pos + header, pos + header + strLength),
    );
    pos = next;
  }
  if (count !== COUNT_UNKNOWN && count !== out.length) {
    throw new RdbFormatError("listpack count mismatch");
  }
  return out;
}
