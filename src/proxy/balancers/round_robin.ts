import type { Balancer, BalancerTarget } from "./balancer.ts";

/** Plain round robin: the next usable target after the previous pick; weights ignored. */
export class RoundRobin implements Balancer {
  private next = 0;

  pick(targets: readonly BalancerTarget[], usable: (index: number) => boolean): number {
    const n = targets.length;
    for (let step = 0; step < n; step++) {
      const index = (this.next + step) % n;
      if (usable(index)) {
        this.next = (index + 1) % n;
        return index;
      }
    }
    return -1;
  }
}
