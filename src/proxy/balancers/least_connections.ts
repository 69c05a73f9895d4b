import type { Balancer, BalancerTarget } from "./balancer.ts";

/**
 * Least connections, weighted: the usable target with the fewest in-flight requests per unit
 * of weight. Ties rotate so equal targets share load.
 */
export class LeastConnections implements Balancer {
  private offset = 0;

  pick(targets: readonly BalancerTarget[], usable: (index: number) => boolean): number {
    const n = targets.length;
    let best = -1;
    let bestScore = Infinity;
    for (let step = 0; step < n; step++) {
      const i = (this.offset + step) % n;
      if (!usable(i)) continue;
      const score = targets[i].active / targets[i].weight;
      if (score < bestScore) {
        best = i;
        bestScore = score;
      }
    }
    this.offset = (this.offset + 1) % Math.max(1, n);
    return best;
  }
}
