import { OutputLimits } from "./output_limits.ts";
import assert from "node:assert/strict";
import { parseValue, type RespValue } from "../testing/atlasd_harness.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { Output } from "./output.ts";
import { ReplicationFeed, transactionDone, transactionStarting } from "./replication_feed.ts";

type Log = readonly (readonly string[])[];

/** A feed over an Output that keeps what it sends, fed by hand through `log`. */
function setup() {
  const sent: Uint8Array[] = [];
  const output = new Output({
    write(bytes) {
      sent.push(bytes.slice());
      return Promise.resolve(bytes.length);
    },
  });
  let disconnected = 0;
  const client = {
    addr: "127.0.0.1:1",
    output,
    replicationFeed: null,
    outputSoftSinceS: 0,
  } as unknown as Client;
  const ctx = {
    settings: { outputLimits: new OutputLimits() },
    logger: { info() {}, warn() {}, error() {} },
    disconnect() {
      disconnected++;
    },
  } as unknown as ServerContext;
  const listeners = new Set<(log: Log, atomic: boolean) => void>();
  const subscribe = (listener: (log: Log, atomic: boolean) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const log = (forms: Log, atomic = true) => {
    for (const listener of listeners) listener(forms, atomic);
  };
  /** The commands sent so far, each as its words joined by spaces. */
  const commands = async () => {
    await output.flush();
    const text = new TextDecoder().decode(
      sent.reduce((all, b) => new Uint8Array([...all, ...b]), new Uint8Array()),
    );
    const out: string[] = [];
    for (let pos = 0; pos < text.length;) {
      const [value, next] = parseValue(text, pos)!;
      out.push((value as { v: RespValue[] }).v.map((v) => (v as { v: string }).v).join(" "));
      pos = next;
    }
    return out;
  };
  return { ctx, client, subscribe, log, listeners, commands, disconnects: () => disconnected };
}

Deno.test("replication feed: records logged during the file wait and follow it, SELECT where the database changes", async () => {
  const { ctx, client, subscribe, log, commands } = setup();
  const feed = new ReplicationFeed(ctx, client, subscribe);
  log([["SET", "a", "1"]]);
  log([["SELECT", "3"], ["SET", "b", "2"], ["SELECT", "0"]]);
  assert.deepEqual(await commands(), []); // the file is still being sent
  feed.start();
  log([["SET", "c", "3"]]);
  log([["SELECT", "3"], ["DEL", "b"]]);
  assert.deepEqual(await commands(), [
    "SELECT 0",
    "SET a 1",
    "SELECT 3",
    "SET b 2",
    "SELECT 0",
    "SET c 3",
    "SELECT 3",
    "DEL b",
  ]);
  feed.stop();
});

Deno.test("replication feed: MULTI/EXEC around one call's several forms; expiry DELs and EXEC's writes", async () => {
  const { ctx, client, subscribe, log, commands } = setup();
  const feed = new ReplicationFeed(ctx, client, subscribe);
  feed.start();
  log([["DEL", "k"], ["SET", "k", "v"]]); // a write that expired its key first
  log([["DEL", "x"], ["DEL", "y"]], false); // an active-expiry pass: each alone
  transactionStarting(ctx);
  log([["SET", "m1", "1"]]);
  log([["SELECT", "2"], ["SET", "m2", "2"]]);
  transactionDone(ctx);
  assert.deepEqual(await commands(), [
    "SELECT 0",
    "MULTI",
    "DEL k",
    "SET k v",
    "EXEC",
    "DEL x",
    "DEL y",
    "MULTI",
    "SET m1 1",
    "SELECT 2",
    "SET m2 2",
    "EXEC",
  ]);
  feed.stop();
});

Deno.test("replication feed: stop unsubscribes; a follower past the output limit is disconnected", () => {
  const { ctx, client, subscribe, log, listeners, disconnects } = setup();
  const feed = new ReplicationFeed(ctx, client, subscribe);
  assert.equal(listeners.size, 1);
  // Records waiting for the file count toward the limit too (256 MiB).
  const big = "x".repeat(64 * 1024 * 1024);
  for (let i = 0; i < 5; i++) log([["SET", `k${i}`, big]]);
  assert.equal(disconnects(), 1);
  feed.stop();
  assert.equal(listeners.size, 0);
  log([["SET", "after", "stop"]]);
  assert.equal(disconnects(), 1);
});
