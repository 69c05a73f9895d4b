/**
 * Streams a snapshot file chunk by chunk, verifying each checksum before handing its entries on.
 * Any damage — bad header, bad checksum, a missing end chunk, bytes after it — is a
 * SnapshotCorruptError: a snapshot is never loaded partially.
 */
import type { Disk, DiskFile } from "../aof/disk.ts";
import { crc32 } from "../aof/crc32.ts";
import { latin1Slicer } from "../aof/format.ts";
import { SnapshotCorruptError } from "./errors.ts";
import {
  CHUNK_BODY_BYTES_MAX,
  CHUNK_END,
  CHUNK_ENTRIES,
  CHUNK_HEADER_BYTES,
  decodeSnapshotHeader,
  NO_EXPIRY,
  SNAPSHOT_HEADER_BYTES,
  SNAPSHOT_VERSION,
  type SnapshotHeader,
} from "./format.ts";

export type EntrySink = (key: string, payload: string, expireAtMs: number | null) => void;
/** Optional fast path for string values: gets the value itself (a flat string), not a payload. */
export type StringSink = (key: string, value: string, expireAtMs: number | null) => void;

/** The payload tag of a string value (Store.dumpValue format). */
const TAG_STRING = 0;

export interface SnapshotReadResult extends SnapshotHeader {
  keys: number;
  sizeBytes: number;
}

/** Buffered exact reads over a DiskFile. */
class ExactReader {
  private buf = new Uint8Array(0);
  private start = 0;
  offset = 0;

  constructor(private readonly file: DiskFile) {}

  /** Exactly `n` bytes, or fewer at end of file. */
  async read(n: number): Promise<Uint8Array> {
    while (this.buf.length - this.start < n) {
      const chunk = new Uint8Array(Math.max(1 << 20, n - (this.buf.length - this.start)));
      const got = await this.file.read(chunk);
      if (got === null) break;
      const rest = this.buf.subarray(this.start);
      const next = new Uint8Array(rest.length + got);
      next.set(rest);
      next.set(chunk.subarray(0, got), rest.length);
      this.buf = next;
      this.start = 0;
    }
    const end = Math.min(this.buf.length, this.start + n);
    const out = this.buf.subarray(this.start, end);
    this.start = end;
    this.offset += out.length;
    return out;
  }
}

export async function readSnapshot(
  disk: Disk,
  path: string,
  onEntry: EntrySink,
  onString?: StringSink,
): Promise<SnapshotReadResult> {
  const file = await disk.open(path, "read");
  try {
    const reader = new ExactReader(file);
    const header = decodeSnapshotHeader(await reader.read(SNAPSHOT_HEADER_BYTES));
    if (header === null) throw new SnapshotCorruptError(path, 0, "bad header or header checksum");
    if (header.version !== SNAPSHOT_VERSION) {
      throw new SnapshotCorruptError(path, 0, `unsupported version ${header.version}`);
    }
    let keys = 0;
    for (;;) {
      const at = reader.offset;
      const head = await reader.read(CHUNK_HEADER_BYTES);
      if (head.length < CHUNK_HEADER_BYTES) {
        throw new SnapshotCorruptError(path, at, "file ends before the end marker");
      }
      const view = new DataView(head.buffer, head.byteOffset, CHUNK_HEADER_BYTES);
      const length = view.getUint32(0, true);
      const stored = view.getUint32(4, true);
      if (length < 1 || length > CHUNK_BODY_BYTES_MAX) {
        throw new SnapshotCorruptError(path, at, `bad chunk length ${length}`);
      }
      const body = await reader.read(length);
      if (body.length < length) {
        throw new SnapshotCorruptError(path, at, "file ends inside a chunk");
      }
      if (crc32(body) !== stored) {
        throw new SnapshotCorruptError(path, at, "chunk checksum mismatch");
      }
      if (body[0] === CHUNK_END) {
        const count = length === 9
          ? new DataView(body.buffer, body.byteOffset + 1, 8).getFloat64(0, true)
          : -1;
        if (count !== keys) {
          throw new SnapshotCorruptError(path, at, `end marker counts ${count} keys, read ${keys}`);
        }
        if ((await reader.read(1)).length !== 0) {
          throw new SnapshotCorruptError(path, reader.offset - 1, "bytes after the end marker");
        }
        return { ...header, keys, sizeBytes: reader.offset };
      }
      if (body[0] !== CHUNK_ENTRIES) throw new SnapshotCorruptError(path, at, "unknown chunk type");
      try {
        keys += decodeEntries(body, onEntry, onString);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw new SnapshotCorruptError(path, at, error.message);
      }
    }
  } finally {
    file.close();
  }
}

function decodeEntries(body: Uint8Array, onEntry: EntrySink, onString?: StringSink): number {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  // One Buffer per chunk: latin1Slice makes exact one-byte strings without a wrapper per call.
  const text = latin1Slicer(body);
  const end = body.length;
  let p = 1;
  let count = 0;
  while (p < end) {
    if (p + 4 > end) throw new RangeError("entry cut inside a key length");
    const keyLength = view.getUint32(p, true);
    const keyEnd = p + 4 + keyLength;
    if (keyEnd + 4 > end) throw new RangeError("entry cut inside a key");
    const payloadLength = view.getUint32(keyEnd, true);
    const payloadEnd = keyEnd + 4 + payloadLength;
    if (payloadEnd + 8 > end) throw new RangeError("entry cut inside a value");
    const expireAtMs = view.getFloat64(payloadEnd, true);
    const key = text.latin1Slice(p + 4, keyEnd);
    const at = expireAtMs === NO_EXPIRY ? null : expireAtMs;
    const payloadStart = keyEnd + 4;
    if (onString !== undefined && payloadEnd > payloadStart && body[payloadStart] === TAG_STRING) {
      onString(key, text.latin1Slice(payloadStart + 1, payloadEnd), at);
    } else {
      onEntry(key, text.latin1Slice(payloadStart, payloadEnd), at);
    }
    p = payloadEnd + 8;
    count++;
  }
  return count;
}
