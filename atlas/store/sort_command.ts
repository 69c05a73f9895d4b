/**
 * SORT and SORT_RO, as Redis 7.0 sort.c does them:
 *
 *   SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
 *        [STORE destination]
 *
 * on lists, sets and sorted sets. Details that are visible in replies and kept here:
 *
 * - Numeric sort parses each weight like C strtod (leading whitespace, hex floats, inf, bytes after
 *   a NUL ignored, "" is 0) and fails on trailing bytes, NaN or ERANGE; equal scores fall back to a
 *   byte-wise compare of the elements. A missing BY key weighs 0.
 * - ALPHA compares with strcoll under the C / C.UTF-8 locale (strcmp: bytes, up to the first NUL)
 *   without STORE, and byte-wise over the whole string with STORE. With BY, a missing weight sorts
 *   first. Equal keys keep their input order (glibc's qsort is a stable merge sort), except that
 *   BY + a LIMIT that does not cover everything uses Redis's partial quicksort (pqsort.c), ported
 *   below, whose order among equal keys is its own.
 * - Patterns follow lookupKeyByPattern: "#" (or "#" then a NUL) is the element; the first '*'
 *   before any NUL is replaced by the element; "->field" after the '*' reads a hash field; a
 *   pattern without '*' finds nothing; a key of another type is missing.
 * - BY a pattern without '*' skips sorting: lists and sorted sets come in their own order (DESC
 *   reverses it, LIMIT applies to it); sets in their iteration order (an intset's ascending, as
 *   Redis's; else insertion order), except with STORE, where Redis sorts them ALPHA so the stored
 *   result is deterministic. That order is also where ties stay when ALPHA leaves them.
 * - STORE writes a list (a missing GET value becomes ""), replacing the destination and its TTL;
 *   an empty result deletes it. Logged as the command itself (or DEL dst), like SINTERSTORE.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import { HashValue } from "./hash_value.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { ListValue } from "./list_value.ts";
import { array, bulk, error, integer, NIL, type Reply } from "./reply.ts";
import { pqsort } from "./pqsort.ts";
import { SetValue } from "./set_value.ts";
import { ZSetValue } from "./zset_value.ts";
import { exceedsLength, lower, parseIntArg } from "./util.ts";

const ERR_SCORES = error("ERR One or more scores can't be converted into double");

/** The C-string length of a binary string: up to its first NUL byte. */
function cLength(text: string): number {
  const nul = text.indexOf("\0");
  return nul < 0 ? text.length : nul;
}

/**
 * Redis lookupKeyByPattern: the string (or hash field) the pattern names for `element`, or null.
 * Reads go through ks.lookup (lazy expiry, LRU), like Redis's lookupKeyRead.
 */
export function lookupByPattern(ks: Keyspace, pattern: string, element: string): string | null {
  if (pattern.charCodeAt(0) === 35 && (pattern.length === 1 || pattern.charCodeAt(1) === 0)) {
    return element;
  }
  const cLen = cLength(pattern);
  const star = pattern.indexOf("*");
  if (star < 0 || star >= cLen) return null;
  const arrow = pattern.slice(0, cLen).indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < cLen;
  const key = pattern.slice(0, star) + element +
    pattern.slice(star + 1, hasField ? arrow : undefined);
  const value = ks.lookupRead(key);
  if (value === undefined) return null;
  if (hasField) {
    return value instanceof HashValue ? value.map.get(pattern.slice(arrow + 2)) ?? null : null;
  }
  return typeof value === "string" ? value : null;
}

// ---- strtod, as SORT uses it ----

const DBL_MIN = 2 ** -1022;
const DEC_RE = /^[+-]?(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_RE =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * A weight as Redis's SORT reads it: strtod over the C string, failing when bytes remain, on NaN,
 * or with ERANGE (overflow, or an inexact result below DBL_MIN). Null = conversion error.
 */
export function sortScore(text: string): number | null {
  const s = text.slice(0, cLength(text));
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  if (i === s.length) return s.length === 0 ? 0 : null; // no number: strtod's end is the start
  const body = i === 0 ? s : s.slice(i);
  let m = DEC_RE.exec(body);
  if (m !== null) return decimalScore(body, m);
  m = HEX_RE.exec(body);
  if (m !== null) return hexScore(m);
  if (INF_RE.test(body)) return body.charCodeAt(0) === 45 ? -Infinity : Infinity;
  return null;
}

/** Significant digits kept for the exactness checks; the rest collapse into one sticky digit. */
const DIGITS_KEPT = 1200;
const HEX_DIGITS_KEPT = 300;

/**
 * glibc's ERANGE for a result at or below DBL_MIN: the exact value num/den (> 0) was inexact and
 * tiny, tininess judged after rounding to 53 bits with an unbounded exponent (x86). `value` is the
 * correctly rounded double (> 0).
 */
function underflows(num: bigint, den: bigint, value: number): boolean {
  const units = BigInt(value / 2 ** -1074); // value = units * 2^-1074, exactly
  if (num << 1074n === units * den) return false; // exact: no ERANGE
  if (value < DBL_MIN) return true;
  // Rounded to DBL_MIN: tiny when below the midpoint 2^-1022 - 2^-1076 of its 53-bit predecessor.
  return num << 1076n < ((1n << 54n) - 1n) * den;
}

function decimalScore(body: string, m: RegExpExecArray): number | null {
  const value = Number(body);
  if (!Number.isFinite(value)) return null; // overflow
  const intDigits = m[1] ?? "";
  const fracDigits = m[3] ?? m[2] ?? "";
  const digits = intDigits + fracDigits;
  if (value === 0) return /[1-9]/.test(digits) ? null : value; // underflow to zero
  const magnitude = Math.abs(value);
  if (magnitude > DBL_MIN) return value;
  let exp10 = Number(m[4] ?? "0") - fracDigits.length; // value = digits * 10^exp10
  let significant = digits.replace(/^0+/, "");
  const trimmed = significant.replace(/0+$/, "");
  exp10 += significant.length - trimmed.length;
  significant = trimmed;
  if (significant.length > DIGITS_KEPT) {
    const rest = significant.slice(DIGITS_KEPT);
    exp10 += rest.length;
    significant = significant.slice(0, DIGITS_KEPT);
    if (/[1-9]/.test(rest)) {
      significant += "1";
      exp10--;
    }
  }
  // |value| <= DBL_MIN and the digits are non-zero, so exp10 < 0.
  const underflow = underflows(BigInt(significant), 10n ** BigInt(-exp10), magnitude);
  return underflow ? null : value;
}

function hexScore(m: RegExpExecArray): number | null {
  const negative = m[1] === "-";
  const intDigits = m[2] ?? "";
  const fracDigits = m[4] ?? m[3] ?? "";
  let hex = (intDigits + fracDigits).replace(/^0+/, "");
  if (hex.length === 0) return negative ? -0 : 0;
  const pExp = Math.max(-1e15, Math.min(1e15, Number(m[5] ?? "0")));
  let exp = pExp - 4 * fracDigits.length; // value = hex * 2^exp
  if (hex.length > HEX_DIGITS_KEPT) {
    const rest = hex.slice(HEX_DIGITS_KEPT);
    exp += 4 * rest.length;
    hex = hex.slice(0, HEX_DIGITS_KEPT);
    if (/[1-9a-fA-F]/.test(rest)) {
      hex += "1";
      exp -= 4;
    }
  }
  const bits = 4 * hex.length - Math.clz32(parseInt(hex[0], 16)) + 28;
  const top = bits - 1 + exp; // exponent of the leading bit
  if (top > 1023) return null; // overflow
  if (top < -1076) return null; // rounds to 0: inexact underflow
  const mantissa = BigInt("0x" + hex);
  const lsb = Math.max(top - 52, -1074);
  const drop = lsb - exp;
  let q: bigint;
  if (drop <= 0) q = mantissa << BigInt(-drop);
  else {
    const shift = BigInt(drop);
    q = mantissa >> shift;
    const rest = mantissa - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  const value = Number(q) * 2 ** lsb;
  if (!Number.isFinite(value)) return null; // overflow after rounding
  if (value === 0) return null; // inexact underflow to zero
  if (value <= DBL_MIN) {
    const num = exp >= 0 ? mantissa << BigInt(exp) : mantissa;
    const den = exp >= 0 ? 1n : 1n << BigInt(-exp);
    if (underflows(num, den, value)) return null;
  }
  return negative ? -value : value;
}

// ---- comparison and Redis's partial quicksort ----

interface Item {
  element: string;
  score: number;
  /** ALPHA with BY: the weight, null when missing. */
  weight: string | null;
}

type Compare = (a: Item, b: Item) => number;

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll under the C / C.UTF-8 locale: strcmp, which stops at the first NUL. */
function collate(a: string, b: string): number {
  return bytewise(a.slice(0, cLength(a)), b.slice(0, cLength(b)));
}

/** sortCompare of sort.c. */
function comparator(alpha: boolean, by: boolean, store: boolean, desc: boolean): Compare {
  let cmp: Compare;
  if (!alpha) {
    cmp = (a, b) => a.score > b.score ? 1 : a.score < b.score ? -1 : bytewise(a.element, b.element);
  } else if (by) {
    const strings = store ? bytewise : collate;
    cmp = (a, b) => {
      if (a.weight === null || b.weight === null) {
        return a.weight === b.weight ? 0 : a.weight === null ? -1 : 1;
      }
      return strings(a.weight, b.weight);
    };
  } else {
    const strings = store ? bytewise : collate;
    cmp = (a, b) => strings(a.element, b.element);
  }
  return desc ? (a, b) => -cmp(a, b) : cmp;
}

// ---- the command ----

interface SortArgs {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** BY pattern without '*': keep the collection's own order. Sticky, as in Redis. */
  dontSort: boolean;
  by: string | null;
  store: string | null;
  gets: string[];
}

function parseSort(argv: string[], readonly: boolean): SortArgs | Reply {
  const a: SortArgs = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    dontSort: false,
    by: null,
    store: null,
    gets: [],
  };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const word = lower(argv[j]);
    if (word === "asc") a.desc = false;
    else if (word === "desc") a.desc = true;
    else if (word === "alpha") a.alpha = true;
    else if (word === "limit" && left >= 2) {
      const start = parseIntArg(argv[j + 1]);
      if (start === null) return ERR_NOT_INTEGER;
      const count = parseIntArg(argv[j + 2]);
      if (count === null) return ERR_NOT_INTEGER;
      a.limitStart = start;
      a.limitCount = count;
      j += 2;
    } else if (!readonly && word === "store" && left >= 1) a.store = argv[++j];
    else if (word === "by" && left >= 1) {
      a.by = argv[++j];
      const star = a.by.indexOf("*");
      if (star < 0 || star >= cLength(a.by)) a.dontSort = true;
    } else if (word === "get" && left >= 1) a.gets.push(argv[++j]);
    else return ERR_SYNTAX;
  }
  return a;
}

/** The destination passes the bounds Store applies to declared keys (SORT declares only argv[1]). */
function checkDestination(ks: Keyspace, key: string): Reply | null {
  const limits = ks.limits;
  if (key.length > limits.keyBytesMax) {
    return error(`ERR key exceeds the limit of ${limits.keyBytesMax} bytes (keyBytesMax)`);
  }
  if (ks.data.size >= limits.keysMax && !ks.data.has(key)) {
    return error(`ERR keyspace is full: ${limits.keysMax} keys (keysMax)`);
  }
  return null;
}

/**
 * A set's members in the order Redis walks them where that order is fixed: ascending for a set
 * Redis holds as an intset (at most set-max-intset-entries canonical int64s), else ATLAS's
 * insertion order (Redis's hashtable order is seeded at random).
 */
function setMembers(ks: Keyspace, set: SetValue): Iterable<string> {
  return set.ordered(ks.encoding.setMaxIntsetEntries);
}

function item(element: string): Item {
  return { element, score: 0, weight: null };
}

function sortGeneric(ks: Keyspace, argv: string[], readonly: boolean): Reply {
  const parsed = parseSort(argv, readonly);
  if (!("gets" in parsed)) return parsed;
  const { desc, gets, store } = parsed;
  let { alpha, dontSort, by } = parsed;
  if (store !== null) {
    const bad = checkDestination(ks, store);
    if (bad !== null) return bad;
  }
  const value = ks.lookupRead(argv[1]); // a read lookup even with STORE, as Redis
  if (
    value !== undefined &&
    !(value instanceof ListValue || value instanceof SetValue || value instanceof ZSetValue)
  ) {
    return WRONGTYPE;
  }
  if (dontSort && value instanceof SetValue && (store !== null || ks.ctx.fromScript === true)) {
    // A set has no order of its own: sort it so the stored result (or what a script sees, which
    // its writes may depend on) is deterministic, as Redis does.
    dontSort = false;
    alpha = true;
    by = null;
  }
  const size = value === undefined ? 0 : value instanceof ListValue ? value.length : value.size;

  // LIMIT, clamped as sort.c does (no overflow, negative count = everything).
  let start = Math.min(Math.max(parsed.limitStart, 0), size);
  const count = Math.min(Math.max(parsed.limitCount, -1), size);
  let end = count < 0 ? size - 1 : start + count - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;
  const outputLength = (gets.length === 0 ? 1 : gets.length) * (end - start + 1);
  const tooLong = exceedsLength(ks, 0, outputLength);
  if (tooLong !== null) return tooLong;

  // Load the vector. Lists and sorted sets left unsorted only load the range LIMIT selects.
  let vector: Item[] = [];
  if (value instanceof ListValue) {
    if (dontSort) {
      if (end >= start) {
        for (let i = 0; i <= end - start; i++) {
          vector.push(item(value.get(desc ? size - start - 1 - i : start + i)));
        }
        end -= start;
        start = 0;
      }
    } else vector = value.toArray().map(item);
  } else if (value instanceof SetValue) {
    for (const m of setMembers(ks, value)) vector.push(item(m));
  } else if (value instanceof ZSetValue) {
    if (dontSort) {
      if (end >= start) {
        let node = value.byRank(desc ? size - 1 - start : start);
        for (let i = 0; i <= end - start && node !== null; i++) {
          vector.push(item(node.member));
          node = desc ? node.backward : node.next;
        }
      }
      end -= start;
      start = 0;
    } else {
      for (let node = value.first(); node !== null; node = node.next) {
        vector.push(item(node.member));
      }
    }
  }

  let conversionError = false;
  if (!dontSort) {
    for (const it of vector) {
      let weight: string | null;
      if (by !== null) {
        weight = lookupByPattern(ks, by, it.element);
        if (weight === null) continue;
      } else weight = it.element;
      if (alpha) {
        if (by !== null) it.weight = weight;
      } else {
        const score = sortScore(weight);
        if (score === null) conversionError = true;
        else it.score = score;
      }
    }
    if (end >= start) {
      const cmp = comparator(alpha, by !== null, store !== null, desc);
      if (by !== null && (start !== 0 || end !== vector.length - 1)) {
        pqsort(vector, cmp, start, end);
      } else vector.sort(cmp);
    }
  }
  if (conversionError) return ERR_SCORES;

  if (store === null) {
    const out: Reply[] = [];
    for (let j = start; j <= end; j++) {
      const element = vector[j].element;
      if (gets.length === 0) out.push(bulk(element));
      for (const pattern of gets) {
        const got = lookupByPattern(ks, pattern, element);
        out.push(got === null ? NIL : bulk(got));
      }
    }
    return array(out);
  }

  const result: string[] = [];
  for (let j = start; j <= end; j++) {
    const element = vector[j].element;
    if (gets.length === 0) result.push(element);
    for (const pattern of gets) result.push(lookupByPattern(ks, pattern, element) ?? "");
  }
  const elementMax = ks.limits.elementBytesMax;
  for (const e of result) {
    if (e.length > elementMax) {
      return error(`ERR element exceeds the limit of ${elementMax} bytes (elementBytesMax)`);
    }
  }
  if (result.length === 0) {
    if (ks.deleteKey(store)) {
      ks.notify(EventClass.Generic, "del", store);
      ks.emit(["DEL", store]);
    }
    return integer(0);
  }
  // Redis's setKey looks the destination up for writing first: one that has expired goes (its
  // "expired" event and DEL) before the new list arrives as a new key. (The empty result above
  // deletes without that lookup, as Redis's dbDelete does.)
  ks.lookup(store);
  const list = new ListValue(result.length);
  for (const e of result) list.pushBack(e);
  ks.setValue(store, list);
  ks.notify(EventClass.List, "sortstore", store);
  ks.emit(argv);
  return integer(result.length);
}

const G = "generic";

export const SORT_COMMANDS: readonly BuiltinCommand[] = [
  // Keys: the sorted key is declared; STORE's destination and the BY/GET keys are found while
  // running (Redis: movablekeys).
  command(
    "sort",
    -2,
    "write denyoom movablekeys",
    [1, 1, 1],
    G,
    (ks, a) => sortGeneric(ks, a, false),
  ),
  command("sort_ro", -2, "readonly movablekeys", [1, 1, 1], G, (ks, a) => sortGeneric(ks, a, true)),
];
