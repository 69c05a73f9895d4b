/**
 * Passive outlier detection for one target: `consecutiveFailures` 5xx answers or connect failures
 * in a row eject it for baseEjectionMs × (times ejected), capped at maxEjectionMs. The ejection
 * multiplier decays by one per base period without a new ejection. Whether the pool may eject
 * one more target (max ejection percent) is decided by the caller through `mayEject`.
 */
import type { Clock } from "../../lib/clock.ts";

export interface OutlierOptions {
  enabled: boolean;
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
}

export class OutlierDetector {
  private failures = 0;
  private ejectedUntilMs = 0;
  private ejections = 0;
  private lastEjectionMs = 0;

  constructor(private options: OutlierOptions, private readonly clock: Clock) {}

  reconfigure(options: OutlierOptions): void {
    this.options = options;
  }

  isEjected(): boolean {
    return this.ejectedUntilMs > this.clock.nowMs();
  }

  get ejectedUntil(): number {
    return this.ejectedUntilMs;
  }

  /** Records one outcome; returns true when this call ejected the target. */
  record(success: boolean, mayEject: () => boolean): boolean {
    if (!this.options.enabled) return false;
    if (success) {
      this.failures = 0;
      return false;
    }
    if (++this.failures < this.options.consecutiveFailures || this.isEjected()) return false;
    if (!mayEject()) return false;
    const now = this.clock.nowMs();
    this.decay(now);
    this.ejections++;
    this.lastEjectionMs = now;
    const durationMs = Math.min(
      this.options.baseEjectionMs * this.ejections,
      Math.max(this.options.maxEjectionMs, this.options.baseEjectionMs),
    );
    this.ejectedUntilMs = now + durationMs;
    this.failures = 0;
    return true;
  }

  /** Re-admits the target now (an active health check passed, or admin). */
  readmit(): void {
    this.ejectedUntilMs = 0;
  }

  private decay(now: number): void {
    if (this.ejections === 0 || this.options.baseEjectionMs <= 0) return;
    const quietPeriods = Math.floor(
      (now - this.lastEjectionMs) / this.options.baseEjectionMs,
    ) - this.ejections; // the ejection itself is not "quiet"
    if (quietPeriods > 0) this.ejections = Math.max(0, this.ejections - quietPeriods);
  }
}

/** How many of `total` targets may be ejected at once: at least one when there are two or more. */
export function maxEjected(total: number, maxEjectionPercent: number): number {
  const share = Math.floor((total * maxEjectionPercent) / 100);
  return total >= 2 ? Math.max(1, share) : share;
}
