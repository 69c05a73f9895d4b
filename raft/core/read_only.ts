import type { Message, NodeId } from "./types.ts";

interface ReadStatus {
  index: number;
  req: Message;
  acks: Set<NodeId>;
}

/** Context bytes as a map key. */
export function contextKey(ctx: Uint8Array | undefined): string {
  return ctx ? String.fromCharCode(...ctx) : "";
}

/**
 * ReadIndex bookkeeping on the leader: each request records the commit index at arrival and is
 * released once a quorum acknowledged a heartbeat carrying its context (so the leader knew it was
 * still leader after the request arrived). Requests are released in arrival order.
 */
export class ReadOnly {
  #pending = new Map<string, ReadStatus>();
  #queue: string[] = [];

  size(): number {
    return this.#queue.length;
  }

  add(index: number, req: Message): void {
    const key = contextKey(req.context);
    if (this.#pending.has(key)) return;
    this.#pending.set(key, { index, req, acks: new Set() });
    this.#queue.push(key);
  }

  /** Records an ack; returns the acks for that context (undefined if unknown). */
  recvAck(from: NodeId, ctx: Uint8Array | undefined): Set<NodeId> | undefined {
    const rs = this.#pending.get(contextKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Releases every request up to and including the one with this context. */
  advance(ctx: Uint8Array | undefined): { index: number; req: Message }[] {
    const key = contextKey(ctx);
    const at = this.#queue.indexOf(key);
    if (at < 0) return [];
    const keys = this.#queue.splice(0, at + 1);
    const out = [];
    for (const k of keys) {
      const rs = this.#pending.get(k)!;
      this.#pending.delete(k);
      out.push({ index: rs.index, req: rs.req });
    }
    return out;
  }

  lastPendingContext(): Uint8Array | undefined {
    if (this.#queue.length === 0) return undefined;
    return this.#pending.get(this.#queue[this.#queue.length - 1])!.req.context;
  }

  reset(): void {
    this.#pending.clear();
    this.#queue = [];
  }
}
