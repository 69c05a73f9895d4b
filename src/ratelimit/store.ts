/**
 * Where buckets live. `LocalBucketStore` keeps them in this process (bounded, LRU). The ATLAS
 * store (atlas_store.ts) keeps them in ATLAS, one atomic RL.TAKE per decision, so every gateway
 * sharing a cluster draws from the same bucket.
 */
import { type BucketDecision, type BucketPolicy, type BucketState, take } from "./token_bucket.ts";

export interface BucketStore {
  take(key: string, policy: BucketPolicy, nowMs: number, cost?: number): Promise<BucketDecision>;
  /** The same decision synchronously, for stores that need no I/O (the middleware's fast path). */
  takeNow?(key: string, policy: BucketPolicy, nowMs: number, cost?: number): BucketDecision;
}

export class LocalBucketStore implements BucketStore {
  readonly #buckets = new Map<string, BucketState>();

  constructor(private readonly bucketsMax = 100_000) {}

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string, policy: BucketPolicy, nowMs: number, cost = 1): Promise<BucketDecision> {
    return Promise.resolve(this.takeNow(key, policy, nowMs, cost));
  }

  takeNow(key: string, policy: BucketPolicy, nowMs: number, cost = 1): BucketDecision {
    const state = this.#buckets.get(key) ?? null;
    const decision = take(state, policy, nowMs, cost);
    // Re-insert so Map order is least-recently-used first; evict from the front when full.
    this.#buckets.delete(key);
    this.#buckets.set(key, decision.state);
    if (this.#buckets.size > this.bucketsMax) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return decision;
  }
}
