/**
 * The proxy's own HTTP/1.1 front end over raw sockets: pipelined requests answered in order,
 * chunked and fixed request bodies streamed up with the connection reused afterwards,
 * Expect: 100-continue, HEAD, HTTP/1.0, and bad or oversized heads refused (400/431).
 */
import assert from "node:assert/strict";
import { pool, startProxy } from "./proxy_harness.ts";

function echoUpstream() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    const url = new URL(req.url);
    return Response.json({
      method: req.method,
      path: url.pathname + url.search,
      bodyBytes: body.length,
      sum: body.reduce((a, b) => a + b, 0),
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** Writes `request` (all at once or in the given pieces) and reads until the proxy closes. */
async function exchange(base: string, pieces: string[]): Promise<string> {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const out: Uint8Array<ArrayBuffer>[] = [];
  const reading = (async () => {
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return;
      out.push(buffer.slice(0, n));
    }
  })();
  for (const piece of pieces) {
    await conn.write(new TextEncoder().encode(piece));
    await new Promise((r) => setTimeout(r, 20));
  }
  await reading;
  conn.close();
  return new TextDecoder().decode(await new Blob(out).arrayBuffer());
}

async function withProxy(fn: (url: string) => Promise<void>) {
  const upstream = echoUpstream();
  const proxy = startProxy(pool([upstream.url], { health_check: { enabled: false } }));
  try {
    await fn(proxy.url);
  } finally {
    await proxy.close();
    await upstream.close();
  }
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
const paths = (text: string) => [...text.matchAll(/"path":"([^"]*)"/g)].map((m) => m[1]);

Deno.test("proxy front end: pipelined requests are answered in order on one connection", async () => {
  await withProxy(async (url) => {
    const text = await exchange(url, [
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n" +
      "GET /three HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ]);
    assert.deepEqual(statuses(text), ["200", "200", "200"]);
    assert.deepEqual(paths(text), ["/one", "/two", "/three"]);
    assert.match(text, /connection: close/);
  });
});

Deno.test("proxy front end: chunked and fixed bodies stream up; the connection carries on", async () => {
  await withProxy(async (url) => {
    const text = await exchange(url, [
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
      "4;ext=1\r\ndefg\r\n0\r\nx-trailer: 1\r\n\r\n",
      "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel",
      "lo",
      "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ]);
    assert.deepEqual(statuses(text), ["200", "200", "200"]);
    assert.deepEqual(paths(text), ["/c", "/f", "/last"]);
    const sizes = [...text.matchAll(/"bodyBytes":(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(sizes, [7, 5, 0]);
  });
});

Deno.test("proxy front end: Expect 100-continue, HEAD and HTTP/1.0", async () => {
  await withProxy(async (url) => {
    const cont = await exchange(url, [
      "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n" +
      "Connection: close\r\n\r\n",
      "ok",
    ]);
    assert.deepEqual(statuses(cont), ["100", "200"]);
    const head = await exchange(url, ["HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"]);
    assert.deepEqual(statuses(head), ["200"]);
    assert.match(head, /content-length: \d+/);
    assert.ok(head.endsWith("\r\n\r\n"), "no body after a HEAD answer");
    const old = await exchange(url, ["GET /old HTTP/1.0\r\n\r\n"]);
    assert.deepEqual(paths(old), ["/old"], "HTTP/1.0 without keep-alive: answered, then closed");
    const kept = await exchange(url, [
      "GET /k1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /k2 HTTP/1.0\r\n\r\n",
    ]);
    assert.deepEqual(paths(kept), ["/k1", "/k2"], "HTTP/1.0 keep-alive: the connection carries on");
    assert.equal(kept.match(/\r\nconnection: keep-alive\r\n/g)?.length, 1);
    assert.equal(kept.match(/\r\nconnection: close\r\n/g)?.length, 1);
  });
});

Deno.test("proxy front end: malformed and oversized heads are refused", async () => {
  await withProxy(async (url) => {
    const smuggle = await exchange(url, [
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]);
    assert.deepEqual(statuses(smuggle), ["400"]);
    assert.match(smuggle, /application\/problem\+json/);
    const noHost = await exchange(url, ["GET / HTTP/1.1\r\n\r\n"]);
    assert.deepEqual(statuses(noHost), ["400"]);
    for (
      const head of [
        "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n(x): y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
      ]
    ) {
      assert.deepEqual(statuses(await exchange(url, [head])), ["400"], JSON.stringify(head));
    }
    const big = await exchange(url, [
      `GET / HTTP/1.1\r\nHost: h\r\nX: ${"a".repeat(70_000)}\r\n\r\n`,
    ]);
    assert.deepEqual(statuses(big), ["431"]);
  });
});
