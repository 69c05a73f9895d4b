/**
 * A Redis sorted set: member → node in a Map, plus a skip list with spans (as in Redis t_zset.c)
 * ordered by (score, member bytes) for O(log n) rank, range and by-rank access.
 *
 * Memory: level 0 lives in plain fields (`next`; its span is always 1), and only the ~25% of nodes
 * taller than one level carry an `up` array of [forward, span] pairs for levels 1+. The Map points
 * at the node, so the score is stored once. Level choice uses a fixed-seed xorshift: the shape is
 * not observable, and the store stays pure.
 */
import { formatDouble } from "./numbers.ts";

export const ZSET_ENTRY_OVERHEAD_BYTES = 128;

/** The memory estimate of one member (what `bytes` counts; MEMORY USAGE samples it). */
export function zsetMemberBytes(member: string): number {
  return ZSET_ENTRY_OVERHEAD_BYTES + member.length;
}
const MAX_LEVEL = 32;

export class ZNode {
  backward: ZNode | null = null;
  next: ZNode | null = null;
  /** Levels 1+: up[2(i-1)] = forward at level i, up[2(i-1)+1] = span at level i. */
  up: (ZNode | null | number)[] | null;
  constructor(readonly member: string, public score: number, level: number) {
    this.up = null;
    if (level > 1) {
      const up: (ZNode | null | number)[] = new Array(2 * (level - 1));
      for (let i = 0; i < up.length; i += 2) {
        up[i] = null;
        up[i + 1] = 0;
      }
      this.up = up;
    }
  }
}

function fwd(x: ZNode, i: number): ZNode | null {
  return i === 0 ? x.next : ((x.up as (ZNode | null)[])[2 * i - 2]);
}
function setFwd(x: ZNode, i: number, n: ZNode | null): void {
  if (i === 0) x.next = n;
  else (x.up as (ZNode | null)[])[2 * i - 2] = n;
}
/** Level-0 spans are always 1 (0 past the end, never read), so only levels 1+ are stored. */
function span(x: ZNode, i: number): number {
  return i === 0 ? 1 : ((x.up as number[])[2 * i - 1]);
}
function setSpan(x: ZNode, i: number, v: number): void {
  if (i !== 0) (x.up as number[])[2 * i - 1] = v;
}

/** A score range: min/max with exclusive flags (ZRANGEBYSCORE "(1" forms). */
export interface ScoreRange {
  min: number;
  max: number;
  minEx: boolean;
  maxEx: boolean;
}

/** A lex range: strings, or "-" / "+" as -inf / +inf (null), with exclusive flags. */
export interface LexRange {
  min: string | null; // null = "-" (below everything)
  max: string | null; // null = "+" (above everything)
  minEx: boolean;
  maxEx: boolean;
  minInf: -1 | 1 | 0; // -1: "-", +1: "+", 0: a string
  maxInf: -1 | 1 | 0;
}

let seed = 0x2545f491;
function randomLevel(): number {
  let level = 1;
  for (;;) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    if ((seed & 0xffff) >= 0xffff * 0.25 || level >= MAX_LEVEL) return level;
    level++;
  }
}

function less(score: number, member: string, node: ZNode): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

export function scoreGteMin(score: number, r: ScoreRange): boolean {
  return r.minEx ? score > r.min : score >= r.min;
}
export function scoreLteMax(score: number, r: ScoreRange): boolean {
  return r.maxEx ? score < r.max : score <= r.max;
}
export function lexGteMin(member: string, r: LexRange): boolean {
  if (r.minInf === -1) return true;
  if (r.minInf === 1) return false;
  return r.minEx ? member > (r.min as string) : member >= (r.min as string);
}
export function lexLteMax(member: string, r: LexRange): boolean {
  if (r.maxInf === 1) return true;
  if (r.maxInf === -1) return false;
  return r.maxEx ? member < (r.max as string) : member <= (r.max as string);
}

export class ZSetValue {
  readonly #dict = new Map<string, ZNode>();
  readonly header = new ZNode("", 0, MAX_LEVEL);
  tail: ZNode | null = null;
  level = 1;
  bytes = 0;
  /**
   * The largest size and longest member this value ever had: Redis converts a listpack to a
   * skiplist as it grows and never back, so these tell which one it would hold (listpackSized).
   */
  peakSize = 0;
  peakMemberLength = 0;

  get size(): number {
    return this.#dict.size;
  }

  score(member: string): number | undefined {
    return this.#dict.get(member)?.score;
  }

  has(member: string): boolean {
    return this.#dict.has(member);
  }

  /** [member, score] pairs in Map order (stable under changes: SCAN uses it). */
  *entries(): IterableIterator<[string, number]> {
    for (const [m, n] of this.#dict) yield [m, n.score];
  }

  /** Adds or updates; returns true when the member is new. */
  add(member: string, score: number): boolean {
    const old = this.#dict.get(member);
    if (old === undefined) {
      this.#dict.set(member, this.#insert(score, member, this.size));
      this.bytes += zsetMemberBytes(member);
      if (this.size > this.peakSize) this.peakSize = this.size;
      if (member.length > this.peakMemberLength) this.peakMemberLength = member.length;
      return true;
    }
    if (old.score !== score || Object.is(old.score, -0) !== Object.is(score, -0)) {
      this.#delete(old.score, member);
      this.#dict.set(member, this.#insert(score, member, this.size - 1));
    }
    return false;
  }

  delete(member: string): boolean {
    const old = this.#dict.get(member);
    if (old === undefined) return false;
    this.#dict.delete(member);
    this.#delete(old.score, member);
    this.bytes -= zsetMemberBytes(member);
    return true;
  }

  /** 0-based rank of a member, or -1. */
  rank(member: string): number {
    const node = this.#dict.get(member);
    if (node === undefined) return -1;
    const score = node.score;
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = fwd(x, i);
        if (next === null) break;
        if (!(less(score, member, next) || next === node)) break;
        rank += span(x, i);
        x = next;
      }
      if (x === node) return rank - 1;
    }
    return -1;
  }

  /** The node at 0-based rank, or null. */
  byRank(rank: number): ZNode | null {
    if (rank < 0 || rank >= this.size) return null;
    let x = this.header;
    let traversed = 0;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = fwd(x, i);
        if (next === null || traversed + span(x, i) > target) break;
        traversed += span(x, i);
        x = next;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** First node with score in range, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = fwd(x, i); n !== null && !scoreGteMin(n.score, r); n = fwd(x, i)) x = n;
    }
    const n = x.next;
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** Last node with score in range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = fwd(x, i); n !== null && scoreLteMax(n.score, r); n = fwd(x, i)) x = n;
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  /**
   * Redis's zslIsInLexRange pre-check: the tail must be >= min and the head <= max. Lex ranges are
   * only meaningful when all scores are equal; with mixed scores this keeps Redis's answers.
   */
  #inLexRange(r: LexRange): boolean {
    const head = this.header.next;
    return this.tail !== null && head !== null && lexGteMin(this.tail.member, r) &&
      lexLteMax(head.member, r);
  }

  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = fwd(x, i); n !== null && !lexGteMin(n.member, r); n = fwd(x, i)) x = n;
    }
    const n = x.next;
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = fwd(x, i); n !== null && lexLteMax(n.member, r); n = fwd(x, i)) x = n;
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** First node (lowest), or null. */
  first(): ZNode | null {
    return this.header.next;
  }

  /** Inserts a node; `length` is the skip list's length before the insert. */
  #insert(score: number, member: string, length: number): ZNode {
    const update: ZNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      for (let n = fwd(x, i); n !== null && less(score, member, n); n = fwd(x, i)) {
        rank[i] += span(x, i);
        x = n;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        setSpan(this.header, i, length);
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      setFwd(node, i, fwd(update[i], i));
      setFwd(update[i], i, node);
      setSpan(node, i, span(update[i], i) - (rank[0] - rank[i]));
      setSpan(update[i], i, rank[0] - rank[i] + 1);
    }
    for (let i = level; i < this.level; i++) setSpan(update[i], i, span(update[i], i) + 1);
    node.backward = update[0] === this.header ? null : update[0];
    if (node.next !== null) node.next.backward = node;
    else this.tail = node;
    return node;
  }

  #delete(score: number, member: string): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let n = fwd(x, i); n !== null && less(score, member, n); n = fwd(x, i)) x = n;
      update[i] = x;
    }
    const node = x.next;
    if (node === null || node.member !== member) throw new Error("zset skip list out of sync");
    for (let i = 0; i < this.level; i++) {
      if (fwd(update[i], i) === node) {
        setSpan(update[i], i, span(update[i], i) + span(node, i) - 1);
        setFwd(update[i], i, fwd(node, i));
      } else {
        setSpan(update[i], i, span(update[i], i) - 1);
      }
    }
    if (node.next !== null) node.next.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && fwd(this.header, this.level - 1) === null) this.level--;
  }
}

/** zset-max-listpack-entries / -value (Keyspace.encoding has them). */
export interface ZSetListpackLimits {
  readonly zsetMaxListpackEntries: number;
  readonly zsetMaxListpackValue: number;
}

/**
 * Whether Redis would hold this sorted set as a listpack: it never grew past the limits (Redis
 * converts to a skiplist on the way up and never back; a new value, such as a STORE
 * destination, starts over).
 */
export function listpackSized(z: ZSetValue, limits: ZSetListpackLimits): boolean {
  return z.peakSize <= limits.zsetMaxListpackEntries &&
    z.peakMemberLength <= limits.zsetMaxListpackValue;
}

/** LLONG_MAX / 2 as a double: double2ll's bound. */
const LISTPACK_INT_MAX = 2 ** 62;

/**
 * A score as a listpack stores it (zzlInsertAt): an integer when double2ll takes it (integral and
 * |score| <= 2^62, so -0 is stored as 0), else d2string's "%.17g". ZSCAN of a listpack shows this
 * text ("100000000000000000" where ZSCORE says 1e+17).
 */
export function listpackScoreText(score: number): string {
  if (Number.isInteger(score) && Math.abs(score) <= LISTPACK_INT_MAX) {
    return BigInt(score).toString();
  }
  return formatDouble(score);
}
