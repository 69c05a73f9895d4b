/**
 * The storage port of the state machine: the few string, sorted-set and set operations it needs.
 * The ATLAS module runs it over the store's own data types (nested commands), so jobs live in the
 * keyspace like any other data and are in the AOF, snapshots and Raft log for free; the unit tests
 * run it over the small in-memory implementation below.
 *
 * Sorted sets order by (score, member) like Redis. Strings are opaque (binary strings in ATLAS).
 */
export interface QueueData {
  get(key: string): string | null;
  set(key: string, value: string): void;
  /** Sets and marks the key to expire at `atMs` (garbage collection of dedupe keys). */
  setExpiring(key: string, value: string, atMs: number): void;
  del(key: string): void;
  /** Adds 1 to the integer at key (0 when absent) and returns the new value. */
  incr(key: string): number;
  zadd(key: string, score: number, member: string): void;
  zrem(key: string, member: string): void;
  zcard(key: string): number;
  zscore(key: string, member: string): number | null;
  /** Members with min <= score <= max, ascending, at most `limit`, skipping `offset`. */
  zrangeByScore(
    key: string,
    min: number,
    max: number,
    offset: number,
    limit: number,
  ): [string, number][];
  sadd(key: string, member: string): void;
  sismember(key: string, member: string): boolean;
  scard(key: string): number;
  smembers(key: string): string[];
}

/** Key names. Everything lives under `helios:jobs:` (reserved; the KV API refuses it). */
export const keys = {
  meta: (id: string) => `helios:jobs:job:${id}`,
  payload: (id: string) => `helios:jobs:job:${id}:payload`,
  result: (id: string) => `helios:jobs:job:${id}:result`,
  seq: () => "helios:jobs:seq",
  queues: () => "helios:jobs:queues",
  /** Per-queue index of one status; `all` holds every job of the queue by enqueue order. */
  index: (queue: string, index: QueueIndex) => `helios:jobs:q:${queue}:${index}`,
  idempotency: (queue: string, key: string) => `helios:jobs:q:${queue}:idem:${key}`,
};

export type QueueIndex =
  | "pending"
  | "scheduled"
  | "running"
  | "completed"
  | "dead"
  | "cancelled"
  | "all";

/** Reference implementation for tests: Maps and sorted arrays. */
export class MemoryQueueData implements QueueData {
  readonly strings = new Map<string, string>();
  readonly zsets = new Map<string, Map<string, number>>();
  readonly sets = new Map<string, Set<string>>();

  get(key: string): string | null {
    return this.strings.get(key) ?? null;
  }
  set(key: string, value: string): void {
    this.strings.set(key, value);
  }
  setExpiring(key: string, value: string, _atMs: number): void {
    this.strings.set(key, value);
  }
  del(key: string): void {
    this.strings.delete(key);
    this.zsets.delete(key);
    this.sets.delete(key);
  }
  incr(key: string): number {
    const value = Number(this.strings.get(key) ?? "0") + 1;
    this.strings.set(key, String(value));
    return value;
  }
  zadd(key: string, score: number, member: string): void {
    let zset = this.zsets.get(key);
    if (!zset) this.zsets.set(key, zset = new Map());
    zset.set(member, score);
  }
  zrem(key: string, member: string): void {
    const zset = this.zsets.get(key);
    zset?.delete(member);
    if (zset?.size === 0) this.zsets.delete(key);
  }
  zcard(key: string): number {
    return this.zsets.get(key)?.size ?? 0;
  }
  zscore(key: string, member: string): number | null {
    return this.zsets.get(key)?.get(member) ?? null;
  }
  zrangeByScore(key: string, min: number, max: number, offset: number, limit: number) {
    const entries = [...(this.zsets.get(key) ?? new Map<string, number>()).entries()]
      .filter(([, score]) => score >= min && score <= max)
      .sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : ma > mb ? 1 : 0));
    return entries.slice(offset, offset + limit);
  }
  sadd(key: string, member: string): void {
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, set = new Set());
    set.add(member);
  }
  sismember(key: string, member: string): boolean {
    return this.sets.get(key)?.has(member) ?? false;
  }
  scard(key: string): number {
    return this.sets.get(key)?.size ?? 0;
  }
  smembers(key: string): string[] {
    return [...(this.sets.get(key) ?? [])];
  }
}
