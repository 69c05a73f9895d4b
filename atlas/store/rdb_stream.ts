/**
 * Streams in DUMP payloads (RDB_TYPE_STREAM_LISTPACKS_2, what Redis 7.0 writes; the older
 * STREAM_LISTPACKS is read too). The listpacks and the group and consumer names are written as
 * Redis's rdbSaveRawString writes them (LZF-compressed when that saves space).
 *
 * Layout: node count, then per node its master ID (16 bytes: ms and seq, big-endian) and its
 * listpack; the length; last ID; (v2+) first ID, max deleted ID, entries added; then the groups:
 * name, last delivered ID, (v2+) entries read, the PEL (raw 16-byte ID, delivery time as a u64 LE
 * millisecond time, delivery count) and the consumers (name, seen time and the IDs of their PEL
 * entries).
 *
 * A node's listpack is the master entry (live count, deleted count, field count, the master
 * field names, 0), then per entry: flags (1 deleted, 2 same fields as the master), ms and seq
 * deltas from the master ID, the fields (values only when the same as the master's, else a count
 * and field/value pairs), and the entry's element count (lp-count) for walking backwards.
 *
 * ATLAS keeps no fields for a deleted entry (a tombstone), so it writes one as a deleted entry
 * with no fields: Redis walks and skips it the same way, but its node is then smaller than the
 * one Redis had, which can move where later XADDs start a new node.
 */
import type { AtlasLimits } from "../limits.ts";
import { buildListpack, listpackElement, parseListpack } from "./listpack.ts";
import { RdbFormatError, RdbLimitError, RdbReader } from "./rdb_reader.ts";
import * as T from "./rdb_types.ts";
import {
  millisecondTime,
  rdbLength,
  rdbSavedString,
  rdbString,
  u64BigEndian,
} from "./rdb_writer.ts";
import { StreamConsumer, StreamGroup } from "./stream_group.ts";
import { ID_MIN, idMs, idSeq, makeId, type StreamId } from "./stream_id.ts";
import { sameFields, u64DiffAsI64 } from "./stream_listpack.ts";
import { StreamNode, StreamValue } from "./stream_value.ts";

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

// ---- writing ----

function rawId(id: StreamId): string {
  return u64BigEndian(idMs(id)) + u64BigEndian(idSeq(id));
}

/** A node's listpack, as Redis would lay it out (a tombstone as a deleted entry without fields). */
export function streamNodeListpack(node: StreamNode): string {
  const names = node.masterFields;
  const lp = (v: string | number | bigint) => listpackElement(String(v));
  const out = [lp(node.live), lp(node.deleted), lp(names.length)];
  for (const name of names) out.push(lp(name));
  out.push(lp(0));
  const masterMs = idMs(node.masterId);
  const masterSeq = idSeq(node.masterId);
  for (let i = 0; i < node.ids.length; i++) {
    const id = node.ids[i];
    const msDelta = u64DiffAsI64(idMs(id), masterMs);
    const seqDelta = u64DiffAsI64(idSeq(id), masterSeq);
    const fields = node.fields[i];
    if (fields === null) {
      out.push(lp(FLAG_DELETED), lp(msDelta), lp(seqDelta), lp(0), lp(4));
      continue;
    }
    const same = sameFields(names, fields);
    out.push(lp(same ? FLAG_SAMEFIELDS : 0), lp(msDelta), lp(seqDelta));
    if (same) {
      for (let k = 1; k < fields.length; k += 2) out.push(lp(fields[k]));
      out.push(lp(names.length + 3));
    } else {
      out.push(lp(fields.length / 2));
      for (const f of fields) out.push(lp(f));
      out.push(lp(fields.length + 4));
    }
  }
  return buildListpack(out);
}

/** A stream as RDB_TYPE_STREAM_LISTPACKS_2 (type byte included). */
export function encodeStream(s: StreamValue): string {
  const parts = [String.fromCharCode(T.RDB_TYPE_STREAM_LISTPACKS_2), rdbLength(s.nodes.length)];
  for (const node of s.nodes) {
    parts.push(rdbString(rawId(node.masterId)), rdbSavedString(streamNodeListpack(node)));
  }
  const id = (v: StreamId) => rdbLength(idMs(v)) + rdbLength(idSeq(v));
  parts.push(rdbLength(s.length), id(s.lastId), id(s.firstId), id(s.maxDeletedId));
  parts.push(rdbLength(s.entriesAdded), rdbLength(s.groups.size));
  for (const g of s.sortedGroups()) {
    parts.push(rdbSavedString(g.name), id(g.lastId), rdbLength(BigInt.asUintN(64, g.entriesRead)));
    parts.push(rdbLength(g.pending.size));
    for (const pid of g.order.ids) {
      const p = g.pending.get(pid)!;
      parts.push(rawId(pid), millisecondTime(p.deliveryTime), rdbLength(p.deliveryCount));
    }
    parts.push(rdbLength(g.consumers.size));
    for (const c of g.sortedConsumers()) {
      parts.push(rdbSavedString(c.name), millisecondTime(c.seenTime), rdbLength(c.pel.size));
      for (const pid of c.pel.ids) parts.push(rawId(pid));
    }
  }
  return parts.join("");
}

// ---- reading ----

function readRawId(r: RdbReader): StreamId {
  const raw = r.raw(16);
  return makeId(RdbReader.u64BigEndian(raw, 0), RdbReader.u64BigEndian(raw, 8));
}

function readId(r: RdbReader): StreamId {
  const ms = r.lengthBig();
  return makeId(ms, r.lengthBig());
}

const INT_TEXT = /^-?[0-9]{1,20}$/;

/** Walks a node's listpack elements (an entry's shape depends on what came before). */
class NodeCursor {
  i = 0;
  constructor(readonly e: string[], readonly elementBytesMax: number) {}
  int(): bigint {
    const t = this.next();
    if (!INT_TEXT.test(t)) throw new RdbFormatError("stream node: integer expected");
    return BigInt(t);
  }
  small(): number {
    const v = this.int();
    if (v < 0n || v > BigInt(this.e.length)) throw new RdbFormatError("stream node: bad count");
    return Number(v);
  }
  next(): string {
    if (this.i >= this.e.length) throw new RdbFormatError("stream node truncated");
    const s = this.e[this.i++];
    if (s.length > this.elementBytesMax) {
      throw new RdbLimitError(
        `ERR element exceeds the limit of ${this.elementBytesMax} bytes (elementBytesMax)`,
      );
    }
    return s;
  }
}

function readNode(masterId: StreamId, lp: Uint8Array, limits: AtlasLimits): StreamNode {
  const c = new NodeCursor(parseListpack(lp), limits.elementBytesMax);
  const live = c.int();
  const deleted = c.int();
  const names: string[] = [];
  for (let n = c.small(); n > 0; n--) names.push(c.next());
  if (c.int() !== 0n) throw new RdbFormatError("stream node: bad master entry");
  const node = new StreamNode(names, lp.length);
  const masterMs = idMs(masterId);
  const masterSeq = idSeq(masterId);
  while (c.i < c.e.length) {
    const flags = Number(c.int());
    const id = makeId(
      BigInt.asUintN(64, masterMs + c.int()),
      BigInt.asUintN(64, masterSeq + c.int()),
    );
    const fields: string[] = [];
    if (flags & FLAG_SAMEFIELDS) {
      for (const name of names) fields.push(name, c.next());
    } else {
      for (let n = c.small(); n > 0; n--) fields.push(c.next(), c.next());
    }
    const lpCount = c.int();
    const expected = flags & FLAG_SAMEFIELDS ? names.length + 3 : fields.length + 4;
    if (lpCount !== BigInt(expected)) throw new RdbFormatError("stream node: bad lp-count");
    const previous = node.ids.length === 0 ? null : node.ids[node.ids.length - 1];
    // The node's first entry is its master ID (ATLAS derives the master from it).
    if (previous === null ? id !== masterId : id <= previous) {
      throw new RdbFormatError("stream node: IDs out of order");
    }
    node.ids.push(id);
    if (flags & FLAG_DELETED) {
      node.fields.push(null);
      node.deleted++;
    } else {
      if (fields.length === 0) throw new RdbFormatError("stream entry without fields");
      node.fields.push(fields);
      node.live++;
    }
  }
  if (BigInt(node.live) !== live || BigInt(node.deleted) !== deleted || node.live === 0) {
    throw new RdbFormatError("stream node: bad master counts");
  }
  return node;
}

/** Reads a stream after its type byte. */
export function decodeStream(r: RdbReader, type: number, limits: AtlasLimits): StreamValue {
  const s = new StreamValue();
  let lastStored: StreamId | null = null;
  for (let n = r.count(2); n > 0; n--) {
    const key = r.blob();
    if (key.length !== 16) throw new RdbFormatError("stream node key is not an ID");
    const node = readNode(
      makeId(RdbReader.u64BigEndian(key, 0), RdbReader.u64BigEndian(key, 8)),
      r.blob(),
      limits,
    );
    if (lastStored !== null && node.masterId <= lastStored) {
      throw new RdbFormatError("stream nodes out of order");
    }
    lastStored = node.ids[node.ids.length - 1];
    s.loadNode(node);
  }
  if (s.length > limits.collectionLengthMax) {
    throw new RdbLimitError(
      `ERR collection would exceed ${limits.collectionLengthMax} elements (collectionLengthMax)`,
    );
  }
  if (r.lengthBig() !== BigInt(s.length)) throw new RdbFormatError("stream length mismatch");
  s.lastId = readId(r);
  if (lastStored !== null && s.lastId < lastStored) {
    throw new RdbFormatError("stream last ID below its entries");
  }
  if (type === T.RDB_TYPE_STREAM_LISTPACKS) {
    // Before Redis 7.0 these were not saved; Redis derives them the same way.
    s.firstId = s.first()?.[0] ?? ID_MIN;
    s.maxDeletedId = ID_MIN;
    s.entriesAdded = BigInt(s.length);
  } else {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = r.lengthBig();
  }
  for (let g = r.count(); g > 0; g--) readGroup(r, s, type);
  return s;
}

function readGroup(r: RdbReader, s: StreamValue, type: number): void {
  const name = r.string();
  const lastId = readId(r);
  const entriesRead = type === T.RDB_TYPE_STREAM_LISTPACKS
    ? s.estimateEntriesRead(lastId)
    : BigInt.asIntN(64, r.lengthBig()); // -1 (unknown) is saved as 2^64 - 1
  if (s.groups.has(name)) throw new RdbFormatError("duplicate consumer group");
  const group = new StreamGroup(name, lastId, entriesRead);
  const pel = new Map<StreamId, { time: number; count: number }>();
  for (let n = r.count(17); n > 0; n--) {
    const id = readRawId(r);
    const time = r.millisecondTime();
    const count = Number(r.lengthBig());
    if (!Number.isSafeInteger(count) || pel.has(id)) throw new RdbFormatError("bad PEL entry");
    pel.set(id, { time, count });
  }
  for (let n = r.count(10); n > 0; n--) {
    const consumer = new StreamConsumer(r.string(), r.millisecondTime());
    if (group.consumers.has(consumer.name)) throw new RdbFormatError("duplicate consumer");
    group.consumers.set(consumer.name, consumer);
    for (let k = r.count(16); k > 0; k--) {
      const id = readRawId(r);
      const p = pel.get(id);
      if (p === undefined || group.pending.has(id)) {
        throw new RdbFormatError("consumer PEL entry not in the group PEL");
      }
      group.setPending(id, consumer, p.time, p.count);
    }
  }
  // ATLAS's PEL entries always have an owner; Redis too, once a payload is consistent.
  if (group.pending.size !== pel.size) throw new RdbFormatError("PEL entry without a consumer");
  s.groups.set(name, group);
}
