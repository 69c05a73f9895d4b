/**
 * Rate limiting through the gateway with an injected clock: a burst of capacity+1 admits exactly
 * capacity; tokens refill at the configured rate; the draft headers and 429 + Retry-After;
 * per-route and per-role overrides; identity by user, API token and trusted-proxy client IP;
 * fail-open/closed; and two gateways sharing one ATLAS (over RESP) enforcing one limit.
 */
import assert from "node:assert/strict";
import { startAtlasServer, Store } from "../atlas/mod.ts";
import { registerGatewayCommands } from "../routes/mod.ts";
import { ManualClock } from "../src/lib/clock.ts";
import { RespAtlasClient } from "../src/storage/resp_client.ts";
import { addRoutePolicy } from "../src/ratelimit/mod.ts";
import { startGateway } from "./gateway_support.ts";

const ADMIN = { authorization: "Bearer admin-token" };

async function statuses(
  base: string,
  n: number,
  init: RequestInit = {},
  path = "/api/v1/kv?limit=1",
) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${base}${path}`, init);
    await response.body?.cancel();
    out.push(response.status);
  }
  return out;
}

Deno.test("burst of capacity+1 admits exactly capacity, then refills at the rate", async () => {
  const clock = new ManualClock(1_800_000_000_000);
  const gw = startGateway({
    clock,
    gateway: { rate_limit: { default_capacity: 5, default_rate_num: 1, default_rate_den: 2 } },
  });
  try {
    assert.deepEqual(await statuses(gw.base, 6, { headers: ADMIN }), [
      200,
      200,
      200,
      200,
      200,
      429,
    ]);
    const denied = await fetch(`${gw.base}/api/v1/kv`, { headers: ADMIN });
    assert.equal(denied.status, 429);
    assert.equal(denied.headers.get("content-type"), "application/problem+json");
    assert.equal(denied.headers.get("retry-after"), "2");
    assert.equal(denied.headers.get("ratelimit-policy"), '"default";q=5;w=10');
    assert.equal(denied.headers.get("ratelimit"), '"default";r=0;t=2');
    assert.equal((await denied.json()).code, "rate_limited");
    clock.advance(1999);
    assert.deepEqual(await statuses(gw.base, 1, { headers: ADMIN }), [429]);
    clock.advance(1);
    const refilled = await fetch(`${gw.base}/api/v1/kv`, { headers: ADMIN });
    await refilled.body?.cancel();
    assert.equal(refilled.status, 200);
    assert.equal(refilled.headers.get("ratelimit"), '"default";r=0;t=10');
    clock.advance(60_000);
    const full = await fetch(`${gw.base}/api/v1/kv`, { headers: ADMIN });
    await full.body?.cancel();
    assert.equal(full.headers.get("ratelimit"), '"default";r=4;t=2');
    assert.match(await gw.metrics.text(), /rate_limiter_denied_total\{policy="default"\} 3/);
  } finally {
    await gw.close();
  }
});

Deno.test("buckets are per caller: user, API token, and client IP behind trusted proxies", async () => {
  const clock = new ManualClock(0);
  const gw = startGateway({
    clock,
    gateway: {
      rate_limit: { default_capacity: 2, trusted_proxies: ["127.0.0.1"] },
    },
  });
  try {
    assert.deepEqual(await statuses(gw.base, 3, { headers: ADMIN }), [200, 200, 429]);
    // Same user through an API token: its own bucket.
    const token = { authorization: "Bearer hlt_api-token" };
    assert.deepEqual(await statuses(gw.base, 3, { headers: token }), [200, 200, 429]);
    // Anonymous callers are limited by client IP, read from X-Forwarded-For via a trusted peer.
    const from = (ip: string) => ({ headers: { "x-forwarded-for": `${ip}, 127.0.0.1` } });
    assert.deepEqual(await statuses(gw.base, 3, from("203.0.113.1"), "/openapi.json"), [
      200,
      200,
      429,
    ]);
    assert.deepEqual(await statuses(gw.base, 1, from("203.0.113.2"), "/openapi.json"), [200]);
    // A forged token is no identity: it shares the address's bucket (no fresh bucket per token).
    const forged = {
      headers: { authorization: "Bearer forged", "x-forwarded-for": "203.0.113.1" },
    };
    assert.deepEqual(await statuses(gw.base, 1, forged), [429]);
    // Health probes are never limited.
    assert.deepEqual(await statuses(gw.base, 5, from("203.0.113.1"), "/healthz"), [
      200,
      200,
      200,
      200,
      200,
    ]);
  } finally {
    await gw.close();
  }
});

Deno.test("per-route and per-role overrides pick their own policy and bucket", async () => {
  const clock = new ManualClock(0);
  const gw = startGateway({ clock, gateway: { rate_limit: { default_capacity: 3 } } });
  addRoutePolicy(gw.gateway.rateLimitRules, "GET", "/api/v1/kv/{key}", {
    name: "kv_read",
    capacity: 1,
    rateNum: 1,
    rateDen: 60,
  });
  gw.gateway.rateLimitRules.roles.set("readonly", {
    name: "role_readonly",
    capacity: 2,
    rateNum: 1,
    rateDen: 1,
  });
  try {
    const read = await fetch(`${gw.base}/api/v1/kv/a`, { headers: ADMIN });
    await read.body?.cancel();
    assert.equal(read.headers.get("ratelimit-policy"), '"kv_read";q=1;w=60');
    assert.deepEqual(await statuses(gw.base, 1, { headers: ADMIN }, "/api/v1/kv/a"), [429]);
    // The default bucket is untouched by the route's own.
    assert.deepEqual(await statuses(gw.base, 3, { headers: ADMIN }), [200, 200, 200]);
    const reader = { headers: { authorization: "Bearer reader-token" } };
    assert.deepEqual(await statuses(gw.base, 3, reader), [200, 200, 429]);
  } finally {
    await gw.close();
  }
});

Deno.test("store failures fail open or closed as configured", async () => {
  const broken = { take: () => Promise.reject(new Error("store down")) };
  for (const failOpen of [true, false]) {
    const gw = startGateway({
      gateway: { rate_limit: { fail_open: failOpen } },
      build: { bucketStore: broken },
    });
    try {
      const response = await fetch(`${gw.base}/api/v1/kv`, { headers: ADMIN });
      await response.body?.cancel();
      assert.equal(response.status, failOpen ? 200 : 503);
      assert.equal(response.headers.get("ratelimit"), null);
      assert.match(
        await gw.metrics.text(),
        /rate_limiter_store_errors_total\{outcome="(allowed|denied)"\} 1/,
      );
    } finally {
      await gw.close();
    }
  }
});

Deno.test("two gateways sharing one ATLAS over RESP enforce one limit", async () => {
  const clock = new ManualClock(1_800_000_000_000);
  const store = new Store();
  registerGatewayCommands(store);
  const server = startAtlasServer({
    executor: {
      execute: (argv) => store.execute(argv, { nowMs: clock.nowMs(), random: Math.random }).reply,
      sync: () => Promise.resolve(),
    },
    store,
    hostname: "127.0.0.1",
    port: 0,
  });
  const nodes = [{ hostname: "127.0.0.1", port: server.addr.port }];
  const clients = [new RespAtlasClient({ nodes }), new RespAtlasClient({ nodes })];
  const rateLimit = {
    store: "atlas",
    default_capacity: 10,
    default_rate_num: 1,
    default_rate_den: 60,
  };
  const gateways = clients.map((atlas) =>
    startGateway({ clock, atlas, gateway: { rate_limit: rateLimit } })
  );
  try {
    let admitted = 0;
    for (let i = 0; i < 15; i++) {
      for (const gw of gateways) {
        const response = await fetch(`${gw.base}/api/v1/kv?limit=1`, { headers: ADMIN });
        await response.body?.cancel();
        if (response.status === 200) admitted++;
        else assert.equal(response.status, 429);
      }
    }
    assert.equal(admitted, 10, "30 requests across 2 gateways admit the one bucket's 10");
    clock.advance(60_000);
    const after = await fetch(`${gateways[1].base}/api/v1/kv?limit=1`, { headers: ADMIN });
    await after.body?.cancel();
    assert.equal(after.status, 200);
  } finally {
    for (const gw of gateways) await gw.close();
    for (const client of clients) await client.close();
    await server.close();
  }
});

Deno.test("route and role overrides come from gateway.rate_limit config", async () => {
  const gw = startGateway({
    clock: new ManualClock(0),
    gateway: {
      rate_limit: {
        default_capacity: 5,
        routes: [{
          name: "listing",
          method: "GET",
          path: "/api/v1/kv",
          capacity: 1,
          rate_num: 1,
          rate_den: 60,
        }],
        roles: { readonly: { capacity: 2, rate_num: 1, rate_den: 1 } },
      },
    },
  });
  try {
    const first = await fetch(`${gw.base}/api/v1/kv`, { headers: ADMIN });
    await first.body?.cancel();
    assert.equal(first.headers.get("ratelimit-policy"), '"listing";q=1;w=60');
    assert.deepEqual(await statuses(gw.base, 1, { headers: ADMIN }), [429]);
    const reader = { headers: { authorization: "Bearer reader-token" } };
    const read = await fetch(`${gw.base}/api/v1/kv/x`, reader);
    await read.body?.cancel();
    assert.equal(read.headers.get("ratelimit-policy"), '"role_readonly";q=2;w=2');
  } finally {
    await gw.close();
  }
});
