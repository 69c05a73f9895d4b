import assert from "node:assert/strict";
import { type Message, message } from "../core/types.ts";
import { decodeFrame, encodeBatch, MalformedFrameError } from "./codec.ts";
import { transportConformance } from "./conformance.ts";
import type { Transport } from "./transport.ts";
import { RAFT_WS_PATH, RAFT_WS_PROTOCOL, WebSocketTransport } from "./websocket.ts";
import { Prng } from "../core/prng.ts";

async function startCluster(
  ids: string[],
  secrets: Record<string, string> = {},
  settings: Record<string, string> = {},
) {
  const transports = new Map<string, WebSocketTransport>();
  const inboxes = new Map<string, Message[]>();
  const warnings: string[] = [];
  for (const id of ids) {
    const transport = new WebSocketTransport({
      id,
      hostname: "127.0.0.1",
      port: 0,
      secret: secrets[id] ?? "s3cret",
      sharedSettings: settings[id],
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
  name: "websocket transport: a peer whose shared settings differ is refused and logged",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await startCluster(["a", "b", "c"], {}, {
      a: "databases=16",
      b: "databases=16",
      c: "databases=32",
    });
    try {
      const deadline = Date.now() + 3000;
      const delivered = () => cluster.inboxes.get("a")!.some((m) => m.from === "b");
      const refusedByA = () =>
        cluster.warnings.filter((w) => w.startsWith("a: Refused Raft peer: its settings")).length;
      // Until c has been refused several times: it retries, as a restarted peer would.
      while (Date.now() < deadline && !(delivered() && refusedByA() >= 3)) {
        for (const from of ["b", "c"]) {
          cluster.transports.get(from)!.send([message({ type: "heartbeat", from, to: "a" })]);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // b, configured alike, gets through; c is refused, and a says why. c says it was refused,
      // once however often it retries.
      assert.ok(delivered());
      assert.equal(cluster.inboxes.get("a")!.filter((m) => m.from === "c").length, 0);
      assert.ok(
        cluster.warnings.some((w) =>
          w.startsWith("a: Refused Raft peer: its settings differ from this node's")
        ),
        cluster.warnings.join("\n"),
      );
      assert.ok(refusedByA() >= 3, cluster.warnings.join("\n"));
      // c dials a and b, both configured otherwise: one warning for each.
      const refusedC = cluster.warnings.filter((w) =>
        w.startsWith("c: Raft peer refused this node")
      );
      assert.equal(refusedC.length, 2, cluster.warnings.join("\n"));
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

/**
 * A TCP relay that can go silent: while stalled it forwards nothing in either direction and
 * accepts new connections without relaying them, like a path whose packets are dropped (no
 * FIN, no RST reaches either side).
 */
function stallingRelay(targetPort: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let stalled = false;
  let resume: () => void = () => {};
  let resumed = Promise.resolve();
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        while (stalled) await resumed;
        const n = await from.read(buffer);
        if (n === null) break;
        while (stalled) await resumed; // bytes read just before the stall are held back too
        await to.write(buffer.subarray(0, n));
      }
    } catch { /* closed */ }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch { /* already closed */ }
      conns.delete(conn);
    }
  };
  (async () => {
    for await (const inbound of listener) {
      conns.add(inbound);
      (async () => {
        while (stalled) await resumed;
        const outbound = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        conns.add(outbound);
        pipe(inbound, outbound);
        pipe(outbound, inbound);
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    stall() {
      stalled = true;
      resumed = new Promise((resolve) => (resume = resolve));
    },
    resume() {
      stalled = false;
      resume();
    },
    close() {
      this.resume();
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}

Deno.test({
  name: "websocket transport: a link gone silent (black-holed path) is redialled, and heals",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const options = { hostname: "127.0.0.1", port: 0, secret: "s3cret", pingIntervalMs: 50 };
    const warnings: string[] = [];
    const a = new WebSocketTransport({
      ...options,
      id: "a",
      logger: { info() {}, warn: (msg) => warnings.push(msg) },
    });
    const b = new WebSocketTransport({ ...options, id: "b" });
    const inboxB: Message[] = [];
    await a.start(() => {});
    await b.start((messages) => inboxB.push(...messages));
    const relay = stallingRelay(b.address.port);
    a.setPeer("b", `127.0.0.1:${relay.port}`);
    const until = async (what: string, condition: () => boolean, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const delivered = async (term: number) => {
      await until(`term ${term} delivered`, () => {
        a.send([message({ type: "heartbeat", from: "a", to: "b", term })]);
        return inboxB.some((m) => m.term === term);
      });
    };
    try {
      await delivered(1);
      relay.stall();
      // Silent for more than 4 pings: the link is closed and redialled (through the same
      // black hole, so it stays down) instead of waiting on TCP.
      await until(
        "the silent link to be dropped",
        () =>
          warnings.includes("Raft peer link silent; reconnecting") &&
          !a.peers().find((p) => p.id === "b")!.connected,
      );
      relay.resume();
      await delivered(2);
      assert.ok(a.peers().find((p) => p.id === "b")!.connected);
    } finally {
      relay.close();
      await a.close();
      await b.close();
    }
  },
});
