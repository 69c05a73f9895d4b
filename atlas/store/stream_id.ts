/**
 * Stream entry IDs `ms-seq` (two unsigned 64-bit numbers) packed into one bigint, ms * 2^64 + seq,
 * so they compare with `<` and stay exact. Parsing follows Redis 7.0's
 * streamGenericParseIDOrReply / string2ull (t_stream.c, util.c) byte for byte.
 */
import { error, type Reply } from "./reply.ts";

export type StreamId = bigint;

export const U64_MAX = (1n << 64n) - 1n;
export const ID_MIN: StreamId = 0n;
export const ID_MAX: StreamId = (U64_MAX << 64n) | U64_MAX;

export const ERR_INVALID_ID: Reply = Object.freeze(
  error("ERR Invalid stream ID specified as stream command argument"),
);

/** Index of the first of the sorted `ids` that is >= `id` (ids.length when none). */
export function lowerBound(ids: readonly StreamId[], id: StreamId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

export function idMs(id: StreamId): bigint {
  return id >> 64n;
}

export function idSeq(id: StreamId): bigint {
  return id & U64_MAX;
}

export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & U64_MAX}`;
}

const STRING2LL_NEGATIVE = /^-[1-9][0-9]*$/;
const STRTOULL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;

/**
 * Redis's string2ull: string2ll first (a negative int64 is rejected), else strtoull, which skips
 * leading spaces, takes a sign (a '-' wraps modulo 2^64) and fails only on overflow or junk.
 */
export function string2ull(text: string): bigint | null {
  if (STRING2LL_NEGATIVE.test(text) && text.length <= 20 && BigInt(text) >= -(1n << 63n)) {
    return null;
  }
  const m = STRTOULL.exec(text);
  if (m === null) return null;
  const v = BigInt(m[2]);
  if (v > U64_MAX) return null;
  return m[1] === "-" && v !== 0n ? (1n << 64n) - v : v;
}

export interface ParsedId {
  id: StreamId;
  /** false for XADD's `ms-*` form (the sequence is generated). */
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply: `-`, `+` (unless strict), `ms`, `ms-seq`, and `ms-*` when
 * `allowSeqStar`. `missingSeq` fills a bare `ms`. null = invalid.
 */
export function parseStreamId(
  text: string,
  missingSeq: bigint,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  if (text.length > 127) return null;
  // Redis copies the argument into a C buffer: an embedded NUL ends it.
  const nul = text.indexOf("\0");
  const buf = nul === -1 ? text : text.slice(0, nul);
  if (buf === "-" || buf === "+") {
    if (strict) return null;
    return { id: buf === "-" ? ID_MIN : ID_MAX, seqGiven: true };
  }
  const dash = buf.indexOf("-");
  const ms = string2ull(dash === -1 ? buf : buf.slice(0, dash));
  if (ms === null) return null;
  if (dash === -1) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = buf.slice(dash + 1);
  if (allowSeqStar && rest === "*") return { id: makeId(ms, 0n), seqGiven: false };
  const seq = string2ull(rest);
  if (seq === null) return null;
  return { id: makeId(ms, seq), seqGiven: true };
}

/** streamParseStrictIDOrReply with no `ms-*` (XDEL, XSETID, XREAD, MINID). */
export function parseStrictId(text: string, missingSeq = 0n): StreamId | null {
  return parseStreamId(text, missingSeq, true)?.id ?? null;
}

/**
 * streamParseIntervalIDOrReply (XRANGE bounds): `(id` is exclusive and strict; otherwise `-`/`+`
 * are allowed.
 */
export function parseIntervalId(
  text: string,
  missingSeq: bigint,
): { id: StreamId; exclusive: boolean } | null {
  if (text.length > 1 && text[0] === "(") {
    const id = parseStrictId(text.slice(1), missingSeq);
    return id === null ? null : { id, exclusive: true };
  }
  const p = parseStreamId(text, missingSeq, false);
  return p === null ? null : { id: p.id, exclusive: false };
}

/** streamIncrID: the next ID, or null past ID_MAX. */
export function nextId(id: StreamId): StreamId | null {
  return id === ID_MAX ? null : id + 1n;
}

/** streamDecrID: the previous ID, or null before 0-0. */
export function prevId(id: StreamId): StreamId | null {
  return id === ID_MIN ? null : id - 1n;
}
