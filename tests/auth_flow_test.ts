/** End-to-end auth flows through the full gateway (in-process app.request). */
import assert from "node:assert/strict";
import { bearer, jsonInit, startAuthGateway } from "../src/auth/testing/harness.ts";
import { ensureFirstAdmin } from "../src/auth/mod.ts";

Deno.test("register, login, me, permissions, API tokens, logout", async () => {
  const gw = await startAuthGateway();
  try {
    const reg = await gw.request(
      "/api/v1/auth/register",
      jsonInit("POST", { username: "alice", password: "secret123" }),
    );
    assert.equal(reg.status, 201);
    const user = await reg.json();
    assert.deepEqual(user.roles, ["user"]);
    const dup = await gw.request(
      "/api/v1/auth/register",
      jsonInit("POST", { username: "Alice", password: "secret123" }),
    );
    assert.equal(dup.status, 409);
    const short = await gw.request(
      "/api/v1/auth/register",
      jsonInit("POST", { username: "bob", password: "short" }),
    );
    assert.equal(short.status, 400);

    const login = await gw.request(
      "/api/v1/auth/login",
      jsonInit("POST", { username: "alice", password: "secret123" }),
    );
    assert.equal(login.status, 200);
    const pair = await login.json();
    assert.deepEqual(Object.keys(pair).sort(), [
      "expires_in",
      "refresh_token",
      "token",
      "token_type",
      "user_id",
    ]);
    assert.equal(pair.token_type, "Bearer");
    assert.equal(pair.user_id, user.user_id);
    assert.equal(pair.expires_in, 900);

    const me = await (await gw.request("/api/v1/auth/me", bearer(pair.token))).json();
    assert.equal(me.username, "alice");
    assert.equal(me.kind, "user");
    const perms = await (await gw.request("/api/v1/auth/me/permissions", bearer(pair.token)))
      .json();
    assert.deepEqual(perms.roles.sort(), ["readonly", "user"]);
    assert.ok(perms.rules.includes("kv:*"));

    const created = await gw.request(
      "/api/v1/auth/tokens",
      jsonInit("POST", { name: "ci", roles: ["readonly"] }, pair.token),
    );
    assert.equal(created.status, 201);
    const apiToken = await created.json();
    assert.match(apiToken.token, /^hlt_/);
    const escalate = await gw.request(
      "/api/v1/auth/tokens",
      jsonInit("POST", { name: "x", roles: ["admin"] }, pair.token),
    );
    assert.equal(escalate.status, 403);
    const viaToken = await (await gw.request("/api/v1/auth/me", bearer(apiToken.token))).json();
    assert.equal(viaToken.kind, "api_token");
    assert.deepEqual(viaToken.roles, ["readonly"]);
    // The token's id with another secret is refused, also once the real token is cached.
    const last = apiToken.token.at(-1) === "A" ? "B" : "A";
    const forged = apiToken.token.slice(0, -1) + last;
    assert.equal((await gw.request("/api/v1/auth/me", bearer(forged))).status, 401);
    const listed = await (await gw.request("/api/v1/auth/tokens", bearer(pair.token))).json();
    assert.equal(listed.tokens.length, 1);
    assert.equal("token" in listed.tokens[0], false);
    // readonly API token lacks account:tokens.
    assert.equal((await gw.request("/api/v1/auth/tokens", bearer(apiToken.token))).status, 403);
    const revoked = await gw.request(
      `/api/v1/auth/tokens/${apiToken.id}`,
      bearer(pair.token, "DELETE"),
    );
    assert.equal(revoked.status, 204);
    assert.equal((await gw.request("/api/v1/auth/me", bearer(apiToken.token))).status, 401);

    const jwks = await (await gw.request("/.well-known/jwks.json")).json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].crv, "Ed25519");
    assert.equal("d" in jwks.keys[0], false);

    assert.equal((await gw.request("/api/v1/auth/logout", bearer(pair.token, "POST"))).status, 204);
    assert.equal((await gw.request("/api/v1/auth/me", bearer(pair.token))).status, 401);
    const refreshAfter = await gw.request(
      "/api/v1/auth/refresh",
      jsonInit("POST", { refresh_token: pair.refresh_token }),
    );
    assert.equal(refreshAfter.status, 401);
  } finally {
    gw.close();
  }
});

Deno.test("first admin from HELIOS_ADMIN_PASSWORD; admin API manages users and roles", async () => {
  const gw = await startAuthGateway();
  try {
    const env = new Map([["HELIOS_ADMIN_PASSWORD", "admin-password-1"]]);
    assert.equal(await ensureFirstAdmin(gw.auth, env), true);
    assert.equal(await ensureFirstAdmin(gw.auth, env), false);
    const admin = await (await gw.request(
      "/api/v1/auth/login",
      jsonInit("POST", { username: "admin", password: "admin-password-1" }),
    )).json();
    await gw.request(
      "/api/v1/auth/register",
      jsonInit("POST", { username: "carol", password: "carol-pass-1" }),
    );
    const carol = await (await gw.request(
      "/api/v1/auth/login",
      jsonInit("POST", { username: "carol", password: "carol-pass-1" }),
    )).json();

    const put = await gw.request(
      "/api/v1/admin/roles/auditor",
      jsonInit("PUT", { rules: ["admin:read:users"], inherits: ["readonly"] }, admin.token),
    );
    assert.equal(put.status, 200);
    const cycle = await gw.request(
      "/api/v1/admin/roles/readonly",
      jsonInit("PUT", { rules: [], inherits: ["auditor"] }, admin.token),
    );
    assert.equal(cycle.status, 409); // built-in roles cannot change
    await gw.request(
      "/api/v1/admin/roles/a1",
      jsonInit("PUT", { rules: ["kv:read"] }, admin.token),
    );
    await gw.request(
      "/api/v1/admin/roles/a2",
      jsonInit("PUT", { rules: [], inherits: ["a1"] }, admin.token),
    );
    const loop = await gw.request(
      "/api/v1/admin/roles/a1",
      jsonInit("PUT", { rules: [], inherits: ["a2"] }, admin.token),
    );
    assert.equal(loop.status, 400);

    assert.equal((await gw.request("/api/v1/admin/users", bearer(carol.token))).status, 403);
    const assign = await gw.request(
      `/api/v1/admin/users/${carol.user_id}/roles`,
      jsonInit("POST", { role: "auditor" }, admin.token),
    );
    assert.equal(assign.status, 200);
    const list = await gw.request("/api/v1/admin/users", bearer(carol.token));
    assert.equal(list.status, 200);
    assert.equal((await list.json()).total, 2);

    // No escalation: a user manager cannot hand out roles it does not hold.
    await gw.request(
      "/api/v1/admin/roles/user-manager",
      jsonInit("PUT", { rules: ["admin:write:users"] }, admin.token),
    );
    await gw.request(
      `/api/v1/admin/users/${carol.user_id}/roles`,
      jsonInit("POST", { role: "user-manager" }, admin.token),
    );
    const escalate = await gw.request(
      `/api/v1/admin/users/${carol.user_id}/roles`,
      jsonInit("POST", { role: "admin" }, carol.token),
    );
    assert.equal(escalate.status, 403);
    assert.equal((await escalate.json()).code, "role_escalation");
    const lateral = await gw.request(
      `/api/v1/admin/users/${carol.user_id}/roles`,
      jsonInit("POST", { role: "readonly" }, carol.token),
    );
    assert.equal(lateral.status, 200);
    // Nor can it widen a role it holds.
    const widen = await gw.request(
      "/api/v1/admin/roles/user-manager",
      jsonInit("PUT", { rules: ["*"] }, carol.token),
    );
    assert.equal(widen.status, 403); // carol lacks admin:write:roles anyway
    await gw.request(
      "/api/v1/admin/roles/user-manager",
      jsonInit("PUT", { rules: ["admin:write:users", "admin:write:roles"] }, admin.token),
    );
    const widenAgain = await gw.request(
      "/api/v1/admin/roles/user-manager",
      jsonInit("PUT", { rules: ["*"] }, carol.token),
    );
    assert.equal(widenAgain.status, 403);
    assert.equal((await widenAgain.json()).code, "role_escalation");

    const check = await gw.request(
      "/api/v1/authz/check",
      jsonInit("POST", { subject: "carol", action: "read", resource: "admin:users" }, admin.token),
    );
    assert.deepEqual(await check.json(), { allowed: true, matched_rule: "admin:read:users" });

    const disable = await gw.request(
      `/api/v1/admin/users/${carol.user_id}`,
      jsonInit("PATCH", { disabled: true }, admin.token),
    );
    assert.equal(disable.status, 200);
    assert.equal((await gw.request("/api/v1/auth/me", bearer(carol.token))).status, 401);
    const relogin = await gw.request(
      "/api/v1/auth/login",
      jsonInit("POST", { username: "carol", password: "carol-pass-1" }),
    );
    assert.equal(relogin.status, 401);

    const rotated =
      await (await gw.request("/api/v1/admin/keys/rotate", bearer(admin.token, "POST"))).json();
    assert.match(rotated.kid, /^ed-/);
    // The old key still verifies the admin's token; the JWKS shows both keys.
    assert.equal((await gw.request("/api/v1/auth/me", bearer(admin.token))).status, 200);
    assert.equal((await (await gw.request("/.well-known/jwks.json")).json()).keys.length, 2);
  } finally {
    gw.close();
  }
});
