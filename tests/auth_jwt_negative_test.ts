/**
 * The negative JWT suite (RFC 8725): every forged, stale or revoked token gets 401 problem+json
 * from a real secure route of the full gateway.
 */
import assert from "node:assert/strict";
import { generateKeyPair, SignJWT } from "jose";
import {
  type AuthTestGateway,
  bearer,
  jsonInit,
  startAuthGateway,
} from "../src/auth/testing/harness.ts";

const b64url = (text: string) =>
  btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function loginAs(gw: AuthTestGateway, username: string) {
  await gw.request(
    "/api/v1/auth/register",
    jsonInit("POST", { username, password: "password-123" }),
  );
  const res = await gw.request(
    "/api/v1/auth/login",
    jsonInit("POST", { username, password: "password-123" }),
  );
  assert.equal(res.status, 200);
  return await res.json() as { token: string; user_id: string; refresh_token: string };
}

async function expect401(gw: AuthTestGateway, token: string, label: string) {
  const res = await gw.request("/api/v1/auth/me", bearer(token));
  assert.equal(res.status, 401, `${label}: expected 401, got ${res.status}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json", label);
  assert.equal(res.headers.get("www-authenticate"), "Bearer", label);
  const problem = await res.json();
  assert.equal(problem.status, 401, label);
  assert.match(problem.type, /^urn:helios:problem:/, label);
}

function claimsFor(gw: AuthTestGateway, userId: string, sid: string) {
  const nowS = Math.floor(Date.now() / 1000);
  return {
    iss: gw.config.gateway.jwt_issuer,
    aud: gw.config.gateway.jwt_audience,
    sub: userId,
    sid,
    jti: crypto.randomUUID(),
    iat: nowS,
    nbf: nowS,
    exp: nowS + 600,
  };
}

async function sign(
  gw: AuthTestGateway,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const { kid, key, alg } = gw.auth.keyRing.signing();
  return await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "JWT", ...header }).sign(
    key,
  );
}

function sidOf(token: string): string {
  return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sid;
}

Deno.test("negative JWT suite: forged, stale and revoked tokens are 401 problem+json", async (t) => {
  const gw = await startAuthGateway();
  try {
    const alice = await loginAs(gw, "alice");
    const sid = sidOf(alice.token);
    const base = claimsFor(gw, alice.user_id, sid);
    const skewS = 30;
    const nowS = base.iat;

    await t.step("control: a well-formed token of our own signing is accepted", async () => {
      assert.equal((await gw.request("/api/v1/auth/me", bearer(await sign(gw, base)))).status, 200);
      const lateButInSkew = { ...base, exp: nowS - 10 };
      assert.equal(
        (await gw.request("/api/v1/auth/me", bearer(await sign(gw, lateButInSkew)))).status,
        200,
      );
    });
    await t.step("alg none", async () => {
      const header = b64url(
        JSON.stringify({ alg: "none", typ: "JWT", kid: gw.auth.keyRing.signing().kid }),
      );
      await expect401(gw, `${header}.${b64url(JSON.stringify(base))}.`, "alg none");
    });
    await t.step("HS256 signed with the public key (algorithm confusion)", async () => {
      const publicJwk = gw.auth.keyRing.jwks().keys[0];
      const kid = gw.auth.keyRing.signing().kid;
      for (const secret of [JSON.stringify(publicJwk), String(publicJwk.x)]) {
        const forged = await new SignJWT(base).setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
          .sign(new TextEncoder().encode(secret));
        await expect401(gw, forged, "HS/asymmetric confusion");
      }
    });
    await t.step("unknown kid, and a stranger's key under our kid", async () => {
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const unknown = await new SignJWT(base).setProtectedHeader({
        alg: "EdDSA",
        kid: "ed-unknown",
      }).sign(privateKey);
      await expect401(gw, unknown, "unknown kid");
      const kid = gw.auth.keyRing.signing().kid;
      const stranger = await new SignJWT(base).setProtectedHeader({ alg: "EdDSA", kid }).sign(
        privateKey,
      );
      await expect401(gw, stranger, "foreign key");
      const withoutKid = await new SignJWT(base).setProtectedHeader({ alg: "EdDSA" })
        .sign(gw.auth.keyRing.signing().key);
      await expect401(gw, withoutKid, "no kid");
    });
    await t.step("expired beyond the skew; not yet valid beyond the skew", async () => {
      await expect401(gw, await sign(gw, { ...base, exp: nowS - skewS - 5 }), "expired");
      await expect401(gw, await sign(gw, { ...base, nbf: nowS + skewS + 60 }), "nbf");
      await expect401(gw, await sign(gw, { ...base, iat: nowS + skewS + 60 }), "iat in future");
    });
    await t.step("wrong issuer or audience; missing claims", async () => {
      await expect401(gw, await sign(gw, { ...base, iss: "evil" }), "iss");
      await expect401(gw, await sign(gw, { ...base, aud: "other-api" }), "aud");
      for (const claim of ["sid", "jti", "nbf", "exp", "sub"]) {
        const claims: Record<string, unknown> = { ...base };
        delete claims[claim];
        await expect401(gw, await sign(gw, claims), `missing ${claim}`);
      }
    });
    await t.step("tampered payload or signature", async () => {
      const [h, p, s] = alice.token.split(".");
      const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
      const elevated = b64url(JSON.stringify({ ...payload, sub: "u_admin" }));
      await expect401(gw, `${h}.${elevated}.${s}`, "tampered payload");
      const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
      await expect401(gw, `${h}.${p}.${flipped}`, "tampered signature");
      await expect401(gw, `${h}.${p}`, "no signature");
      await expect401(gw, "not-a-jwt", "garbage");
    });
    await t.step("token of a disabled user, and of a deleted user", async () => {
      const bob = await loginAs(gw, "bob-user");
      assert.equal((await gw.request("/api/v1/auth/me", bearer(bob.token))).status, 200);
      await gw.auth.parts.users.update(bob.user_id, { disabled: true });
      gw.auth.parts.cache.forgetUser(bob.user_id);
      await expect401(gw, bob.token, "disabled user");
      const carol = await loginAs(gw, "carol");
      const { UserAdmin } = await import("../src/auth/mod.ts");
      await new UserAdmin(gw.auth).delete(carol.user_id);
      await expect401(gw, carol.token, "deleted user");
    });
    await t.step("token after logout", async () => {
      assert.equal(
        (await gw.request("/api/v1/auth/logout", bearer(alice.token, "POST"))).status,
        204,
      );
      await expect401(gw, alice.token, "after logout");
      await expect401(
        gw,
        await sign(gw, claimsFor(gw, alice.user_id, sid)),
        "fresh token of ended session",
      );
    });
  } finally {
    gw.close();
  }
});

Deno.test("HS256 mode: jwt_secret tokens verify; EdDSA or other-secret tokens do not", async () => {
  const gw = await startAuthGateway({
    gateway: { jwt_secret: "a-long-test-secret-of-32-bytes!!" },
  });
  try {
    const alice = await loginAs(gw, "alice");
    const header = JSON.parse(
      atob(alice.token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")),
    );
    assert.equal(header.alg, "HS256");
    assert.equal((await gw.request("/api/v1/auth/me", bearer(alice.token))).status, 200);
    assert.deepEqual(await (await gw.request("/.well-known/jwks.json")).json(), { keys: [] });
    const base = claimsFor(gw, alice.user_id, sidOf(alice.token));
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const kid = gw.auth.keyRing.signing().kid;
    await expect401(
      gw,
      await new SignJWT(base).setProtectedHeader({ alg: "EdDSA", kid }).sign(privateKey),
      "EdDSA in HS mode",
    );
    const other = await new SignJWT(base).setProtectedHeader({ alg: "HS256", kid })
      .sign(new TextEncoder().encode("another-secret-of-32-bytes-long!"));
    await expect401(gw, other, "other secret");
    const hs384 = await new SignJWT(base).setProtectedHeader({ alg: "HS384", kid })
      .sign(new TextEncoder().encode("a-long-test-secret-of-32-bytes!!a-long-test-secret!"));
    await expect401(gw, hs384, "HS384 not pinned");
  } finally {
    gw.close();
  }
});

Deno.test("a jwt_secret shorter than 32 bytes is refused at startup", async () => {
  await assert.rejects(
    () => startAuthGateway({ gateway: { jwt_secret: "too-short" } }),
    /at least 32 bytes/,
  );
});
