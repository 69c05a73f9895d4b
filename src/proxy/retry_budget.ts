/**
 * A retry budget: retries may be at most `ratio` of the requests seen in the last two windows
 * (plus `minRetries` per window so a quiet proxy can still retry). This keeps retries from
 * multiplying load on a struggling upstream (Envoy's retry budget, Finagle's RetryBudget).
 */
import type { Clock } from "../lib/clock.ts";

export class RetryBudget {
  private windowStartMs: number;
  private requests = [0, 0];
  private retries = [0, 0];

  constructor(
    private ratio: number,
    private minRetries: number,
    private readonly clock: Clock,
    private readonly windowMs = 10_000,
  ) {
    this.windowStartMs = clock.nowMs();
  }

  reconfigure(ratio: number, minRetries: number): void {
    this.ratio = ratio;
    this.minRetries = minRetries;
  }

  recordRequest(): void {
    this.roll();
    this.requests[0]++;
  }

  /** Takes one retry from the budget if there is room. */
  tryRetry(): boolean {
    this.roll();
    const requests = this.requests[0] + this.requests[1];
    const retries = this.retries[0] + this.retries[1];
    if (retries + 1 > requests * this.ratio + this.minRetries) return false;
    this.retries[0]++;
    return true;
  }

  private roll(): void {
    const now = this.clock.nowMs();
    const elapsed = now - this.windowStartMs;
    if (elapsed < this.windowMs) return;
    if (elapsed >= 2 * this.windowMs) {
      this.requests = [0, 0];
      this.retries = [0, 0];
    } else {
      this.requests = [0, this.requests[0]];
      this.retries = [0, this.retries[0]];
    }
    this.windowStartMs = now - (elapsed % this.windowMs);
  }
}
