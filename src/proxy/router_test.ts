import assert from "node:assert/strict";
import { validateRoutes } from "./config.ts";
import { compileRoute, hostOnly, pathHasPrefix, Router } from "./router.ts";

Deno.test("path prefixes match on segment boundaries", () => {
  assert.equal(pathHasPrefix("/api", "/api"), true);
  assert.equal(pathHasPrefix("/api/users", "/api"), true);
  assert.equal(pathHasPrefix("/apix", "/api"), false);
  assert.equal(pathHasPrefix("/anything", "/"), true);
  assert.equal(pathHasPrefix("/static/x", "/static/"), true);
});

Deno.test("the first matching route in declared order wins", () => {
  const file = validateRoutes({
    upstreams: { a: { targets: [{ url: "http://127.0.0.1:1" }] } },
    routes: [
      { name: "admin-host", match: { host: "admin.example.com" }, upstream: "a" },
      { name: "wild", match: { host: "*.example.com", path_prefix: "/v2" }, upstream: "a" },
      { name: "posts", match: { path_prefix: "/api", methods: ["POST"] }, upstream: "a" },
      {
        name: "canary",
        match: { path_prefix: "/api", headers: { "X-Canary": "1" } },
        upstream: "a",
      },
      { name: "api", match: { path_prefix: "/api" }, upstream: "a" },
      { name: "rest", upstream: "a" },
    ],
  }, "test");
  const router = new Router(file.routes.map(compileRoute));
  const h = (init: Record<string, string> = {}) => new Headers(init);
  const m = (method: string, host: string, path: string, headers = h()) =>
    router.match(method, hostOnly(host), path, headers)?.name;
  assert.equal(m("GET", "ADMIN.example.com:8080", "/api"), "admin-host");
  assert.equal(m("GET", "x.example.com", "/v2/thing"), "wild");
  assert.equal(m("GET", "x.example.com", "/v3"), "rest");
  assert.equal(m("POST", "h", "/api/x"), "posts");
  assert.equal(m("GET", "h", "/api/x", h({ "x-canary": "1" })), "canary");
  assert.equal(m("GET", "h", "/api/x"), "api");
  assert.equal(m("GET", "h", "/apix"), "rest");
});

Deno.test("routes naming an unknown upstream are rejected with a path", () => {
  assert.throws(
    () => validateRoutes({ upstreams: {}, routes: [{ name: "r", upstream: "nope" }] }, "test"),
    /routes\.0\.upstream: unknown upstream "nope"/,
  );
  assert.throws(
    () =>
      validateRoutes({
        upstreams: { a: { targets: [{ url: "ftp://x" }] } },
        routes: [],
      }, "test"),
    /upstreams\.a\.targets\.0\.url/,
  );
});

Deno.test("hostOnly drops the port and one trailing dot (the same DNS name)", () => {
  assert.equal(hostOnly("Admin.Example.com.:8080"), "admin.example.com");
  assert.equal(hostOnly("admin.example.com."), "admin.example.com");
  assert.equal(hostOnly("[::1]:80"), "[::1]");
  assert.equal(hostOnly("."), ".");
});
