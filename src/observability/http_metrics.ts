/**
 * Records helios_requests_total and helios_request_duration_seconds for every HTTP request,
 * labelled by method, route template (never the raw path) and status.
 *
 * A request adds to plain numbers kept per label set; they are moved into the prom-client
 * metrics when those are read (their `collect` hook, which every scrape runs first). prom-client's
 * own per-call path validates and hashes the labels on every inc/observe, which cost more than
 * the rest of the bookkeeping together.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Counter, Histogram, MetricsRegistry } from "./metrics.ts";

export function httpMetrics(metrics: MetricsRegistry): MiddlewareHandler {
  const record = httpMetricsRecorder(metrics);
  return async function recordHttpMetrics(c, next) {
    const startedMs = performance.now();
    try {
      await next();
    } finally {
      record(c, startedMs);
    }
  };
}

/**
 * What httpMetrics does after the request, for a middleware that also does other per-request
 * work (routes/middleware.ts observeRequests): call it with the context once the response is in
 * `c.res` and the `performance.now()` taken when the request came in.
 */
export function httpMetricsRecorder(
  metrics: MetricsRegistry,
): (c: Context, startedMs: number) => void {
  const requests = metrics.counter({
    name: "helios_requests_total",
    help: "HTTP requests handled, by method, route template and status",
    labelNames: ["method", "route", "status"],
  });
  const duration = metrics.histogram({
    name: "helios_request_duration_seconds",
    help: "HTTP request duration from first byte in to response ready, in seconds",
    labelNames: ["method", "route", "status"],
  });
  const upperBounds = (duration as unknown as HistogramInternals).upperBounds;
  // Label sets are few (method × route template × status).
  const series = new Map<string, Series>();
  const flush = () => {
    for (const one of series.values()) one.flush(requests, duration);
  };
  onCollect(requests, flush);
  onCollect(duration, flush);
  return function recordHttpRequest(c, startedMs) {
    // An unmatched request has routePath "/*" (the catch-all); keep the label bounded.
    const route = c.req.routePath || "unmatched";
    const status = c.res.status;
    const key = `${c.req.method} ${status} ${route}`;
    let one = series.get(key);
    if (one === undefined) {
      one = new Series({ method: c.req.method, route, status: String(status) }, upperBounds);
      series.set(key, one);
    }
    one.observe((performance.now() - startedMs) / 1000);
  };
}

/** What flushing needs of prom-client's Histogram (v15): its bounds and per-label-set values. */
interface HistogramInternals {
  upperBounds: readonly number[];
  hashMap: Record<string, HistogramEntry>;
}

interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** Counts not yet moved into prom-client for one label set. */
class Series {
  private count = 0;
  private sum = 0;
  private readonly buckets: Float64Array;
  private entryKey: string | null = null;

  constructor(
    private readonly labels: Record<string, string>,
    private readonly upperBounds: readonly number[],
  ) {
    this.buckets = new Float64Array(upperBounds.length);
  }

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        this.buckets[i]++;
        return;
      }
    }
  }

  flush(requests: Counter, duration: Histogram): void {
    if (this.count === 0) return;
    requests.inc(this.labels, this.count);
    const entry = this.entry(duration);
    entry.count += this.count;
    entry.sum += this.sum;
    for (let i = 0; i < this.buckets.length; i++) {
      if (this.buckets[i] !== 0) entry.bucketValues[this.upperBounds[i]] += this.buckets[i];
    }
    this.count = 0;
    this.sum = 0;
    this.buckets.fill(0);
  }

  /** This label set's histogram values, created (zeroed) if missing or reset since. */
  private entry(duration: Histogram): HistogramEntry {
    const internals = duration as unknown as HistogramInternals;
    const known = this.entryKey === null ? undefined : internals.hashMap[this.entryKey];
    if (known !== undefined && known.labels === this.labels) return known;
    duration.zero(this.labels);
    for (const [key, entry] of Object.entries(internals.hashMap)) {
      if (entry.labels === this.labels) {
        this.entryKey = key;
        return entry;
      }
    }
    throw new Error("prom-client histogram did not keep the zeroed label set");
  }
}

type Collectable = { collect?: () => void | Promise<void> };

/** Flushers per metric: several gateways in one process may share one registry's metrics. */
const flushers = new WeakMap<Collectable, Array<() => void>>();

/** Runs `flush` before every read of `metric`, after the metric's own collect hook, if any. */
function onCollect(metric: Counter | Histogram, flush: () => void): void {
  const target = metric as unknown as Collectable;
  let list = flushers.get(target);
  if (list === undefined) {
    const all: Array<() => void> = [];
    list = all;
    flushers.set(target, all);
    const previous = target.collect;
    target.collect = function () {
      for (const one of all) one();
      return previous?.call(this);
    };
  }
  list.push(flush);
}
