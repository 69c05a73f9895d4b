/**
 * An upstream pool: its targets, balancer, limits, pending queue and retry budget. `acquire`
 * chooses a target for one attempt (skipping ones already tried), applying health, ejection,
 * breaker and concurrency caps; when too few targets are healthy it balances across all of them
 * (panic mode) rather than overloading the survivors.
 */
import type { Clock } from "../lib/clock.ts";
import { type Balancer, createBalancer } from "./balancers/mod.ts";
import type { BreakerToken } from "./circuit_breaker.ts";
import type { BreakerState } from "./circuit_breaker.ts";
import { durationOf, type UpstreamConfig } from "./config.ts";
import { maxEjected } from "./health/outlier.ts";
import { RetryBudget } from "./retry_budget.ts";
import { Target, type TargetSettings } from "./target.ts";

export interface Lease {
  target: Target;
  token: BreakerToken;
}

export interface UpstreamEvents {
  onBreakerChange(target: Target, state: BreakerState): void;
  onEjected(target: Target): void;
}

export interface Timings {
  connectMs: number;
  responseHeaderMs: number;
  idleMs: number;
}

export class Upstream {
  targets: Target[] = [];
  balancer: Balancer;
  readonly budget: RetryBudget;
  timings!: Timings;
  private pending: (() => void)[] = [];
  private kind = "";

  constructor(
    readonly name: string,
    public config: UpstreamConfig,
    private readonly defaults: TargetSettings,
    private readonly clock: Clock,
    private readonly events: UpstreamEvents,
    private readonly random: () => number = Math.random,
  ) {
    this.balancer = createBalancer(config.balancer, random);
    this.budget = new RetryBudget(0, 0, clock);
    this.apply(config, []);
  }

  /** Applies a new config, keeping the state of targets whose URL stays. */
  apply(config: UpstreamConfig, previous: Target[]): void {
    this.config = config;
    if (this.kind !== config.balancer) {
      this.balancer = createBalancer(config.balancer, this.random);
      this.kind = config.balancer;
    }
    const byId = new Map(previous.map((t) => [t.id, t]));
    this.targets = config.targets.map(({ url, weight }) => {
      const kept = byId.get(url);
      if (kept) {
        kept.reconfigure(config, weight, this.defaults);
        return kept;
      }
      return new Target(
        this.name,
        url,
        config,
        weight,
        this.defaults,
        this.clock,
        this.events.onBreakerChange,
      );
    });
    const kept = new Set(this.targets);
    for (const old of previous) if (!kept.has(old)) old.h1?.close();
    this.budget.reconfigure(config.retries.budget_percent / 100, config.retries.min_retries);
    this.timings = {
      connectMs: durationOf(config.timeouts.connect),
      responseHeaderMs: durationOf(config.timeouts.response_header),
      idleMs: durationOf(config.timeouts.idle),
    };
  }

  /** True when fewer than the panic threshold of targets are healthy: then health is ignored. */
  inPanic(): boolean {
    let healthy = 0;
    for (const t of this.targets) if (t.healthy) healthy++;
    return healthy * 100 <
      this.targets.length * this.config.outlier_detection.panic_threshold_percent;
  }

  /**
   * Picks a target for one attempt, or returns "busy" when every otherwise usable target is at
   * its concurrency cap, or null when none is usable (all down, open, or already tried).
   */
  pick(tried: Target[] | null, hashKey: string | undefined): Lease | "busy" | null {
    const panic = this.inPanic();
    const limits = this.config.limits;
    let busy = false;
    const targets = this.targets;
    const usable = (i: number) => {
      const t = targets[i];
      if (tried !== null && tried.includes(t)) return false;
      if (!panic && !t.healthy) return false;
      if (!t.breaker.canPass()) return false;
      if (t.active >= limits.max_requests || t.connections >= limits.max_connections) {
        busy = true;
        return false;
      }
      return true;
    };
    const index = this.balancer.pick(targets, usable, hashKey);
    if (index < 0) return busy ? "busy" : null;
    const target = targets[index];
    const token = target.breaker.acquire()!;
    target.active++;
    target.connections++;
    return { target, token };
  }

  /** Waits (bounded by max_pending and the connect timeout) for a target to free a slot. */
  waitForSlot(signal?: AbortSignal): Promise<boolean> {
    if (this.pending.length >= this.config.limits.max_pending) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((w) => w !== wake);
        resolve(false);
      }, this.timings.connectMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        this.pending = this.pending.filter((w) => w !== wake);
        resolve(false);
      }, { once: true });
      this.pending.push(wake);
    });
  }

  /** Ends an attempt: updates breaker and outlier detection and wakes one waiter. */
  /**
   * Ends an attempt on the lease's target. `success` feeds its breaker and outlier detection;
   * null records nothing (the exchange failed for a reason that says nothing about the target,
   * such as a client whose request body broke off).
   */
  release(lease: Lease, success: boolean | null): void {
    const target = lease.target;
    target.active--;
    target.connections--;
    if (success === null) {
      target.breaker.forget(lease.token);
    } else {
      target.breaker.record(lease.token, success);
      const ejected = target.outlier.record(success, () => this.mayEject());
      if (ejected) this.events.onEjected(target);
    }
    this.pending.shift()?.();
  }

  private mayEject(): boolean {
    let ejected = 0;
    for (const t of this.targets) if (t.outlier.isEjected()) ejected++;
    return ejected + 1 <=
      maxEjected(this.targets.length, this.config.outlier_detection.max_ejection_percent);
  }
}
