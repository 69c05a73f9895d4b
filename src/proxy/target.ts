/**
 * One upstream target and everything the proxy knows about it: in-flight counts, active-check
 * health, passive ejection and the circuit breaker. State survives config reloads when the
 * same URL stays in the same upstream.
 */
import type { Clock } from "../lib/clock.ts";
import { type BreakerState, CircuitBreaker } from "./circuit_breaker.ts";
import { HealthState } from "./health/health_state.ts";
import { OutlierDetector } from "./health/outlier.ts";
import type { UpstreamConfig } from "./config.ts";
import { durationOf } from "./config.ts";
import { H1Pool, h1TargetOf } from "./h1_client.ts";

export interface TargetSettings {
  failureThreshold: number;
  cooldownMs: number;
}

export class Target {
  /** The URL with no trailing slash: origin plus optional base path. */
  readonly base: string;
  weight: number;
  active = 0;
  /** In-flight requests plus WebSocket tunnels: the connections this target holds. */
  connections = 0;
  readonly health: HealthState;
  readonly outlier: OutlierDetector;
  readonly breaker: CircuitBreaker;
  lastError = "";
  /** Pooled HTTP/1.1 connections for bodyless requests; null for https or base paths. */
  readonly h1: H1Pool | null;

  constructor(
    readonly upstream: string,
    readonly id: string,
    config: UpstreamConfig,
    weight: number,
    defaults: TargetSettings,
    clock: Clock,
    onBreakerChange: (target: Target, state: BreakerState) => void,
  ) {
    this.base = id.endsWith("/") ? id.slice(0, -1) : id;
    this.weight = weight;
    const h1 = h1TargetOf(this.base);
    this.h1 = h1 === null ? null : new H1Pool(h1);
    this.health = new HealthState(thresholdsOf(config));
    this.outlier = new OutlierDetector(outlierOptionsOf(config), clock);
    this.breaker = new CircuitBreaker(
      breakerOptionsOf(config, defaults),
      clock,
      (state) => onBreakerChange(this, state),
    );
  }

  reconfigure(config: UpstreamConfig, weight: number, defaults: TargetSettings): void {
    this.weight = weight;
    this.health.reconfigure(thresholdsOf(config));
    this.outlier.reconfigure(outlierOptionsOf(config));
    this.breaker.reconfigure(breakerOptionsOf(config, defaults));
  }

  /** Healthy by active checks and not ejected by outlier detection. */
  get healthy(): boolean {
    return this.health.healthy && !this.outlier.isEjected();
  }
}

function thresholdsOf(config: UpstreamConfig) {
  return {
    healthyThreshold: config.health_check.healthy_threshold,
    unhealthyThreshold: config.health_check.unhealthy_threshold,
  };
}

function outlierOptionsOf(config: UpstreamConfig) {
  const o = config.outlier_detection;
  return {
    enabled: o.enabled,
    consecutiveFailures: o.consecutive_failures,
    baseEjectionMs: durationOf(o.base_ejection_time),
    maxEjectionMs: durationOf(o.max_ejection_time),
  };
}

function breakerOptionsOf(config: UpstreamConfig, defaults: TargetSettings) {
  const b = config.circuit_breaker;
  return {
    failureThreshold: b.failure_threshold ?? defaults.failureThreshold,
    cooldownMs: b.cooldown === undefined ? defaults.cooldownMs : durationOf(b.cooldown),
    halfOpenProbes: b.half_open_probes,
  };
}
