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
