/**
 * The route table, generated from the gateway's own OpenAPI document: every non-public route
 * answers 401 without a token, 403 for a caller without its permission, and neither (nor 500)
 * for a caller holding exactly its declared permission — so a new route cannot skip the check.
 * Routes are discovered, not listed: whatever buildGateway mounts (KV, jobs, admin, ...) is
 * covered. Public routes must be marked publicRoute AND appear in EXPECTED_PUBLIC (review
 * point); routes outside the document must be in OUTSIDE_DOCUMENT.
 */
import assert from "node:assert/strict";
import { createGateway } from "../routes/mod.ts";
import { configSchema } from "../src/config/schema.ts";
import { memoryAtlas } from "../src/gateway/testing/memory_atlas.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { registerQueueCommands } from "../src/queue/mod.ts";
import { fillPermission } from "../src/rbac/mod.ts";

const EXPECTED_PUBLIC = new Set([
  "GET /healthz",
  "GET /readyz",
  "POST /api/v1/auth/register",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/refresh",
  "GET /.well-known/jwks.json",
]);
/** Non-API routes served outside the OpenAPI document (the document itself, its UI). */
const OUTSIDE_DOCUMENT = [/^\/openapi\.json$/, /^\/docs$/, /^\/assets\//, /^\/favicon\.ico$/];

interface Operation {
  method: string;
  path: string;
  permission: string | undefined;
  hasBody: boolean;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }) {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const permission = op["x-helios-permission"];
      out.push({
        method: method.toUpperCase(),
        path,
        permission: typeof permission === "string" ? permission : undefined,
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return out;
}

const paramsOf = (path: string) =>
  Object.fromEntries([...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map(([, n]) => [n, `rt-${n}`]));
const concrete = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, n) => `rt-${n}`);

const json = (method: string, body: unknown, token?: string): RequestInit => ({
  method,
  headers: {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
});

/** The gateway exactly as `helios serve` builds it (createGateway), over an in-process ATLAS. */
async function startFullGateway() {
  const { store, client } = memoryAtlas();
  if (!store.commands.has("job.reap")) registerQueueCommands(store);
  const config = configSchema.parse({
    gateway: {
      listen: "127.0.0.1:0",
      password_workers: 2,
      rate_limit: { default_capacity: 1_000_000 },
    },
  });
  const gateway = await createGateway({
    config,
    logger: new Logger("gateway", { sink: () => {} }),
    metrics: new MetricsRegistry({ defaultMetrics: false }),
    atlas: client,
    env: new Map([["HELIOS_ADMIN_PASSWORD", "route-table-admin"]]),
    reaper: false,
  });
  const request = (path: string, init?: RequestInit) =>
    Promise.resolve(
      gateway.app.request(path, init, {
        remoteAddr: { hostname: "192.0.2.9", port: 1, transport: "tcp" },
      }),
    );
  return { gateway, request };
}

Deno.test("every route: 401 without a token, 403 without its permission, allowed with it", async (t) => {
  const { gateway, request } = await startFullGateway();
  try {
    const doc = await (await request("/openapi.json")).json();
    const ops = operations(doc);
    assert.ok(ops.length >= 20, `only ${ops.length} operations in the document`);

    await t.step("every operation declares a permission; public ones are the expected few", () => {
      const unmarked = ops.filter((op) => op.permission === undefined).map((op) =>
        `${op.method} ${op.path}`
      );
      assert.deepEqual(unmarked, [], "routes registered without secureRoute/publicRoute");
      const pub = ops.filter((op) => op.permission === "public").map((op) =>
        `${op.method} ${op.path}`
      );
      assert.deepEqual(pub.sort(), [...EXPECTED_PUBLIC].sort());
    });

    await t.step("every registered route is in the document (or a known non-API route)", () => {
      const documented = new Set(
        ops.map((op) => `${op.method} ${op.path.replace(/\{([^}]+)\}/g, ":$1")}`),
      );
      const hidden = gateway.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path}`)
        .filter((key) => !documented.has(key))
        .filter((key) => !OUTSIDE_DOCUMENT.some((re) => re.test(key.split(" ")[1])));
      assert.deepEqual([...new Set(hidden)], [], "routes that bypass the OpenAPI document");
    });

    const tokenOf = async (username: string, password: string) => {
      const res = await request("/api/v1/auth/login", json("POST", { username, password }));
      assert.equal(res.status, 200, `login ${username}`);
      return (await res.json()) as { token: string; user_id: string };
    };
    const admin = (await tokenOf("admin", "route-table-admin")).token;
    const setProbeRule = async (rule: string) => {
      const res = await request(
        "/api/v1/admin/roles/rt-probe",
        json("PUT", { rules: [rule] }, admin),
      );
      assert.equal(res.status, 200, `PUT role rt-probe ${rule}`);
    };
    await setProbeRule("kv:read:unused");
    for (const username of ["rt-nobody", "rt-holder"]) {
      const res = await request(
        "/api/v1/auth/register",
        json("POST", { username, password: "rt-password-1" }),
      );
      assert.equal(res.status, 201);
      const { user_id } = await res.json();
      await request(`/api/v1/admin/users/${user_id}/roles/user`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${admin}` },
      });
      if (username === "rt-holder") {
        const assigned = await request(
          `/api/v1/admin/users/${user_id}/roles`,
          json("POST", { role: "rt-probe" }, admin),
        );
        assert.equal(assigned.status, 200);
      }
    }
    const nobody = (await tokenOf("rt-nobody", "rt-password-1")).token;
    let holder = (await tokenOf("rt-holder", "rt-password-1")).token;

    for (const op of ops.filter((o) => o.permission !== "public")) {
      await t.step(`${op.method} ${op.path} [${op.permission}]`, async () => {
        const url = concrete(op.path);
        const init = (token?: string): RequestInit => {
          const headers: Record<string, string> = {};
          if (token) headers.authorization = `Bearer ${token}`;
          if (op.hasBody) headers["content-type"] = "application/json";
          return { method: op.method, headers, ...(op.hasBody ? { body: "{}" } : {}) };
        };
        const anonymous = await request(url, init());
        assert.equal(anonymous.status, 401, "without a token");
        assert.equal(anonymous.headers.get("content-type"), "application/problem+json");
        await anonymous.body?.cancel();
        const forged = await request(url, init("eyJhbGciOiJub25lIn0.e30."));
        assert.equal(forged.status, 401, "with a forged token");
        await forged.body?.cancel();
        const denied = await request(url, init(nobody));
        assert.equal(denied.status, 403, "without the permission");
        assert.equal((await denied.json()).code, "permission_denied");

        const permission = fillPermission(op.permission!, paramsOf(op.path));
        await setProbeRule(permission);
        const allowed = await request(url, init(holder));
        // Logout and password routes may end the session: log in again after them.
        if (permission.startsWith("account:session")) {
          holder = (await tokenOf("rt-holder", "rt-password-1")).token;
        }
        const text = await allowed.text();
        assert.ok(
          ![401, 403, 500].includes(allowed.status),
          `with exactly ${permission}: got ${allowed.status} ${text}`,
        );
      });
    }
  } finally {
    await gateway.close();
  }
});
