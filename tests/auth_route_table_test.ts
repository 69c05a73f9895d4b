/**
 * The route table, generated from the gateway's own OpenAPI document: every non-public route
 * answers 401 without a token, 403 for a caller without its permission, and neither (nor 500)
 * for a caller holding exactly its declared permission — so a new route cannot skip the check.
 * Routes are discovered, not listed: whatever buildGateway mounts (KV, jobs, admin, ...) is
 * covered. Public routes must be marked publicRoute AND appear in EXPECTED_PUBLIC (review
 * point); routes outside the document must be in OUTSIDE_DOCUMENT.
 */
import assert from "node:assert/strict";
import { ensureFirstAdmin } from "../src/auth/mod.ts";
import { fillPermission } from "../src/rbac/mod.ts";
import { jsonInit, startAuthGateway } from "../src/auth/testing/harness.ts";

const EXPECTED_PUBLIC = new Set([
  "GET /healthz",
  "GET /readyz",
  "POST /api/v1/auth/register",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/refresh",
  "GET /.well-known/jwks.json",
]);
/** Non-API routes served outside the OpenAPI document (the document itself, its UI). */
const OUTSIDE_DOCUMENT = [/^\/openapi\.json$/, /^\/docs$/, /^\/assets\//];

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

Deno.test("every route: 401 without a token, 403 without its permission, allowed with it", async (t) => {
  const gw = await startAuthGateway({
    gateway: { rate_limit: { enabled: true, default_capacity: 1_000_000 } },
  });
  try {
    const doc = await (await gw.request("/openapi.json")).json();
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
      const hidden = gw.gateway.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path}`)
        .filter((key) => !documented.has(key))
        .filter((key) => !OUTSIDE_DOCUMENT.some((re) => re.test(key.split(" ")[1])));
      assert.deepEqual([...new Set(hidden)], [], "routes that bypass the OpenAPI document");
    });

    await ensureFirstAdmin(gw.auth, new Map([["HELIOS_ADMIN_PASSWORD", "route-table-admin"]]));
    await gw.auth.addUser("rt-nobody", "rt-password-1", []);
    await gw.auth.roles.put({
      name: "rt-probe",
      description: "",
      rules: ["kv:read:unused"],
      inherits: [],
    });
    await gw.auth.addUser("rt-holder", "rt-password-1", ["rt-probe"]);
    const tokenOf = async (username: string) => {
      const res = await gw.request(
        "/api/v1/auth/login",
        jsonInit("POST", { username, password: "rt-password-1" }),
      );
      assert.equal(res.status, 200);
      return (await res.json()).token as string;
    };
    const nobody = await tokenOf("rt-nobody");

    for (const op of ops.filter((o) => o.permission !== "public")) {
      await t.step(`${op.method} ${op.path} [${op.permission}]`, async () => {
        const url = concrete(op.path);
        const init = (token?: string): RequestInit => {
          const headers: Record<string, string> = {};
          if (token) headers.authorization = `Bearer ${token}`;
          if (op.hasBody) headers["content-type"] = "application/json";
          return { method: op.method, headers, ...(op.hasBody ? { body: "{}" } : {}) };
        };
        const anonymous = await gw.request(url, init());
        assert.equal(anonymous.status, 401, "without a token");
        assert.equal(anonymous.headers.get("content-type"), "application/problem+json");
        await anonymous.body?.cancel();
        const forged = await gw.request(url, init("eyJhbGciOiJub25lIn0.e30."));
        assert.equal(forged.status, 401, "with a forged token");
        await forged.body?.cancel();
        const denied = await gw.request(url, init(nobody));
        assert.equal(denied.status, 403, "without the permission");
        assert.equal((await denied.json()).code, "permission_denied");

        const permission = fillPermission(op.permission!, paramsOf(op.path));
        await gw.auth.roles.put({
          name: "rt-probe",
          description: "",
          rules: [permission],
          inherits: [],
        });
        const allowed = await gw.request(url, init(await tokenOf("rt-holder")));
        assert.ok(
          ![401, 403, 500].includes(allowed.status),
          `with exactly ${permission}: got ${allowed.status} ${await allowed.text()}`,
        );
        await allowed.body?.cancel().catch(() => {});
      });
    }
  } finally {
    gw.close();
  }
});
