/**
 * The client of the linearizability runs (tests/cluster_linearizability_test.ts and
 * tests/cluster_membership_faults_test.ts): GET, SET, INCR and compare-and-set on a few keys
 * through one node at a time, every operation recorded for raft/testing's checker. A write whose
 * connection broke or that got an error may or may not have applied (unknown), unless the error
 * says it certainly was not (src/storage/write_outcome.ts): then it failed, and the checker holds
 * the cluster to that; a failed read had no effect.
 */
import assert from "node:assert/strict";
import { checkLinearizable, type HistoryOp } from "../../raft/testing/linearizability.ts";
import type { KvOp, KvResult } from "../../raft/testing/kv.ts";
import { etagOfBinary } from "../../src/kv/etag.ts";
import type { RespConnection } from "../../src/storage/resp_connection.ts";
import { createPrng } from "../../src/lib/prng.ts";
import { isNotAppliedError } from "../../src/storage/write_outcome.ts";
import { verbose } from "./jepsen.ts";
import type { RaftTestCluster } from "./raft_cluster.ts";

const KEYS = ["a", "b", "c", "d", "e", "f"];
/** Operations slower than this are printed with HELIOS_JEPSEN_VERBOSE. */
const SLOW_MS = 5000;
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

/**
 * Maps a reply to the history: reads that failed had no effect; failed writes may have, unless
 * the error says they certainly did not.
 */
function outcome(op: KvOp, reply: { kind: string; value?: unknown }): Outcome {
  if (reply.kind === "error") {
    const failed = op.kind === "get" || isNotAppliedError(String(reply.value));
    return { status: failed ? "fail" : "unknown", result: null };
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
    let error = "";
    try {
      connection ??= await cluster.connect(target);
      const reply = await connection.send(toCommand(op));
      if (reply.kind === "error") error = String(reply.value);
      result = outcome(op, reply);
    } catch (cause) {
      // The connection broke: a write may or may not have been applied.
      error = (cause as Error).message;
      result = { status: op.kind === "get" ? "fail" : "unknown", result: null };
      connection?.close();
      connection = null;
    }
    const returnMs = performance.now();
    history.push({ client: `c${id}`, op, callMs, returnMs, ...result });
    if (returnMs - callMs > SLOW_MS) {
      verbose(
        `c${id}: ${toCommand(op).join(" ")} on node ${target} took ${
          Math.round(returnMs - callMs)
        } ms (${result.status}${error ? `: ${error}` : ""})`,
      );
    }
    if (result.status !== "ok") {
      connection?.close();
      connection = null;
      target = (target + 1) % cluster.nodes.length;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  connection?.close();
}

/**
 * The longest any operation may wait for its reply. A write certainly not applied is retried for
 * the request timeout (2 s here); its last attempt may wait a second for the leader's address and
 * twice the request timeout for a forwarded reply (a black-holed link to the leader); a node
 * paused meanwhile adds its pause (at most 4 s): 11 s in all. The bound is far above that (a
 * loaded 2-core CI machine stretches every step): it catches a client left waiting on a dead
 * path, which waits until the run ends, not a slow one. (The slowest seen in about 30 runs:
 * 11.4 s, once; 4-6 s otherwise.)
 */
export const REPLY_BOUND_MS = 30_000;

/**
 * Enough operations succeeded, none waited longer than REPLY_BOUND_MS, and the history is
 * linearizable; its summary (seed, faults).
 */
export function assertLinearizableHistory(
  history: HistoryOp[],
  seed: number,
  faults: string[],
): string {
  const count = (status: HistoryOp["status"]) => history.filter((h) => h.status === status).length;
  const ok = count("ok");
  const slowest = history.reduce((ms, h) => Math.max(ms, h.returnMs - h.callMs), 0);
  const result = checkLinearizable(history, { stepsMax: 20_000_000 });
  const summary = `seed ${seed}, ${history.length} ops (${ok} ok, ${count("fail")} fail, ${
    count("unknown")
  } unknown; slowest ${Math.round(slowest)} ms), faults: ${faults.join("; ")}`;
  verbose(`${summary}; checker steps ${result.steps}`);
  assert.ok(ok > 200, `too few successful operations: ${summary}`);
  assert.ok(slowest <= REPLY_BOUND_MS, `an operation waited ${Math.round(slowest)} ms: ${summary}`);
  assert.equal(result.verdict, "ok", `history not linearizable (key ${result.key}): ${summary}`);
  return summary;
}
