/**
 * A balancer picks one target index from a pool. It sees every target (so stateful balancers
 * keep stable positions) plus a predicate saying which are usable right now (healthy, not
 * ejected, breaker closed, not already tried). Balancers are pure: randomness is injected.
 */
export interface BalancerTarget {
  /** A stable identity (the target URL) for hashing. */
  readonly id: string;
  readonly weight: number;
  /** Requests in flight, for least-connections and power-of-two choices. */
  readonly active: number;
}

export interface Balancer {
  /** Returns the chosen index, or -1 when no usable target exists. */
  pick(
    targets: readonly BalancerTarget[],
    usable: (index: number) => boolean,
    hashKey?: string,
  ): number;
}
