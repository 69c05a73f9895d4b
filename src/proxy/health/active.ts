/**
 * Active health checks: every interval, each target of each upstream with checks enabled gets
 * GET <path> with a timeout; the verdict goes through HealthState's thresholds. One loop per
 * upstream, started and stopped as the config changes.
 */
import type { Logger } from "../../observability/logger.ts";
import { durationOf } from "../config.ts";
import type { Target } from "../target.ts";
import type { Upstream } from "../upstream.ts";
import { statusExpected } from "./health_state.ts";

export class ActiveHealthChecker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly upstreams: () => Map<string, Upstream>,
    private readonly defaultIntervalMs: number,
    private readonly client: Deno.HttpClient,
    private readonly logger: Logger,
  ) {}

  /** Starts loops for new upstreams; loops of removed ones end on their next tick. */
  sync(): void {
    if (this.stopped) return;
    for (const [name, upstream] of this.upstreams()) {
      if (!this.timers.has(name) && upstream.config.health_check.enabled) this.schedule(name);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private intervalOf(upstream: Upstream): number {
    const interval = upstream.config.health_check.interval;
    return interval === undefined ? this.defaultIntervalMs : durationOf(interval);
  }

  private schedule(name: string): void {
    const upstream = this.upstreams().get(name);
    if (this.stopped || !upstream || !upstream.config.health_check.enabled) {
      this.timers.delete(name);
      return;
    }
    this.timers.set(
      name,
      setTimeout(() => {
        const round = this.round(name).finally(() => {
          this.inFlight.delete(round);
          this.schedule(name);
        });
        this.inFlight.add(round);
      }, this.intervalOf(upstream)),
    );
  }

  private async round(name: string): Promise<void> {
    const upstream = this.upstreams().get(name);
    if (!upstream) return;
    await Promise.all(upstream.targets.map((target) => this.check(upstream, target)));
  }

  private async check(upstream: Upstream, target: Target): Promise<void> {
    const config = upstream.config.health_check;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), durationOf(config.timeout));
    let passed = false;
    let reason = "";
    try {
      const response = await fetch(target.base + config.path, {
        signal: abort.signal,
        client: this.client,
        headers: { "user-agent": "helios-proxy-health" },
      });
      await response.body?.cancel();
      passed = statusExpected(response.status, config.expected_status);
      reason = `status ${response.status}`;
    } catch (error) {
      reason = abort.signal.aborted ? "timeout" : String(error);
    } finally {
      clearTimeout(timer);
    }
    if (this.stopped) return;
    if (target.health.record(passed)) {
      const level = passed ? "info" : "warn";
      this.logger.log(level, passed ? "Target healthy" : "Target unhealthy", {
        upstream: upstream.name,
        target: target.id,
        reason,
      });
    }
  }
}
