import assert from "node:assert/strict";
import { ChunkedDecoder, H1Pool, h1TargetOf, requestHead, UpstreamError } from "./h1_client.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("chunked decoder handles chunks split anywhere, extensions and trailers", () => {
  const wire = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
  for (let split = 1; split < wire.length - 4; split++) {
    const decoder = new ChunkedDecoder();
    const out = text(decoder.push(bytes(wire.slice(0, split)))) +
      text(decoder.push(bytes(wire.slice(split))));
    assert.equal(out, "hello, world");
    assert.equal(decoder.done, true);
    assert.equal(decoder.leftover, 4);
  }
  assert.throws(() => new ChunkedDecoder().push(bytes("zz\r\n")), /bad chunk size/);
});

Deno.test("h1 targets: only plain http origins take the fast path", () => {
  assert.deepEqual(h1TargetOf("http://127.0.0.1:8080"), {
    hostname: "127.0.0.1",
    port: 8080,
    authority: "127.0.0.1:8080",
  });
  assert.equal(h1TargetOf("https://example.com"), null);
  assert.equal(h1TargetOf("http://example.com/base"), null);
  assert.equal(
    requestHead("GET", "/x?y=1", "x-a: 1\r\n", "h"),
    "GET /x?y=1 HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n\r\n",
  );
});

Deno.test("h1 pool reuses connections and retries once when a pooled one went stale", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      const first = accepted === 1;
      (async () => {
        const buffer = new Uint8Array(4096);
        for (let served = 0;; served++) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) break;
          await conn.write(bytes("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
          // The first connection closes after two answers, as an idle-timeout would.
          if (first && served === 1) break;
        }
        conn.close();
      })();
    }
  })();
  const pool = new H1Pool(h1TargetOf(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`)!);
  try {
    for (let i = 0; i < 4; i++) {
      const { reply } = await pool.request(
        "GET / HTTP/1.1\r\nhost: x\r\n\r\n",
        "GET",
        1000,
        1000,
        1000,
        () => {},
      );
      assert.equal(text(reply.body as Uint8Array), "ok");
      if (i === 1) await new Promise((r) => setTimeout(r, 50)); // let the close arrive
    }
    assert.equal(accepted, 2, "one reconnect after the stale connection");
  } finally {
    pool.close();
    listener.close();
    await serving.catch(() => {});
  }
});

/** A GET through a fresh pool to a one-shot upstream that answers `response` and closes. */
async function getFromUpstream(response: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(4096));
    await conn.write(bytes(response));
    conn.close();
  })();
  const pool = new H1Pool(h1TargetOf(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`)!);
  try {
    const { reply } = await pool.request(
      "GET / HTTP/1.1\r\nhost: x\r\n\r\n",
      "GET",
      1000,
      1000,
      1000,
      () => {},
    );
    return reply;
  } finally {
    pool.close();
    listener.close();
    await serving;
  }
}

Deno.test("h1 response heads: kept lines pass as bytes; hop-by-hop, framing and request id go", async () => {
  const reply = await getFromUpstream(
    "HTTP/1.1 201 Created\r\nKeep-Alive: timeout=5\r\nX-A: 1\r\nCONTENT-LENGTH: 2\r\n" +
      "X-Request-Id: up\r\nX-B: 2\r\nConnection: keep-alive\r\n\r\nok",
  );
  assert.equal(reply.status, 201);
  assert.equal(text(reply.rawHead!), "HTTP/1.1 201 Created\r\nX-A: 1\r\nX-B: 2\r\n");
  assert.equal(reply.contentLength, 2);
  assert.equal(text(reply.body as Uint8Array), "ok");
});

Deno.test("h1 response heads: Content-Length is 1*DIGIT with optional spaces, anything else fails", async () => {
  const answer = async (contentLength: string) =>
    (await getFromUpstream(`HTTP/1.1 200 OK\r\nContent-Length:${contentLength}\r\n\r\nok`))
      .contentLength;
  assert.equal(await answer(" 2"), 2);
  assert.equal(await answer("\t02 \t"), 2);
  // Forms Number() would take, which the next hop may read differently: the response fails.
  for (const bad of [" +2", " 0x2", " 2e0", " 2.0", " ", " 1234567890123456"]) {
    await assert.rejects(answer(bad), /invalid content-length/, JSON.stringify(bad));
  }
});

Deno.test("chunked decoder is strict: sizes are hex digits only, lines end in CRLF", () => {
  const decode = (wire: string) => {
    const decoder = new ChunkedDecoder();
    const out = text(decoder.push(bytes(wire)));
    assert.equal(decoder.done, true, JSON.stringify(wire));
    return out;
  };
  assert.equal(decode("3\r\nabc\r\n0\r\n\r\n"), "abc");
  assert.equal(decode('0003 ;a=b;c="d e"\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n'), "abc0123456789");
  assert.equal(decode("3\r\nabc\r\n0\r\nX-T: 1\r\nY:\r\n\r\n"), "abc");
  for (
    const bad of [
      "0x3\r\nabc\r\n0\r\n\r\n", // parseInt(..., 16) read "0x3" as 3
      "+3\r\nabc\r\n0\r\n\r\n",
      "3z\r\nabc\r\n0\r\n\r\n", // and "3z" as 3
      " 3\r\nabc\r\n0\r\n\r\n",
      "3 4\r\nabc\r\n0\r\n\r\n",
      "-0\r\n\r\n", // and "-0" as the last chunk
      "fffffffffffffffff\r\n", // beyond 2^53
      "3\nabc\n0\n\n", // bare LF
      "3;a\rb\r\nabc\r\n0\r\n\r\n", // bare CR in an extension
      "3;a\nb\r\nabc\r\n0\r\n\r\n",
      "3\r\nabcXX\r\n0\r\n\r\n", // bytes after the data were skipped up to the next LF
      "3\r\nabc0\r\n\r\n",
      "3\r\nabc\r\n0\r\nnot a field\r\n\r\n",
      "3\r\nabc\r\n0\r\n: v\r\n\r\n",
      "3\r\nabc\r\n0\r\n\r\r\n",
    ]
  ) {
    assert.throws(() => new ChunkedDecoder().push(bytes(bad)), Error, JSON.stringify(bad));
  }
});

Deno.test("h1 response heads that could split or reframe the response at the client fail", async () => {
  for (
    const head of [
      "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello", // space before the colon
      "HTTP/1.1 200 OK\r\nX-A: 1\r\n Content-Length: 50\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\rSet-Cookie: evil=1\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.x 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", // bare LFs: failed after the header timeout
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    ]
  ) {
    await assert.rejects(getFromUpstream(head), UpstreamError, JSON.stringify(head));
  }
});

Deno.test("h1 responses: 1xx then the final head in one read; the status line says HTTP/1.1", async () => {
  // The final head was already in the buffer and the pool waited for more until the timeout.
  const early = await getFromUpstream(
    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
  );
  assert.equal(early.status, 200);
  assert.equal(text(early.body as Uint8Array), "ok");
  // The proxy frames what it forwards itself: an HTTP/1.0 status line would tell the client
  // not to expect the chunked encoding it then gets.
  const old = await getFromUpstream("HTTP/1.0 200 OK\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok");
  assert.equal(text(old.rawHead!), "HTTP/1.1 200 OK\r\nX-A: 1\r\n");
});

/**
 * An upstream whose first answer is `first` (written in pieces, with pauses) and every later
 * one "ok"; returns what each of `requests` sequential requests through one pool got.
 */
async function sequence(first: (string | number)[], requests: string[]) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let answered = 0;
  let accepted = 0;
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.push(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          if (answered++ === 0) {
            for (const piece of first) {
              if (typeof piece === "number") await new Promise((r) => setTimeout(r, piece));
              else await conn.write(bytes(piece)).catch(() => {});
            }
          } else {
            await conn.write(bytes("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
          }
        }
      })();
    }
  })();
  const pool = new H1Pool(h1TargetOf(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`)!);
  const bodies: string[] = [];
  try {
    for (const method of requests) {
      const { reply } = await pool.request(
        `${method} / HTTP/1.1\r\nhost: x\r\n\r\n`,
        method,
        1000,
        1000,
        1000,
        () => {},
      );
      let body = reply.body instanceof Uint8Array ? text(reply.body) : "";
      if (reply.body instanceof ReadableStream) body = await new Response(reply.body).text();
      bodies.push(`${reply.status} ${body.length > 20 ? `${body.length} bytes` : body}`);
      await new Promise((r) => setTimeout(r, 200)); // late bytes arrive while idle
    }
  } finally {
    pool.close();
    listener.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await serving.catch(() => {});
  }
  return { bodies, accepted };
}

Deno.test("h1 pool: bytes an upstream sends past a response never answer the next request", async () => {
  const evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
  // A body larger than the first read: the rest was read to its exact length, the extra
  // bytes stayed in the socket and became the next request's "response".
  const big = await sequence(
    [`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"x".repeat(100000)}${evil}`],
    ["GET", "GET"],
  );
  assert.deepEqual(big.bodies, ["200 100000 bytes", "200 ok"]);
  assert.equal(big.accepted, 2, "the connection with stray bytes was not reused");
  // A body sent after a 204, and after a HEAD answer, once the answer was taken.
  const late204 = await sequence(["HTTP/1.1 204 No Content\r\n\r\n", 50, evil], ["GET", "GET"]);
  assert.deepEqual(late204.bodies, ["204 ", "200 ok"]);
  const lateHead = await sequence(
    ["HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", 50, `EVIL${evil}`],
    ["HEAD", "GET"],
  );
  assert.deepEqual(lateHead.bodies, ["200 ", "200 ok"]);
  // More than Content-Length, late: the same.
  const late = await sequence(
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 50, evil],
    ["GET", "GET", "GET"],
  );
  assert.deepEqual(late.bodies, ["200 hi", "200 ok", "200 ok"]);
  assert.equal(late.accepted, 2, "a clean connection is still reused");
});
