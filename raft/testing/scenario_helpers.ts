/** Small helpers for scenario tests on SimCluster (lab-style: one(), waitLeader(), ...). */
import assert from "node:assert/strict";
import type { NodeId } from "../core/types.ts";
import { type ClusterOptions, SimCluster } from "./cluster.ts";
import type { KvOp, KvResult } from "./kv.ts";

export function cluster(nodeCount: number, seed: number, extra: Partial<ClusterOptions> = {}) {
  return new SimCluster({ nodeCount, seed, ...extra });
}

/** Waits for a leader among the up nodes; returns it. */
export function waitLeader(c: SimCluster, maxMs = 3000): NodeId {
  assert.ok(
    c.runUntil(() => c.leader() !== null, maxMs),
    `no leader within ${maxMs}ms (seed in options)`,
  );
  return c.leader()!;
}

/** Sends op to node `at` and runs until the reply (or maxMs); null if no reply. */
export function request(
  c: SimCluster,
  at: NodeId,
  op: KvOp,
  opts: { readIndex?: boolean; maxMs?: number } = {},
): { status: "ok" | "fail"; result: KvResult; hint: NodeId | null } | null {
  let out: { status: "ok" | "fail"; result: KvResult; hint: NodeId | null } | null = null;
  c.submit(at, op, opts.readIndex ?? false, (status, result, hint) => {
    out ??= { status, result, hint };
  });
  c.runUntil(() => out !== null, opts.maxMs ?? 2000);
  return out;
}

/** Nodes whose state machine holds key = value. */
export function nodesWith(c: SimCluster, key: string, value: number): NodeId[] {
  return c.ids.filter((id) => {
    const n = c.node(id);
    return n.up && n.kv.get(key) === value;
  });
}

/**
 * The lab's one(): keeps submitting `set key=value` to the current leader until it is applied on
 * at least `expected` nodes, within maxMs. Returns the nodes that applied it.
 */
export function one(
  c: SimCluster,
  key: string,
  value: number,
  expected: number,
  maxMs = 5000,
): NodeId[] {
  const deadline = c.now + maxMs;
  while (c.now < deadline) {
    const l = c.leader();
    if (l) {
      const r = request(c, l, { kind: "set", key, value }, { maxMs: 500 });
      if (r?.status === "ok") {
        c.runUntil(() => nodesWith(c, key, value).length >= expected, 1000);
        const got = nodesWith(c, key, value);
        if (got.length >= expected) return got;
      }
    }
    c.run(50);
  }
  assert.fail(`one(${key}=${value}) did not reach ${expected} nodes within ${maxMs}ms`);
}

/** Asserts the safety checkers saw nothing (and runs the log-matching check). */
export function assertSafe(c: SimCluster): void {
  c.checkLogs();
  assert.deepEqual(c.checker.violations, []);
}

/** Distinct leaders among up nodes that are mutually connected with a quorum. */
export function termsOfLeaders(c: SimCluster): number[] {
  return c.leaders().map((id) => c.node(id).raw.raft.term);
}
