import assert from "node:assert/strict";
import { TrieRouter } from "hono/router/trie-router";
import { CachedTrieRouter, ROUTE_CACHE_MAX } from "./cached_router.ts";

const ROUTES: [string, string, string][] = [
  ["ALL", "/*", "mw"],
  ["GET", "/api/v1/kv/:key", "get-kv"],
  ["POST", "/api/v1/jobs/batch", "batch"],
  ["POST", "/api/v1/jobs/:id/cancel", "cancel"],
  ["GET", "/healthz", "health"],
];

Deno.test("cached router: the same results as TrieRouter, repeated lookups included", () => {
  const plain = new TrieRouter<string>();
  const cached = new CachedTrieRouter<string>();
  for (const [method, path, handler] of ROUTES) {
    plain.add(method, path, handler);
    cached.add(method, path, handler);
  }
  const probes: [string, string][] = [
    ["GET", "/api/v1/kv/a%2Fb"],
    ["POST", "/api/v1/jobs/batch"],
    ["POST", "/api/v1/jobs/j_1/cancel"],
    ["GET", "/healthz"],
    ["GET", "/nowhere"],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [method, path] of probes) {
      assert.deepEqual(cached.match(method, path), plain.match(method, path), `${method} ${path}`);
    }
  }
  // The second lookup is the cached result itself.
  assert.equal(cached.match("GET", "/healthz"), cached.match("GET", "/healthz"));
});

Deno.test("cached router: adding a route empties the cache; the cache is bounded", () => {
  const cached = new CachedTrieRouter<string>();
  cached.add("GET", "/a/:x", "param");
  const before = cached.match("GET", "/a/static");
  assert.deepEqual(before[0].map(([handler]) => handler), ["param"]);
  cached.add("GET", "/a/static", "static");
  const after = cached.match("GET", "/a/static");
  assert.deepEqual(after[0].map(([handler]) => handler).sort(), ["param", "static"]);
  for (let i = 0; i < ROUTE_CACHE_MAX * 3; i++) cached.match("GET", `/a/${i}`);
  assert.deepEqual(cached.match("GET", "/a/7")[0].map(([handler]) => handler), ["param"]);
});
