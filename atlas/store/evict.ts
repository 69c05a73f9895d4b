/**
 * maxmemory eviction. `allkeys-lru` is exact LRU: under that policy the keyspace keeps every key in
 * a second Map in access order (Keyspace.lru: an access moves the key to the end), so a rolling
 * iterator from the front walks keys least recently used first. `volatile-lru` walks the same
 * order and skips keys without a TTL. `volatile-ttl` samples
 * volatile keys (rolling cursor, 16 at a time, like Redis's sampled pool) and evicts the nearest
 * deadline. The LFU policies sample keys (at a random stride over all keys, or the volatile ones)
 * and evict the least frequently used of the sample, by its decayed LFU counter (lfu.ts), as
 * Redis's sampled approximation does. The random policies take keys at a random stride.
 */
import type { ExpireCursor } from "./expire.ts";
import type { Keyspace } from "./keyspace.ts";
import { lfuDecayed, lfuNew } from "./lfu.ts";
import { EventClass } from "./notify.ts";

export type EvictionPolicy =
  | "noeviction"
  | "allkeys-lru"
  | "volatile-lru"
  | "allkeys-random"
  | "volatile-ttl"
  | "volatile-random"
  | "allkeys-lfu"
  | "volatile-lfu";

export const EVICTION_POLICIES: readonly EvictionPolicy[] = [
  "noeviction",
  "allkeys-lru",
  "volatile-lru",
  "allkeys-random",
  "volatile-ttl",
  "volatile-random",
  "allkeys-lfu",
  "volatile-lfu",
];

/** The policies that keep Keyspace.lru (access order). */
export function policyTracksLru(policy: EvictionPolicy): boolean {
  return policy === "allkeys-lru" || policy === "volatile-lru";
}

/** The policies that keep Keyspace.lfu (access counters); Redis keeps them whatever maxmemory. */
export function policyTracksLfu(policy: EvictionPolicy): boolean {
  return policy === "allkeys-lfu" || policy === "volatile-lfu";
}

/** Keys an LFU eviction samples per call (Redis's maxmemory-samples 5) ... */
const LFU_SAMPLES = 5;
/** ... into a pool of the best candidates kept across calls (Redis's EVPOOL_SIZE). */
const LFU_POOL_SIZE = 16;

const VOLATILE_SAMPLES = 16;
const EVICTIONS_PER_CALL_MAX = 100_000;

export class Evictor {
  #keys: Iterator<string> | null = null;
  #order: Map<string, unknown> | null = null;
  /** LFU eviction's best candidates so far, least used first (see #leastFrequent). */
  readonly #lfuPool: { key: string; count: number }[] = [];

  constructor(private readonly policy: EvictionPolicy, private readonly cursor: ExpireCursor) {}

  /**
   * Evicts keys of the selected database until used memory fits; false when it cannot (nothing
   * evictable, or `limit` keys evicted and still over).
   */
  evict(ks: Keyspace, maxBytes: number, limit = EVICTIONS_PER_CALL_MAX): boolean {
    let evictions = 0;
    while (ks.usedBytes > maxBytes) {
      if (this.policy === "noeviction" || evictions >= limit) return false;
      const victim = this.#pick(ks);
      if (victim === null) return false;
      ks.deleteKey(victim);
      ks.notify(EventClass.Evicted, "evicted", victim);
      ks.emit(["DEL", victim]);
      ks.evictedKeysTotal++;
      evictions++;
    }
    return true;
  }

  #pick(ks: Keyspace): string | null {
    switch (this.policy) {
      case "allkeys-lru":
        return this.#nextKey(ks.lru ?? ks.data);
      case "volatile-lru":
        return this.#nextVolatile(ks, ks.lru ?? ks.data);
      case "allkeys-random":
        return this.#randomKey(ks);
      case "volatile-random":
        return this.cursor.next(ks);
      case "volatile-ttl":
        return this.#nearestDeadline(ks);
      case "allkeys-lfu":
        return this.#leastFrequent(ks, () => this.#randomKey(ks), ks.data.size, false);
      case "volatile-lfu":
        return this.#leastFrequent(ks, () => this.cursor.next(ks), ks.expires.size, true);
      default:
        return null;
    }
  }

  #nextKey(order: Map<string, unknown>): string | null {
    if (order.size === 0) return null;
    if (order !== this.#order) {
      // Another Map than last time (SWAPDB, a policy's bookkeeping switched): start over.
      this.#order = order;
      this.#keys = null;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.#keys === null) this.#keys = order.keys();
      const r = this.#keys.next();
      if (!r.done) return r.value;
      this.#keys = null;
    }
    return null;
  }

  /** A key a random stride (0-7) ahead on the rolling iterator over all keys. */
  #randomKey(ks: Keyspace): string | null {
    const stride = Math.floor(ks.ctx.random() * 8);
    for (let i = 0; i < stride; i++) this.#nextKey(ks.data);
    return this.#nextKey(ks.data);
  }

  /** The next key in `order` that has a TTL: at most one full turn of the rolling iterator. */
  #nextVolatile(ks: Keyspace, order: Map<string, unknown>): string | null {
    if (ks.expires.size === 0) return null;
    for (let i = 0, n = order.size; i <= n; i++) {
      const key = this.#nextKey(order);
      if (key === null) return null;
      if (ks.expires.has(key)) return key;
    }
    return null;
  }

  /**
   * Samples up to LFU_SAMPLES keys from `sample` into the pool of the least frequently used
   * candidates seen (kept across calls, as Redis's eviction pool: the rolling cursor walks the
   * keyspace in insertion order, so one call's sample may hold only hot keys), then takes the
   * pool's least used key that still exists (and, for volatile-lfu, still has a TTL).
   */
  #leastFrequent(
    ks: Keyspace,
    sample: () => string | null,
    population: number,
    volatileOnly: boolean,
  ): string | null {
    const pool = this.#lfuPool;
    const samples = Math.min(LFU_SAMPLES, population);
    for (let i = 0; i < samples; i++) {
      const key = sample();
      if (key === null) break;
      if (pool.some((c) => c.key === key)) continue;
      const count = lfuDecayed(ks.lfu?.get(key) ?? lfuNew(ks.nowMs), ks.nowMs, ks.lfuSettings);
      if (pool.length === LFU_POOL_SIZE && count >= pool[pool.length - 1].count) continue;
      let at = pool.length;
      while (at > 0 && pool[at - 1].count > count) at--;
      pool.splice(at, 0, { key, count });
      if (pool.length > LFU_POOL_SIZE) pool.pop();
    }
    while (pool.length > 0) {
      const { key } = pool.shift()!;
      if (ks.data.has(key) && (!volatileOnly || ks.expires.has(key))) return key;
    }
    return null;
  }

  #nearestDeadline(ks: Keyspace): string | null {
    let best: string | null = null;
    let bestAt = Infinity;
    const samples = Math.min(VOLATILE_SAMPLES, ks.expires.size);
    for (let i = 0; i < samples; i++) {
      const key = this.cursor.next(ks);
      if (key === null) break;
      const at = ks.expires.get(key) as number;
      if (at < bestAt) {
        bestAt = at;
        best = key;
      }
    }
    return best;
  }
}
