import assert from "node:assert/strict";
import { z } from "@hono/zod-openapi";
import { publicRoute, secureRoute } from "../openapi/secure_route.ts";
import { mountRoute } from "../routes/mount.ts";
import { createGatewayApp } from "../routes/mod.ts";
import { provideAuth, type RequestAuthenticator } from "../src/auth/middleware.ts";
import { UnauthorizedError } from "../src/errors/app_error.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import type { Principal } from "../src/rbac/mod.ts";

const getThing = secureRoute({
  method: "get",
  path: "/api/v1/things/{name}",
  permission: "things:read:{name}",
  request: { params: z.object({ name: z.string() }) },
  responses: {
    200: {
      description: "The thing",
      content: { "application/json": { schema: z.object({ name: z.string(), by: z.string() }) } },
    },
  },
});
const hello = publicRoute({
  method: "get",
  path: "/api/v1/hello",
  responses: { 200: { description: "Hi", content: { "text/plain": { schema: z.string() } } } },
});

function principal(rules: string[]): Principal {
  return { kind: "user", userId: "u1", username: "alice", roles: [], rules };
}

function buildApp(denials: string[]) {
  const tokens: Record<string, Principal> = {
    all: principal(["things:read"]),
    orders: principal(["things:read:orders/*"]),
    none: principal([]),
  };
  const auth: RequestAuthenticator = {
    authenticateBearer: (credential) => {
      const p = tokens[credential];
      return p ? Promise.resolve(p) : Promise.reject(new UnauthorizedError("Invalid token"));
    },
    onDenied: (_p, _template, permission) => denials.push(permission),
  };
  const app = createGatewayApp({
    logger: new Logger("test", { sink: () => {} }),
    metrics: new MetricsRegistry({ defaultMetrics: false }),
    readiness: {},
  });
  app.use("*", provideAuth(auth));
  mountRoute(app, getThing, (c) => {
    const { name } = c.req.valid("param");
    return c.json({ name, by: c.get("principal").username }, 200);
  });
  mountRoute(app, hello, (c) => c.text("hi", 200));
  return app;
}

Deno.test("mountRoute puts authentication and the route's permission in front", async () => {
  const denials: string[] = [];
  const app = buildApp(denials);
  const get = (path: string, token?: string) =>
    app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal((await get("/api/v1/hello")).status, 200);
  const anonymous = await get("/api/v1/things/orders%2F1");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("content-type"), "application/problem+json");
  assert.equal((await get("/api/v1/things/x", "bogus")).status, 401);
  assert.equal((await get("/api/v1/things/x", "none")).status, 403);
  assert.equal((await get("/api/v1/things/other", "orders")).status, 403);
  const ok = await get("/api/v1/things/orders%2F1", "orders");
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { name: "orders/1", by: "alice" });
  assert.equal((await get("/api/v1/things/x", "all")).status, 200);
  assert.deepEqual(denials, ["things:read:x", "things:read:other"]);
});

Deno.test("the OpenAPI document shows each route's permission and bearer security", async () => {
  const doc = await (await buildApp([]).request("/openapi.json")).json();
  const op = doc.paths["/api/v1/things/{name}"].get;
  assert.equal(op["x-helios-permission"], "things:read:{name}");
  assert.deepEqual(op.security, [{ bearerAuth: [] }]);
  assert.ok(op.responses["401"] && op.responses["403"]);
  assert.match(op.description, /things:read:\{name\}/);
  assert.equal(doc.paths["/api/v1/hello"].get["x-helios-permission"], "public");
  assert.equal(doc.components.securitySchemes.bearerAuth.scheme, "bearer");
  assert.equal("permission" in op, false);
});

Deno.test("mountRoute refuses a route without a permission marker", () => {
  const app = buildApp([]);
  const plain = { ...hello, "x-helios-permission": undefined } as unknown as typeof hello;
  assert.throws(() => mountRoute(app, plain, (c) => c.text("x", 200)), /no permission/);
});

Deno.test("secureRoute rejects malformed permissions at definition time", () => {
  assert.throws(
    () => secureRoute({ method: "get", path: "/x", permission: "Bad Perm", responses: {} }),
    /Invalid permission/,
  );
});
