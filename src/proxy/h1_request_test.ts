import assert from "node:assert/strict";
import { HeadError, parseRequestHead, REQUEST_HEADERS_MAX } from "./h1_request.ts";

const head = (...lines: string[]) => lines.join("\r\n");

function refused(text: string): number {
  try {
    parseRequestHead(text);
  } catch (error) {
    if (error instanceof HeadError) return error.status;
    throw error;
  }
  return 0;
}

Deno.test("request head: line, lower-case names in order, repeats joined by get()", () => {
  const req = parseRequestHead(head(
    "GET /a?b=1 HTTP/1.1",
    "Host: shop.example",
    "X-A: 1",
    "x-a: 2",
    "Connection: keep-alive, X-A",
  ));
  assert.equal(req.method, "GET");
  assert.equal(req.target, "/a?b=1");
  assert.equal(req.host, "shop.example");
  assert.equal(req.headers.get("x-a"), "1, 2");
  assert.deepEqual([...req.headers].map(([n]) => n), ["host", "x-a", "x-a", "connection"]);
  assert.equal(req.keepAlive, true);
  assert.equal(req.contentLength, 0);
  assert.equal(req.chunked, false);
});

Deno.test("request head: framing, keep-alive, expect, upgrade and absolute form", () => {
  const chunked = parseRequestHead(
    head("POST /x HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Expect: 100-continue"),
  );
  assert.equal(chunked.chunked, true);
  assert.equal(chunked.contentLength, -1);
  assert.equal(chunked.expectContinue, true);
  const fixed = parseRequestHead(head("PUT /x HTTP/1.1", "Host: h", "Content-Length: 5, 5"));
  assert.equal(fixed.contentLength, 5);
  const old = parseRequestHead(head("GET / HTTP/1.0"));
  assert.equal(old.http10, true);
  assert.equal(old.keepAlive, false);
  assert.equal(
    parseRequestHead(head("GET / HTTP/1.1", "Host: h", "Connection: close")).keepAlive,
    false,
  );
  assert.equal(
    parseRequestHead(head("GET / HTTP/1.1", "Host: h", "Upgrade: WebSocket")).websocket,
    true,
  );
  assert.equal(parseRequestHead(head("GET http://h:1/p?q HTTP/1.1", "Host: h")).target, "/p?q");
  assert.equal(parseRequestHead(head("GET http://h:1 HTTP/1.1", "Host: h")).target, "/");
});

Deno.test("request head: smuggling and malformed input are refused with the right status", () => {
  assert.equal(refused(head("GET / HTTP/1.1")), 400, "missing Host");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: a", "Host: b")), 400, "two Hosts");
  assert.equal(
    refused(head("POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Transfer-Encoding: chunked")),
    400,
  );
  assert.equal(
    refused(head("POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Content-Length: 4")),
    400,
  );
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Content-Length: -1")), 400);
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: gzip")), 501);
  assert.equal(refused(head("GET / HTTP/1.1", "Host : h")), 400, "space before colon");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X: a", " folded")), 400, "obs-fold");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X: a\nInjected: 1")), 400, "bare LF");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X: a\rb")), 400, "bare CR");
  assert.equal(refused(head("GET / HTTP/2.0", "Host: h")), 505);
  assert.equal(refused(head("GET / FTP/1.0", "Host: h")), 400);
  assert.equal(refused(head("GET  / HTTP/1.1", "Host: h")), 400, "double space");
  assert.equal(refused(head("GET /a b HTTP/1.1", "Host: h")), 400);
  assert.equal(refused(head("GET x HTTP/1.1", "Host: h")), 400, "not origin or absolute form");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "Expect: magic")), 417);
  const many = Array.from({ length: REQUEST_HEADERS_MAX + 1 }, (_, i) => `X-${i}: v`);
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", ...many)), 431);
});
