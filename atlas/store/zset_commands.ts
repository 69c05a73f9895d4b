/** Sorted-set commands: ZADD ZINCRBY ZRANGE (all forms) ZRANK ZPOP* ZREMRANGEBY* ZSCAN ... */
import { type BuiltinCommand, command } from "./command_table.ts";
import {
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OUT_OF_RANGE_POSITIVE,
  ERR_SYNTAX,
  WRONGTYPE,
} from "./errors.ts";
import { globMatch } from "./glob.ts";
import { parseScanOptions } from "./keys_commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { formatDouble, parseDouble } from "./numbers.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  pairsArray,
  type Reply,
} from "./reply.ts";
import { parseCursor } from "./scan.ts";
import { sortScore } from "./sort_command.ts";
import {
  clampRange,
  cWord,
  exceedsLength,
  lookupAs,
  pairedCountOutOfRange,
  parseIntArg,
  parseMpop,
  parseRandomCount,
  randomCountTooLarge,
  randomIndexes,
} from "./util.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  listpackScoreText,
  listpackSized,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  type ZNode,
  ZSetValue,
} from "./zset_value.ts";

const Z = "sorted-set";
const ERR_RANGE_FLOAT = error("ERR min or max is not a float");
const ERR_RANGE_LEX = error("ERR min or max not valid string range item");

function double(value: number): Reply {
  return { kind: "double", value };
}

/** zslParseRange: "1.5", "(1.5", "-inf", "+inf"; null when invalid. */
export function parseScoreRange(minText: string, maxText: string): ScoreRange | null {
  const min = parseBound(minText);
  const max = parseBound(maxText);
  if (min === null || max === null) return null;
  return { min: min[0], minEx: min[1], max: max[0], maxEx: max[1] };
}

function parseBound(text: string): [number, boolean] | null {
  const ex = text.charCodeAt(0) === 40; // '('
  const v = rangeScore(ex ? text.slice(1) : text);
  return v === null ? null : [v, ex];
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A score bound as zslParseRange reads it: a bare strtod that only checks that the C string was
 * consumed and is not NaN. So leading whitespace, "" (0), hex floats and bytes after a NUL pass,
 * and ERANGE is no error: 1e400 is inf, 1e-400 is 0.
 */
function rangeScore(text: string): number | null {
  const v = sortScore(text); // strtod over the C string, null on ERANGE
  if (v !== null) return v;
  const nul = text.indexOf("\0");
  const body = (nul < 0 ? text : text.slice(0, nul)).replace(/^[ \t\n\v\f\r]+/, "");
  return DECIMAL_RE.test(body) ? Number(body) : null; // glibc's value: ±inf, 0 or a subnormal
}

/**
 * A score, weight or coordinate as getDoubleFromObject reads it: parseDouble, plus the hex floats
 * ("0x10", "0x1p-3") that Redis's strtod takes too (not after whitespace, not up to a NUL).
 */
export function parseScoreArg(text: string): number | null {
  const v = parseDouble(text);
  if (v !== null || !/^[+-]?0[xX]/.test(text) || text.includes("\0")) return v;
  return sortScore(text);
}

/** zslParseLexRange: "[a", "(a", "-", "+"; null when invalid. */
export function parseLexRange(minText: string, maxText: string): LexRange | null {
  const min = parseLexBound(minText);
  const max = parseLexBound(maxText);
  if (min === null || max === null) return null;
  return {
    min: min[0],
    minEx: min[1],
    minInf: min[2],
    max: max[0],
    maxEx: max[1],
    maxInf: max[2],
  };
}

function parseLexBound(text: string): [string | null, boolean, -1 | 0 | 1] | null {
  if (text === "-") return [null, false, -1];
  if (text === "+") return [null, false, 1];
  const c = text.charCodeAt(0);
  if (c === 40) return [text.slice(1), true, 0];
  if (c === 91) return [text.slice(1), false, 0];
  return null;
}

function emptyScoreRange(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minEx || r.maxEx));
}

function emptyLexRange(r: LexRange): boolean {
  if (r.minInf === 1 || r.maxInf === -1) return true;
  if (r.minInf === -1 || r.maxInf === 1) return false;
  const min = r.min as string;
  const max = r.max as string;
  return min > max || (min === max && (r.minEx || r.maxEx));
}

interface ZaddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
  /** argv index of the first score. */
  first: number;
  scores: number[];
}

/** Parses ZADD's flags and scores, with Redis's checks in Redis's order. */
function parseZadd(argv: string[]): ZaddFlags | Reply {
  const f: ZaddFlags = {
    nx: false,
    xx: false,
    gt: false,
    lt: false,
    ch: false,
    incr: false,
    first: 2,
    scores: [],
  };
  for (; f.first < argv.length; f.first++) {
    // Every option is a word; a score starts with a digit, sign or dot (no lowered copy needed).
    const initial = argv[f.first].charCodeAt(0) | 0x20;
    if (initial < 97 || initial > 122) break;
    const opt = cWord(argv[f.first]); // strcasecmp: up to a NUL
    if (opt === "nx") f.nx = true;
    else if (opt === "xx") f.xx = true;
    else if (opt === "gt") f.gt = true;
    else if (opt === "lt") f.lt = true;
    else if (opt === "ch") f.ch = true;
    else if (opt === "incr") f.incr = true;
    else break;
  }
  const rest = argv.length - f.first;
  if (rest === 0 || rest % 2 !== 0) return ERR_SYNTAX;
  if (f.nx && f.xx) return error("ERR XX and NX options at the same time are not compatible");
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && rest > 2) {
    return error("ERR INCR option supports a single increment-element pair");
  }
  for (let j = f.first; j < argv.length; j += 2) {
    const score = parseScoreArg(argv[j]);
    if (score === null) return ERR_NOT_FLOAT;
    f.scores.push(score);
  }
  return f;
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]. */
function zadd(ks: Keyspace, argv: string[]): Reply {
  const f = parseZadd(argv);
  if ("kind" in f) return f;
  const key = argv[1];
  let z = lookupAs(ks, key, ZSetValue);
  if (z === null) return WRONGTYPE;
  const tooLong = exceedsLength(ks, z?.size ?? 0, f.scores.length);
  if (tooLong !== null) return tooLong;
  if (z === undefined) {
    if (f.xx) return f.incr ? NIL : integer(0);
    z = ks.createCollection(key, new ZSetValue());
  }
  const touched = ks.touched.length;
  const before = ks.beginMutation(key, z);
  let added = 0, updated = 0;
  let incrResult: number | null = null;
  let nanError = false;
  let negativeZero: string[] | null = null;
  for (let j = 0; j < f.scores.length; j++) {
    const member = argv[f.first + j * 2 + 1];
    let score = f.scores[j];
    const current = z.score(member);
    if (current === undefined) {
      if (f.xx) continue;
      z.add(member, score);
      if (Object.is(score, -0)) (negativeZero ??= []).push(member);
      incrResult = score;
      added++;
      continue;
    }
    if (f.nx) continue;
    if (f.incr) score += current;
    if (Number.isNaN(score)) {
      nanError = true;
      break;
    }
    if ((f.gt && score <= current) || (f.lt && score >= current)) continue;
    incrResult = score;
    if (score !== current) {
      z.add(member, score);
      if (Object.is(score, -0)) (negativeZero ??= []).push(member);
      updated++;
    }
  }
  // A listpack stores -0 as the integer 0 (the reply above still says -0, as Redis's does).
  if (negativeZero !== null && listpackSized(z, ks.encoding)) {
    for (const member of negativeZero) z.add(member, 0);
  }
  ks.endMutation(key, z, before);
  // Nothing added or moved: Redis does not signal the key (a WATCH holds, no invalidation).
  if (added + updated === 0) ks.untouch(touched);
  if (added + updated > 0) ks.notify(EventClass.ZSet, f.incr ? "zincr" : "zadd", key);
  if (nanError) return error("ERR resulting score is not a number (NaN)");
  if (added + updated > 0) ks.emit(argv);
  if (f.incr) return incrResult === null ? NIL : double(incrResult);
  return integer(f.ch ? added + updated : added);
}

function zincrby(ks: Keyspace, argv: string[]): Reply {
  const [, key, byText, member] = argv;
  const r = zadd(ks, ["ZADD", key, "INCR", byText, member]);
  if (r.kind === "double") {
    // zadd logged its own form; the ZINCRBY form is equivalent and reads better in the AOF.
    if (ks.log !== null) ks.log[ks.log.length - 1] = argv;
  }
  return r;
}

function zrem(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const z = lookupAs(ks, key, ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined) return integer(0);
  const before = ks.beginMutation(key, z);
  let removed = 0;
  for (let i = 2; i < argv.length; i++) if (z.delete(argv[i])) removed++;
  const deleted = ks.endMutation(key, z, before);
  if (removed > 0) {
    ks.notify(EventClass.ZSet, "zrem", key);
    if (deleted) ks.notify(EventClass.Generic, "del", key);
    ks.emit(argv);
  }
  return integer(removed);
}

function zscore(ks: Keyspace, argv: string[]): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  const s = z?.score(argv[2]);
  return s === undefined ? NIL : double(s);
}

function zmscore(ks: Keyspace, argv: string[]): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    out.push(s === undefined ? NIL : double(s));
  }
  return array(out);
}

function zcard(ks: Keyspace, argv: string[]): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  return integer(z?.size ?? 0);
}

/** Number of elements between two nodes (inclusive), by rank. */
function span(z: ZSetValue, first: ZNode | null, last: ZNode | null): number {
  if (first === null || last === null) return 0;
  const a = z.rank(first.member);
  const b = z.rank(last.member);
  return b >= a ? b - a + 1 : 0;
}

function zcount(ks: Keyspace, argv: string[]): Reply {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) return ERR_RANGE_FLOAT;
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined || emptyScoreRange(range)) return integer(0);
  return integer(span(z, z.firstInScoreRange(range), z.lastInScoreRange(range)));
}

function zlexcount(ks: Keyspace, argv: string[]): Reply {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) return ERR_RANGE_LEX;
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined || emptyLexRange(range)) return integer(0);
  return integer(span(z, z.firstInLexRange(range), z.lastInLexRange(range)));
}

type RangeBy = "rank" | "score" | "lex";

interface RangeRequest {
  by: RangeBy;
  rev: boolean;
  withScores: boolean;
  offset: number;
  limit: number; // -1 = all
  min: string;
  max: string;
}

/** Runs a range request and renders it. */
function rangeReply(ks: Keyspace, key: string, q: RangeRequest): Reply {
  const nodes = collectRange(ks, key, q);
  if (!Array.isArray(nodes)) return nodes;
  if (!q.withScores) return array(nodes.map((n) => bulk(n.member)));
  const out: Reply[] = [];
  for (const n of nodes) out.push(bulk(n.member), double(n.score));
  return pairsArray(out);
}

function collectRange(ks: Keyspace, key: string, q: RangeRequest): ZNode[] | Reply {
  let score: ScoreRange | null = null;
  let lex: LexRange | null = null;
  if (q.by === "score") {
    score = parseScoreRange(q.min, q.max);
    if (score === null) return ERR_RANGE_FLOAT;
  } else if (q.by === "lex") {
    lex = parseLexRange(q.min, q.max);
    if (lex === null) return ERR_RANGE_LEX;
  }
  let start = 0, stop = 0;
  if (q.by === "rank") {
    const a = parseIntArg(q.min);
    const b = parseIntArg(q.max);
    if (a === null || b === null) return ERR_NOT_INTEGER;
    start = a;
    stop = b;
  }
  const z = lookupAs(ks, key, ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined) return [];
  const out: ZNode[] = [];
  if (q.by === "rank") {
    const r = clampRange(start, stop, z.size);
    if (r === null) return [];
    const count = r[1] - r[0] + 1;
    let n = z.byRank(q.rev ? z.size - 1 - r[0] : r[0]);
    for (let i = 0; i < count && n !== null; i++) {
      out.push(n);
      n = q.rev ? n.backward : n.next;
    }
    return out;
  }
  if (q.offset < 0) return [];
  let n: ZNode | null;
  if (score !== null) {
    if (emptyScoreRange(score)) return [];
    n = q.rev ? z.lastInScoreRange(score) : z.firstInScoreRange(score);
  } else {
    if (emptyLexRange(lex as LexRange)) return [];
    n = q.rev ? z.lastInLexRange(lex as LexRange) : z.firstInLexRange(lex as LexRange);
  }
  for (let skip = q.offset; skip > 0 && n !== null; skip--) n = q.rev ? n.backward : n.next;
  let limit = q.limit;
  while (n !== null && limit !== 0) {
    const inside = score !== null
      ? (q.rev ? scoreGteMin(n.score, score) : scoreLteMax(n.score, score))
      : (q.rev ? lexGteMin(n.member, lex as LexRange) : lexLteMax(n.member, lex as LexRange));
    if (!inside) break;
    out.push(n);
    n = q.rev ? n.backward : n.next;
    if (limit > 0) limit--;
  }
  return out;
}

/**
 * Parses [WITHSCORES] [LIMIT o c] [BYSCORE|BYLEX] [REV] from argv[from]. Like Redis's
 * zrangeGenericCommand, REV and BYSCORE|BYLEX are taken once each (a repeat is a syntax error),
 * and only a LIMIT count other than -1 conflicts with a rank range (`LIMIT 1 -1` is accepted,
 * its offset ignored).
 */
function parseRangeOptions(
  argv: string[],
  from: number,
  q: RangeRequest,
  allow: { by: boolean; withScores: boolean },
): Reply | null {
  let count = -1; // the last LIMIT's count, as given
  for (let i = from; i < argv.length; i++) {
    const opt = cWord(argv[i]);
    if (opt === "withscores" && allow.withScores) q.withScores = true;
    else if (opt === "limit" && i + 2 < argv.length) {
      const o = parseIntArg(argv[i + 1]);
      const c = parseIntArg(argv[i + 2]);
      if (o === null || c === null) return ERR_NOT_INTEGER;
      q.offset = o;
      q.limit = c < 0 ? -1 : c;
      count = c;
      i += 2;
    } else if (opt === "byscore" && allow.by && q.by === "rank") q.by = "score";
    else if (opt === "bylex" && allow.by && q.by === "rank") q.by = "lex";
    else if (opt === "rev" && allow.by && !q.rev) q.rev = true;
    else return ERR_SYNTAX;
  }
  if (count !== -1 && q.by === "rank") {
    return error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (q.withScores && q.by === "lex") {
    return error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  return null;
}

function newRequest(by: RangeBy, rev: boolean, a: string, b: string): RangeRequest {
  return { by, rev, withScores: false, offset: 0, limit: -1, min: a, max: b };
}

function zrange(ks: Keyspace, argv: string[]): Reply {
  const q = newRequest("rank", false, argv[2], argv[3]);
  const bad = parseRangeOptions(argv, 4, q, { by: true, withScores: true });
  if (bad !== null) return bad;
  if (q.rev && q.by !== "rank") [q.min, q.max] = [q.max, q.min]; // ZRANGE k max min BYSCORE REV
  return rangeReply(ks, argv[1], q);
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. */
function zrangestore(ks: Keyspace, argv: string[]): Reply {
  const dst = argv[1];
  const q = newRequest("rank", false, argv[3], argv[4]);
  const bad = parseRangeOptions(argv, 5, q, { by: true, withScores: false });
  if (bad !== null) return bad;
  if (q.rev && q.by !== "rank") [q.min, q.max] = [q.max, q.min];
  const nodes = collectRange(ks, argv[2], q);
  if (!Array.isArray(nodes)) return nodes;
  if (nodes.length === 0) {
    if (ks.deleteKey(dst)) {
      ks.notify(EventClass.Generic, "del", dst);
      ks.emit(["DEL", dst]);
    }
    return integer(0);
  }
  const z = new ZSetValue();
  for (const n of nodes) z.add(n.member, n.score);
  normalizeListpackZeros(ks, z);
  ks.setValue(dst, z);
  ks.notify(EventClass.ZSet, "zrangestore", dst);
  ks.emit(argv);
  return integer(z.size);
}

/**
 * A new destination Redis writes as a listpack (ZRANGESTORE, the STORE forms of the algebra)
 * holds -0 as the integer 0; a larger one (a skiplist) keeps -0.
 */
export function normalizeListpackZeros(ks: Keyspace, z: ZSetValue): void {
  if (!listpackSized(z, ks.encoding)) return;
  const zeros: string[] = [];
  for (const [m, s] of z.entries()) if (Object.is(s, -0)) zeros.push(m);
  for (const m of zeros) z.add(m, 0);
}

function zrangeLegacy(ks: Keyspace, argv: string[], by: RangeBy, rev: boolean): Reply {
  const q = rev && by !== "rank"
    ? newRequest(by, rev, argv[3], argv[2])
    : newRequest(by, rev, argv[2], argv[3]);
  // WITHSCORES parses for BYLEX too, to be refused below with Redis's own message.
  const bad = parseRangeOptions(argv, 4, q, { by: false, withScores: true });
  if (bad !== null) return bad;
  return rangeReply(ks, argv[1], q);
}

function zrank(ks: Keyspace, argv: string[], rev: boolean): Reply {
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined) return NIL;
  const r = z.rank(argv[2]);
  if (r < 0) return NIL;
  return integer(rev ? z.size - 1 - r : r);
}

function zpop(ks: Keyspace, argv: string[], max: boolean): Reply {
  if (argv.length > 3) return ERR_SYNTAX;
  let count = 1;
  if (argv.length === 3) {
    const n = parseIntArg(argv[2]);
    if (n === null || n < 0) return ERR_OUT_OF_RANGE_POSITIVE;
    count = n;
  }
  const key = argv[1];
  const z = lookupAs(ks, key, ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined || count === 0) return EMPTY_ARRAY;
  const before = ks.beginMutation(key, z);
  const out: Reply[] = [];
  for (let i = 0; i < count && z.size > 0; i++) {
    const n = (max ? z.tail : z.first()) as ZNode;
    out.push(bulk(n.member), double(n.score));
    z.delete(n.member);
  }
  const deleted = ks.endMutation(key, z, before);
  ks.notify(EventClass.ZSet, max ? "zpopmax" : "zpopmin", key);
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(argv);
  return argv.length === 3 ? pairsArray(out) : array(out);
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT n]: pops from the first non-empty sorted set. */
function zmpop(ks: Keyspace, argv: string[]): Reply {
  const a = parseMpop(argv, ["min", "max"]);
  if (!("keys" in a)) return a;
  for (const key of a.keys) {
    const z = lookupAs(ks, key, ZSetValue);
    if (z === undefined) continue;
    if (z === null) return WRONGTYPE;
    const before = ks.beginMutation(key, z);
    const out: Reply[] = [];
    for (let i = 0; i < a.count && z.size > 0; i++) {
      const n = (a.first ? z.first() : z.tail) as ZNode;
      out.push(array([bulk(n.member), double(n.score)]));
      z.delete(n.member);
    }
    const deleted = ks.endMutation(key, z, before);
    ks.notify(EventClass.ZSet, a.first ? "zpopmin" : "zpopmax", key);
    if (deleted) ks.notify(EventClass.Generic, "del", key);
    ks.emit([a.first ? "ZPOPMIN" : "ZPOPMAX", key, String(out.length)]);
    return array([bulk(key), array(out)]);
  }
  return NIL_ARRAY;
}

function zremrange(ks: Keyspace, argv: string[], by: RangeBy): Reply {
  const key = argv[1];
  const q = newRequest(by, false, argv[2], argv[3]);
  const nodes = collectRange(ks, key, q);
  if (!Array.isArray(nodes)) return nodes;
  if (nodes.length === 0) return integer(0);
  const z = ks.data.get(key) as ZSetValue;
  const members = nodes.map((n) => n.member);
  const before = ks.beginMutation(key, z);
  for (const m of members) z.delete(m);
  const deleted = ks.endMutation(key, z, before);
  ks.notify(
    EventClass.ZSet,
    by === "score" ? "zremrangebyscore" : by === "rank" ? "zremrangebyrank" : "zremrangebylex",
    key,
  );
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(argv);
  return integer(members.length);
}

function zscan(ks: Keyspace, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  if (cursor === null) return error("ERR invalid cursor");
  // Redis looks the key up before it reads the options: a missing key answers an empty scan
  // whatever follows, a wrong type WRONGTYPE before any syntax error.
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  if (z === undefined) return array([bulk("0"), EMPTY_ARRAY]);
  const opts = parseScanOptions(argv, 3, ks.limits.scanCountMax, false);
  if ("kind" in opts) return opts;
  let next = 0;
  let items: [string, number][];
  // Only a listpack comes back whole; a skiplist (a member over zset-max-listpack-value bytes),
  // however small, is paged by COUNT.
  const listpack = listpackSized(z, ks.encoding);
  if (listpack) {
    items = [];
    for (let n = z.first(); n !== null; n = n.next) items.push([n.member, n.score]);
  } else {
    const r = ks.scans.scan(z, () => z.entries(), cursor, opts.count);
    next = r.cursor;
    items = r.items;
  }
  // A listpack's scores come out as stored (integers up to 2^62 without an exponent), a
  // skiplist's as ld2string's "%.17Lg".
  const format = listpack ? listpackScoreText : formatDouble;
  const out: Reply[] = [];
  for (const [m, s] of items) {
    if (opts.pattern === null || globMatch(opts.pattern, m)) {
      out.push(bulk(m), bulk(format(s)));
    }
  }
  return array([bulk(String(next)), array(out)]);
}

function zrandmember(ks: Keyspace, argv: string[]): Reply {
  if (argv.length === 2) {
    const z = lookupAs(ks, argv[1], ZSetValue);
    if (z === null) return WRONGTYPE;
    if (z === undefined) return NIL;
    const [i] = randomIndexes(() => ks.ctx.random(), z.size, 1, false);
    return bulk((z.byRank(i) as ZNode).member);
  }
  // Redis reads the count first, then the syntax, then the key (ZRANDMEMBER str x: not an integer).
  const count = parseRandomCount(argv[2]);
  if (typeof count !== "number") return count;
  if (argv.length > 4) return ERR_SYNTAX;
  const withScores = argv.length === 4;
  if (withScores && cWord(argv[3]) !== "withscores") return ERR_SYNTAX;
  const outOfRange = withScores ? pairedCountOutOfRange(argv[2]) : null;
  if (outOfRange !== null) return outOfRange;
  const z = lookupAs(ks, argv[1], ZSetValue);
  if (z === null) return WRONGTYPE;
  const tooMany = randomCountTooLarge(ks, count);
  if (tooMany !== null) return tooMany;
  if (z === undefined || count === 0) return EMPTY_ARRAY;
  const picks = randomIndexes(() => ks.ctx.random(), z.size, Math.abs(count), count > 0);
  const out: Reply[] = [];
  for (const i of picks) {
    const n = z.byRank(i) as ZNode;
    out.push(bulk(n.member));
    if (withScores) out.push(double(n.score));
  }
  return withScores ? pairsArray(out) : array(out);
}

const WF = "write denyoom fast";
const K: [number, number, number] = [1, 1, 1];
const R = "readonly";

export const ZSET_COMMANDS: readonly BuiltinCommand[] = [
  command("zadd", -4, WF, K, Z, zadd),
  command("zincrby", 4, WF, K, Z, zincrby),
  command("zrem", -3, "write fast", K, Z, zrem),
  command("zscore", 3, "readonly fast", K, Z, zscore),
  command("zmscore", -3, "readonly fast", K, Z, zmscore),
  command("zcard", 2, "readonly fast", K, Z, zcard),
  command("zcount", 4, "readonly fast", K, Z, zcount),
  command("zlexcount", 4, "readonly fast", K, Z, zlexcount),
  command("zrange", -4, R, K, Z, zrange),
  command("zrangestore", -5, "write denyoom", [1, 2, 1], Z, zrangestore),
  command("zrangebyscore", -4, R, K, Z, (ks, a) => zrangeLegacy(ks, a, "score", false)),
  command("zrevrangebyscore", -4, R, K, Z, (ks, a) => zrangeLegacy(ks, a, "score", true)),
  command("zrangebylex", -4, R, K, Z, (ks, a) => zrangeLegacy(ks, a, "lex", false)),
  command("zrevrangebylex", -4, R, K, Z, (ks, a) => zrangeLegacy(ks, a, "lex", true)),
  command("zrevrange", -4, R, K, Z, (ks, a) => zrangeLegacy(ks, a, "rank", true)),
  command("zrank", 3, "readonly fast", K, Z, (ks, a) => zrank(ks, a, false)),
  command("zrevrank", 3, "readonly fast", K, Z, (ks, a) => zrank(ks, a, true)),
  command("zpopmin", -2, "write fast", K, Z, (ks, a) => zpop(ks, a, false)),
  command("zpopmax", -2, "write fast", K, Z, (ks, a) => zpop(ks, a, true)),
  command("zmpop", -4, "write movablekeys", [0, 0, 0], Z, zmpop),
  command("zremrangebyscore", 4, "write", K, Z, (ks, a) => zremrange(ks, a, "score")),
  command("zremrangebyrank", 4, "write", K, Z, (ks, a) => zremrange(ks, a, "rank")),
  command("zremrangebylex", 4, "write", K, Z, (ks, a) => zremrange(ks, a, "lex")),
  command("zscan", -3, "readonly random", K, Z, zscan),
  command("zrandmember", -2, "readonly random", K, Z, zrandmember),
];
