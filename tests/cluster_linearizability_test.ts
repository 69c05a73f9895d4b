/**
 * A bounded Jepsen-style run against a real 5-node cluster: concurrent clients do GET, SET, INCR
 * and compare-and-set on a few keys while a nemesis rotates partitions, kill -9 and restarts; the
 * recorded history must be linearizable (raft/testing's checker). An acknowledged write that was
 * lost would make a later read impossible to linearize, so this also checks durability.
 *
 * HELIOS_JEPSEN_SECONDS sets the length of the fault phase (default 20).
 */
import assert from "node:assert/strict";
import { checkLinearizable, type HistoryOp } from "../raft/testing/linearizability.ts";
import type { KvOp, KvResult } from "../raft/testing/kv.ts";
import { etagOfBinary } from "../src/kv/etag.ts";
import type { RespConnection } from "../src/storage/resp_connection.ts";
import { createPrng } from "../src/lib/prng.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

const KEYS = ["a", "b", "c", "d", "e", "f"];
const CLIENTS = 8;
const FAULT_SECONDS = Number(Deno.env.get("HELIOS_JEPSEN_SECONDS") ?? "20");

type Outcome = { status: "ok" | "fail" | "unknown"; result: KvResult };

function toCommand(op: KvOp): string[] {
  switch (op.kind) {
    case "get":
      return ["GET", op.key];
    case "set":
      return ["SET", op.key, String(op.value)];
    case "incr":
      return ["INCR", op.key];
    case "cas":
      return op.expect === null
        ? ["SET", op.key, String(op.value), "NX"]
        : ["KV.CAS", op.key, etagOfBinary(String(op.expect)), String(op.value), "0"];
  }
}

/** Maps a reply to the history: reads that failed had no effect; failed writes may have. */
function outcome(op: KvOp, reply: { kind: string; value?: unknown }): Outcome {
  if (reply.kind === "error") {
    return { status: op.kind === "get" ? "fail" : "unknown", result: null };
  }
  switch (op.kind) {
    case "get":
      return { status: "ok", result: reply.kind === "bulk" ? Number(reply.value) : null };
    case "set":
      return { status: "ok", result: null };
    case "incr":
      return { status: "ok", result: Number(reply.value) };
    case "cas":
      if (op.expect === null) return { status: "ok", result: reply.kind === "simple" ? 1 : 0 };
      return { status: "ok", result: Number(reply.value) === 1 ? 1 : 0 };
  }
}

async function client(
  id: number,
  cluster: RaftTestCluster,
  history: HistoryOp[],
  stopped: () => boolean,
): Promise<void> {
  const random = createPrng(id * 7919 + 1);
  let connection: RespConnection | null = null;
  let target = id % cluster.nodes.length;
  while (!stopped()) {
    const key = KEYS[Math.floor(random() * KEYS.length)];
    const roll = random();
    const op: KvOp = roll < 0.4
      ? { kind: "get", key }
      : roll < 0.6
      ? { kind: "set", key, value: Math.floor(random() * 20) }
      : roll < 0.8
      ? { kind: "incr", key }
      : {
        kind: "cas",
        key,
        expect: random() < 0.2 ? null : Math.floor(random() * 20),
        value: Math.floor(random() * 20),
      };
    const callMs = performance.now();
    let result: Outcome;
    try {
      connection ??= await cluster.connect(target);
      result = outcome(op, await connection.send(toCommand(op)));
    } catch {
      // The connection broke: a write may or may not have been applied.
      result = { status: op.kind === "get" ? "fail" : "unknown", result: null };
      connection?.close();
      connection = null;
    }
    history.push({ client: `c${id}`, op, callMs, returnMs: performance.now(), ...result });
    if (result.status !== "ok") {
      connection?.close();
      connection = null;
      target = (target + 1) % cluster.nodes.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  connection?.close();
}

async function nemesis(
  cluster: RaftTestCluster,
  stopped: () => boolean,
  log: string[],
): Promise<void> {
  const random = createPrng(42);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const all = cluster.nodes.map((n) => n.index);
  while (!stopped()) {
    const fault = Math.floor(random() * 4);
    if (fault === 0 || fault === 3) {
      // Half of the partitions close connections, half black-hole them (nodes must time out).
      const silent = fault === 3;
      const shuffled = [...all].sort(() => random() - 0.5);
      const minority = shuffled.slice(0, 2);
      if (silent) cluster.partitionSilently(minority, shuffled.slice(2));
      else cluster.partition(minority, shuffled.slice(2));
      log.push(`${silent ? "silent " : ""}partition ${minority.join(",")} | rest`);
      await sleep(silent ? 6000 : 1500); // longer than a link's silence limit (4 s)
      cluster.heal();
    } else if (fault === 1) {
      const leader = await cluster.leader(all, 5000).catch(() => all[0]);
      const isolated = [leader];
      cluster.partition(isolated, all.filter((i) => i !== leader));
      log.push(`isolate leader ${leader}`);
      await sleep(1500);
      cluster.heal();
    } else {
      const victim = all[Math.floor(random() * all.length)];
      log.push(`kill -9 ${victim}`);
      await cluster.kill(victim);
      await sleep(1000);
      await cluster.startNode(victim);
    }
    await sleep(700);
  }
}

Deno.test({
  name:
    "raft cluster (5 nodes): a Jepsen-style run under partitions, kill -9 and restarts is linearizable",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 5 });
    const history: HistoryOp[] = [];
    const faults: string[] = [];
    try {
      await cluster.leader();
      let stop = false;
      const stopped = () => stop;
      const clients = Array.from(
        { length: CLIENTS },
        (_, i) => client(i, cluster, history, stopped),
      );
      const faultsDone = nemesis(cluster, stopped, faults);
      await new Promise((resolve) => setTimeout(resolve, FAULT_SECONDS * 1000));
      stop = true;
      await faultsDone;
      cluster.heal();
      for (const node of cluster.nodes) if (!node.process) await cluster.startNode(node.index);
      await Promise.all(clients);

      // A quiet phase after healing: the cluster must serve again.
      await cluster.leader();
      let healedStop = false;
      const quiet = Array.from(
        { length: 4 },
        (_, i) => client(100 + i, cluster, history, () => healedStop),
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      healedStop = true;
      await Promise.all(quiet);

      const ok = history.filter((h) => h.status === "ok").length;
      const result = checkLinearizable(history, { stepsMax: 20_000_000 });
      const summary = `${history.length} ops (${ok} ok), faults: ${faults.join("; ")}`;
      if (Deno.env.get("HELIOS_JEPSEN_VERBOSE")) {
        Deno.stderr.writeSync(
          new TextEncoder().encode(`jepsen: ${summary}; checker steps ${result.steps}\n`),
        );
      }
      assert.ok(ok > 200, `too few successful operations: ${summary}`);
      assert.equal(
        result.verdict,
        "ok",
        `history not linearizable (key ${result.key}): ${summary}`,
      );
    } finally {
      await cluster.close();
    }
  },
});
