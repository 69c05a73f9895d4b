/**
 * A Redis sorted set: member → score in a Map, plus a skip list with spans (as in Redis t_zset.c)
 * ordered by (score, member bytes) for O(log n) rank, range and by-rank access.
 * Level choice uses a fixed-seed xorshift: the shape is not observable, and the store stays pure.
 */
export const ZSET_ENTRY_OVERHEAD_BYTES = 96;
const MAX_LEVEL = 32;

export class ZNode {
  readonly forward: (ZNode | null)[];
  readonly span: number[];
  backward: ZNode | null = null;
  constructor(readonly member: string, public score: number, level: number) {
    this.forward = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
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
  readonly dict = new Map<string, number>();
  readonly header = new ZNode("", 0, MAX_LEVEL);
  tail: ZNode | null = null;
  level = 1;
  bytes = 0;

  get size(): number {
    return this.dict.size;
  }

  /** Adds or updates; returns true when the member is new. */
  add(member: string, score: number): boolean {
    const old = this.dict.get(member);
    if (old === undefined) {
      this.dict.set(member, score);
      this.#insert(score, member);
      this.bytes += ZSET_ENTRY_OVERHEAD_BYTES + member.length;
      return true;
    }
    if (old !== score || Object.is(old, -0) !== Object.is(score, -0)) {
      this.#delete(old, member);
      this.#insert(score, member);
      this.dict.set(member, score);
    }
    return false;
  }

  delete(member: string): boolean {
    const old = this.dict.get(member);
    if (old === undefined) return false;
    this.dict.delete(member);
    this.#delete(old, member);
    this.bytes -= ZSET_ENTRY_OVERHEAD_BYTES + member.length;
    return true;
  }

  /** 0-based rank of a member, or -1. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = x.forward[i];
        if (next === null) break;
        if (!(less(score, member, next) || (next.score === score && next.member === member))) break;
        rank += x.span[i];
        x = next;
      }
      if (x !== this.header && x.member === member) return rank - 1;
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
      while (x.forward[i] !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.forward[i] as ZNode;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** First node with score in range, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && !scoreGteMin((x.forward[i] as ZNode).score, r)) {
        x = x.forward[i] as ZNode;
      }
    }
    const n = x.forward[0];
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** Last node with score in range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && scoreLteMax((x.forward[i] as ZNode).score, r)) {
        x = x.forward[i] as ZNode;
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  firstInLexRange(r: LexRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && !lexGteMin((x.forward[i] as ZNode).member, r)) {
        x = x.forward[i] as ZNode;
      }
    }
    const n = x.forward[0];
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  lastInLexRange(r: LexRange): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && lexLteMax((x.forward[i] as ZNode).member, r)) {
        x = x.forward[i] as ZNode;
      }
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }

  /** First node (lowest), or null. */
  first(): ZNode | null {
    return this.header.forward[0];
  }

  #insert(score: number, member: string): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      while (x.forward[i] !== null && less(score, member, x.forward[i] as ZNode)) {
        rank[i] += x.span[i];
        x = x.forward[i] as ZNode;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        update[i].span[i] = this.size - 1; // size already counts the new member
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    if (node.forward[0] !== null) (node.forward[0] as ZNode).backward = node;
    else this.tail = node;
  }

  #delete(score: number, member: string): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] !== null && less(score, member, x.forward[i] as ZNode)) {
        x = x.forward[i] as ZNode;
      }
      update[i] = x;
    }
    const node = x.forward[0];
    if (node === null || node.member !== member) throw new Error("zset skip list out of sync");
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === node) {
        update[i].span[i] += node.span[i] - 1;
        update[i].forward[i] = node.forward[i];
      } else {
        update[i].span[i] -= 1;
      }
    }
    if (node.forward[0] !== null) (node.forward[0] as ZNode).backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
  }
}
