import assert from "node:assert/strict";
import { Hono } from "hono";
import { problemResponse } from "../errors/problem.ts";
import { bodyLimit, cors, requestTimeout, securityHeaders } from "./hygiene.ts";

function app() {
  const hono = new Hono();
  hono.onError((error) => problemResponse(error));
  hono.use("*", securityHeaders({ hsts: true, htmlPrefixes: ["/docs"] }));
  hono.use("*", bodyLimit(10));
  hono.use("*", requestTimeout(20));
  hono.get("/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    return c.text("late");
  });
  hono.post("/echo", async (c) => c.text(await c.req.text()));
  hono.get("/docs", (c) => c.html("<p>docs</p>"));
  return hono;
}

Deno.test("a slow handler gets a 504 problem", async () => {
  const response = await app().request("/slow");
  assert.equal(response.status, 504);
  assert.equal((await response.json()).code, "timeout");
  await new Promise((resolve) => setTimeout(resolve, 60)); // let the handler finish
});

Deno.test("the timeout expires only the slow requests among those in flight", async () => {
  const hono = app();
  const [slow, fast, slowToo] = await Promise.all([
    hono.request("/slow"),
    hono.request("/echo", { method: "POST", body: "hi" }),
    hono.request("/slow"),
  ]);
  assert.equal(slow.status, 504);
  assert.equal(slowToo.status, 504);
  assert.equal(await fast.text(), "hi");
  await slow.body?.cancel();
  await slowToo.body?.cancel();
  const later = await hono.request("/echo", { method: "POST", body: "ok" });
  assert.equal(await later.text(), "ok");
  await new Promise((resolve) => setTimeout(resolve, 60)); // let the handlers finish
});

Deno.test("bodies over the limit get 413, with or without Content-Length", async () => {
  const small = await app().request("/echo", { method: "POST", body: "0123456789" });
  assert.equal(await small.text(), "0123456789");
  const big = await app().request("/echo", { method: "POST", body: "0123456789x" });
  assert.equal(big.status, 413);
  assert.equal((await big.json()).code, "payload_too_large");
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("x".repeat(50)));
      controller.close();
    },
  });
  const chunked = await app().request("/echo", { method: "POST", body: stream });
  assert.equal(chunked.status, 413);
  await chunked.body?.cancel();
});

Deno.test("security headers: strict CSP for the API, a page CSP for docs, HSTS over TLS", async () => {
  const api = await app().request("/echo", { method: "POST", body: "a" });
  await api.body?.cancel();
  assert.equal(
    api.headers.get("content-security-policy"),
    "default-src 'none'; frame-ancestors 'none'",
  );
  assert.equal(api.headers.get("referrer-policy"), "no-referrer");
  assert.match(api.headers.get("strict-transport-security") ?? "", /max-age=/);
  const docs = await app().request("/docs");
  await docs.body?.cancel();
  assert.match(
    docs.headers.get("content-security-policy") ?? "",
    /script-src 'self' 'unsafe-inline'/,
  );
});

Deno.test("bad options are refused at boot", () => {
  assert.throws(() => cors(["not a url"]), /Invalid CORS origin/);
  assert.throws(() => bodyLimit(0), /Invalid body limit/);
  assert.throws(() => requestTimeout(-1), /Invalid request timeout/);
});

Deno.test("headers are added even to responses with immutable headers", async () => {
  const hono = new Hono();
  hono.use("*", securityHeaders({ hsts: false, htmlPrefixes: [] }));
  hono.get("/redirect", () => Response.redirect("http://127.0.0.1/elsewhere", 302));
  const response = await hono.request("/redirect");
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "http://127.0.0.1/elsewhere");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
});
