/** KV routes: validate (zod, via the route) → one KvService call → respond. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { deleteKeyRoute, getKeyRoute, listKeysRoute, setKeyRoute } from "../openapi/kv.ts";
import { ValidationError } from "../src/errors/app_error.ts";
import { type KvService, parsePrecondition, type Precondition } from "../src/kv/mod.ts";
import type { GatewayEnv } from "./env.ts";
import { mountRoute } from "./mount.ts";

function precondition(ifMatch?: string, ifNoneMatch?: string): Precondition {
  const parsed = parsePrecondition(ifMatch, ifNoneMatch);
  if (typeof parsed === "string") throw new ValidationError(parsed);
  return parsed;
}

export function mountKvRoutes(app: OpenAPIHono<GatewayEnv>, kv: KvService): void {
  mountRoute(app, setKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    const body = c.req.valid("json");
    const { entry, created } = await kv.set(
      key,
      body.value,
      body.ttl ?? null,
      precondition(c.req.header("if-match"), c.req.header("if-none-match")),
    );
    c.header("etag", entry.etag);
    const result = { key: entry.key, value: entry.value, ttl: entry.ttl };
    return created ? c.json(result, 201) : c.json(result, 200);
  });

  mountRoute(app, getKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    const entry = await kv.get(key);
    // The ETag goes on the built response rather than through c.header first: see
    // observeRequests (routes/middleware.ts) for what an early header costs.
    const response = c.req.header("if-none-match") === entry.etag
      ? c.body(null, 304)
      : c.json({ key: entry.key, value: entry.value, ttl: entry.ttl }, 200);
    response.headers.set("etag", entry.etag);
    return response;
  });

  mountRoute(app, deleteKeyRoute, async (c) => {
    const { key } = c.req.valid("param");
    await kv.delete(key, precondition(c.req.header("if-match"), undefined));
    return c.body(null, 204);
  });

  mountRoute(app, listKeysRoute, async (c) => {
    const query = c.req.valid("query");
    return c.json(await kv.list(query), 200);
  });
}
