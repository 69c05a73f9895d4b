/**
 * Records helios_requests_total and helios_request_duration_seconds for every HTTP request,
 * labelled by method, route template (never the raw path) and status.
 */
import type { MiddlewareHandler } from "hono";
import type { MetricsRegistry } from "./metrics.ts";

export function httpMetrics(metrics: MetricsRegistry): MiddlewareHandler {
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
  // Label sets are few (method × route template × status): keep their children, so a request
  // costs no label hashing.
  const children = new Map<
    string,
    { requests: { inc(): void }; duration: { observe(v: number): void } }
  >();
  return async function recordHttpMetrics(c, next) {
    const startedMs = performance.now();
    try {
      await next();
    } finally {
      // An unmatched request has routePath "/*" (the catch-all); keep the label bounded.
      const route = c.req.routePath || "unmatched";
      const status = c.res.status;
      const key = `${c.req.method} ${status} ${route}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method: c.req.method, route, status: String(status) };
        child = { requests: requests.labels(labels), duration: duration.labels(labels) };
        children.set(key, child);
      }
      child.requests.inc();
      child.duration.observe((performance.now() - startedMs) / 1000);
    }
  };
}
