import assert from "node:assert/strict";
import { CidrSet } from "./cidr.ts";
import {
  clientAddress,
  randomRequestId,
  randomTraceparent,
  rewriteRequestHeaders,
  stripHopByHop,
} from "./headers.ts";

Deno.test("hop-by-hop headers and names listed in Connection are removed", () => {
  const headers = new Headers({
    connection: "keep-alive, X-Secret, x-forwarded-for",
    "keep-alive": "timeout=5",
    te: "trailers",
    "transfer-encoding": "chunked",
    upgrade: "h2c",
    "proxy-authorization": "Basic x",
    "x-secret": "1",
    "x-forwarded-for": "6.6.6.6",
    "x-keep": "yes",
  });
  stripHopByHop(headers);
  assert.deepEqual([...headers.keys()], ["x-keep"]);
});

const untrusted = { peer: "10.0.0.5", proto: "http", host: "app:8080", trusted: new CidrSet([]) };

Deno.test("rewrite drops Connection-listed names before adding its own forwarding headers", () => {
  const source = new Headers({
    host: "app:8080",
    connection: "X-Forwarded-For, Forwarded, x-request-id, X-Hop",
    "x-hop": "1",
    "keep-alive": "timeout=5",
    "x-forwarded-for": "6.6.6.6",
    "x-app": "kept",
  });
  const out = new Map(rewriteRequestHeaders(source, untrusted).headers);
  assert.equal(out.get("x-hop"), undefined);
  assert.equal(out.get("keep-alive"), undefined);
  assert.equal(out.get("connection"), undefined);
  assert.equal(out.get("x-app"), "kept");
  assert.equal(out.get("x-forwarded-for"), "10.0.0.5");
  assert.equal(out.get("forwarded"), 'for=10.0.0.5;host="app:8080";proto=http');
  assert.ok(out.get("x-request-id"));
});

Deno.test("forwarding headers from an untrusted peer are replaced", () => {
  const source = new Headers({
    host: "app:8080",
    "x-forwarded-for": "6.6.6.6",
    "x-forwarded-host": "evil",
    "x-forwarded-proto": "https",
    forwarded: "for=6.6.6.6",
  });
  assert.equal(clientAddress(source, untrusted), "10.0.0.5");
  const out = new Map(rewriteRequestHeaders(source, untrusted).headers);
  assert.equal(out.get("x-forwarded-for"), "10.0.0.5");
  assert.equal(out.get("x-forwarded-host"), "app:8080");
  assert.equal(out.get("x-forwarded-proto"), "http");
  assert.equal(out.get("forwarded"), 'for=10.0.0.5;host="app:8080";proto=http');
});

Deno.test("forwarding headers from a trusted proxy are extended", () => {
  const source = new Headers({
    host: "inner",
    "x-forwarded-for": "203.0.113.9, 10.0.0.2",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "shop.example",
    forwarded: "for=203.0.113.9",
  });
  const ctx = {
    peer: "10.0.0.3",
    proto: "http",
    host: "inner",
    trusted: new CidrSet(["10.0.0.0/8"]),
  };
  assert.equal(clientAddress(source, ctx), "203.0.113.9");
  const out = new Map(rewriteRequestHeaders(source, ctx).headers);
  assert.equal(out.get("x-forwarded-for"), "203.0.113.9, 10.0.0.2, 10.0.0.3");
  assert.equal(out.get("x-forwarded-proto"), "https");
  assert.equal(out.get("x-forwarded-host"), "shop.example");
  assert.equal(out.get("forwarded"), 'for=203.0.113.9, for=10.0.0.3;host="inner";proto=http');
});

Deno.test("IPv6 peers are quoted in Forwarded", () => {
  const out = new Map(
    rewriteRequestHeaders(new Headers({ host: "h" }), { ...untrusted, peer: "::1" }).headers,
  );
  assert.equal(out.get("forwarded"), 'for="[::1]";host="h";proto=http');
});

Deno.test("request id and traceparent are kept when valid and generated otherwise", () => {
  const kept = rewriteRequestHeaders(
    new Headers({
      "x-request-id": "abc-123",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "vendor=1",
    }),
    untrusted,
  );
  assert.equal(kept.requestId, "abc-123");
  const keptMap = new Map(kept.headers);
  assert.equal(
    keptMap.get("traceparent"),
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  );
  assert.equal(keptMap.get("tracestate"), "vendor=1");
  const fresh = rewriteRequestHeaders(
    new Headers({ "x-request-id": "bad id with spaces", traceparent: "junk", tracestate: "x=1" }),
    untrusted,
  );
  assert.match(
    fresh.requestId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  const freshMap = new Map(fresh.headers);
  assert.match(freshMap.get("traceparent")!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(freshMap.get("tracestate"), undefined);
  const ids = new Set(Array.from({ length: 1000 }, () => randomRequestId()));
  assert.equal(ids.size, 1000);
});

Deno.test("the rewritten header lines are what the pairs say, without Host and Content-Length", () => {
  const source = new Headers({
    host: "app:8080",
    "content-length": "0",
    "x-app": "a: b",
    "x-empty": "",
    "x-request-id": "rid-1",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "v=1",
  });
  const override = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
  const rewritten = rewriteRequestHeaders(source, untrusted, override);
  assert.equal(
    rewritten.lines,
    "x-app: a: b\r\nx-empty: \r\n" +
      "x-forwarded-for: 10.0.0.5\r\nx-forwarded-proto: http\r\nx-forwarded-host: app:8080\r\n" +
      'forwarded: for=10.0.0.5;host="app:8080";proto=http\r\nx-request-id: rid-1\r\n' +
      `traceparent: ${override}\r\ntracestate: v=1\r\n`,
  );
  assert.deepEqual(rewritten.headers, [
    ["host", "app:8080"],
    ["content-length", "0"],
    ["x-app", "a: b"],
    ["x-empty", ""],
    ["x-forwarded-for", "10.0.0.5"],
    ["x-forwarded-proto", "http"],
    ["x-forwarded-host", "app:8080"],
    ["forwarded", 'for=10.0.0.5;host="app:8080";proto=http'],
    ["x-request-id", "rid-1"],
    ["traceparent", override],
    ["tracestate", "v=1"],
  ]);
});

Deno.test("generated trace contexts are well-formed and distinct across batches", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const traceparent = randomTraceparent();
    assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    seen.add(traceparent.slice(3, 35));
  }
  assert.equal(seen.size, 1000);
});
