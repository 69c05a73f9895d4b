/**
 * A stream's payload after its type tag: last / first / max-deleted IDs and entries-added (as
 * decimal text, 64-bit exact), then each node (listpack size, master field names, entries with a
 * live flag; a tombstone keeps only its ID), then the consumer groups: name, last ID,
 * entries-read, consumers (name, seen time), and the PEL (ID, owner, delivery time and count).
 */
import { type Reader, varint } from "./serialize.ts";
import { formatId, parseStrictId, type StreamId } from "./stream_id.ts";
import { StreamConsumer, StreamGroup } from "./stream_group.ts";
import { StreamNode, StreamValue } from "./stream_value.ts";

function item(parts: string[], text: string): void {
  parts.push(varint(text.length), text);
}

export function writeStream(s: StreamValue, parts: string[]): void {
  item(parts, formatId(s.lastId));
  item(parts, formatId(s.firstId));
  item(parts, formatId(s.maxDeletedId));
  item(parts, String(s.entriesAdded));
  parts.push(varint(s.nodes.length));
  for (const node of s.nodes) {
    parts.push(varint(node.lpBytes), varint(node.masterFields.length));
    for (const name of node.masterFields) item(parts, name);
    parts.push(varint(node.ids.length));
    for (let i = 0; i < node.ids.length; i++) {
      item(parts, formatId(node.ids[i]));
      const f = node.fields[i];
      if (f === null) {
        parts.push("\x00");
        continue;
      }
      parts.push("\x01", varint(f.length));
      for (const x of f) item(parts, x);
    }
  }
  parts.push(varint(s.groups.size));
  for (const g of s.groups.values()) {
    item(parts, g.name);
    item(parts, formatId(g.lastId));
    item(parts, String(g.entriesRead));
    parts.push(varint(g.consumers.size));
    for (const c of g.consumers.values()) {
      item(parts, c.name);
      item(parts, String(c.seenTime));
    }
    parts.push(varint(g.pending.size));
    for (const id of g.order.ids) {
      const p = g.pending.get(id)!;
      item(parts, formatId(id));
      item(parts, p.consumer.name);
      item(parts, String(p.deliveryTime));
      item(parts, String(p.deliveryCount));
    }
  }
}

function int(r: Reader): number {
  const text = r.item();
  const n = Number(text);
  if (!/^-?[0-9]{1,20}$/.test(text) || !Number.isSafeInteger(n)) {
    throw new RangeError("Invalid ATLAS value payload: bad stream number");
  }
  return n;
}

function id(r: Reader): StreamId {
  const v = parseStrictId(r.item());
  if (v === null) throw new RangeError("Invalid ATLAS value payload: bad stream ID");
  return v;
}

export function readStream(r: Reader): StreamValue {
  const s = new StreamValue();
  s.lastId = id(r);
  s.firstId = id(r);
  s.maxDeletedId = id(r);
  const added = r.item();
  if (!/^[0-9]{1,20}$/.test(added)) {
    throw new RangeError("Invalid ATLAS value payload: bad entries-added");
  }
  s.entriesAdded = BigInt(added);
  const nodes = r.varint();
  for (let n = 0; n < nodes; n++) {
    const lpBytes = r.varint();
    const names: string[] = [];
    for (let i = r.varint(); i > 0; i--) names.push(r.item());
    const node = new StreamNode(names, lpBytes);
    for (let i = r.varint(); i > 0; i--) {
      node.ids.push(id(r));
      if (r.bytes(1) === "\x00") {
        node.fields.push(null);
        node.deleted++;
        continue;
      }
      const f: string[] = [];
      for (let k = r.varint(); k > 0; k--) f.push(r.item());
      node.fields.push(f);
      node.live++;
    }
    if (node.ids.length === 0) throw new RangeError("Invalid ATLAS value payload: empty node");
    s.loadNode(node);
  }
  for (let n = r.varint(); n > 0; n--) {
    const name = r.item();
    const lastId = id(r);
    const read = r.item();
    if (!/^-?[0-9]{1,20}$/.test(read)) {
      throw new RangeError("Invalid ATLAS value payload: bad read");
    }
    const g = new StreamGroup(name, lastId, BigInt(read));
    for (let k = r.varint(); k > 0; k--) {
      const c = new StreamConsumer(r.item(), int(r));
      g.consumers.set(c.name, c);
    }
    for (let k = r.varint(); k > 0; k--) {
      const pid = id(r);
      const owner = g.consumers.get(r.item());
      if (owner === undefined) throw new RangeError("Invalid ATLAS value payload: PEL owner");
      g.setPending(pid, owner, int(r), int(r));
    }
    s.groups.set(name, g);
  }
  return s;
}
