/**
 * A Redis stream: entries ordered by ID, each a flat [field, value, ...] list, kept in nodes shaped
 * like Redis 7.0's listpacks (a node starts at 100 entries or ~4096 listpack bytes; a deleted
 * entry stays as a tombstone in its node until the node has no live entry left). Redis makes the
 * nodes observable (`~` trimming drops whole nodes only, XINFO counts them), so ATLAS keeps the
 * same boundaries, and snapshots keep them too.
 *
 * Memory estimate (`bytes`): per node, per live entry (overhead + field/value bytes), per
 * tombstone, plus consumer-group state.
 */
import { ID_MAX, ID_MIN, idMs, idSeq, lowerBound, type StreamId } from "./stream_id.ts";
import {
  entryBytes,
  LP_EMPTY_BYTES,
  masterEntryBytes,
  NODE_MAX_BYTES,
  NODE_MAX_ENTRIES,
  sameFields,
  u64DiffAsI64,
} from "./stream_listpack.ts";
import type { StreamGroup } from "./stream_group.ts";

export const STREAM_ENTRY_OVERHEAD_BYTES = 48;
export const STREAM_TOMBSTONE_BYTES = 16;
export const STREAM_NODE_OVERHEAD_BYTES = 64;

/** The memory estimate of one live entry (what `bytes` counts; MEMORY USAGE samples it). */
export function streamEntryBytes(fields: readonly string[]): number {
  let n = STREAM_ENTRY_OVERHEAD_BYTES;
  for (const f of fields) n += f.length;
  return n;
}

export type StreamEntry = readonly [StreamId, readonly string[]];

/**
 * CONFIG SET stream-node-max-bytes / stream-node-max-entries, kept on the keyspace's
 * EncodingLimits object next to the OBJECT ENCODING thresholds (absent: Redis's defaults).
 */
export interface StreamNodeLimits {
  streamNodeMaxBytes?: number;
  /** Exact (up to 2^63-1): `~` trimming's default LIMIT is 100 times it in 64-bit arithmetic. */
  streamNodeMaxEntries?: bigint;
}

/** Redis's STREAM_LISTPACK_MAX_SIZE: the node byte bound when stream-node-max-bytes is 0 or above. */
const LISTPACK_MAX_BYTES = 2 ** 30;

export class StreamNode {
  readonly ids: StreamId[] = [];
  /** null = deleted (a tombstone). */
  readonly fields: (readonly string[] | null)[] = [];
  live = 0;
  deleted = 0;
  /** The listpack size Redis would have (it decides where the next node starts). */
  lpBytes: number;
  /** The field names of the node's first entry (Redis's master entry). */
  constructor(readonly masterFields: readonly string[], lpBytes?: number) {
    this.lpBytes = lpBytes ?? LP_EMPTY_BYTES + masterEntryBytes(masterFields);
  }
  get masterId(): StreamId {
    return this.ids[0];
  }
  /** Index of the first id >= `id` (ids.length when none). */
  lowerBound(id: StreamId): number {
    return lowerBound(this.ids, id);
  }
}

export type TrimStrategy =
  | { readonly kind: "maxlen"; readonly maxlen: bigint }
  | { readonly kind: "minid"; readonly minid: StreamId };

export class StreamValue {
  readonly nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = ID_MIN;
  /** Recorded first entry ID (0-0 when empty), as Redis keeps it. */
  firstId: StreamId = ID_MIN;
  maxDeletedId: StreamId = ID_MIN;
  entriesAdded = 0n;
  readonly groups = new Map<string, StreamGroup>();
  /** The estimate of nodes and entries; `bytes` adds the groups. */
  dataBytes = 0;

  get bytes(): number {
    let n = this.dataBytes;
    if (this.groups.size !== 0) { for (const g of this.groups.values()) n += g.bytes; }
    return n;
  }

  /** Groups in Redis's rax order (by name bytes). */
  sortedGroups(): StreamGroup[] {
    return [...this.groups.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** `length`, for code that sizes collections generically. */
  get size(): number {
    return this.length;
  }

  /**
   * Appends an entry whose ID the caller checked is > lastId, in a new node when the last one is
   * full (streamAppendItem: a max-bytes of 0 means 1 GB, a max-entries of 0 no entry bound).
   */
  append(id: StreamId, fields: readonly string[], limits: StreamNodeLimits = {}): void {
    let node = this.nodes.length === 0 ? null : this.nodes[this.nodes.length - 1];
    let total = 0;
    for (const f of fields) total += f.length;
    let maxBytes = limits.streamNodeMaxBytes ?? NODE_MAX_BYTES;
    if (maxBytes === 0 || maxBytes > LISTPACK_MAX_BYTES) maxBytes = LISTPACK_MAX_BYTES;
    const maxEntries = Number(limits.streamNodeMaxEntries ?? NODE_MAX_ENTRIES);
    if (
      node !== null &&
      (node.lpBytes + total >= maxBytes ||
        (maxEntries !== 0 && node.live + node.deleted >= maxEntries))
    ) node = null;
    if (node === null) {
      node = new StreamNode(fields.filter((_, i) => i % 2 === 0));
      this.nodes.push(node);
      this.dataBytes += STREAM_NODE_OVERHEAD_BYTES;
    }
    const master = node.ids.length === 0 ? id : node.masterId;
    node.lpBytes += entryBytes(
      u64DiffAsI64(idMs(id), idMs(master)),
      u64DiffAsI64(idSeq(id), idSeq(master)),
      fields,
      sameFields(node.masterFields, fields),
    );
    node.ids.push(id);
    node.fields.push(fields);
    node.live++;
    this.dataBytes += streamEntryBytes(fields);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the last node whose first ID is <= id, or -1. */
  #nodeAtOrBefore(id: StreamId): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid].masterId <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The live entry with this ID. */
  get(id: StreamId): readonly string[] | undefined {
    const n = this.#nodeAtOrBefore(id);
    if (n < 0) return undefined;
    const node = this.nodes[n];
    const i = node.lowerBound(id);
    if (i === node.ids.length || node.ids[i] !== id) return undefined;
    return node.fields[i] ?? undefined;
  }

  /** Marks a live entry deleted; drops its node when no live entry is left. */
  #tombstone(n: number, i: number): void {
    const node = this.nodes[n];
    this.dataBytes -= streamEntryBytes(node.fields[i] as string[]) - STREAM_TOMBSTONE_BYTES;
    node.fields[i] = null;
    node.live--;
    node.deleted++;
    this.length--;
  }

  #dropNode(n: number): void {
    const node = this.nodes[n];
    for (const f of node.fields) {
      this.dataBytes -= f === null ? STREAM_TOMBSTONE_BYTES : streamEntryBytes(f);
    }
    this.dataBytes -= STREAM_NODE_OVERHEAD_BYTES;
    this.length -= node.live;
    this.nodes.splice(n, 1);
  }

  /** The estimate's part that is not live entries: nodes, tombstones, groups (MEMORY USAGE). */
  structureBytes(): number {
    let n = this.bytes - this.dataBytes;
    for (const node of this.nodes) {
      n += STREAM_NODE_OVERHEAD_BYTES + node.deleted * STREAM_TOMBSTONE_BYTES;
    }
    return n;
  }

  /** streamRangeHasTombstones: whether a deleted entry may lie in [start, end]. */
  rangeHasTombstones(start: StreamId, end: StreamId = ID_MAX): boolean {
    if (this.length === 0 || this.maxDeletedId === ID_MIN) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /**
   * streamEstimateDistanceFromFirstEverEntry: the entries-read counter matching `id`, or -1 when
   * it cannot be known (deleted entries in the way).
   */
  estimateEntriesRead(id: StreamId): bigint {
    if (this.entriesAdded === 0n) return 0n;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1n;
    if (this.maxDeletedId === ID_MIN || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - BigInt(this.length);
      if (id === this.firstId) return this.entriesAdded - BigInt(this.length) + 1n;
    }
    return -1n;
  }

  /** Adds a whole node (snapshot load): entries in ID order, null for a deleted one. */
  loadNode(node: StreamNode): void {
    this.nodes.push(node);
    this.dataBytes += STREAM_NODE_OVERHEAD_BYTES;
    for (const f of node.fields) {
      this.dataBytes += f === null ? STREAM_TOMBSTONE_BYTES : streamEntryBytes(f);
    }
    this.length += node.live;
  }

  /** XDEL of one ID (streamDeleteItem): true when a live entry was deleted. */
  delete(id: StreamId): boolean {
    const n = this.#nodeAtOrBefore(id);
    if (n < 0) return false;
    const node = this.nodes[n];
    const i = node.lowerBound(id);
    if (i === node.ids.length || node.ids[i] !== id || node.fields[i] === null) return false;
    this.#tombstone(n, i);
    if (node.live === 0) this.#dropNode(n);
    return true;
  }

  /** Entries with start <= id <= end, ascending (or descending), at most `count` (0 = all). */
  range(start: StreamId, end: StreamId, count: number, rev: boolean): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (start > end) return out;
    if (!rev) {
      let n = Math.max(this.#nodeAtOrBefore(start), 0);
      let i = n < this.nodes.length ? this.nodes[n].lowerBound(start) : 0;
      for (; n < this.nodes.length; n++, i = 0) {
        const node = this.nodes[n];
        for (; i < node.ids.length; i++) {
          const id = node.ids[i];
          if (id > end) return out;
          const f = node.fields[i];
          if (f === null) continue;
          out.push([id, f]);
          if (out.length === count) return out;
        }
      }
      return out;
    }
    let n = this.#nodeAtOrBefore(end);
    if (n < 0) return out;
    let i = this.nodes[n].lowerBound(end);
    if (i === this.nodes[n].ids.length || this.nodes[n].ids[i] > end) i--;
    for (; n >= 0; n--, i = n >= 0 ? this.nodes[n].ids.length - 1 : 0) {
      const node = this.nodes[n];
      for (; i >= 0; i--) {
        const id = node.ids[i];
        if (id < start) return out;
        const f = node.fields[i];
        if (f === null) continue;
        out.push([id, f]);
        if (out.length === count) return out;
      }
    }
    return out;
  }

  first(): StreamEntry | null {
    return this.range(ID_MIN, ID_MAX, 1, false)[0] ?? null;
  }

  last(): StreamEntry | null {
    return this.range(ID_MIN, ID_MAX, 1, true)[0] ?? null;
  }

  /** streamLastValidID: the last live entry's ID (0-0 when empty). */
  lastValidId(): StreamId {
    return this.last()?.[0] ?? ID_MIN;
  }

  /** streamGetEdgeID(first, tombstones included): the first stored ID, ID_MAX when empty. */
  firstStoredId(): StreamId {
    return this.nodes.length === 0 ? ID_MAX : this.nodes[0].masterId;
  }

  /**
   * streamTrim: drops whole nodes from the front while the strategy allows; unless `approx`,
   * then marks entries deleted inside the next node. `limit` (approx only, 0 = none) bounds the
   * entries removed. Returns the number of entries removed.
   */
  trim(strategy: TrimStrategy, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (strategy.kind === "maxlen" && BigInt(this.length) <= strategy.maxlen) break;
      const node = this.nodes[0];
      const entries = node.live;
      if (limit !== 0 && deleted + entries > limit) break;
      const removeNode = strategy.kind === "maxlen"
        ? BigInt(this.length - entries) >= strategy.maxlen
        : node.ids[node.ids.length - 1] < strategy.minid;
      if (removeNode) {
        this.#dropNode(0);
        deleted += entries;
        continue;
      }
      if (approx) break;
      for (let i = 0; i < node.ids.length; i++) {
        const stop = strategy.kind === "maxlen"
          ? BigInt(this.length) <= strategy.maxlen
          : node.ids[i] >= strategy.minid;
        if (stop) break;
        if (node.fields[i] !== null) {
          this.#tombstone(0, i);
          deleted++;
        }
      }
      break;
    }
    this.firstId = this.length === 0 ? ID_MIN : (this.first() as StreamEntry)[0];
    return deleted;
  }
}
