/** Small helpers shared by the command families. */
import { ERR_NOT_INTEGER } from "./errors.ts";
import { HashValue } from "./hash_value.ts";
import type { Keyspace, Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { ceilLongDoubleTimes1000, type Int64, parseInt64, parseStrtold } from "./numbers.ts";
import { error, type Reply } from "./reply.ts";
import { SetValue } from "./set_value.ts";
import { StreamValue } from "./stream_value.ts";
import { ZSetValue } from "./zset_value.ts";

/** Lower-cases an ASCII option word (binary-safe: only A–Z change). */
export function lower(text: string): string {
  return text.length < 32 ? text.toLowerCase() : text.slice(0, 32).toLowerCase() + "\0";
}

/**
 * An option word as C's strcasecmp sees a Redis argument: up to its first NUL byte, lower-cased
 * (only ASCII letters matter for the words compared against). Longer than any option word: "\0",
 * which matches none (and a huge argument is not lower-cased).
 */
export function cWord(text: string): string {
  const nul = text.indexOf("\0");
  const end = nul < 0 ? text.length : nul;
  return end > 32 ? "\0" : text.slice(0, end).toLowerCase();
}

/** A number from an int64 argument, or null. Values beyond ±2^53 are clamped to ±Infinity. */
export function parseIntArg(text: string): number | null {
  const v = parseInt64(text);
  if (v === null) return null;
  return typeof v === "number" ? v : v > 0n ? Infinity : -Infinity;
}

export function parseInt64Arg(text: string): Int64 | null {
  return parseInt64(text);
}

export const ERR_INT = ERR_NOT_INTEGER;

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
/** The latest deadline kept: the largest double below 2^63 (Redis's deadlines are int64 ms). */
export const DEADLINE_MS_MAX = 9223372036854774784;

/**
 * The absolute deadline (ms) of an int64 time argument, with Redis's int64 checks
 * (expireGenericCommand): seconds past LLONG_MAX / 1000 either way, or a sum past LLONG_MAX,
 * are null (invalid expire time). Deadlines past 2^53 ms (the year 287,396) are kept as the
 * nearest double: such a key never expires here either, and PTTL / PEXPIRETIME read within
 * 2^10 ms of Redis's exact int64. One below -2^53 (long past: the key goes) is -2^53 + 1.
 */
export function deadlineMs(time: Int64, unit: "s" | "ms", baseMs: number): number | null {
  if (typeof time === "number" && Math.abs(time) <= 1e12) {
    return (unit === "s" ? time * 1000 : time) + baseMs; // the common case: exact in a double
  }
  let t = BigInt(time);
  if (unit === "s") {
    if (t > LLONG_MAX / 1000n || t < LLONG_MIN / 1000n) return null;
    t *= 1000n;
  }
  const base = BigInt(baseMs);
  if (t > LLONG_MAX - base) return null;
  t += base;
  if (t < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Math.min(Number(t), DEADLINE_MS_MAX);
}

/** "ERR invalid expire time in 'set' command". */
export function invalidExpire(name: string): Reply {
  return error(`ERR invalid expire time in '${name}' command`);
}

type Collection =
  | typeof HashValue
  | typeof ListValue
  | typeof SetValue
  | typeof ZSetValue
  | typeof StreamValue;

/**
 * Looks a key up expecting a type: the value, undefined when absent, or null when the key holds
 * another type (answer WRONGTYPE).
 */
export function lookupAs<C extends Collection>(
  ks: Keyspace,
  key: string,
  type: C,
): InstanceType<C> | undefined | null {
  const v: Value | undefined = ks.lookup(key);
  if (v === undefined) return undefined;
  if (v instanceof type) return v as InstanceType<C>;
  return null;
}

/** Redis's index normalisation for LRANGE/ZRANGE/GETRANGE-style [start, stop]; null = empty. */
export function clampRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (stop < 0) stop = length + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

/** The collectionLengthMax check before growing a collection; a Reply when it would overflow. */
export function exceedsLength(ks: Keyspace, size: number, adding: number): Reply | null {
  const max = ks.limits.collectionLengthMax;
  if (size + adding <= max) return null;
  return error(`ERR collection would exceed ${max} elements (collectionLengthMax)`);
}

/** Picks `count` indexes in [0, size): distinct when `distinct`, else with repeats. */
export function randomIndexes(
  random: () => number,
  size: number,
  count: number,
  distinct: boolean,
): number[] {
  const out: number[] = [];
  if (!distinct) {
    for (let i = 0; i < count; i++) out.push(Math.floor(random() * size));
    return out;
  }
  if (count >= size) {
    for (let i = 0; i < size; i++) out.push(i);
    return out;
  }
  // Partial Fisher–Yates over an index array: O(size) memory, O(size + count) time.
  const idx = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    out.push(idx[i]);
  }
  return out;
}

/**
 * SRANDMEMBER/HRANDFIELD/ZRANDMEMBER's count, read as Redis 7.0 does before the other arguments
 * and the key: an integer from -LONG_MAX to LONG_MAX (beyond 2^53 it comes back as ±Infinity).
 */
export function parseRandomCount(text: string): number | Reply {
  const count = parseIntArg(text);
  if (count === null) return ERR_NOT_INTEGER;
  if (text === "-9223372036854775808") { // LONG_MIN, the only int64 outside the range
    return error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  return count;
}

const HALF_LONG_MAX = 4611686018427387903n;

/**
 * Redis's own bound on HRANDFIELD WITHVALUES / ZRANDMEMBER WITHSCORES counts (|count| at most
 * LONG_MAX / 2, the reply holding two items per pick), checked before the key. Compared on the
 * exact integer of the count's text: as a JS number, LONG_MAX / 2 itself rounds up past the bound.
 */
export function pairedCountOutOfRange(countText: string): Reply | null {
  const n = parseInt64(countText);
  if (n === null) return null;
  const big = BigInt(n);
  return big > HALF_LONG_MAX || big < -HALF_LONG_MAX ? error("ERR value is out of range") : null;
}

/**
 * Bound on SRANDMEMBER/HRANDFIELD/ZRANDMEMBER's negative counts (picks with repeats: the reply
 * has |count| items, whatever the collection's size). A positive count is never refused: its
 * reply is at most the whole collection, which is what Redis answers for a count over the size.
 */
export function randomCountTooLarge(ks: Keyspace, count: number): Reply | null {
  return count < -ks.limits.scanCountMax * 10 ? error("ERR value is out of range") : null;
}

/** The n-th item of an iterable (0-based) without building an array. */
export function nth<T>(items: Iterable<T>, n: number): T {
  let i = 0;
  for (const item of items) if (i++ === n) return item;
  throw new RangeError(`nth: index ${n} out of range`);
}

/**
 * Picks `count` distinct items uniformly. Small counts (the common SPOP / SRANDMEMBER case) walk
 * the collection once without copying it; larger ones shuffle an index array.
 */
export function pickDistinct<T>(
  items: Iterable<T>,
  size: number,
  count: number,
  random: () => number,
): T[] {
  if (count >= size) return [...items];
  if (count <= 16) {
    const wanted = new Set<number>();
    while (wanted.size < count) wanted.add(Math.floor(random() * size));
    const out: T[] = [];
    let i = 0;
    for (const item of items) {
      if (wanted.has(i++)) out.push(item);
      if (out.length === count) break;
    }
    return out;
  }
  const all = [...items];
  return randomIndexes(random, size, count, true).map((i) => all[i]);
}

/** LMPOP / ZMPOP arguments: numkeys key [key ...] WHERE [COUNT n]. */
export interface MpopArgs {
  keys: string[];
  /** true for the first direction word (LEFT / MIN). */
  first: boolean;
  count: number;
}

export function parseMpop(argv: string[], words: readonly [string, string]): MpopArgs | Reply {
  const numkeys = parseIntArg(argv[1]);
  if (numkeys === null || numkeys < 1) return error("ERR numkeys should be greater than 0");
  if (numkeys > argv.length - 3) return error("ERR syntax error");
  const where = lower(argv[2 + numkeys]);
  if (where !== words[0] && where !== words[1]) return error("ERR syntax error");
  let count = -1;
  for (let i = 3 + numkeys; i < argv.length; i++) {
    if (lower(argv[i]) === "count" && count === -1 && i + 1 < argv.length) {
      const n = parseIntArg(argv[++i]);
      if (n === null || n < 1) return error("ERR count should be greater than 0");
      count = n;
    } else return error("ERR syntax error");
  }
  return {
    keys: argv.slice(2, 2 + numkeys),
    first: where === words[0],
    count: count === -1 ? 1 : count,
  };
}

/**
 * Redis getTimeoutFromObjectOrReply: seconds as a long double (string2ld: inf allowed; no space,
 * NaN or over/underflow), then (long long) ceill(seconds * 1000); 0 = forever. Redis 7.0.15 does
 * not range-check that conversion, which gives LLONG_MIN for inf and anything from 2^63 ms on,
 * so those are "negative" (BLPOP k inf); a tiny negative like -0.0001 rounds up to 0.
 */
export function parseTimeoutMs(text: string): number | Reply {
  const seconds = parseStrtold(text);
  if (seconds === null) return error("ERR timeout is not a float or out of range");
  const ms = Number.isFinite(seconds.exponent) ? ceilLongDoubleTimes1000(seconds) : -1n;
  if (ms < 0n || ms >= 1n << 63n) return error("ERR timeout is negative");
  return Number(ms);
}
