/**
 * Per-target circuit breaker (the trip/recover kind): closed → open after `failureThreshold`
 * consecutive failures → half-open once `cooldownMs` has passed, letting `halfOpenProbes`
 * requests through at a time → closed after that many probe successes, or open again on the
 * first probe failure. Time comes from an injected clock; no timers.
 */
import type { Clock } from "../lib/clock.ts";

export type BreakerState = "closed" | "open" | "half_open";

/** Gauge values for proxy_circuit_state. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = {
  closed: 0,
  open: 1,
  half_open: 2,
};

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  halfOpenProbes: number;
}

export class CircuitBreaker {
  private stateNow: BreakerState = "closed";
  private failures = 0;
  private openedAtMs = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;

  constructor(
    private options: BreakerOptions,
    private readonly clock: Clock,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}

  reconfigure(options: BreakerOptions): void {
    this.options = options;
  }

  get state(): BreakerState {
    if (
      this.stateNow === "open" && this.clock.nowMs() - this.openedAtMs >= this.options.cooldownMs
    ) {
      this.transition("half_open");
    }
    return this.stateNow;
  }

  /** May a request go to this target now? Does not reserve anything. */
  canPass(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    return this.probesInFlight < this.options.halfOpenProbes;
  }

  /**
   * Reserves the right to send one request. Returns a token to pass back to `record`, or null
   * when the breaker refuses. In half-open state the token marks a probe.
   */
  acquire(): BreakerToken | null {
    if (!this.canPass()) return null;
    if (this.stateNow === "half_open") {
      this.probesInFlight++;
      return PROBE;
    }
    return NORMAL;
  }

  /** Gives back a token without an outcome (a half-open probe slot is freed). */
  forget(token: BreakerToken): void {
    if (token === PROBE) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
  }

  record(token: BreakerToken, success: boolean): void {
    if (token === PROBE) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    if (this.stateNow === "half_open") {
      if (token !== PROBE) return; // a stale result from before the breaker opened
      if (!success) return this.open();
      if (++this.probeSuccesses >= this.options.halfOpenProbes) this.transition("closed");
      return;
    }
    if (this.stateNow === "open") return;
    if (success) {
      this.failures = 0;
      return;
    }
    if (++this.failures >= this.options.failureThreshold) this.open();
  }

  private open(): void {
    this.openedAtMs = this.clock.nowMs();
    this.transition("open");
  }

  private transition(state: BreakerState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.failures = 0;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    this.onChange(state);
  }
}

export type BreakerToken = 1 | 2;
const NORMAL: BreakerToken = 1;
const PROBE: BreakerToken = 2;
