/**
 * Active-check verdicts with hysteresis: a healthy target turns unhealthy after
 * `unhealthyThreshold` failed checks in a row, an unhealthy one healthy after `healthyThreshold`
 * passes in a row. Targets start healthy so a fresh proxy serves at once.
 */
export interface HealthThresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export class HealthState {
  healthy = true;
  private streak = 0;

  constructor(private thresholds: HealthThresholds) {}

  reconfigure(thresholds: HealthThresholds): void {
    this.thresholds = thresholds;
  }

  /** Records one check; returns true when the verdict changed. */
  record(passed: boolean): boolean {
    if (passed === this.healthy) {
      this.streak = 0;
      return false;
    }
    this.streak++;
    const needed = this.healthy
      ? this.thresholds.unhealthyThreshold
      : this.thresholds.healthyThreshold;
    if (this.streak < needed) return false;
    this.healthy = passed;
    this.streak = 0;
    return true;
  }
}

/** Expected status: the configured list, or 200-399 when empty. */
export function statusExpected(status: number, expected: number[]): boolean {
  return expected.length === 0 ? status >= 200 && status < 400 : expected.includes(status);
}
