/**
 * Builds the gateway app: middleware in order (request id → metrics → access log), routes,
 * the OpenAPI document at /openapi.json, and the problem+json funnel for errors and 404s.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { NotFoundError, ValidationError } from "../src/errors/app_error.ts";
import { problemResponse } from "../src/errors/problem.ts";
import type { Logger } from "../src/observability/logger.ts";
import type { MetricsRegistry } from "../src/observability/metrics.ts";
import { httpMetrics } from "../src/observability/http_metrics.ts";
import { HELIOS_VERSION } from "../src/version.ts";
import type { GatewayEnv } from "./env.ts";
import { mountHealthRoutes, type ReadinessChecks } from "./health.ts";
import { accessLog, handleError, requestId } from "./middleware.ts";

export interface GatewayDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  readiness: ReadinessChecks;
}

export function createGatewayApp(deps: GatewayDeps): OpenAPIHono<GatewayEnv> {
  const app = new OpenAPIHono<GatewayEnv>({
    // zod validation failures become 400 problems naming every bad field.
    defaultHook: (result) => {
      if (!result.success) {
        const errors = result.error.issues.map((issue) => ({
          path: [result.target, ...issue.path.map(String)].join("."),
          message: issue.message,
        }));
        throw new ValidationError(`Invalid ${result.target}`, errors);
      }
    },
  });
  app.use("*", requestId(deps.logger));
  app.use("*", httpMetrics(deps.metrics));
  app.use("*", accessLog());
  mountHealthRoutes(app, deps.readiness);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Helios API",
      version: HELIOS_VERSION,
      description: "Key-value, auth and jobs over HTTP. Errors are RFC 9457 problem+json.",
    },
  });
  app.notFound((c) =>
    problemResponse(new NotFoundError(`No route for ${c.req.method} ${c.req.path}`), {
      instance: c.req.path,
      requestId: c.get("requestId"),
    })
  );
  app.onError(handleError);
  return app;
}
