/**
 * Streaming through the proxy: an SSE stream's first event arrives before the upstream has
 * finished; a large request body streams up; a WebSocket echo works both ways and closes.
 */
import assert from "node:assert/strict";
import { pool, startProxy, startUpstream } from "./proxy_harness.ts";

Deno.test("proxy streaming: SSE events arrive before the upstream finishes", async () => {
  const up = await startUpstream("S");
  const proxy = startProxy(pool([up.url], { health_check: { enabled: false } }));
  try {
    const response = await fetch(`${proxy.url}/sse`);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    assert.match(first.value!, /data: event 0/);
    // The upstream sends five events 150 ms apart; after the first there must be more to come.
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += value;
    }
    assert.doesNotMatch(first.value!, /event 4/, "the first read held only the early events");
    assert.match(rest, /data: event 4/);
  } finally {
    await proxy.close();
    await up.kill();
  }
});

Deno.test("proxy streaming: a large request body streams to the upstream", async () => {
  const up = await startUpstream("U");
  const proxy = startProxy(pool([up.url], { health_check: { enabled: false } }));
  try {
    const chunk = new Uint8Array(64 * 1024).fill(120);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${proxy.url}/echo`, {
      method: "PUT",
      body,
      // @ts-ignore: duplex is needed for a streaming request body.
      duplex: "half",
    });
    const echo = await response.json();
    assert.equal(echo.method, "PUT");
    assert.equal(echo.bodyBytes, 64 * 64 * 1024);
  } finally {
    await proxy.close();
    await up.kill();
  }
});

Deno.test("proxy streaming: WebSocket echo through the proxy", async () => {
  const up = await startUpstream("W");
  const proxy = startProxy(pool([up.url], { health_check: { enabled: false } }));
  try {
    const ws = new WebSocket(`${proxy.url.replace("http", "ws")}/ws`);
    ws.binaryType = "arraybuffer";
    const received: unknown[] = [];
    const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket failed to open"));
    });
    const all = new Promise<void>((resolve) => {
      ws.onmessage = (event) => {
        received.push(event.data);
        if (received.length === 3) resolve();
      };
    });
    ws.send("hello");
    ws.send(new Uint8Array([1, 2, 3]));
    ws.send("bye");
    await all;
    assert.equal(received[0], "hello");
    assert.deepEqual([...new Uint8Array(received[1] as ArrayBuffer)], [1, 2, 3]);
    assert.equal(received[2], "bye");
    ws.close(1000, "done");
    const event = await closed;
    assert.equal(event.code, 1000);
  } finally {
    await proxy.close();
    await up.kill();
  }
});

Deno.test("proxy streaming: large and chunked responses arrive whole, connections are reused", async () => {
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  let connections = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/big") return new Response(big);
    // No length: Deno sends it chunked.
    const parts = ["alpha-", "beta-", "gamma"];
    return new Response(
      new ReadableStream({
        pull(controller) {
          const next = parts.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      }),
    );
  });
  const counter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // A tiny TCP relay in front of the upstream counts how many connections the proxy opens.
  const relaying = (async () => {
    for await (const conn of counter) {
      connections++;
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      conn.readable.pipeTo(upstream.writable).catch(() => {});
      upstream.readable.pipeTo(conn.writable).catch(() => {});
    }
  })();
  const proxy = startProxy(
    pool([`http://127.0.0.1:${(counter.addr as Deno.NetAddr).port}`], {
      health_check: { enabled: false },
    }),
  );
  try {
    for (let i = 0; i < 3; i++) {
      const body = new Uint8Array(await (await fetch(`${proxy.url}/big`)).arrayBuffer());
      assert.equal(body.length, big.length);
      assert.deepEqual(body.subarray(0, 1000), big.subarray(0, 1000));
      assert.deepEqual(body.subarray(body.length - 1000), big.subarray(big.length - 1000));
      assert.equal(await (await fetch(`${proxy.url}/chunked`)).text(), "alpha-beta-gamma");
    }
    assert.equal(connections, 1, "one keep-alive connection served all six exchanges");
  } finally {
    await proxy.close();
    counter.close();
    await relaying.catch(() => {});
    await server.shutdown();
  }
});
