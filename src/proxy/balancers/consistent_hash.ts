import type { Balancer, BalancerTarget } from "./balancer.ts";

/** Ring points per unit of weight: enough for an even spread with a few dozen targets. */
export const VIRTUAL_NODES_PER_WEIGHT = 160;

/** FNV-1a, 32 bits, over UTF-16 code units: fast and well spread for short keys. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche (murmur3 fmix) so nearby keys land far apart on the ring.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Consistent hashing on a ring with virtual nodes. Each target owns `weight × 160` points,
 * placed by hashing its id, so points depend only on the target itself: when one target leaves
 * (or becomes unusable) only the keys it owned move, each to the next usable point clockwise.
 */
export class ConsistentHash implements Balancer {
  private ringKey = "";
  private points = new Uint32Array(0);
  private owners = new Uint16Array(0);

  pick(
    targets: readonly BalancerTarget[],
    usable: (index: number) => boolean,
    hashKey = "",
  ): number {
    this.ensureRing(targets);
    const n = this.points.length;
    if (n === 0) return -1;
    const hash = fnv1a(hashKey);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < hash) lo = mid + 1;
      else hi = mid;
    }
    const first = this.owners[lo % n];
    if (usable(first)) return first; // the common case: no allocation
    const seen = new Set<number>([first]);
    for (let step = 1; step < n && seen.size < targets.length; step++) {
      const owner = this.owners[(lo + step) % n];
      if (seen.has(owner)) continue;
      if (usable(owner)) return owner;
      seen.add(owner);
    }
    return -1;
  }

  private ensureRing(targets: readonly BalancerTarget[]): void {
    const key = targets.map((t) => `${t.id}*${t.weight}`).join("|");
    if (key === this.ringKey) return;
    this.ringKey = key;
    const entries: [number, number][] = [];
    targets.forEach((target, index) => {
      for (let v = 0; v < target.weight * VIRTUAL_NODES_PER_WEIGHT; v++) {
        entries.push([fnv1a(`${target.id}#${v}`), index]);
      }
    });
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.points = Uint32Array.from(entries, (e) => e[0]);
    this.owners = Uint16Array.from(entries, (e) => e[1]);
  }
}
