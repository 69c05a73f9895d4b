import type { Balancer, BalancerTarget } from "./balancer.ts";

/**
 * Power of two choices: two random usable targets, keep the one with fewer in-flight requests
 * per unit of weight. Nearly as good as least-connections without scanning, and it avoids the
 * herd effect of every proxy choosing the same "least" target.
 */
export class PowerOfTwo implements Balancer {
  constructor(private readonly random: () => number) {}

  pick(targets: readonly BalancerTarget[], usable: (index: number) => boolean): number {
    const first = this.randomUsable(targets.length, usable, -1);
    if (first < 0) return -1;
    const second = this.randomUsable(targets.length, usable, first);
    if (second < 0) return first;
    const a = targets[first].active / targets[first].weight;
    const b = targets[second].active / targets[second].weight;
    return b < a ? second : first;
  }

  /** A random usable index other than `not`: one random probe, then a scan from there. */
  private randomUsable(n: number, usable: (index: number) => boolean, not: number): number {
    const start = Math.floor(this.random() * n);
    for (let step = 0; step < n; step++) {
      const i = (start + step) % n;
      if (i !== not && usable(i)) return i;
    }
    return -1;
  }
}
