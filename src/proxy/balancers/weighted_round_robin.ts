import type { Balancer, BalancerTarget } from "./balancer.ts";

/**
 * Smooth weighted round robin (nginx): each pick adds every usable target's weight to its
 * current score, takes the highest, and subtracts the total from the winner. Weights 5,1,1 give
 * a,a,b,a,c,a,a — spread out rather than five a's in a row.
 */
export class WeightedRoundRobin implements Balancer {
  private current: number[] = [];

  pick(targets: readonly BalancerTarget[], usable: (index: number) => boolean): number {
    if (this.current.length !== targets.length) this.current = new Array(targets.length).fill(0);
    let best = -1;
    let total = 0;
    for (let i = 0; i < targets.length; i++) {
      if (!usable(i)) continue;
      this.current[i] += targets[i].weight;
      total += targets[i].weight;
      if (best < 0 || this.current[i] > this.current[best]) best = i;
    }
    if (best >= 0) this.current[best] -= total;
    return best;
  }
}
