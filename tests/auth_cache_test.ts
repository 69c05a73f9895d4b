/**
 * The per-request path reads no store (cached revocations, users, roles), signing keys retire
 * after rotation, API tokens expire, and a login upgrades a hash made with another cost.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { ManualClock } from "../src/lib/clock.ts";
import type { AtlasClient, Value } from "../src/storage/atlas_client.ts";
import { authAtlas, bearer, jsonInit, startAuthGateway } from "../src/auth/testing/harness.ts";

class CountingAtlas implements AtlasClient {
  calls = 0;
  constructor(private readonly inner: AtlasClient) {}
  call(command: string, ...args: (string | number)[]): Promise<Value> {
    this.calls++;
    return this.inner.call(command, ...args);
  }
  transaction(commands: (string | number)[][]): Promise<Value[]> {
    this.calls++;
    return this.inner.transaction(commands);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const credentials = { username: "alice", password: "password-123" };

Deno.test("authenticated requests cost no store read; the version is polled at most once per refresh", async () => {
  const clock = new ManualClock(Date.now());
  const atlas = new CountingAtlas(await authAtlas(clock));
  const gw = await startAuthGateway({ clock, atlas });
  try {
    await gw.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const { token } = await (await gw.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    assert.equal((await gw.request("/api/v1/auth/me", bearer(token))).status, 200); // warms the cache
    const before = atlas.calls;
    for (let i = 0; i < 100; i++) {
      const res = await gw.request("/api/v1/auth/me/permissions", bearer(token));
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.equal(atlas.calls - before, 0);
    clock.advance(1_000);
    for (let i = 0; i < 100; i++) {
      await (await gw.request("/api/v1/auth/me/permissions", bearer(token))).body?.cancel();
    }
    assert.equal(atlas.calls - before, 1); // one GET of the version counter
  } finally {
    gw.close();
  }
});

Deno.test("after a rotation the previous key verifies until it retires", async () => {
  const clock = new ManualClock(Date.now());
  const gw = await startAuthGateway({ clock });
  try {
    await gw.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const old = await (await gw.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    const oldKey = gw.auth.keyRing.signing();
    const kid = await gw.auth.keyRing.rotate();
    const fresh = await (await gw.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    const kidOf = (t: string) => JSON.parse(atob(t.split(".")[0])).kid;
    assert.equal(kidOf(fresh.token), kid);
    assert.notEqual(kidOf(old.token), kid);
    assert.equal((await gw.request("/api/v1/auth/me", bearer(old.token))).status, 200);
    // jwt_expiry 15m + skew 30s later the old key is gone (and its tokens long expired anyway).
    clock.advance(15 * 60_000 + 30_000);
    assert.equal(gw.auth.keyRing.jwks().keys.length, 1);
    const payload = JSON.parse(atob(old.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const nowS = Math.floor(clock.nowMs() / 1000);
    const retiredSigned = await new SignJWT({ ...payload, iat: nowS, nbf: nowS, exp: nowS + 600 })
      .setProtectedHeader({ alg: "EdDSA", kid: oldKey.kid })
      .sign(oldKey.key);
    assert.equal((await gw.request("/api/v1/auth/me", bearer(retiredSigned))).status, 401);
    const refreshed = await (await gw.request(
      "/api/v1/auth/refresh",
      jsonInit("POST", { refresh_token: fresh.refresh_token }),
    )).json();
    assert.equal((await gw.request("/api/v1/auth/me", bearer(refreshed.token))).status, 200);
  } finally {
    gw.close();
  }
});

Deno.test("API tokens stop working at their expiry", async () => {
  const clock = new ManualClock(Date.now());
  const gw = await startAuthGateway({ clock });
  try {
    await gw.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const { token } = await (await gw.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    const created = await (await gw.request(
      "/api/v1/auth/tokens",
      jsonInit("POST", { name: "short", expires_in: 60 }, token),
    )).json();
    assert.equal((await gw.request("/api/v1/auth/me", bearer(created.token))).status, 200);
    clock.advance(61_000);
    const expired = await gw.request("/api/v1/auth/me", bearer(created.token));
    assert.equal(expired.status, 401);
  } finally {
    gw.close();
  }
});

Deno.test("login rehashes a password stored with another bcrypt cost", async () => {
  const first = await startAuthGateway();
  try {
    await first.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const second = await startAuthGateway({ atlas: first.atlas, gateway: { bcrypt_cost: 11 } });
    try {
      const before = await second.auth.parts.users.byUsername("alice");
      assert.match(before!.passwordHash, /^\$2[ab]\$10\$/);
      assert.equal(
        (await second.request("/api/v1/auth/login", jsonInit("POST", credentials))).status,
        200,
      );
      const after = await second.auth.parts.users.byUsername("alice");
      assert.match(after!.passwordHash, /^\$2[ab]\$11\$/);
      assert.equal(
        (await second.request("/api/v1/auth/login", jsonInit("POST", credentials))).status,
        200,
      );
    } finally {
      second.close();
    }
  } finally {
    first.close();
  }
});

Deno.test("a token verified earlier still expires on time", async () => {
  const clock = new ManualClock(Date.now());
  const gw = await startAuthGateway({ clock });
  try {
    await gw.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const { token } = await (await gw.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    assert.equal((await gw.request("/api/v1/auth/me", bearer(token))).status, 200);
    clock.advance(15 * 60_000 + 29_000); // within the 30 s skew
    assert.equal((await gw.request("/api/v1/auth/me", bearer(token))).status, 200);
    clock.advance(2_000);
    const expired = await gw.request("/api/v1/auth/me", bearer(token));
    assert.equal(expired.status, 401);
    assert.equal((await expired.json()).code, "token_expired");
  } finally {
    gw.close();
  }
});

Deno.test("two gateways starting at once on one ATLAS agree on one signing key", async () => {
  const atlas = await authAtlas();
  const [a, b] = await Promise.all([
    startAuthGateway({ atlas }),
    startAuthGateway({ atlas }),
  ]);
  try {
    assert.equal(a.auth.keyRing.signing().kid, b.auth.keyRing.signing().kid);
    await a.request("/api/v1/auth/register", jsonInit("POST", credentials));
    const { token } = await (await a.request("/api/v1/auth/login", jsonInit("POST", credentials)))
      .json();
    assert.equal((await b.request("/api/v1/auth/me", bearer(token))).status, 200);
    assert.equal((await (await b.request("/.well-known/jwks.json")).json()).keys.length, 1);
  } finally {
    a.close();
    b.close();
  }
});
