import assert from "node:assert/strict";
import { ChunkedDecoder, H1Pool, h1TargetOf, requestHead } from "./h1_client.ts";

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
