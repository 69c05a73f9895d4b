/** Live auth and admin responses conform to the OpenAPI document (status and body schema). */
import assert from "node:assert/strict";
import { conforms } from "./gateway_support.ts";
import { ensureFirstAdmin } from "../src/auth/mod.ts";
import { bearer, jsonInit, startAuthGateway } from "../src/auth/testing/harness.ts";

Deno.test("auth and admin responses match the OpenAPI document", async () => {
  const gw = await startAuthGateway();
  try {
    const spec = await (await gw.request("/openapi.json")).json();
    const check = async (method: string, template: string, res: Response) =>
      await conforms(spec, method, template, res) as Record<string, unknown>;
    await ensureFirstAdmin(gw.auth, new Map([["HELIOS_ADMIN_PASSWORD", "spec-admin-pass"]]));
    const cred = { username: "alice", password: "secret123" };
    const user = await check(
      "POST",
      "/api/v1/auth/register",
      await gw.request("/api/v1/auth/register", jsonInit("POST", cred)),
    );
    await check(
      "POST",
      "/api/v1/auth/register",
      await gw.request("/api/v1/auth/register", jsonInit("POST", cred)),
    );
    await check(
      "POST",
      "/api/v1/auth/register",
      await gw.request("/api/v1/auth/register", jsonInit("POST", { username: "x" })),
    );
    const pair = await check(
      "POST",
      "/api/v1/auth/login",
      await gw.request("/api/v1/auth/login", jsonInit("POST", cred)),
    );
    await check(
      "POST",
      "/api/v1/auth/login",
      await gw.request("/api/v1/auth/login", jsonInit("POST", { ...cred, password: "wrong-one" })),
    );
    const token = String(pair.token);
    const next = await check(
      "POST",
      "/api/v1/auth/refresh",
      await gw.request(
        "/api/v1/auth/refresh",
        jsonInit("POST", { refresh_token: pair.refresh_token }),
      ),
    );
    await check(
      "POST",
      "/api/v1/auth/refresh",
      await gw.request("/api/v1/auth/refresh", jsonInit("POST", { refresh_token: "nope.nope" })),
    );
    await check(
      "GET",
      "/api/v1/auth/me",
      await gw.request("/api/v1/auth/me", bearer(String(next.token))),
    );
    await check("GET", "/api/v1/auth/me", await gw.request("/api/v1/auth/me", bearer("bad")));
    await check(
      "GET",
      "/api/v1/auth/me/permissions",
      await gw.request("/api/v1/auth/me/permissions", bearer(token)),
    );
    const created = await check(
      "POST",
      "/api/v1/auth/tokens",
      await gw.request("/api/v1/auth/tokens", jsonInit("POST", { name: "ci" }, token)),
    );
    await check(
      "GET",
      "/api/v1/auth/tokens",
      await gw.request("/api/v1/auth/tokens", bearer(token)),
    );
    await check(
      "DELETE",
      "/api/v1/auth/tokens/{id}",
      await gw.request(`/api/v1/auth/tokens/${created.id}`, bearer(token, "DELETE")),
    );
    await check(
      "DELETE",
      "/api/v1/auth/tokens/{id}",
      await gw.request(`/api/v1/auth/tokens/${created.id}`, bearer(token, "DELETE")),
    );
    await check("GET", "/.well-known/jwks.json", await gw.request("/.well-known/jwks.json"));
    await check(
      "GET",
      "/api/v1/admin/users",
      await gw.request("/api/v1/admin/users", bearer(token)),
    );

    const admin = await check(
      "POST",
      "/api/v1/auth/login",
      await gw.request(
        "/api/v1/auth/login",
        jsonInit("POST", { username: "admin", password: "spec-admin-pass" }),
      ),
    );
    const at = String(admin.token);
    await check(
      "GET",
      "/api/v1/admin/users",
      await gw.request("/api/v1/admin/users?limit=10", bearer(at)),
    );
    await check(
      "GET",
      "/api/v1/admin/users/{id}",
      await gw.request(`/api/v1/admin/users/${user.user_id}`, bearer(at)),
    );
    await check(
      "GET",
      "/api/v1/admin/users/{id}",
      await gw.request("/api/v1/admin/users/u_missing", bearer(at)),
    );
    await check(
      "PUT",
      "/api/v1/admin/roles/{name}",
      await gw.request("/api/v1/admin/roles/ops", jsonInit("PUT", { rules: ["kv:read"] }, at)),
    );
    await check(
      "PUT",
      "/api/v1/admin/roles/{name}",
      await gw.request("/api/v1/admin/roles/admin", jsonInit("PUT", { rules: [] }, at)),
    );
    await check("GET", "/api/v1/admin/roles", await gw.request("/api/v1/admin/roles", bearer(at)));
    await check(
      "GET",
      "/api/v1/admin/roles/{name}",
      await gw.request("/api/v1/admin/roles/ops", bearer(at)),
    );
    await check(
      "POST",
      "/api/v1/admin/users/{id}/roles",
      await gw.request(
        `/api/v1/admin/users/${user.user_id}/roles`,
        jsonInit("POST", { role: "ops" }, at),
      ),
    );
    await check(
      "DELETE",
      "/api/v1/admin/users/{id}/roles/{role}",
      await gw.request(`/api/v1/admin/users/${user.user_id}/roles/ops`, bearer(at, "DELETE")),
    );
    await check(
      "DELETE",
      "/api/v1/admin/roles/{name}",
      await gw.request("/api/v1/admin/roles/ops", bearer(at, "DELETE")),
    );
    await check(
      "POST",
      "/api/v1/authz/check",
      await gw.request(
        "/api/v1/authz/check",
        jsonInit("POST", { subject: "alice", action: "read", resource: "kv:x" }, at),
      ),
    );
    await check(
      "POST",
      "/api/v1/admin/keys/rotate",
      await gw.request("/api/v1/admin/keys/rotate", bearer(at, "POST")),
    );
    await check(
      "PATCH",
      "/api/v1/admin/users/{id}",
      await gw.request(
        `/api/v1/admin/users/${user.user_id}`,
        jsonInit("PATCH", { disabled: true }, at),
      ),
    );
    await check(
      "DELETE",
      "/api/v1/admin/users/{id}",
      await gw.request(`/api/v1/admin/users/${user.user_id}`, bearer(at, "DELETE")),
    );
    await check(
      "PUT",
      "/api/v1/auth/password",
      await gw.request(
        "/api/v1/auth/password",
        jsonInit(
          "PUT",
          { current_password: "spec-admin-pass", new_password: "spec-admin-pass-2" },
          at,
        ),
      ),
    );
    await check(
      "POST",
      "/api/v1/auth/logout",
      await gw.request("/api/v1/auth/logout?scope=global", bearer(at, "POST")),
    );
    assert.equal((await gw.request("/api/v1/auth/me", bearer(at))).status, 401);
  } finally {
    gw.close();
  }
});
