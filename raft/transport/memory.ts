/**
 * An in-process transport for tests of the driver and the cluster layer: every node's transport
 * joins one MemoryNetwork, which delivers batches on a later macrotask (never re-entrantly) and
 * can cut links to make partitions.
 */
import type { Message, NodeId } from "../core/types.ts";
import type { PeerLinkStatus, Transport } from "./transport.ts";

export class MemoryNetwork {
  readonly #nodes = new Map<NodeId, MemoryTransport>();
  readonly #cut = new Set<string>();

  transport(id: NodeId): MemoryTransport {
    const transport = new MemoryTransport(id, this);
    this.#nodes.set(id, transport);
    return transport;
  }

  /** Drops every message between a and b, both ways, until `heal`. */
  cut(a: NodeId, b: NodeId): void {
    this.#cut.add(`${a}->${b}`).add(`${b}->${a}`);
  }

  /** Isolates `id` from everyone. */
  isolate(id: NodeId): void {
    for (const other of this.#nodes.keys()) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.#cut.clear();
  }

  /** @internal */
  deliver(from: NodeId, to: NodeId, messages: Message[]): boolean {
    const target = this.#nodes.get(to);
    if (!target || this.#cut.has(`${from}->${to}`)) return false;
    setTimeout(() => target.receive(messages), 0);
    return true;
  }

  /** @internal */
  leave(id: NodeId): void {
    this.#nodes.delete(id);
  }
}

export class MemoryTransport implements Transport {
  #deliver: ((messages: Message[]) => void) | null = null;
  readonly #peers = new Map<NodeId, string>();
  readonly #unreachable = new Set<NodeId>();
  #closed = false;

  constructor(readonly id: NodeId, private readonly network: MemoryNetwork) {}

  start(deliver: (messages: Message[]) => void): Promise<void> {
    this.#deliver = deliver;
    return Promise.resolve();
  }

  send(messages: Message[]): void {
    if (this.#closed) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, batch] of byPeer) {
      if (!this.#peers.has(to) || !this.network.deliver(this.id, to, batch)) {
        this.#unreachable.add(to);
      }
    }
  }

  setPeer(id: NodeId, addr: string): void {
    this.#peers.set(id, addr);
  }

  removePeer(id: NodeId): void {
    this.#peers.delete(id);
  }

  takeUnreachable(): NodeId[] {
    const ids = [...this.#unreachable];
    this.#unreachable.clear();
    return ids;
  }

  peers(): PeerLinkStatus[] {
    return [...this.#peers].map(([id, addr]) => ({ id, addr, connected: true, rttSeconds: null }));
  }

  /** @internal */
  receive(messages: Message[]): void {
    if (!this.#closed) this.#deliver?.(messages);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.network.leave(this.id);
    return Promise.resolve();
  }
}
