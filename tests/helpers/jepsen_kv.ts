/**
 * The client of the linearizability runs (tests/cluster_linearizability_test.ts and
 * tests/cluster_membership_faults_test.ts): GET, SET, INCR and compare-and-set on a few keys
 * through one node at a time, every operation recorded for raft/testing's checker. A write whose
 * connection broke or that got an error may or may not have applied (unknown); a failed read had
 * no effect.
 */
import assert from "node:assert/strict";
import { checkLinearizable, type HistoryOp } from "../../raft/testing/linearizability.ts";
import type { KvOp, KvResult } from "../../raft/testing/kv.ts";
import { etagOfBinary } from "../../src/kv/etag.ts";
import type { RespConnection } from "../../src/storage/resp_connection.ts";
import { createPrng } from "../../src/lib/prng.ts";
import { verbose } from "./jepsen.ts";
import type { RaftTestCluster } from "./raft_cluster.ts";

const KEYS = ["a", "b", "c", "d", "e", "f"];
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

export async function kvClient(
  seed: number,
  id: number,
  cluster: RaftTestCluster,
  history: HistoryOp[],
  stopped: () => boolean,
): Promise<void> {
  const random = createPrng(seed * 7919 + 1);
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

/** Enough operations succeeded and the history is linearizable; its summary (seed, faults). */
export function assertLinearizableHistory(
  history: HistoryOp[],
  seed: number,
  faults: string[],
): string {
  const ok = history.filter((h) => h.status === "ok").length;
  const result = checkLinearizable(history, { stepsMax: 20_000_000 });
  const summary = `seed ${seed}, ${history.length} ops (${ok} ok), faults: ${faults.join("; ")}`;
  verbose(`${summary}; checker steps ${result.steps}`);
  assert.ok(ok > 200, `too few successful operations: ${summary}`);
  assert.equal(result.verdict, "ok", `history not linearizable (key ${result.key}): ${summary}`);
  return summary;
}
