/**
 * Every gateway route over real HTTP, each response checked against the generated spec: the
 * status must be documented for the operation and the body must match its schema. The same
 * checks run against an in-process gateway (gateway_routes_test.ts) and against a real
 * `helios gateway` process (gateway_process_test.ts).
 */
import assert from "node:assert/strict";
import { conforms } from "./gateway_support.ts";

/** Where to send requests, and bearer tokens for an admin, a read-only user and an API token. */
export interface RouteTarget {
  base: string;
  admin: string;
  reader: string;
  apiToken: string;
}

export async function checkRoutes(t: Deno.TestContext, target: RouteTarget): Promise<void> {
  const ADMIN = { authorization: `Bearer ${target.admin}` };
  const JSON_ADMIN = { ...ADMIN, "content-type": "application/json" };
  const spec = await (await fetch(`${target.base}/openapi.json`)).json();
  const call = (method: string, path: string, init: RequestInit = {}) =>
    fetch(`${target.base}${path}`, { method, ...init });
  const KEY = "/api/v1/kv/{key}";
  await t.step("health and readiness", async () => {
    assert.deepEqual(await conforms(spec, "GET", "/healthz", await call("GET", "/healthz")), {
      status: "ok",
    });
    const ready = await conforms(spec, "GET", "/readyz", await call("GET", "/readyz"));
    assert.equal((ready as { status: string }).status, "ready");
  });

  await t.step("set, get with ETag, conditional writes, delete", async () => {
    const path = "/api/v1/kv/orders%2F42";
    const created = await call("POST", path, {
      headers: { ...JSON_ADMIN, "if-none-match": "*" },
      body: JSON.stringify({ value: "new", ttl: 3600 }),
    });
    assert.equal(created.status, 201);
    const etag1 = created.headers.get("etag")!;
    assert.match(etag1, /^"[A-Za-z0-9_-]{22}"$/);
    assert.deepEqual(await conforms(spec, "POST", KEY, created), {
      key: "orders/42",
      value: "new",
      ttl: 3600,
    });

    const again = await call("POST", path, {
      headers: { ...JSON_ADMIN, "if-none-match": "*" },
      body: JSON.stringify({ value: "other" }),
    });
    assert.equal(again.status, 412);
    await conforms(spec, "POST", KEY, again);

    const got = await call("GET", path, { headers: ADMIN });
    assert.equal(got.headers.get("etag"), etag1);
    const entry = await conforms(spec, "GET", KEY, got) as { ttl: number };
    assert.ok(entry.ttl > 3590 && entry.ttl <= 3600);

    const notModified = await call("GET", path, {
      headers: { ...ADMIN, "if-none-match": etag1 },
    });
    assert.equal(notModified.status, 304);
    await conforms(spec, "GET", KEY, notModified);

    const cas = await call("POST", path, {
      headers: { ...JSON_ADMIN, "if-match": etag1 },
      body: JSON.stringify({ value: "shipped" }),
    });
    assert.equal(cas.status, 200);
    const etag2 = cas.headers.get("etag")!;
    assert.notEqual(etag2, etag1);
    await conforms(spec, "POST", KEY, cas);
    const stale = await call("POST", path, {
      headers: { ...JSON_ADMIN, "if-match": etag1 },
      body: JSON.stringify({ value: "lost update" }),
    });
    assert.equal(stale.status, 412);
    assert.equal(
      (await conforms(spec, "POST", KEY, stale) as { code: string }).code,
      "precondition_failed",
    );

    const badDelete = await call("DELETE", path, { headers: { ...ADMIN, "if-match": etag1 } });
    assert.equal(badDelete.status, 412);
    await conforms(spec, "DELETE", KEY, badDelete);
    const deleted = await call("DELETE", path, { headers: { ...ADMIN, "if-match": etag2 } });
    assert.equal(deleted.status, 204);
    await conforms(spec, "DELETE", KEY, deleted);
    const gone = await call("GET", path, { headers: ADMIN });
    assert.equal(gone.status, 404);
    await conforms(spec, "GET", KEY, gone);
    const goneDelete = await call("DELETE", path, { headers: ADMIN });
    assert.equal(goneDelete.status, 404);
    await conforms(spec, "DELETE", KEY, goneDelete);
  });

  await t.step("list pages by prefix", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call("POST", `/api/v1/kv/list%2F${i}`, {
        headers: JSON_ADMIN,
        body: '{"value":"v"}',
      });
      await r.body?.cancel();
    }
    const keys: string[] = [];
    let cursor: string | null = "";
    for (let page = 0; page < 10 && cursor !== null; page++) {
      const query: string = `?prefix=list%2F&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const body = await conforms(
        spec,
        "GET",
        "/api/v1/kv",
        await call("GET", `/api/v1/kv${query}`, { headers: ADMIN }),
      ) as {
        keys: string[];
        cursor: string | null;
      };
      keys.push(...body.keys);
      cursor = body.cursor;
    }
    assert.deepEqual(keys.sort(), ["list/0", "list/1", "list/2", "list/3", "list/4"]);
    const bad = await call("GET", "/api/v1/kv?limit=0", { headers: ADMIN });
    assert.equal(bad.status, 400);
    await conforms(spec, "GET", "/api/v1/kv", bad);
  });

  await t.step("authentication and permissions", async () => {
    const anonymous = await call("GET", "/api/v1/kv/a");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("www-authenticate"), "Bearer");
    await conforms(spec, "GET", KEY, anonymous);
    const reader = await call("POST", "/api/v1/kv/a", {
      headers: { authorization: `Bearer ${target.reader}`, "content-type": "application/json" },
      body: '{"value":"x"}',
    });
    assert.equal(reader.status, 403);
    await conforms(spec, "POST", KEY, reader);
    const apiToken = await call("POST", "/api/v1/kv/a", {
      headers: { authorization: `Bearer ${target.apiToken}`, "content-type": "application/json" },
      body: '{"value":"x"}',
    });
    assert.equal(apiToken.status, 200);
    await apiToken.body?.cancel();
  });

  await t.step("validation and limits are 400/413 problems", async () => {
    const tooLongKey = await call("GET", `/api/v1/kv/${"k".repeat(450)}`, { headers: ADMIN });
    assert.equal(tooLongKey.status, 400);
    await conforms(spec, "GET", KEY, tooLongKey);
    const extraField = await call("POST", "/api/v1/kv/a", {
      headers: JSON_ADMIN,
      body: '{"value":"x","nope":1}',
    });
    assert.equal(extraField.status, 400);
    const body = await conforms(spec, "POST", KEY, extraField) as { errors: unknown[] };
    assert.ok(body.errors.length > 0);
    const bigBody = await call("POST", "/api/v1/kv/a", {
      headers: JSON_ADMIN,
      body: JSON.stringify({ value: "x".repeat(5000) }),
    });
    assert.equal(bigBody.status, 413);
    await conforms(spec, "POST", KEY, bigBody);
    const badTag = await call("POST", "/api/v1/kv/a", {
      headers: { ...JSON_ADMIN, "if-match": 'W/"weak"' },
      body: '{"value":"x"}',
    });
    assert.equal(badTag.status, 400);
    await conforms(spec, "POST", KEY, badTag);
  });

  await t.step("hygiene: request id, security headers, CORS, 404 problem", async () => {
    const r = await call("GET", "/healthz", {
      headers: { "x-request-id": "req-1", origin: "https://app.example" },
    });
    await r.body?.cancel();
    assert.equal(r.headers.get("x-request-id"), "req-1");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.equal(
      r.headers.get("content-security-policy"),
      "default-src 'none'; frame-ancestors 'none'",
    );
    assert.equal(r.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(r.headers.get("access-control-expose-headers") ?? "", /ETag/);
    const preflight = await call("OPTIONS", "/api/v1/kv/a", {
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /If-Match/);
    const foreign = await call("GET", "/healthz", {
      headers: { origin: "https://evil.example" },
    });
    await foreign.body?.cancel();
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
    const missing = await call("GET", "/nope");
    assert.equal(missing.headers.get("content-type"), "application/problem+json");
    assert.equal((await missing.json()).status, 404);
  });

  await t.step("docs and spec are served", async () => {
    const docs = await call("GET", "/docs");
    const html = await docs.text();
    assert.match(html, /\/assets\/swagger-ui-dist\/swagger-ui-bundle\.js/);
    assert.doesNotMatch(html, /cdn\.|jsdelivr|unpkg/);
    const bundle = await call("GET", "/assets/swagger-ui-dist/swagger-ui-bundle.js");
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.arrayBuffer()).byteLength > 100_000);
    const traversal = await call("GET", "/assets/swagger-ui-dist/..%2Fpackage.json");
    assert.equal(traversal.status, 404);
    await traversal.body?.cancel();
    assert.equal(spec.openapi, "3.1.0");
    assert.deepEqual(spec.components.securitySchemes.bearerAuth.scheme, "bearer");
  });
}
