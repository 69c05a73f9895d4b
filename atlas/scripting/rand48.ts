/**
 * Redis's redisLrand48/redisSrand48 (rand.c): the 48-bit LCG behind math.random in scripts, so
 * that after math.randomseed(n) a script draws the same numbers as on Redis.
 */
const A = 0x5deece66dn;
const C = 0xbn;
const MASK48 = (1n << 48n) - 1n;

export class Rand48 {
  #x = 0x330en;

  /** redisSrand48(seed): the state becomes (seed as int32 << 16) | 0x330E. */
  seed(value: number): void {
    const low32 = BigInt.asUintN(32, BigInt(Math.trunc(value) | 0));
    this.#x = (low32 << 16n) | 0x330en;
  }

  /** redisLrand48(): the top 31 bits of the next state. */
  next(): number {
    this.#x = (A * this.#x + C) & MASK48;
    return Number(this.#x >> 17n);
  }
}

/** REDIS_LRAND48_MAX: math.random divides by it. */
export const RAND48_MAX = 0x7fffffff;
