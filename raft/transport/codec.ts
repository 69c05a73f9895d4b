/**
 * Binary wire format of Raft messages between nodes (little endian):
 *
 *   frame   = u8 kind | body
 *     kind 1 (batch): u32 count | message*
 *     kind 2 (ping):  f64 sentAtMs         kind 3 (pong): f64 sentAtMs (echoed)
 *   message = u8 type | str from | str to | f64 term | f64 logTerm | f64 index | f64 commit
 *             | u8 reject | f64 rejectHint | u32 entryCount | entry* | u8 hasSnapshot [snapshot]
 *             | u8 hasContext [bytes]
 *   entry   = u8 type | f64 term | f64 index | bytes data
 *   snapshot= str metaJson | bytes data;   str = bytes of UTF-8;   bytes = u32 length | raw
 *
 * Decoding is bounded: a length that runs past the frame is a malformed frame, never a crash.
 */
import {
  type Entry,
  type EntryType,
  type Message,
  MESSAGE_TYPES,
  type Snapshot,
} from "../core/types.ts";

const ENTRY_TYPES: EntryType[] = ["normal", "confChange"];

export const FRAME_BATCH = 1;
export const FRAME_PING = 2;
export const FRAME_PONG = 3;

export class MalformedFrameError extends Error {
  override name = "MalformedFrameError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  at = 0;
  ensure(n: number) {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) {
    this.ensure(1);
    this.buf[this.at++] = v;
  }
  u32(v: number) {
    this.ensure(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  f64(v: number) {
    this.ensure(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }
  bytes(v: Uint8Array) {
    this.u32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
  }
  str(v: string) {
    this.bytes(encoder.encode(v));
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

class Reader {
  at = 0;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number) {
    if (this.at + n > this.buf.length) throw new MalformedFrameError("frame ends inside a field");
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const v = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return v;
  }
  str(): string {
    return decoder.decode(this.bytes());
  }
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(MESSAGE_TYPES.indexOf(m.type));
  w.str(m.from);
  w.str(m.to);
  w.f64(m.term);
  w.f64(m.logTerm);
  w.f64(m.index);
  w.f64(m.commit);
  w.u8(m.reject ? 1 : 0);
  w.f64(m.rejectHint);
  w.u32(m.entries.length);
  for (const e of m.entries) {
    w.u8(ENTRY_TYPES.indexOf(e.type));
    w.f64(e.term);
    w.f64(e.index);
    w.bytes(e.data);
  }
  w.u8(m.snapshot ? 1 : 0);
  if (m.snapshot) {
    w.str(JSON.stringify(m.snapshot.meta));
    w.bytes(m.snapshot.data);
  }
  w.u8(m.context ? 1 : 0);
  if (m.context) w.bytes(m.context);
}

function readMessage(r: Reader): Message {
  const type = MESSAGE_TYPES[r.u8()];
  if (!type) throw new MalformedFrameError("unknown message type");
  const m: Message = {
    type,
    from: r.str(),
    to: r.str(),
    term: r.f64(),
    logTerm: r.f64(),
    index: r.f64(),
    commit: r.f64(),
    reject: r.u8() === 1,
    rejectHint: r.f64(),
    entries: [],
  };
  const count = r.u32();
  if (count > r.buf.length) throw new MalformedFrameError("impossible entry count");
  for (let i = 0; i < count; i++) {
    const entryType = ENTRY_TYPES[r.u8()];
    if (!entryType) throw new MalformedFrameError("unknown entry type");
    const entry: Entry = { type: entryType, term: r.f64(), index: r.f64(), data: r.bytes() };
    m.entries.push(entry);
  }
  if (r.u8() === 1) {
    const meta = JSON.parse(r.str());
    const snapshot: Snapshot = { meta, data: r.bytes() };
    m.snapshot = snapshot;
  }
  if (r.u8() === 1) m.context = r.bytes();
  return m;
}

export function encodeBatch(messages: Message[]): Uint8Array {
  const w = new Writer();
  w.u8(FRAME_BATCH);
  w.u32(messages.length);
  for (const m of messages) writeMessage(w, m);
  return w.done();
}

export function encodePing(
  kind: typeof FRAME_PING | typeof FRAME_PONG,
  sentAtMs: number,
): Uint8Array {
  const w = new Writer();
  w.u8(kind);
  w.f64(sentAtMs);
  return w.done();
}

export type Frame =
  | { kind: "batch"; messages: Message[] }
  | { kind: "ping" | "pong"; sentAtMs: number };

export function decodeFrame(bytes: Uint8Array): Frame {
  const r = new Reader(bytes);
  const kind = r.u8();
  if (kind === FRAME_BATCH) {
    const count = r.u32();
    if (count > bytes.length) throw new MalformedFrameError("impossible message count");
    const messages: Message[] = [];
    for (let i = 0; i < count; i++) messages.push(readMessage(r));
    return { kind: "batch", messages };
  }
  if (kind === FRAME_PING || kind === FRAME_PONG) {
    return { kind: kind === FRAME_PING ? "ping" : "pong", sentAtMs: r.f64() };
  }
  throw new MalformedFrameError(`unknown frame kind ${kind}`);
}
