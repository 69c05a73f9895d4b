/**
 * Records helios_requests_total and helios_request_duration_seconds for every HTTP request,
 * labelled by method, route template (never the raw path) and status.
 *
 * A request adds to plain numbers kept per label set (buffered_histogram.ts); they are moved
 * into the prom-client metrics when those are read. prom-client's own per-call path validates
 * and hashes the labels on every inc/observe, which cost more than the rest of the bookkeeping
 * together.
 */
import type { Context, MiddlewareHandler } from "hono";
import { BufferedObservations, onCollect } from "./buffered_histogram.ts";
import type { MetricsRegistry } from "./metrics.ts";

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
  // Label sets are few (method × route template × status).
  // One label set's durations; its request count is the number of them.
  const series = new Map<string, BufferedObservations>();
  const flush = () => {
    for (const one of series.values()) {
      const count = one.flush();
      if (count > 0) requests.inc(one.labels, count);
    }
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
      const labels = { method: c.req.method, route, status: String(status) };
      one = new BufferedObservations(duration, labels);
      series.set(key, one);
    }
    one.observe((performance.now() - startedMs) / 1000);
  };
}
