import { z } from "@hono/zod-openapi";

/** RFC 9457 problem details: the body of every error response. */
export const ProblemSchema = z.object({
  type: z.string().openapi({ example: "urn:helios:problem:not_found" }),
  title: z.string().openapi({ example: "Not found" }),
  status: z.number().int().openapi({ example: 404 }),
  detail: z.string().optional().openapi({ example: 'Key "orders/42" does not exist' }),
  instance: z.string().optional().openapi({ example: "/api/v1/kv/orders%2F42" }),
  code: z.string().openapi({ example: "not_found" }),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).openapi("Problem");

/** A response entry for one error status, for createRoute's `responses`. */
export function problemResponse(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } };
}
