import type { z } from "@hono/zod-openapi";

/**
 * A required JSON request body. `example` is the body Swagger UI's "Try it out" starts from;
 * without one it builds a sample from every field, optional ones included, at their bounds (a
 * job delayed a year with one attempt, a 100 ms lease), which is not a request anyone means.
 */
export function jsonBody<T extends z.ZodType>(schema: T, example?: unknown) {
  const media = example === undefined ? { schema } : { schema, example };
  return { required: true, content: { "application/json": media } };
}

/** A JSON response entry for createRoute's `responses`. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
