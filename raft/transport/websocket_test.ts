import assert from "node:assert/strict";
import { type Message, message } from "../core/types.ts";
import { decodeFrame, encodeBatch, MalformedFrameError } from "./codec.ts";
import { transportConformance } from "./conformance.ts";
import type { Transport } from "./transport.ts";
import { RAFT_WS_PATH, RAFT_WS_PROTOCOL, WebSocketTransport } from "./websocket.ts";
import { Prng } from "../core/prng.ts";

async function startCluster(ids: string[], secrets: Record<string, string> = {}) {
  const transports = new Map<string, WebSocketTransport>();
  const inboxes = new Map<string, Message[]>();
  const warnings: string[] = [];
  for (const id of ids) {
    const transport = new WebSocketTransport({
      id,
      hostname: "127.0.0.1",
      port: 0,
      secret: secrets[id] ?? "s3cret",
      logger: { info() {}, warn: (msg) => warnings.push(`${id}: ${msg}`) },
    });
    const inbox: Message[] = [];
    await transport.start((messages) => inbox.push(...messages));
    transports.set(id, transport);
    inboxes.set(id, inbox);
  }
  for (const [id, transport] of transports) {
    for (const [peer, other] of transports) {
      if (peer !== id) transport.setPeer(peer, `127.0.0.1:${other.address.port}`);
    }
  }
  return {
    transports: transports as Map<string, Transport>,
    websockets: transports,
    inboxes,
    warnings,
    close: async () => {
      for (const transport of transports.values()) await transport.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

transportConformance("websocket", (ids) => startCluster(ids));

Deno.test({
  name: "websocket transport: a peer without the cluster secret is refused and logged",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startCluster(["a", "intruder"], { intruder: "wrong" });
    try {
      const intruder = cluster.transports.get("intruder")!;
      const deadline = Date.now() + 1500;
      while (
        Date.now() < deadline && !cluster.warnings.some((w) => w.includes("Refused Raft peer"))
      ) {
        intruder.send([message({ type: "heartbeat", from: "intruder", to: "a" })]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(
        cluster.warnings.some((w) => w.startsWith("a: Refused Raft peer")),
        cluster.warnings.join("\n"),
      );
      assert.equal(cluster.inboxes.get("a")!.length, 0);
      const response = await fetch(
        `http://127.0.0.1:${cluster.websockets.get("a")!.address.port}${RAFT_WS_PATH}`,
      );
      assert.equal(response.status, 401);
      await response.body?.cancel();
    } finally {
      await cluster.close();
    }
  },
});

Deno.test({
  name: "websocket transport: a malformed frame closes that link and nothing else",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startCluster(["a", "b"]);
    try {
      const port = cluster.websockets.get("a")!.address.port;
      const rogue = new WebSocket(`ws://127.0.0.1:${port}${RAFT_WS_PATH}`, {
        headers: { authorization: "Bearer s3cret" },
        protocols: [RAFT_WS_PROTOCOL],
      });
      const closed = new Promise((resolve) => (rogue.onclose = resolve));
      await new Promise((resolve) => (rogue.onopen = resolve));
      rogue.send(new Uint8Array([1, 255, 255, 255, 255, 9]));
      await closed;
      assert.ok(cluster.warnings.some((w) => w.includes("malformed frame")));
      const b = cluster.transports.get("b")!;
      const deadline = Date.now() + 3000;
      while (cluster.inboxes.get("a")!.length === 0 && Date.now() < deadline) {
        b.send([message({ type: "heartbeat", from: "b", to: "a", term: 3 })]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(cluster.inboxes.get("a")![0].term, 3);
    } finally {
      await cluster.close();
    }
  },
});

Deno.test("codec: random bytes and truncated frames are malformed, never a crash", () => {
  const prng = new Prng(7);
  const random = () => prng.nextU32() / 2 ** 32;
  const valid = encodeBatch([
    message({
      type: "app",
      from: "a",
      to: "b",
      entries: [{ type: "normal", term: 1, index: 1, data: new Uint8Array(10) }],
    }),
  ]);
  for (let cut = 0; cut < valid.length; cut++) {
    assert.throws(() => decodeFrame(valid.subarray(0, cut)), MalformedFrameError);
  }
  for (let i = 0; i < 2000; i++) {
    const junk = new Uint8Array(1 + Math.floor(random() * 64)).map(() =>
      Math.floor(random() * 256)
    );
    try {
      decodeFrame(junk);
    } catch (error) {
      assert.ok(
        error instanceof MalformedFrameError || error instanceof SyntaxError ||
          error instanceof RangeError,
        String(error),
      );
    }
  }
});
