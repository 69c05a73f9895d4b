/**
 * The gateway skeleton: middleware in order (request id, metrics and access log in one → the given
 * middleware), health routes, the OpenAPI document at /openapi.json, and the problem+json funnel
 * for errors and 404s. buildGateway (build.ts) adds everything else.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { documentConfig } from "../openapi/document.ts";
import { NotFoundError, ValidationError } from "../src/errors/app_error.ts";
import { problemResponse } from "../src/errors/problem.ts";
import type { Logger } from "../src/observability/logger.ts";
import type { MetricsRegistry } from "../src/observability/metrics.ts";
import { CachedTrieRouter } from "../src/gateway/cached_router.ts";
import { HELIOS_VERSION } from "../src/version.ts";
import type { GatewayEnv } from "./env.ts";
import { mountHealthRoutes, type ReadinessChecks } from "./health.ts";
import { handleError, observeRequests } from "./middleware.ts";

export interface GatewayDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  readiness: ReadinessChecks;
  /** Middleware run after the access log and before every route (hygiene, auth, rate limit). */
  middleware?: MiddlewareHandler<GatewayEnv>[];
  /** Title of the OpenAPI document (applications built on Helios set their own). */
  title?: string;
  version?: string;
}

export function createGatewayApp(deps: GatewayDeps): OpenAPIHono<GatewayEnv> {
  const app = new OpenAPIHono<GatewayEnv>({
    router: new CachedTrieRouter(),
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
  app.use("*", observeRequests(deps.logger, deps.metrics));
  for (const middleware of deps.middleware ?? []) app.use("*", middleware);
  mountHealthRoutes(app, deps.readiness);
  app.doc31(
    "/openapi.json",
    documentConfig({ version: deps.version ?? HELIOS_VERSION, title: deps.title }),
  );
  app.notFound((c) =>
    problemResponse(new NotFoundError(`No route for ${c.req.method} ${c.req.path}`), {
      instance: c.req.path,
      requestId: c.get("requestId"),
    })
  );
  app.onError(handleError);
  return app;
}
