import assert from "node:assert/strict";
import { CidrSet } from "./cidr.ts";
import { addForwarding, clientAddress, ensureCorrelation, stripHopByHop } from "./headers.ts";

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

Deno.test("forwarding headers from an untrusted peer are replaced", () => {
  const headers = new Headers({
    "x-forwarded-for": "6.6.6.6",
    "x-forwarded-host": "evil",
    "x-forwarded-proto": "https",
    forwarded: "for=6.6.6.6",
  });
  const ctx = { peer: "10.0.0.5", proto: "http", host: "app:8080", trusted: new CidrSet([]) };
  assert.equal(clientAddress(headers, ctx), "10.0.0.5");
  addForwarding(headers, ctx);
  assert.equal(headers.get("x-forwarded-for"), "10.0.0.5");
  assert.equal(headers.get("x-forwarded-host"), "app:8080");
  assert.equal(headers.get("x-forwarded-proto"), "http");
  assert.equal(headers.get("forwarded"), 'for=10.0.0.5;host="app:8080";proto=http');
});

Deno.test("forwarding headers from a trusted proxy are extended", () => {
  const headers = new Headers({
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
  assert.equal(clientAddress(headers, ctx), "203.0.113.9");
  addForwarding(headers, ctx);
  assert.equal(headers.get("x-forwarded-for"), "203.0.113.9, 10.0.0.2, 10.0.0.3");
  assert.equal(headers.get("x-forwarded-proto"), "https");
  assert.equal(headers.get("x-forwarded-host"), "shop.example");
  assert.equal(headers.get("forwarded"), 'for=203.0.113.9, for=10.0.0.3;host="inner";proto=http');
});

Deno.test("IPv6 peers are quoted in Forwarded", () => {
  const headers = new Headers();
  addForwarding(headers, { peer: "::1", proto: "http", host: "h", trusted: new CidrSet([]) });
  assert.equal(headers.get("forwarded"), 'for="[::1]";host="h";proto=http');
});

Deno.test("request id and traceparent are kept when valid and generated otherwise", () => {
  const kept = new Headers({
    "x-request-id": "abc-123",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  });
  assert.equal(ensureCorrelation(kept), "abc-123");
  assert.equal(kept.get("traceparent"), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const fresh = new Headers({ "x-request-id": "bad id with spaces", traceparent: "junk" });
  const id = ensureCorrelation(fresh);
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.match(fresh.get("traceparent")!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});
