import assert from "node:assert/strict";
import { type Message, message } from "../core/types.ts";
import type { Transport } from "./transport.ts";

/** A set of started transports that know each other's addresses. */
export interface TransportCluster {
  transports: Map<string, Transport>;
  inboxes: Map<string, Message[]>;
  close(): Promise<void>;
}

export type ClusterFactory = (ids: string[]) => Promise<TransportCluster>;

async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** The behaviour every Transport must show; registers one Deno.test per property. */
export function transportConformance(name: string, makeCluster: ClusterFactory): void {
  const t = (what: string, fn: () => Promise<void>) =>
    Deno.test({
      name: `${name} transport: ${what}`,
      fn,
      sanitizeOps: false,
      sanitizeResources: false,
    });

  t("delivers every field of a message, entries, snapshot and context intact", async () => {
    const cluster = await makeCluster(["a", "b"]);
    try {
      const sent = message({
        type: "app",
        from: "a",
        to: "b",
        term: 7,
        logTerm: 6,
        index: 41,
        commit: 40,
        reject: true,
        rejectHint: 12,
        entries: [{ type: "normal", term: 7, index: 42, data: bytes("SET k v") }, {
          type: "confChange",
          term: 7,
          index: 43,
          data: bytes("{}"),
        }],
        snapshot: {
          meta: { index: 40, term: 6, confState: { voters: ["a", "b"], learners: [] } },
          data: bytes("s"),
        },
        context: bytes("ctx"),
      });
      await eventually(() => {
        cluster.transports.get("a")!.send([sent]);
        return cluster.inboxes.get("b")!.length > 0;
      }, "first delivery");
      assert.deepEqual(cluster.inboxes.get("b")![0], sent);
    } finally {
      await cluster.close();
    }
  });

  t("keeps the order of messages sent on one link", async () => {
    const cluster = await makeCluster(["a", "b"]);
    try {
      const a = cluster.transports.get("a")!;
      await eventually(() => {
        a.send([message({ type: "heartbeat", from: "a", to: "b", term: 0 })]);
        return cluster.inboxes.get("b")!.length > 0;
      }, "link up");
      for (let i = 1; i <= 100; i++) {
        a.send([message({ type: "heartbeat", from: "a", to: "b", term: i })]);
      }
      // Probes sent while the link came up carry term 0; the numbered ones must arrive in order.
      const numbered = () => cluster.inboxes.get("b")!.filter((m) => m.term > 0).map((m) => m.term);
      await eventually(() => numbered().length >= 100, "100 messages");
      assert.deepEqual(numbered(), Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      await cluster.close();
    }
  });

  t("a message for an unknown or removed peer is reported unreachable, never thrown", async () => {
    const cluster = await makeCluster(["a", "b"]);
    try {
      const a = cluster.transports.get("a")!;
      a.send([message({ type: "heartbeat", from: "a", to: "nobody" })]);
      assert.ok(a.takeUnreachable().includes("nobody"));
      a.removePeer("b");
      a.send([message({ type: "heartbeat", from: "a", to: "b" })]);
      assert.ok(a.takeUnreachable().includes("b"));
      assert.deepEqual(a.takeUnreachable(), []);
    } finally {
      await cluster.close();
    }
  });
}
