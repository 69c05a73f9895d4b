/**
 * Redis's LFU bookkeeping (allkeys-lfu / volatile-lfu, OBJECT FREQ): per key an 8-bit logarithmic
 * access counter and the minute it was last decayed, packed as `(minutes << 8) | counter` (16 bits
 * of minutes, as Redis keeps them, so the pair stays a V8 small integer). An access first decays the
 * counter by one per `lfu-decay-time` minutes since then, then increments it with probability
 * 1 / ((counter - 5) * lfu-log-factor + 1): a few hundred accesses reach 10, a million about 255
 * (lfu-log-factor 10). New keys start at 5 so they are not evicted before their first accesses.
 */

/** The counter of a new key (Redis's LFU_INIT_VAL). */
export const LFU_INIT_VAL = 5;
const COUNTER_MAX = 255;
const MINUTES_MASK = 0xffff;

/** lfu-log-factor and lfu-decay-time (CONFIG SET); Redis's defaults 10 and 1. */
export interface LfuSettings {
  logFactor: number;
  decayTimeMinutes: number;
}

function minutesOf(nowMs: number): number {
  return Math.floor(nowMs / 60_000) & MINUTES_MASK;
}

/** The packed state of a key created at `nowMs`. */
export function lfuNew(nowMs: number): number {
  return minutesOf(nowMs) * 256 + LFU_INIT_VAL;
}

/** The packed state of a key given `counter` at `nowMs` (RESTORE ... FREQ). */
export function lfuWithCounter(nowMs: number, counter: number): number {
  return minutesOf(nowMs) * 256 + (counter & COUNTER_MAX);
}

/** The counter after decay (OBJECT FREQ; what eviction compares), without counting an access. */
export function lfuDecayed(packed: number, nowMs: number, settings: LfuSettings): number {
  const counter = packed & COUNTER_MAX;
  if (settings.decayTimeMinutes === 0) return counter;
  const last = packed >>> 8;
  const now = minutesOf(nowMs);
  const elapsed = now >= last ? now - last : MINUTES_MASK - last + now;
  const periods = Math.floor(elapsed / settings.decayTimeMinutes);
  return periods > counter ? 0 : counter - periods;
}

/** The packed state after one access at `nowMs`; `random` is in [0, 1). */
export function lfuTouch(
  packed: number,
  nowMs: number,
  random: number,
  settings: LfuSettings,
): number {
  let counter = lfuDecayed(packed, nowMs, settings);
  if (counter < COUNTER_MAX) {
    const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    if (random < 1 / (base * settings.logFactor + 1)) counter++;
  }
  return minutesOf(nowMs) * 256 + counter;
}
