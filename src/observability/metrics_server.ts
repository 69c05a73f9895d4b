/**
 * The metrics listener (`--metrics-listen`, default :9090): GET /metrics in Prometheus text
 * format, GET /healthz, and any extra read-only routes a daemon adds (GET /raft/status).
 */
import { Hono } from "hono";
import type { MetricsRegistry } from "./metrics.ts";
import type { Logger } from "./logger.ts";
import { problemResponse } from "../errors/problem.ts";
import { NotFoundError } from "../errors/app_error.ts";
import type { HostPort } from "../lib/address.ts";
import { type ListeningServer, serveHttp } from "../lib/http_server.ts";

export interface MetricsServerOptions {
  address: HostPort;
  metrics: MetricsRegistry;
  logger: Logger;
  /** Extra routes (e.g. /raft/status) mounted before the 404 fallback. */
  extend?: (app: Hono) => void;
}

export function createMetricsApp(metrics: MetricsRegistry, extend?: (app: Hono) => void): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const body = await metrics.text();
    return c.body(body, 200, { "content-type": metrics.contentType });
  });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  extend?.(app);
  app.notFound((c) =>
    problemResponse(new NotFoundError(`No route for ${c.req.method} ${c.req.path}`), {
      instance: c.req.path,
    })
  );
  return app;
}

export function startMetricsServer(options: MetricsServerOptions): ListeningServer {
  const app = createMetricsApp(options.metrics, options.extend);
  return serveHttp({
    address: options.address,
    handler: app.fetch,
    logger: options.logger,
    name: "metrics",
  });
}
