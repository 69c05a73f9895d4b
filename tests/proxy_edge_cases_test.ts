/**
 * HTTP edge cases through a real proxy over raw sockets, where the proxy and the upstream
 * could read one request differently (found side by side with nginx, see docs/proxy.md): a
 * route left through dot segments, a client's malformed body blamed on the target, Host and
 * forwarding headers the upstream would trust, a POST turned into a WebSocket handshake, and
 * stray upstream bytes answering another client's request.
 */
import assert from "node:assert/strict";
import { startProxy, targetStatus } from "./proxy_harness.ts";

/** Writes `request` and reads until the proxy closes or goes quiet for `quietMs`. */
async function exchange(base: string, request: string, quietMs = 500): Promise<string> {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(latin1(request));
  const chunks: string[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<null>((r) => (timer = setTimeout(() => r(null), quietMs)));
    const n = await Promise.race([conn.read(buffer), quiet]).catch(() => null);
    clearTimeout(timer);
    if (n === null) break;
    chunks.push(String.fromCharCode(...buffer.subarray(0, n)));
  }
  conn.close();
  return chunks.join("");
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);

/** A Deno.serve upstream recording each request's method, URL path (as Deno's URL made it) and headers. */
function recordingUpstream() {
  const seen: { method: string; path: string; headers: Record<string, string>; body: string }[] =
    [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push({
      method: req.method,
      path: new URL(req.url).pathname,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    });
    return new Response("ok");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

function routes(url: string, extra: Record<string, unknown>[] = []) {
  return {
    upstreams: {
      app: {
        targets: [{ url }],
        health_check: { enabled: false },
        retries: { attempts: 1 },
      },
    },
    routes: [
      ...extra,
      { name: "api", match: { path_prefix: "/api" }, upstream: "app" },
      { name: "strip", match: { path_prefix: "/strip" }, upstream: "app", strip_prefix: true },
    ],
  };
}

Deno.test("proxy edge cases: dot segments cannot leave a route for another path of its upstream", async () => {
  const upstream = recordingUpstream();
  const proxy = startProxy(routes(upstream.url));
  try {
    for (
      const path of [
        "/api/../admin",
        "/api/%2e%2e/admin",
        "/api/.%2E/admin",
        "/api/x/../../admin",
        "/strip/../admin",
        "/strip/%2e%2e/admin",
        "/api/..\\admin",
        "/api/..%2fadmin",
        "/api/..;/admin",
      ]
    ) {
      const text = await exchange(
        proxy.url,
        `GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
      );
      assert.ok(["400", "404"].includes(statuses(text)[0]), `${path}: ${text.slice(0, 40)}`);
    }
    // Deno's URL resolves "..", "%2e%2e" and "\" as the proxy now does before routing: the
    // upstream, which only "/api" and "/strip/*" should reach, never saw "/admin".
    assert.deepEqual(upstream.seen.map((r) => r.path), []);
    // Resolved paths are routed and sent as resolved; the query is left as it came.
    const ok = await exchange(
      proxy.url,
      "GET /x/../api/%61/./b?q=/../%2e HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(ok), ["200"]);
    assert.deepEqual(upstream.seen.map((r) => r.path), ["/api/a/b"]);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy edge cases: a client's malformed chunked body is a 400, not a failure of the target", async () => {
  const upstream = recordingUpstream();
  const proxy = startProxy(routes(upstream.url), { failureThreshold: 3 });
  try {
    for (
      const body of [
        "3\r\nabcXX\r\n0\r\n\r\n",
        "0x3\r\nabc\r\n0\r\n\r\n",
        "3\nabc\n0\n\n",
        "-0\r\n\r\n",
      ]
    ) {
      const text = await exchange(
        proxy.url,
        `POST /api/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${body}` +
          "GET /api/smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
      );
      assert.deepEqual(statuses(text), ["400"], JSON.stringify(body));
    }
    assert.equal(upstream.seen.filter((r) => r.path === "/api/smuggled").length, 0);
    // Four broken bodies, threshold three: the healthy target's circuit stays closed.
    assert.equal(targetStatus(proxy.proxy, upstream.url).circuit, "closed");
    const text = await exchange(
      proxy.url,
      "GET /api/y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(statuses(text), ["200"]);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy edge cases: Host, absolute form and forwarding headers the upstream trusts", async () => {
  const upstream = recordingUpstream();
  const proxy = startProxy(
    routes(upstream.url, [{ name: "admin", match: { host: "admin.local" }, upstream: "app" }]),
  );
  try {
    // A quote in Host ended Forwarded's quoted host="..." early: for=6.6.6.6 became a hop.
    const quoted = await exchange(
      proxy.url,
      'GET /api/x HTTP/1.1\r\nHost: a";for=6.6.6.6;x="\r\n\r\n',
    );
    assert.deepEqual(statuses(quoted), ["400"]);
    assert.equal(upstream.seen.length, 0);
    const close = "Connection: close\r\n\r\n";
    // Host named in Connection, and an underscore twin of X-Forwarded-For.
    await exchange(
      proxy.url,
      `GET /api/x HTTP/1.1\r\nHost: h\r\nConnection: Host\r\nX_Forwarded_For: 6.6.6.6\r\n${close}`,
    );
    assert.equal(upstream.seen[0].headers["host"], "h");
    assert.equal(upstream.seen[0].headers["x-forwarded-host"], "h");
    assert.equal(upstream.seen[0].headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(upstream.seen[0].headers["x_forwarded_for"], undefined);
    // Absolute form: the target's authority is the Host (RFC 9112 §3.2.2), for the route too.
    const abs = await exchange(
      proxy.url,
      `GET http://admin.local/x HTTP/1.1\r\nHost: other\r\n${close}`,
    );
    assert.deepEqual(statuses(abs), ["200"]);
    assert.equal(upstream.seen[1].path, "/x");
    assert.equal(upstream.seen[1].headers["host"], "admin.local");
    // A trailing dot names the same host.
    const dot = await exchange(proxy.url, `GET /y HTTP/1.1\r\nHost: admin.local.\r\n${close}`);
    assert.deepEqual(statuses(dot), ["200"]);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy edge cases: Upgrade on a POST with a body is an ordinary POST, not a tunnel", async () => {
  const upstream = recordingUpstream();
  const proxy = startProxy(routes(upstream.url));
  try {
    const text = await exchange(
      proxy.url,
      "POST /api/x HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        "Content-Length: 5\r\n\r\nhello",
    );
    assert.deepEqual(statuses(text), ["200"]);
    assert.deepEqual(upstream.seen.map((r) => [r.method, r.body, r.headers["upgrade"]]), [
      ["POST", "hello", undefined],
    ]);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

Deno.test("proxy edge cases: bytes past an upstream's Content-Length never answer another client", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  let answered = 0;
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buffer = new Uint8Array(65536);
        for (;;) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          const response = answered++ === 0
            ? `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"x".repeat(100000)}` +
              "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
          await conn.write(latin1(response)).catch(() => {});
        }
      })();
    }
  })();
  const proxy = startProxy(routes(url));
  try {
    const first = await exchange(
      proxy.url,
      "GET /api/a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert.equal(first.length > 100000, true);
    // Another client, later: before, the stray response was read as this request's answer.
    const second = await exchange(
      proxy.url,
      "GET /api/b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert.match(second, /\r\n\r\nok$/);
  } finally {
    await proxy.close();
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await serving.catch(() => {});
  }
});
