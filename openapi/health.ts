import { z } from "@hono/zod-openapi";
import { problemResponse } from "./problem.ts";
import { publicRoute } from "./secure_route.ts";

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
export const ReadinessSchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.boolean()),
}).openapi("Readiness");

export const healthzRoute = publicRoute({
  method: "get",
  operationId: "healthz",
  path: "/healthz",
  tags: ["health"],
  summary: "Liveness: the process is up",
  description: "200 while the process runs and its event loop answers; for liveness probes. " +
    "Never rate limited.",
  responses: {
    200: { description: "Alive", content: { "application/json": { schema: HealthSchema } } },
  },
});

export const readyzRoute = publicRoute({
  method: "get",
  operationId: "readyz",
  path: "/readyz",
  tags: ["health"],
  summary: "Readiness: storage is loaded and the node can serve",
  description: "200 when every readiness check passes, 503 with the failing checks otherwise " +
    "(`storage`: with a remote ATLAS, false once no node answered, until one does again): for " +
    "readiness probes and load balancers. Never rate limited.",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessSchema } } },
    503: { description: "Not ready", content: { "application/json": { schema: ReadinessSchema } } },
    500: problemResponse("Unexpected error"),
  },
});
