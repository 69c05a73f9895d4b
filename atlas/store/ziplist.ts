/**
 * Readers for the compact encodings older Redis versions put in RDB / DUMP payloads, which Redis
 * 7.0 still loads: ziplist (lists, hashes and sorted sets before 7.0), intset (small integer
 * sets, still written by 7.0) and zipmap (hashes before 2.6). Read only: ATLAS never writes them.
 */
import { latin1, RdbFormatError } from "./rdb_reader.ts";

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Data bytes after each integer encoding byte: int16, int32, int64, int24, int8. */
const ZIPLIST_INT_BYTES = new Map([[0xc0, 2], [0xd0, 4], [0xe0, 8], [0xf0, 3], [0xfe, 1]]);

/**
 * A ziplist: total bytes (u32 LE), tail offset (u32 LE), count (u16 LE, 65535 = unknown), then
 * entries, then 0xFF. An entry is the previous entry's length (1 byte, or 0xFE + u32 LE), an
 * encoding (string lengths in 6 / 14 / 32 bits big-endian, or an integer type, or a 4-bit
 * immediate 0..12), then the data.
 */
export function parseZiplist(zl: Uint8Array): string[] {
  const size = zl.length;
  if (size < 11) throw new RdbFormatError("ziplist too short");
  const view = viewOf(zl);
  if (view.getUint32(0, true) !== size) throw new RdbFormatError("ziplist size mismatch");
  if (view.getUint32(4, true) >= size) throw new RdbFormatError("ziplist tail out of range");
  if (zl[size - 1] !== 0xff) throw new RdbFormatError("ziplist without terminator");
  const count = view.getUint16(8, true);
  const last = size - 1;
  const out: string[] = [];
  let pos = 10;
  const need = (n: number) => {
    if (pos + n > last) throw new RdbFormatError("ziplist entry truncated");
  };
  while (pos < last) {
    const previousLength = zl[pos];
    if (previousLength === 0xff) throw new RdbFormatError("bad ziplist entry");
    pos += previousLength < 0xfe ? 1 : 5;
    need(1);
    const enc = zl[pos];
    const kind = enc >> 6;
    if (kind < 3) {
      let header = 1;
      let length = enc & 0x3f;
      if (kind === 1) {
        need(2);
        header = 2;
        length = (length << 8) | zl[pos + 1];
      } else if (kind === 2) {
        need(5);
        header = 5;
        length = view.getUint32(pos + 1, false);
      }
      need(header + length);
      out.push(latin1(zl, pos + header, pos + header + length));
      pos += header + length;
      continue;
    }
    const data = ZIPLIST_INT_BYTES.get(enc) ?? (enc >= 0xf1 && enc <= 0xfd ? 0 : -1);
    if (data < 0) throw new RdbFormatError(`bad ziplist encoding ${enc}`);
    need(1 + data);
    let value: number | bigint;
    if (enc === 0xc0) value = view.getInt16(pos + 1, true);
    else if (enc === 0xd0) value = view.getInt32(pos + 1, true);
    else if (enc === 0xe0) value = view.getBigInt64(pos + 1, true);
    else if (enc === 0xf0) value = (view.getUint16(pos + 1, true) | (zl[pos + 3] << 16)) << 8 >> 8;
    else if (enc === 0xfe) value = view.getInt8(pos + 1);
    else value = (enc & 0x0f) - 1; // the 4-bit immediate 0xf1..0xfd holds 0..12
    out.push(String(value));
    pos += 1 + data;
  }
  if (count !== 65535 && count !== out.length) throw new RdbFormatError("ziplist count mismatch");
  return out;
}

/** An intset: element width (u32 LE: 2, 4 or 8), count (u32 LE), ascending signed integers. */
export function parseIntset(is: Uint8Array): string[] {
  if (is.length < 8) throw new RdbFormatError("intset too short");
  const view = viewOf(is);
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if ((width !== 2 && width !== 4 && width !== 8) || is.length !== 8 + width * count) {
    throw new RdbFormatError("intset size mismatch");
  }
  const out: string[] = new Array(count);
  let previous: bigint | number | null = null;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const v = width === 2
      ? view.getInt16(at, true)
      : width === 4
      ? view.getInt32(at, true)
      : view.getBigInt64(at, true);
    // Ascending without repeats is what makes it a set; a forged one must not pass as one.
    if (previous !== null && v <= previous) throw new RdbFormatError("intset not sorted");
    previous = v;
    out[i] = String(v);
  }
  return out;
}

/**
 * A zipmap: a count byte, then field/value pairs, each length 1 byte (< 254) or 0xFE + u32 LE,
 * the value followed by a "free" byte count of padding; 0xFF ends it. Returns [f1, v1, f2, ...].
 */
export function parseZipmap(zm: Uint8Array): string[] {
  const view = viewOf(zm);
  const out: string[] = [];
  let pos = 1;
  const length = (): number => {
    if (pos >= zm.length) throw new RdbFormatError("zipmap truncated");
    const b = zm[pos++];
    if (b < 254) return b;
    if (b !== 254 || pos + 4 > zm.length) throw new RdbFormatError("bad zipmap length");
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const bytes = (n: number): string => {
    if (pos + n > zm.length) throw new RdbFormatError("zipmap truncated");
    pos += n;
    return latin1(zm, pos - n, pos);
  };
  for (;;) {
    if (pos >= zm.length) throw new RdbFormatError("zipmap without terminator");
    if (zm[pos] === 0xff) break;
    out.push(bytes(length()));
    const valueLength = length();
    if (pos >= zm.length) throw new RdbFormatError("zipmap truncated");
    const free = zm[pos++];
    out.push(bytes(valueLength));
    bytes(free);
  }
  if (pos !== zm.length - 1) throw new RdbFormatError("zipmap trailing bytes");
  return out;
}
