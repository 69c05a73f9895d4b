/**
 * Refresh rotation under concurrency: parallel refreshes within the grace window get the same
 * pair (also across two gateways sharing one ATLAS); a reuse after it revokes the family;
 * logout and password change end sessions.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../src/lib/clock.ts";
import {
  type AuthTestGateway,
  bearer,
  jsonInit,
  startAuthGateway,
} from "../src/auth/testing/harness.ts";

interface Pair {
  token: string;
  refresh_token: string;
  user_id: string;
}

async function account(
  gw: AuthTestGateway,
  username: string,
  password = "password-123",
): Promise<Pair> {
  await gw.request("/api/v1/auth/register", jsonInit("POST", { username, password }));
  return await login(gw, username, password);
}

async function login(gw: AuthTestGateway, username: string, password: string): Promise<Pair> {
  const res = await gw.request("/api/v1/auth/login", jsonInit("POST", { username, password }));
  assert.equal(res.status, 200);
  return await res.json();
}

const refresh = (gw: AuthTestGateway, refreshToken: string) =>
  gw.request("/api/v1/auth/refresh", jsonInit("POST", { refresh_token: refreshToken }));
const meStatus = async (gw: AuthTestGateway, token: string) =>
  (await gw.request("/api/v1/auth/me", bearer(token))).status;

Deno.test("parallel refreshes inside the grace window all get the same new pair", async () => {
  const clock = new ManualClock(Date.now());
  const gw = await startAuthGateway({ clock });
  const other = await startAuthGateway({ clock, atlas: gw.atlas }); // a second gateway node
  try {
    const first = await account(gw, "alice");
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => refresh(i % 2 ? other : gw, first.refresh_token)),
    );
    const pairs: Pair[] = [];
    for (const res of responses) {
      assert.equal(res.status, 200);
      pairs.push(await res.json());
    }
    assert.equal(new Set(pairs.map((p) => p.refresh_token)).size, 1);
    assert.equal(new Set(pairs.map((p) => p.token)).size, 1);
    assert.notEqual(pairs[0].refresh_token, first.refresh_token);
    // Still within the grace window, a late duplicate gets the same pair too.
    clock.advance(5_000);
    assert.equal(
      (await (await refresh(gw, first.refresh_token)).json()).refresh_token,
      pairs[0].refresh_token,
    );
    // The new refresh token rotates on as usual.
    const second = await refresh(other, pairs[0].refresh_token);
    assert.equal(second.status, 200);
    const next: Pair = await second.json();
    assert.equal(await meStatus(gw, next.token), 200);

    // After the grace window, the first (rotated) token is a reuse: the family is revoked.
    clock.advance(10_000);
    const reuse = await refresh(gw, first.refresh_token);
    assert.equal(reuse.status, 401);
    assert.equal((await reuse.json()).code, "refresh_token_reused");
    assert.match(await gw.metrics.text(), /auth_refresh_reuse_detected_total 1/);
    assert.equal((await refresh(gw, next.refresh_token)).status, 401);
    assert.equal(await meStatus(gw, next.token), 401);
    // The other node sees the revocation once its cache refreshes (auth_cache_refresh = 1s).
    clock.advance(1_001);
    assert.equal(await meStatus(other, next.token), 401);
  } finally {
    gw.close();
    other.close();
  }
});

Deno.test("a guessed secret for a real session is invalid, not a reuse", async () => {
  const gw = await startAuthGateway();
  try {
    const pair = await account(gw, "bob");
    const sid = pair.refresh_token.split(".")[0];
    const guess = await refresh(gw, `${sid}.${"A".repeat(43)}`);
    assert.equal(guess.status, 401);
    assert.equal((await guess.json()).code, "invalid_refresh_token");
    assert.equal((await refresh(gw, pair.refresh_token)).status, 200);
  } finally {
    gw.close();
  }
});

Deno.test("logout ends this session; ?scope=global ends all", async () => {
  const gw = await startAuthGateway();
  try {
    const a = await account(gw, "carol");
    const b = await login(gw, "carol", "password-123");
    const c = await login(gw, "carol", "password-123");
    assert.equal((await gw.request("/api/v1/auth/logout", bearer(a.token, "POST"))).status, 204);
    assert.equal(await meStatus(gw, a.token), 401);
    assert.equal((await refresh(gw, a.refresh_token)).status, 401);
    assert.equal(await meStatus(gw, b.token), 200);
    const global = await gw.request("/api/v1/auth/logout?scope=global", bearer(b.token, "POST"));
    assert.equal(global.status, 204);
    for (const pair of [b, c]) {
      assert.equal(await meStatus(gw, pair.token), 401);
      assert.equal((await refresh(gw, pair.refresh_token)).status, 401);
    }
  } finally {
    gw.close();
  }
});

Deno.test("password change ends the other sessions and keeps this one", async () => {
  const gw = await startAuthGateway();
  try {
    const here = await account(gw, "dave", "old-password-1");
    const there = await login(gw, "dave", "old-password-1");
    const wrong = await gw.request(
      "/api/v1/auth/password",
      jsonInit(
        "PUT",
        { current_password: "nope-nope-1", new_password: "new-password-1" },
        here.token,
      ),
    );
    assert.equal(wrong.status, 401);
    const changed = await gw.request(
      "/api/v1/auth/password",
      jsonInit(
        "PUT",
        { current_password: "old-password-1", new_password: "new-password-1" },
        here.token,
      ),
    );
    assert.equal(changed.status, 204);
    assert.equal(await meStatus(gw, here.token), 200);
    assert.equal(await meStatus(gw, there.token), 401);
    assert.equal((await refresh(gw, there.refresh_token)).status, 401);
    assert.equal((await refresh(gw, here.refresh_token)).status, 200);
    const old = await gw.request(
      "/api/v1/auth/login",
      jsonInit("POST", { username: "dave", password: "old-password-1" }),
    );
    assert.equal(old.status, 401);
    await login(gw, "dave", "new-password-1");
  } finally {
    gw.close();
  }
});

Deno.test("sessions per user are bounded: past the cap the oldest session ends", async () => {
  const gw = await startAuthGateway();
  try {
    const { SESSIONS_PER_USER_MAX } = await import("../src/auth/sessions.ts");
    const user = await gw.auth.addUser("erin", "password-123", ["user"]);
    const sessions = gw.auth.parts.sessions;
    const first = await sessions.open(user.id);
    for (let i = 0; i < SESSIONS_PER_USER_MAX; i++) await sessions.open(user.id);
    assert.equal((await sessions.listOf(user.id)).length, SESSIONS_PER_USER_MAX);
    assert.equal(await sessions.get(first.sessionId), null);
  } finally {
    gw.close();
  }
});
