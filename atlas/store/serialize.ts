/**
 * One key's value as a binary string (DUMP-like payload, not RDB-compatible): a type byte, then
 * for collections a varint count and length-prefixed elements (zset scores as float64 LE).
 * Streams (tag 5) also keep their node boundaries and tombstones, which Redis makes observable.
 * Used by snapshots and copy-on-write views.
 */
import { Buffer } from "node:buffer";
import { HashValue } from "./hash_value.ts";
import type { Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { SetValue } from "./set_value.ts";
import { readStream, writeStream } from "./stream_serialize.ts";
import { StreamValue } from "./stream_value.ts";
import { ZSetValue } from "./zset_value.ts";

export const TAG_STRING = "\x00";
const TAG_LIST = "\x01";
const TAG_SET = "\x02";
const TAG_ZSET = "\x03";
const TAG_HASH = "\x04";
const TAG_STREAM = "\x05";
/**
 * Not a value: a snapshot entry with this tag carries a store section (server state outside the
 * keyspace, e.g. the function libraries) named by the entry's key; see Store.registerSection.
 * Snapshots without such entries (older ones) load as before.
 */
export const TAG_SECTION = "\x7f";
/**
 * A snapshot entry that is no value: the entries after it belong to the database its key names
 * (Store.snapshotView; entries before the first belong to database 0).
 */
export const TAG_DATABASE = "\x7e";

export function varint(n: number): string {
  let out = "";
  while (n >= 0x80) {
    out += String.fromCharCode((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  return out + String.fromCharCode(n);
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function encodeDouble(value: number): string {
  f64[0] = value;
  return String.fromCharCode(...f64Bytes);
}

export function serializeValue(value: Value): string {
  if (typeof value === "string") return TAG_STRING + value;
  const parts: string[] = [];
  if (value instanceof ListValue) {
    parts.push(TAG_LIST, varint(value.length));
    for (let i = 0; i < value.length; i++) {
      const item = value.get(i);
      parts.push(varint(item.length), item);
    }
  } else if (value instanceof SetValue) {
    parts.push(TAG_SET, varint(value.size));
    for (const m of value.set) parts.push(varint(m.length), m);
  } else if (value instanceof HashValue) {
    parts.push(TAG_HASH, varint(value.size));
    for (const [f, v] of value.map) parts.push(varint(f.length), f, varint(v.length), v);
  } else if (value instanceof StreamValue) {
    parts.push(TAG_STREAM);
    writeStream(value, parts);
  } else {
    parts.push(TAG_ZSET, varint(value.size));
    for (let n = value.first(); n !== null; n = n.next) {
      parts.push(varint(n.member.length), n.member, encodeDouble(n.score));
    }
  }
  return parts.join("");
}

/** Node's Buffer#latin1Slice (missing from the typings): makes flat one-byte strings. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/**
 * Copies [start, end) of a binary string into a new flat string. `text.slice` would make a V8
 * SlicedString for 13+ chars, which keeps the whole payload alive as long as the value lives.
 */
function flatSlice(text: string, start: number, end: number): string {
  if (end - start < 13) return text.slice(start, end);
  return (Buffer.from(text, "latin1") as unknown as Latin1Slicer).latin1Slice(start, end);
}

export class Reader {
  pos = 1;
  #buf: Latin1Slicer | null = null;
  constructor(readonly text: string) {}
  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.text.length) {
        throw new RangeError("Invalid ATLAS value payload: truncated");
      }
      const b = this.text.charCodeAt(this.pos++);
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new RangeError("Invalid ATLAS value payload: bad varint");
    }
  }
  bytes(length: number): string {
    if (this.pos + length > this.text.length) {
      throw new RangeError("Invalid ATLAS value payload: truncated");
    }
    const start = this.pos;
    this.pos += length;
    if (length < 13) return this.text.slice(start, this.pos);
    this.#buf ??= Buffer.from(this.text, "latin1") as unknown as Latin1Slicer;
    return this.#buf.latin1Slice(start, this.pos);
  }
  item(): string {
    return this.bytes(this.varint());
  }
  double(): number {
    const raw = this.bytes(8);
    for (let i = 0; i < 8; i++) f64Bytes[i] = raw.charCodeAt(i);
    return f64[0];
  }
}

/** Inverse of serializeValue; throws RangeError on a malformed payload. */
export function deserializeValue(payload: string): Value {
  if (payload.length === 0) throw new RangeError("Invalid ATLAS value payload: empty");
  const tag = payload[0];
  if (tag === TAG_STRING) return flatSlice(payload, 1, payload.length);
  const r = new Reader(payload);
  if (tag === TAG_STREAM) {
    const stream = readStream(r);
    if (r.pos !== payload.length) {
      throw new RangeError("Invalid ATLAS value payload: trailing bytes");
    }
    return stream;
  }
  const count = r.varint();
  let value: Value;
  if (tag === TAG_LIST) {
    const list = new ListValue(count);
    for (let i = 0; i < count; i++) list.pushBack(r.item());
    value = list;
  } else if (tag === TAG_SET) {
    const set = new SetValue();
    for (let i = 0; i < count; i++) set.add(r.item());
    value = set;
  } else if (tag === TAG_HASH) {
    const hash = new HashValue();
    for (let i = 0; i < count; i++) hash.set(r.item(), r.item());
    value = hash;
  } else if (tag === TAG_ZSET) {
    const zset = new ZSetValue();
    for (let i = 0; i < count; i++) {
      const member = r.item();
      zset.add(member, r.double());
    }
    value = zset;
  } else {
    throw new RangeError(`Invalid ATLAS value payload: unknown type ${tag.charCodeAt(0)}`);
  }
  if (r.pos !== payload.length) throw new RangeError("Invalid ATLAS value payload: trailing bytes");
  return value;
}
