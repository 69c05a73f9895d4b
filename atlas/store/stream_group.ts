/**
 * Stream consumer groups (Redis 7.0 streamCG / streamConsumer / streamNACK): the group's last
 * delivered ID and entries-read counter, its pending entries list (PEL: ID → owner, delivery time,
 * delivery count) and its consumers, each with its own PEL and seen time. Times come from the
 * command's ExecContext, so the state is a pure function of the commands and their stamped times.
 */
import { lowerBound, type StreamId } from "./stream_id.ts";

export const STREAM_GROUP_OVERHEAD_BYTES = 96;
export const STREAM_CONSUMER_OVERHEAD_BYTES = 64;
export const STREAM_PENDING_BYTES = 72;

/** Redis's SCG_INVALID_ENTRIES_READ. */
export const ENTRIES_READ_INVALID = -1n;

/** IDs kept sorted (a PEL's order), with binary-search insert / delete / seek. */
export class SortedIds {
  readonly ids: StreamId[] = [];
  lowerBound(id: StreamId): number {
    return lowerBound(this.ids, id);
  }
  add(id: StreamId): void {
    const i = this.lowerBound(id);
    if (this.ids[i] !== id) this.ids.splice(i, 0, id);
  }
  delete(id: StreamId): void {
    const i = this.lowerBound(id);
    if (this.ids[i] === id) this.ids.splice(i, 1);
  }
  get size(): number {
    return this.ids.length;
  }
}

export interface PendingEntry {
  consumer: StreamConsumer;
  deliveryTime: number;
  deliveryCount: number;
}

export class StreamConsumer {
  readonly pel = new SortedIds();
  constructor(readonly name: string, public seenTime: number) {}
}

export class StreamGroup {
  /** ID → pending entry; `order` keeps the IDs sorted. */
  readonly pending = new Map<StreamId, PendingEntry>();
  readonly order = new SortedIds();
  readonly consumers = new Map<string, StreamConsumer>();
  constructor(readonly name: string, public lastId: StreamId, public entriesRead: bigint) {}

  /** Memory estimate of the group's own state (StreamValue adds it to `bytes`). */
  get bytes(): number {
    let n = STREAM_GROUP_OVERHEAD_BYTES + this.name.length +
      this.pending.size * STREAM_PENDING_BYTES;
    for (const c of this.consumers.values()) n += STREAM_CONSUMER_OVERHEAD_BYTES + c.name.length;
    return n;
  }

  /** Consumers in Redis's rax order (by name bytes). */
  sortedConsumers(): StreamConsumer[] {
    return [...this.consumers.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** Adds or reassigns a pending entry (XREADGROUP delivery, XCLAIM FORCE). */
  setPending(id: StreamId, consumer: StreamConsumer, deliveryTime: number, count: number): void {
    const old = this.pending.get(id);
    if (old !== undefined && old.consumer !== consumer) old.consumer.pel.delete(id);
    this.pending.set(id, { consumer, deliveryTime, deliveryCount: count });
    this.order.add(id);
    consumer.pel.add(id);
  }

  /** Removes a pending entry (XACK, or an entry no longer in the stream). */
  deletePending(id: StreamId): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    this.order.delete(id);
    p.consumer.pel.delete(id);
    return true;
  }

  deleteConsumer(c: StreamConsumer): void {
    for (const id of c.pel.ids) {
      this.pending.delete(id);
      this.order.delete(id);
    }
    this.consumers.delete(c.name);
  }
}
