import assert from "node:assert/strict";
import { DialedWebSocket, DialError, encodeClientFrame, FrameReader } from "./ws_client.ts";

const PROTOCOL = "test.v1";

/** A Deno.serve WebSocket server that echoes binary messages, refusing requests without `auth`. */
function echoServer() {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      if (request.headers.get("authorization") !== "Bearer s3cret") {
        return new Response("Unauthorized", { status: 401 });
      }
      const { socket, response } = Deno.upgradeWebSocket(request, { protocol: PROTOCOL });
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event) => socket.send(event.data);
      return response;
    },
  );
  return { server, addr: `127.0.0.1:${server.addr.port}` };
}

function dial(addr: string, secret: string) {
  return DialedWebSocket.dial({
    addr,
    path: "/",
    tls: false,
    protocol: PROTOCOL,
    headers: { authorization: `Bearer ${secret}` },
    frameBytesMax: 1 << 20,
    timeoutMs: 5000,
  });
}

Deno.test("ws client: binary messages of every length class round-trip through a Deno server", async () => {
  const { server, addr } = echoServer();
  const socket = await dial(addr, "s3cret");
  try {
    const received: Uint8Array[] = [];
    let wake = () => {};
    socket.onmessage = (data) => {
      received.push(data);
      wake();
    };
    const sizes = [0, 1, 125, 126, 65535, 65536, 200_000];
    const sent = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
    for (const payload of sent) socket.send(payload);
    while (received.length < sent.length) await new Promise<void>((r) => wake = r);
    assert.deepEqual(received, sent);
    assert.equal(socket.bufferedAmount, 0);
  } finally {
    socket.close();
    await server.shutdown();
  }
});

Deno.test("ws client: a refused upgrade is a DialError, and close is reported once", async () => {
  const { server, addr } = echoServer();
  try {
    await assert.rejects(
      dial(addr, "wrong"),
      (e) => e instanceof DialError && /401/.test(e.message),
    );
    const socket = await dial(addr, "s3cret");
    let closes = 0;
    socket.onclose = () => closes++;
    socket.close();
    socket.close();
    assert.equal(closes, 1);
    assert.equal(socket.open, false);
  } finally {
    await server.shutdown();
  }
});

Deno.test("ws client: nothing listening is a DialError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(dial(`127.0.0.1:${port}`, "s3cret"), DialError);
});

Deno.test("ws frame reader: fragments reassemble, control frames pass between, bounds hold", () => {
  // Server frames are unmasked: build them by hand.
  const frame = (fin: boolean, opcode: number, payload: number[]) =>
    Uint8Array.from([(fin ? 0x80 : 0) | opcode, payload.length, ...payload]);
  const reader = new FrameReader(8);
  reader.push(frame(false, 0x2, [1, 2]));
  reader.push(frame(true, 0x9, [9])); // a ping in the middle of a fragmented message
  reader.push(frame(true, 0x0, [3]));
  assert.deepEqual(reader.next(), { opcode: 0x9, data: Uint8Array.from([9]) });
  assert.deepEqual(reader.next(), { opcode: 0x2, data: Uint8Array.from([1, 2, 3]) });
  assert.equal(reader.next(), null);

  // Split anywhere, the same frame comes out once it is whole.
  const whole = frame(true, 0x2, [4, 5, 6]);
  reader.push(whole.subarray(0, 1));
  assert.equal(reader.next(), null);
  reader.push(whole.subarray(1));
  assert.deepEqual(reader.next(), { opcode: 0x2, data: Uint8Array.from([4, 5, 6]) });

  const tooBig = new FrameReader(8);
  tooBig.push(frame(true, 0x2, [1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.throws(() => tooBig.next(), /too large/);
  const orphan = new FrameReader(8);
  orphan.push(frame(true, 0x0, [1]));
  assert.throws(() => orphan.next(), /continuation/);
});

Deno.test("ws client frames are masked, and unmask to the payload", () => {
  const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const bytes = encodeClientFrame(0x2, payload);
  assert.equal(bytes[0], 0x82);
  assert.equal(bytes[1], 0x80 | 126);
  assert.equal((bytes[2] << 8) | bytes[3], 300);
  const reader = new FrameReader(1024);
  reader.push(bytes);
  assert.deepEqual(reader.next(), { opcode: 0x2, data: payload });
});
