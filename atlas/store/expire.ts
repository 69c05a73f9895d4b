/**
 * Active expiry like Redis's activeExpireCycle: sample volatile keys (a rolling cursor over the
 * expires Map stands in for Redis's random dict sampling), delete the expired ones, and repeat while
 * more than 25% of a sample was expired, within a bounded number of sampled keys per call and,
 * when the caller gives one, a time budget checked every 16 rounds as Redis checks its own (a
 * standalone engine: a burst of expired keys then goes at Redis's pace; a Raft replica's cycle must
 * be the same on every node, so it is bounded by the count alone). The remaining TTLs of the
 * sampled live keys feed Keyspace.avgTtlMs (INFO keyspace avg_ttl).
 */
import type { Keyspace } from "./keyspace.ts";

export interface ExpireBudget {
  /** Most volatile keys sampled in one call (bounds the work). Default 2000. */
  keysMax?: number;
  /** Keys per sampling round (Redis: 20). */
  samplesPerRound?: number;
  /** Whether the cycle's time is up (asked every 16 rounds); absent: the count alone bounds it. */
  timeUp?: () => boolean;
}

export class ExpireCursor {
  #iter: Iterator<string> | null = null;
  /** The Map #iter walks (SWAPDB can hand the cursor another database's). */
  #source: Map<string, number> | null = null;

  /** The next volatile key in rolling order, or null when there are none. */
  next(ks: Keyspace): string | null {
    if (ks.expires.size === 0) return null;
    if (this.#source !== ks.expires) {
      this.#source = ks.expires;
      this.#iter = null;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.#iter === null) this.#iter = ks.expires.keys();
      const r = this.#iter.next();
      if (!r.done) return r.value;
      this.#iter = null;
    }
    return null;
  }
}

/** Runs one bounded cycle; returns how many keys expired (their DELs went to ks.log). */
export function activeExpire(ks: Keyspace, cursor: ExpireCursor, budget: ExpireBudget): number {
  const keysMax = budget.keysMax ?? 2000;
  const perRound = budget.samplesPerRound ?? 20;
  let sampledTotal = 0;
  let expiredTotal = 0;
  let ttlSum = 0;
  let ttlSamples = 0;
  let rounds = 0;
  if (ks.expires.size === 0) ks.avgTtlMs = 0;
  for (;;) {
    let sampled = 0;
    let expired = 0;
    const roundSize = Math.min(perRound, ks.expires.size);
    while (sampled < roundSize && sampledTotal < keysMax) {
      const key = cursor.next(ks);
      if (key === null) break;
      sampled++;
      sampledTotal++;
      const ttl = (ks.expires.get(key) as number) - ks.nowMs;
      if (ks.expireIfNeeded(key)) expired++;
      else if (ttl > 0) {
        ttlSum += ttl;
        ttlSamples++;
      }
    }
    expiredTotal += expired;
    const timeUp = (++rounds & 15) === 0 && budget.timeUp !== undefined && budget.timeUp();
    if (sampled === 0 || expired * 4 <= sampled || sampledTotal >= keysMax || timeUp) {
      if (ttlSamples > 0) updateAvgTtl(ks, ttlSum / ttlSamples);
      return expiredTotal;
    }
  }
}

/**
 * Folds one cycle's mean remaining TTL into the running estimate the way Redis does (the first
 * sample sets it; then each cycle weighs 1/50), so INFO's avg_ttl drifts rather than jumps.
 */
function updateAvgTtl(ks: Keyspace, cycleAvgMs: number): void {
  ks.avgTtlMs = ks.avgTtlMs === 0 ? cycleAvgMs : (ks.avgTtlMs / 50) * 49 + cycleAvgMs / 50;
}
