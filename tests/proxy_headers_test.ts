/**
 * The header suite: hop-by-hop removal happens before forwarding headers are added; spoofed
 * forwarding headers from untrusted clients are dropped; Host, X-Forwarded-Host and -Proto are
 * right; X-Request-Id and traceparent are propagated or generated. The client side uses a raw
 * socket so the proxy sees exactly the headers written here.
 */
import assert from "node:assert/strict";
import { pool, startProxy } from "./proxy_harness.ts";

interface Echo {
  headers: Record<string, string>;
  path: string;
}

function echoUpstream() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    return Response.json({
      headers: Object.fromEntries(req.headers),
      path: url.pathname + url.search,
    }, {
      headers: {
        connection: "x-internal",
        "x-internal": "secret",
        "keep-alive": "timeout=5",
        "x-visible": "yes",
      },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** Sends one HTTP/1.1 request over a fresh socket and parses the response. */
async function rawRequest(base: string, lines: string[]) {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const request = [...lines, "Connection: close", "", ""].join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
  const [head, ...rest] = text.split("\r\n\r\n");
  const [statusLine, ...headerLines] = head.split("\r\n");
  const headers = new Map(headerLines.map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as const;
  }));
  let body = rest.join("\r\n\r\n");
  if (headers.get("transfer-encoding") === "chunked") body = dechunk(body);
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

Deno.test("proxy headers: hop-by-hop removed before forwarding headers are added", async () => {
  const upstream = echoUpstream();
  const proxy = startProxy(pool([upstream.url]));
  try {
    const response = await rawRequest(proxy.url, [
      "GET /echo?q=1 HTTP/1.1",
      "Host: shop.example:8080",
      // A client naming the proxy's own headers in Connection must not strip them.
      "Connection: X-Forwarded-For, Forwarded, X-Request-Id, X-Custom-Hop",
      "X-Custom-Hop: drop-me",
      "Keep-Alive: timeout=99",
      "TE: trailers",
      "Proxy-Authorization: Basic Zm9vOmJhcg==",
      "Proxy-Connection: keep-alive",
      "X-Forwarded-For: 6.6.6.6",
      "X-Forwarded-Host: evil.example",
      "X-Forwarded-Proto: https",
      "Forwarded: for=6.6.6.6;proto=https",
      "X-App: kept",
    ]);
    assert.equal(response.status, 200);
    const echo: Echo = JSON.parse(response.body);
    const h = echo.headers;
    for (
      const name of ["x-custom-hop", "keep-alive", "te", "proxy-authorization", "proxy-connection"]
    ) {
      assert.equal(h[name], undefined, `${name} reached the upstream`);
    }
    assert.equal(h["x-app"], "kept");
    // Spoofed values from an untrusted client are gone; the proxy's own are present.
    assert.equal(h["x-forwarded-for"], "127.0.0.1");
    assert.equal(h["x-forwarded-host"], "shop.example:8080");
    assert.equal(h["x-forwarded-proto"], "http");
    assert.equal(h["forwarded"], 'for=127.0.0.1;host="shop.example:8080";proto=http');
    assert.equal(h["host"], "shop.example:8080", "Host preserved by default");
    assert.equal(echo.path, "/echo?q=1");
    assert.match(h["x-request-id"], /^[0-9a-f-]{36}$/);
    assert.match(h["traceparent"], /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // Response side: hop-by-hop and Connection-listed headers removed, request id echoed.
    assert.equal(response.headers.get("x-internal"), undefined);
    assert.equal(response.headers.get("keep-alive"), undefined);
    assert.equal(response.headers.get("x-visible"), "yes");
    assert.equal(response.headers.get("x-request-id"), h["x-request-id"]);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy headers: a trusted proxy's chain is extended and its client used", async () => {
  const upstream = echoUpstream();
  const proxy = startProxy({ ...pool([upstream.url]), trusted_proxies: ["127.0.0.0/8"] });
  try {
    const response = await rawRequest(proxy.url, [
      "GET / HTTP/1.1",
      "Host: inner",
      "X-Forwarded-For: 203.0.113.7",
      "X-Forwarded-Proto: https",
      "X-Forwarded-Host: shop.example",
      "X-Request-Id: req-42",
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    ]);
    const h = (JSON.parse(response.body) as Echo).headers;
    assert.equal(h["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    assert.equal(h["x-forwarded-proto"], "https");
    assert.equal(h["x-forwarded-host"], "shop.example");
    assert.equal(h["x-request-id"], "req-42");
    assert.equal(h["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert.equal(response.headers.get("x-request-id"), "req-42");
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy headers: preserve_host off sends the target's Host; strip_prefix", async () => {
  const upstream = echoUpstream();
  const proxy = startProxy({
    upstreams: { app: { targets: [{ url: upstream.url }], preserve_host: false } },
    routes: [{ name: "api", match: { path_prefix: "/api" }, upstream: "app", strip_prefix: true }],
  });
  try {
    const response = await rawRequest(proxy.url, ["GET /api/users?x=1 HTTP/1.1", "Host: front"]);
    const echo: Echo = JSON.parse(response.body);
    assert.equal(echo.headers["host"], new URL(upstream.url).host);
    assert.equal(echo.headers["x-forwarded-host"], "front");
    assert.equal(echo.path, "/users?x=1");
    const miss = await rawRequest(proxy.url, ["GET /other HTTP/1.1", "Host: front"]);
    assert.equal(miss.status, 404);
    assert.equal(miss.headers.get("content-type"), "application/problem+json");
    assert.equal(JSON.parse(miss.body).code, "no_route");
  } finally {
    await proxy.close();
    await upstream.close();
  }
});
