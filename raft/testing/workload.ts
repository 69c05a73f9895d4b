import type { Prng } from "../core/prng.ts";
import type { NodeId } from "../core/types.ts";
import type { SimCluster } from "./cluster.ts";
import type { KvOp } from "./kv.ts";
import type { HistoryOp } from "./linearizability.ts";

export interface WorkloadOptions {
  clients: number;
  keys: number;
  opTimeoutMs: number;
  /** Share of gets served through ReadIndex instead of the log. */
  readIndexRate: number;
}

/**
 * Closed-loop clients on the replicated KV: each sends one operation at a time to the node it
 * believes leads, and records invoke/ok/fail/unknown in `history`. A timeout is "unknown" (the
 * operation may still take effect); a refusal by a non-leader is "fail" (it never will).
 */
export class Workload {
  readonly history: HistoryOp[] = [];
  running = true;
  #hints: (NodeId | null)[];
  #nextValue = 1;

  constructor(readonly cluster: SimCluster, readonly random: Prng, readonly opts: WorkloadOptions) {
    this.#hints = Array(opts.clients).fill(null);
  }

  start(): void {
    for (let c = 0; c < this.opts.clients; c++) {
      this.cluster.queue.after(this.random.range(0, 20), () => this.#issue(c));
    }
  }

  okAfter(timeMs: number): number {
    return this.history.filter((h) => h.status === "ok" && h.callMs >= timeMs).length;
  }

  #randomOp(): KvOp {
    const key = `k${this.random.int(this.opts.keys)}`;
    const r = this.random.next();
    if (r < 0.35) return { kind: "get", key };
    if (r < 0.6) return { kind: "set", key, value: this.#nextValue++ };
    if (r < 0.8) return { kind: "incr", key };
    const expect = this.random.chance(0.2) ? null : this.random.int(this.#nextValue + 2);
    return { kind: "cas", key, expect, value: this.#nextValue++ };
  }

  #issue(c: number): void {
    if (!this.running) return;
    const q = this.cluster.queue;
    const op = this.#randomOp();
    const h: HistoryOp = {
      client: `c${c}`,
      op,
      callMs: q.now,
      returnMs: 0,
      status: "unknown",
      result: null,
    };
    this.history.push(h);
    // Clients know the membership: decommissioned (removed) nodes are not tried.
    const ids = this.cluster.ids.filter((id) => !this.cluster.removed.has(id));
    const target = this.#hints[c] ?? this.random.pick(ids);
    const readIndex = this.random.chance(this.opts.readIndexRate);
    let done = false;
    const next = (delayMs: number) => q.after(delayMs, () => this.#issue(c));
    q.after(this.random.range(1, 3), () => {
      this.cluster.submit(target, op, readIndex, (status, result, hint) => {
        q.after(this.random.range(1, 3), () => {
          if (done) return;
          done = true;
          h.status = status;
          h.result = result;
          h.returnMs = q.now;
          this.#hints[c] = status === "ok" ? target : hint;
          next(status === "ok" ? this.random.range(0, 10) : this.random.range(5, 30));
        });
      });
    });
    q.after(this.opts.opTimeoutMs, () => {
      if (done) return;
      done = true;
      this.#hints[c] = null;
      next(this.random.range(0, 10));
    });
  }
}
