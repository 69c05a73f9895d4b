/**
 * The proxy's Prometheus metrics. Per-request updates are plain numbers moved into prom-client
 * at scrape time (a prom-client inc() or observe() costs about as much as parsing the request):
 * request counts per route and code, upstream durations per upstream (buffered_histogram.ts);
 * target gauges are filled at scrape time from live state.
 */
import {
  bufferedHistogram,
  type BufferedObservations,
} from "../observability/buffered_histogram.ts";
import type { Counter, Histogram, MetricsRegistry } from "../observability/metrics.ts";
import { BREAKER_STATE_VALUE } from "./circuit_breaker.ts";
import type { Target } from "./target.ts";

type CounterChild = { inc(value?: number): void };

export class ProxyMetrics {
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly retries: Counter;
  private readonly ejections: Counter;
  /** route → code → answers not yet added to proxy_requests_total. */
  private readonly pendingRequests = new Map<string, Map<number, { n: number }>>();
  private readonly durationChildren = new Map<string, BufferedObservations>();
  private readonly retryChildren = new Map<string, CounterChild>();

  constructor(registry: MetricsRegistry, targets: () => Iterable<Target>) {
    const pending = this.pendingRequests;
    this.requests = registry.counter({
      name: "proxy_requests_total",
      help: "Requests answered by the proxy, by route and status code",
      labelNames: ["route", "code"],
      collect() {
        for (const [route, codes] of pending) {
          for (const [code, count] of codes) {
            if (count.n === 0) continue;
            this.inc({ route, code: String(code) }, count.n);
            count.n = 0;
          }
        }
      },
    });
    this.duration = registry.histogram({
      name: "proxy_upstream_duration_seconds",
      help: "Time from sending a request upstream to its response headers",
      labelNames: ["upstream"],
    });
    this.retries = registry.counter({
      name: "proxy_retries_total",
      help: "Requests retried on another target",
      labelNames: ["upstream"],
    });
    this.ejections = registry.counter({
      name: "proxy_ejections_total",
      help: "Targets ejected by passive outlier detection",
      labelNames: ["upstream", "target"],
    });
    registry.gauge({
      name: "proxy_backend_healthy",
      help: "1 when the target passes health checks and is not ejected, else 0",
      labelNames: ["upstream", "target"],
      collect() {
        this.reset();
        for (const t of targets()) {
          this.set({ upstream: t.upstream, target: t.id }, t.healthy ? 1 : 0);
        }
      },
    });
    registry.gauge({
      name: "proxy_circuit_state",
      help: "Circuit breaker state per target: 0 closed, 1 open, 2 half-open",
      labelNames: ["upstream", "target"],
      collect() {
        this.reset();
        for (const t of targets()) {
          this.set({ upstream: t.upstream, target: t.id }, BREAKER_STATE_VALUE[t.breaker.state]);
        }
      },
    });
  }

  request(route: string, code: number): void {
    let codes = this.pendingRequests.get(route);
    if (codes === undefined) this.pendingRequests.set(route, codes = new Map());
    const count = codes.get(code);
    if (count === undefined) codes.set(code, { n: 1 });
    else count.n++;
  }

  upstreamDuration(upstream: string, seconds: number): void {
    let child = this.durationChildren.get(upstream);
    if (!child) {
      child = bufferedHistogram(this.duration, { upstream });
      this.durationChildren.set(upstream, child);
    }
    child.observe(seconds);
  }

  retry(upstream: string): void {
    let child = this.retryChildren.get(upstream);
    if (!child) {
      child = this.retries.labels(upstream);
      this.retryChildren.set(upstream, child);
    }
    child.inc();
  }

  ejection(target: Target): void {
    this.ejections.labels(target.upstream, target.id).inc();
  }
}
