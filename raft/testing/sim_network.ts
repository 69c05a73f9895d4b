import type { Message, NodeId } from "../core/types.ts";
import type { Prng } from "../core/prng.ts";
import type { EventQueue } from "./event_queue.ts";

/** Per-link fault settings. */
export interface LinkFaults {
  lossRate: number;
  duplicateRate: number;
  delayMsMin: number;
  delayMsMax: number;
}

export const RELIABLE: LinkFaults = { lossRate: 0, duplicateRate: 0, delayMsMin: 1, delayMsMax: 3 };

/**
 * A simulated network: per-directed-link blocking (symmetric or asymmetric partitions), loss,
 * duplication and random delay (which also reorders). Counts messages for budget tests.
 */
export class SimNetwork {
  #blocked = new Set<string>();
  #links = new Map<string, LinkFaults>();
  defaults: LinkFaults = { ...RELIABLE };
  sent = 0;
  /** Rejected append responses seen (backtracking cost). */
  rejectedAppends = 0;
  delivered = 0;
  sentByType = new Map<string, number>();
  /** Optional filter for scenario tests: return null to drop, or a (possibly changed) message. */
  filter: ((m: Message) => Message | null) | null = null;

  constructor(
    readonly queue: EventQueue,
    readonly random: Prng,
    readonly deliver: (m: Message) => void,
  ) {}

  #key(from: NodeId, to: NodeId): string {
    return `${from}>${to}`;
  }

  /** Blocks from -> to only (asymmetric). */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.#blocked.add(this.#key(from, to));
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts every link between the two groups. */
  partition(groupA: NodeId[], groupB: NodeId[]): void {
    for (const a of groupA) for (const b of groupB) this.cut(a, b);
  }

  isolate(id: NodeId, all: NodeId[]): void {
    for (const other of all) if (other !== id) this.cut(id, other);
  }

  reconnect(id: NodeId, all: NodeId[]): void {
    for (const other of all) {
      this.#blocked.delete(this.#key(id, other));
      this.#blocked.delete(this.#key(other, id));
    }
  }

  healAll(): void {
    this.#blocked.clear();
    this.#links.clear();
    this.defaults = { ...RELIABLE };
  }

  setLink(from: NodeId, to: NodeId, faults: LinkFaults): void {
    this.#links.set(this.#key(from, to), faults);
  }

  canReach(from: NodeId, to: NodeId): boolean {
    return !this.#blocked.has(this.#key(from, to));
  }

  send(m: Message): void {
    this.sent++;
    this.sentByType.set(m.type, (this.sentByType.get(m.type) ?? 0) + 1);
    if (m.type === "appResp" && m.reject) this.rejectedAppends++;
    if (this.filter) {
      const kept = this.filter(m);
      if (!kept) return;
      m = kept;
    }
    const key = this.#key(m.from, m.to);
    if (this.#blocked.has(key)) return;
    const f = this.#links.get(key) ?? this.defaults;
    if (f.lossRate > 0 && this.random.chance(f.lossRate)) return;
    const copies = f.duplicateRate > 0 && this.random.chance(f.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.random.range(f.delayMsMin, f.delayMsMax);
      this.queue.after(delay, () => {
        // A partition raised while the message was in flight also drops it.
        if (this.#blocked.has(key)) return;
        this.delivered++;
        this.deliver(m);
      });
    }
  }
}
