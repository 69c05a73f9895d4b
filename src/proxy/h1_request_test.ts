import assert from "node:assert/strict";
import {
  ConnReader,
  HeadError,
  parseRequestHead,
  REQUEST_HEAD_BYTES_MAX,
  REQUEST_HEADERS_MAX,
} from "./h1_request.ts";

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
    parseRequestHead(
      head("GET / HTTP/1.1", "Host: h", "Connection: keep-alive, Upgrade", "Upgrade: WebSocket"),
    )
      .websocket,
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

Deno.test("connection reader: a request line past the head bound is 414, a long head 431", () => {
  const status = (text: string) => {
    const reader = new ConnReader({} as Deno.Conn);
    const bytes = new TextEncoder().encode(text);
    while (reader.buffer.length < bytes.length) {
      reader.buffer = new Uint8Array(reader.buffer.length * 2);
    }
    reader.buffer.set(bytes);
    reader.received(bytes.length);
    try {
      reader.nextHead();
    } catch (error) {
      return (error as HeadError).status;
    }
    return 0;
  };
  assert.equal(
    status(`GET /${"a".repeat(REQUEST_HEAD_BYTES_MAX)} HTTP/1.1\r\nHost: h\r\n\r\n`),
    414,
  );
  assert.equal(status(`GET / HTTP/1.1\r\nX: ${"a".repeat(REQUEST_HEAD_BYTES_MAX)}\r\n\r\n`), 431);
});

Deno.test("request head: values lose SP/HTAB only; NUL, CR or LF at a value's edge is refused", () => {
  // A bare LF right after the colon: an LF-tolerant hop in front reads "Content-Length: 5" as
  // a header of its own (a body), the proxy read one header "x" and a next request.
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X:\nContent-Length: 5")), 400);
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X: a\r")), 400, "bare CR at the end");
  assert.equal(refused(head("GET / HTTP/1.1", "Host: h", "X: \0a")), 400, "NUL at the start");
  // String.trim() took VT, FF and NBSP as whitespace: framing values with them are refused.
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Content-Length: \x0b3")), 400);
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Content-Length: 3\x0c")), 400);
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: \x0bchunked")), 501);
  assert.equal(refused(head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked\xa0")), 501);
  const req = parseRequestHead(head("GET / HTTP/1.1", "Host: h", "X: \t\xa0v\xa0 ", "Y:"));
  assert.equal(req.headers.get("x"), "\xa0v\xa0", "latin-1 bytes kept as sent, OWS removed");
  assert.equal(req.headers.get("y"), "");
  assert.equal(
    parseRequestHead(head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding:\tChunked ")).chunked,
    true,
  );
});

Deno.test("request head: Host must be uri-host [:port]", () => {
  for (const host of ["a b", "a/b", 'a";for=6.6.6.6;x="', "u@h", "h:8o", "", "[::1", "h\\x"]) {
    assert.equal(refused(head("GET / HTTP/1.1", `Host: ${host}`)), 400, JSON.stringify(host));
  }
  for (
    const host of ["example.com", "EXAMPLE.com:8080", "127.0.0.1:1", "[::1]:8080", "h:", "a-b_c~"]
  ) {
    assert.equal(parseRequestHead(head("GET / HTTP/1.1", `Host: ${host}`)).host, host);
  }
  assert.equal(parseRequestHead(head("GET / HTTP/1.0")).host, "", "HTTP/1.0 may omit Host");
});

Deno.test("request head: request targets are validated; absolute form's authority is the Host", () => {
  for (
    const target of [
      "/a\tb",
      "/a\x01",
      "/a\x7f",
      "/a#frag",
      "/a?q#f",
      "http://u:p@h/",
      "http://h h/",
    ]
  ) {
    assert.equal(refused(head(`GET ${target} HTTP/1.1`, "Host: h")), 400, JSON.stringify(target));
  }
  assert.equal(refused(head("GET * HTTP/1.1", "Host: h")), 400, "asterisk-form is for OPTIONS");
  assert.equal(parseRequestHead(head("OPTIONS * HTTP/1.1", "Host: h")).target, "*");
  assert.equal(refused(head("CONNECT h:443 HTTP/1.1", "Host: h:443")), 501);
  assert.equal(refused(head("CONNECT /x HTTP/1.1", "Host: h")), 501);
  assert.equal(parseRequestHead(head("GET /\xc3\xa9 HTTP/1.1", "Host: h")).target, "/\xc3\xa9");
  // RFC 9112 §3.2.2: the target's authority replaces Host, for routing and for the upstream.
  const abs = parseRequestHead(head("GET http://admin.local/x?y HTTP/1.1", "Host: public"));
  assert.equal(abs.host, "admin.local");
  assert.equal(abs.headers.get("host"), "admin.local");
  assert.equal(abs.target, "/x?y");
  assert.equal(parseRequestHead(head("GET HTTP://h:1?q HTTP/1.0")).target, "/?q");
  assert.equal(parseRequestHead(head("GET HTTP://h:1?q HTTP/1.0")).headers.get("host"), "h:1");
  // A later HTTP/1.x minor version is answered as 1.1 (RFC 9110 §6.2).
  assert.equal(parseRequestHead(head("GET / HTTP/1.2", "Host: h")).http10, false);
});

Deno.test("request head: dot segments are resolved before routing, ambiguous ones refused", () => {
  const target = (t: string) => parseRequestHead(head(`GET ${t} HTTP/1.1`, "Host: h")).target;
  // What Deno.serve's URL (and Go's mux, nginx's locations) make of these paths.
  assert.equal(target("/api/../admin"), "/admin");
  assert.equal(target("/api/%2e%2e/admin"), "/admin");
  assert.equal(target("/api/.%2E/admin"), "/admin");
  assert.equal(target("/api/%2E./admin?q=/../x"), "/admin?q=/../x", "the query is left alone");
  assert.equal(target("/api/./x/."), "/api/x/");
  assert.equal(target("/api/x/.."), "/api/");
  assert.equal(target("/a/../../../b"), "/b", "never above the root");
  assert.equal(target("/a//../b"), "/a/b");
  assert.equal(target("/%61pi/x%2Fy%20z"), "/api/x%2Fy%20z", "unreserved decoded, others kept");
  assert.equal(target("/static/app.min.js?v=1.2"), "/static/app.min.js?v=1.2");
  assert.equal(target("/a/.well-known/x"), "/a/.well-known/x");
  // Separators some upstreams split on and others do not: no single reading is safe.
  for (
    const t of [
      "/api/..%2fadmin",
      "/api/..%5Cadmin",
      "/api/..\\admin",
      "/api/..;/admin",
      "/a/.;x/b",
      "/a%zz",
      "/a%",
    ]
  ) {
    assert.equal(refused(head(`GET ${t} HTTP/1.1`, "Host: h")), 400, t);
  }
});

Deno.test("request head: only a GET with Connection: upgrade and no body is a WebSocket handshake", () => {
  const ws = (...lines: string[]) => parseRequestHead(head(...lines)).websocket;
  assert.equal(ws("GET / HTTP/1.1", "Host: h", "Connection: Upgrade", "Upgrade: websocket"), true);
  assert.equal(
    ws("GET / HTTP/1.1", "Host: h", "Upgrade: websocket"),
    false,
    "no connection option",
  );
  assert.equal(
    ws("GET / HTTP/1.1", "Host: h", "Connection: x-upgrade", "Upgrade: websocket"),
    false,
  );
  assert.equal(ws("GET / HTTP/1.0", "Host: h", "Connection: upgrade", "Upgrade: websocket"), false);
  assert.equal(
    ws(
      "POST / HTTP/1.1",
      "Host: h",
      "Connection: upgrade",
      "Upgrade: websocket",
      "Content-Length: 5",
    ),
    false,
  );
  assert.equal(
    ws(
      "GET / HTTP/1.1",
      "Host: h",
      "Connection: upgrade",
      "Upgrade: websocket",
      "Content-Length: 5",
    ),
    false,
  );
});
