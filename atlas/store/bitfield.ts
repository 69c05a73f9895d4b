/**
 * The integer fields of BITFIELD: argument parsing (types like `i5` / `u63`, offsets with the
 * `#N` form), reading and writing a field of 1..64 bits at any bit offset (MSB first, as SETBIT),
 * and Redis 7.0's overflow rules. Fields are bigints so i64 and u63 stay exact.
 *
 * The overflow checks reproduce Redis's int64 arithmetic, wrap-arounds included: Redis's SAT on
 * `SET i8 0 -9223372036854775808` stores 127 (its limit computation wraps and calls it an overflow
 * upwards), and so does this.
 */
import { parseInt64 } from "./numbers.ts";

export type OverflowMode = "wrap" | "sat" | "fail";

export interface FieldType {
  readonly signed: boolean;
  readonly bits: number;
}

/** Redis's bit offsets stop where the byte index would reach proto-max-bulk-len (512 MB). */
const OFFSET_BYTES_LIMIT = 536870912n;

/** `i1`..`i64`, `u1`..`u63` (lower-case prefix only, digits as string2ll up to a NUL); else null. */
export function parseFieldType(text: string): FieldType | null {
  const prefix = text.charAt(0);
  if (prefix !== "i" && prefix !== "u") return null;
  const signed = prefix === "i";
  const digits = text.slice(1);
  const nul = digits.indexOf("\0");
  const bits = parseInt64(nul < 0 ? digits : digits.slice(0, nul));
  if (typeof bits !== "number" || bits < 1 || bits > (signed ? 64 : 63)) return null;
  return { signed, bits };
}

/**
 * A bit offset: a non-negative int64, or `#N` meaning N * bits (multiplied with int64 wrap-around,
 * as Redis does). Null when invalid or when its byte would be past 512 MB.
 */
export function parseFieldOffset(text: string, bits: number): number | null {
  const hash = text.charCodeAt(0) === 35; // '#'
  const parsed = parseInt64(hash ? text.slice(1) : text);
  if (parsed === null) return null;
  let offset = BigInt(parsed);
  if (hash) offset = BigInt.asIntN(64, offset * BigInt(bits));
  if (offset < 0n || offset >> 3n >= OFFSET_BYTES_LIMIT) return null;
  return Number(offset);
}

/** Reads byte i (zero past the end). */
export type ByteReader = (i: number) => number;

/** The raw `bits` bits at bit `offset`, as an unsigned bigint. */
export function readField(byteAt: ByteReader, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let i = first; i <= last; i++) acc = (acc << 8n) | BigInt(byteAt(i));
  const trailing = BigInt((last + 1) * 8 - (offset + bits));
  return (acc >> trailing) & ((1n << BigInt(bits)) - 1n);
}

/** Decodes a raw field as its type: two's complement for signed types. */
export function fieldValue(raw: bigint, type: FieldType): bigint {
  return type.signed ? BigInt.asIntN(type.bits, raw) : raw;
}

/** Writes the low `bits` bits of value at bit `offset` into `bytes`, whose byte 0 is `base`. */
export function writeField(
  bytes: Uint8Array,
  base: number,
  offset: number,
  bits: number,
  value: bigint,
): void {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let i = first; i <= last; i++) acc = (acc << 8n) | BigInt(bytes[i - base]);
  const trailing = BigInt((last + 1) * 8 - (offset + bits));
  const mask = ((1n << BigInt(bits)) - 1n) << trailing;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, value) << trailing) & mask);
  for (let i = last; i >= first; i--) {
    bytes[i - base] = Number(acc & 0xffn);
    acc >>= 8n;
  }
}

/** What storing `value + incr` into a field gives: the value to store, or null (FAIL). */
export interface FieldUpdate {
  readonly overflow: boolean;
  /** The value to write; null when the mode is FAIL and the result overflowed. */
  readonly stored: bigint | null;
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * value + incr into a field of `type` under `mode`. `value` is the field's current value for
 * INCRBY (incr = the increment) or the argument for SET (incr = 0; for unsigned types the argument
 * reinterpreted as uint64, as Redis casts it).
 */
export function updateField(
  value: bigint,
  incr: bigint,
  type: FieldType,
  mode: OverflowMode,
): FieldUpdate {
  const direction = type.signed
    ? signedOverflow(value, incr, type.bits)
    : unsignedOverflow(value, incr, type.bits);
  if (direction === 0) return { overflow: false, stored: value + incr };
  if (mode === "fail") return { overflow: true, stored: null };
  if (mode === "wrap") {
    const sum = value + incr;
    return {
      overflow: true,
      stored: type.signed ? BigInt.asIntN(type.bits, sum) : BigInt.asUintN(type.bits, sum),
    };
  }
  const [min, max] = limits(type);
  return { overflow: true, stored: direction > 0 ? max : min };
}

function limits(type: FieldType): [bigint, bigint] {
  if (!type.signed) return [0n, (1n << BigInt(type.bits)) - 1n];
  const max = type.bits === 64 ? INT64_MAX : (1n << BigInt(type.bits - 1)) - 1n;
  return [-max - 1n, max];
}

/**
 * 1 = overflow upwards, -1 downwards, 0 none; Redis's conditions with its int64 differences
 * (maxincr = max - value, minincr = min - value, both wrapped to int64).
 */
function signedOverflow(value: bigint, incr: bigint, bits: number): number {
  const [min, max] = limits({ signed: true, bits });
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, min - value);
  const narrow = bits !== 64;
  if (
    value > max || (narrow && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)
  ) return 1;
  if (
    value < min || (narrow && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)
  ) return -1;
  return 0;
}

function unsignedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, -value);
  if (value > max || (incr > 0n && incr > maxIncr)) return 1;
  if (incr < 0n && incr < minIncr) return -1;
  return 0;
}
