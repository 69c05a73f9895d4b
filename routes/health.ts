import type { OpenAPIHono } from "@hono/zod-openapi";
import { healthzRoute, readyzRoute } from "../openapi/health.ts";
import type { GatewayEnv } from "./env.ts";
import { mountRoute } from "./mount.ts";

/** Named readiness checks; /readyz is 200 only when all pass. */
export type ReadinessChecks = Record<string, () => boolean>;

export function mountHealthRoutes(app: OpenAPIHono<GatewayEnv>, checks: ReadinessChecks): void {
  mountRoute(app, healthzRoute, (c) => c.json({ status: "ok" as const }, 200));
  mountRoute(app, readyzRoute, (c) => {
    const results = Object.fromEntries(
      Object.entries(checks).map(([name, check]) => [name, check()]),
    );
    const ready = Object.values(results).every(Boolean);
    return c.json(
      { status: ready ? "ready" as const : "not_ready" as const, checks: results },
      ready ? 200 : 503,
    );
  });
}
