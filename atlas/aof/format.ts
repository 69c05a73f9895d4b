/**
 * The AOF record format (docs/aof.md). A file is a 16-byte header followed by records:
 *
 *   header  = "ATLASAOF" | u32 version (1) | u32 file sequence number
 *   record  = u32 bodyLength | u32 crc32(body) | u32 crc32(previous 8 bytes) | body
 *   body    = f64 nowMs | u32 commandCount | command*
 *   command = u32 argc | (u32 length | bytes)*
 *
 * All integers little-endian. One record holds the whole log of one `execute()` (a MULTI/EXEC
 * block stays atomic), stamped with the clock it ran under so replay reproduces it exactly. The
 * header has its own checksum so a damaged length is told apart from a record cut by a crash.
 */
import { Buffer } from "node:buffer";
import { bytesToBinary, writeBinaryString } from "../store/binary.ts";
import { crc32, crc32Of2Words } from "./crc32.ts";

export const AOF_MAGIC = "ATLASAOF";
export const AOF_VERSION = 1;
export const AOF_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 12;
/** Larger than any legal record (values are capped at 512 MiB); bigger lengths are corruption. */
export const RECORD_BODY_BYTES_MAX = 1024 * 1024 * 1024;

export function encodeAofHeader(fileSeq: number): Uint8Array {
  const out = new Uint8Array(AOF_HEADER_BYTES);
  out.set(new TextEncoder().encode(AOF_MAGIC));
  const view = new DataView(out.buffer);
  view.setUint32(8, AOF_VERSION, true);
  view.setUint32(12, fileSeq, true);
  return out;
}

/** Parses a header; null when it is not a valid ATLAS AOF header. */
export function decodeAofHeader(bytes: Uint8Array): { version: number; fileSeq: number } | null {
  if (bytes.length < AOF_HEADER_BYTES) return null;
  if (bytesToBinary(bytes, 0, 8) !== AOF_MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, AOF_HEADER_BYTES);
  return { version: view.getUint32(8, true), fileSeq: view.getUint32(12, true) };
}

/** Bytes one record takes for this log. */
export function recordSize(log: readonly (readonly string[])[]): number {
  let size = RECORD_HEADER_BYTES + 12;
  for (const command of log) {
    size += 4;
    for (const arg of command) size += 4 + arg.length;
  }
  return size;
}

let lastOut: Uint8Array | null = null;
let lastView: DataView | null = null;

/** A DataView over `out`, reused while the writer keeps encoding into the same chunk. */
function viewOf(out: Uint8Array): DataView {
  if (out !== lastOut) {
    lastOut = out;
    lastView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  return lastView!;
}

/** Encodes one record into `out` at `offset` (which must have recordSize() bytes); returns the end. */
export function encodeRecord(
  out: Uint8Array,
  offset: number,
  nowMs: number,
  log: readonly (readonly string[])[],
): number {
  const view = viewOf(out);
  const bodyStart = offset + RECORD_HEADER_BYTES;
  view.setFloat64(bodyStart, nowMs, true);
  view.setUint32(bodyStart + 8, log.length, true);
  let p = bodyStart + 12;
  for (let c = 0; c < log.length; c++) {
    const command = log[c];
    view.setUint32(p, command.length, true);
    p += 4;
    for (let a = 0; a < command.length; a++) {
      const arg = command[a];
      view.setUint32(p, arg.length, true);
      p += 4;
      p = writeBinary(out, p, arg);
    }
  }
  const bodyLength = p - bodyStart;
  const bodyCrc = crc32(out, 0, bodyStart, p);
  view.setUint32(offset, bodyLength, true);
  view.setUint32(offset + 4, bodyCrc, true);
  view.setUint32(offset + 8, crc32Of2Words(bodyLength, bodyCrc), true);
  return p;
}

/** Copies a binary string into `out` at `offset` (one byte per char); returns the end offset. */
export const writeBinary = writeBinaryString;

/** Convenience for tests and tools: one record as its own byte array. */
export function encodeRecordBytes(nowMs: number, log: readonly (readonly string[])[]): Uint8Array {
  const out = new Uint8Array(recordSize(log));
  encodeRecord(out, 0, nowMs, log);
  return out;
}

/** Node's Buffer#latin1Slice (present at runtime, missing from the typings): exact one-byte strings. */
export interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/** A slicer over `bytes`: build once per file or chunk, not once per string. */
export function latin1Slicer(bytes: Uint8Array): Latin1Slicer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as Latin1Slicer;
}

export interface DecodedRecord {
  nowMs: number;
  log: string[][];
}

/** Decodes a body whose checksum matched; throws RangeError when its structure is inconsistent. */
export function decodeBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  text: Latin1Slicer = latin1Slicer(bytes),
): DecodedRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (p: number, n: number) => {
    if (p + n > end) throw new RangeError("Record body ends inside a field");
  };
  need(start, 12);
  const nowMs = view.getFloat64(start, true);
  const count = view.getUint32(start + 8, true);
  let p = start + 12;
  const log: string[][] = [];
  for (let c = 0; c < count; c++) {
    need(p, 4);
    const argc = view.getUint32(p, true);
    p += 4;
    const command: string[] = [];
    for (let a = 0; a < argc; a++) {
      need(p, 4);
      const length = view.getUint32(p, true);
      p += 4;
      need(p, length);
      command.push(text.latin1Slice(p, p + length));
      p += length;
    }
    log.push(command);
  }
  if (p !== end) throw new RangeError("Record body has trailing bytes");
  return { nowMs, log };
}
