/**
 * Gateway-wide middleware: request id, access log, and the one error funnel. Every error that
 * leaves the gateway is RFC 9457 problem+json built by src/errors/problem.ts.
 */
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../src/errors/app_error.ts";
import { problemResponse } from "../src/errors/problem.ts";
import type { Logger } from "../src/observability/logger.ts";
import type { GatewayEnv } from "./env.ts";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a sane inbound X-Request-Id or makes one; echoes it and binds it to the logger. */
export function requestId(logger: Logger): MiddlewareHandler<GatewayEnv> {
  return async function assignRequestId(c, next) {
    const inbound = c.req.header("x-request-id");
    const id = inbound && REQUEST_ID_PATTERN.test(inbound) ? inbound : crypto.randomUUID();
    c.set("requestId", id);
    c.set("logger", logger.with({ request_id: id }));
    c.header("x-request-id", id);
    await next();
  };
}

/** One access-log line per request, after the response is ready. */
export function accessLog(): MiddlewareHandler<GatewayEnv> {
  return async function logAccess(c, next) {
    const startedMs = performance.now();
    await next();
    c.get("logger").info("Request processed", {
      method: c.req.method,
      endpoint: c.req.path,
      route: c.req.routePath,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - startedMs) * 100) / 100,
    });
  };
}

/** The error funnel: AppError → its problem; anything else → logged 500 problem. */
export function handleError(error: Error, c: Context<GatewayEnv>): Response {
  const context = { instance: c.req.path, requestId: c.get("requestId") };
  if (error instanceof AppError) return problemResponse(error, context);
  if (error instanceof HTTPException) {
    const mapped = new AppError(
      `http_${error.status}`,
      error.status,
      error.message || "HTTP error",
      {
        detail: error.message,
      },
    );
    return problemResponse(mapped, context);
  }
  c.get("logger")?.error("Unhandled error in request", { error });
  return problemResponse(error, context);
}
