/**
 * The byte size Redis 7.0's listpack would give a stream node. Only used to decide where a new
 * node starts (stream-node-max-bytes 4096 / stream-node-max-entries 100, as t_stream.c's
 * streamAppendItem), because node boundaries are observable: `MAXLEN ~` / `MINID ~` trimming only
 * drops whole nodes, and XINFO STREAM reports the node count.
 */

/** Redis defaults: stream-node-max-bytes, stream-node-max-entries. */
export const NODE_MAX_BYTES = 4096;
export const NODE_MAX_ENTRIES = 100;

/** lpNew: 6 header bytes + the end marker. */
export const LP_EMPTY_BYTES = 7;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function backlenBytes(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** One integer element (encoding + data + backlen). */
export function lpIntBytes(v: bigint | number): number {
  const n = typeof v === "bigint" ? v : BigInt(v);
  let enc: number;
  if (n >= 0n && n <= 127n) enc = 1;
  else if (n >= -4096n && n <= 4095n) enc = 2;
  else if (n >= -32768n && n <= 32767n) enc = 3;
  else if (n >= -8388608n && n <= 8388607n) enc = 4;
  else if (n >= -2147483648n && n <= 2147483647n) enc = 5;
  else enc = 9;
  return enc + backlenBytes(enc);
}

const INT_TEXT = /^(0|-?[1-9][0-9]{0,19})$/;

/** One string element: stored as an integer when it is a canonical int64 (lpStringToInt64). */
export function lpStringBytes(s: string): number {
  if (s.length <= 20 && INT_TEXT.test(s)) {
    const v = BigInt(s);
    if (v >= I64_MIN && v <= I64_MAX) return lpIntBytes(v);
  }
  const len = s.length;
  const enc = len <= 63 ? 1 + len : len <= 4095 ? 2 + len : 5 + len;
  return enc + backlenBytes(enc);
}

/** uint64 difference as the int64 Redis appends (two's complement wrap). */
export function u64DiffAsI64(a: bigint, b: bigint): bigint {
  const d = BigInt.asUintN(64, a - b);
  return BigInt.asIntN(64, d);
}

/** The master entry: count, deleted, master field count, the field names, the 0 terminator. */
export function masterEntryBytes(names: readonly string[]): number {
  let n = lpIntBytes(1) + lpIntBytes(0) + lpIntBytes(names.length) + lpIntBytes(0);
  for (const name of names) n += lpStringBytes(name);
  return n;
}

/** True when the entry's field names equal the master entry's (STREAM_ITEM_FLAG_SAMEFIELDS). */
export function sameFields(names: readonly string[], fields: readonly string[]): boolean {
  if (names.length * 2 !== fields.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== fields[2 * i]) return false;
  return true;
}

/** One entry: flags, ms delta, seq delta, [field count, fields], values, lp-count. */
export function entryBytes(
  msDelta: bigint,
  seqDelta: bigint,
  fields: readonly string[],
  same: boolean,
): number {
  const pairs = fields.length / 2;
  let n = lpIntBytes(0) + lpIntBytes(msDelta) + lpIntBytes(seqDelta);
  if (same) {
    for (let i = 1; i < fields.length; i += 2) n += lpStringBytes(fields[i]);
    n += lpIntBytes(3 + pairs);
  } else {
    n += lpIntBytes(pairs);
    for (const f of fields) n += lpStringBytes(f);
    n += lpIntBytes(4 + pairs * 2);
  }
  return n;
}
