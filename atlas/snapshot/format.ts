/**
 * The snapshot file format (docs/aof.md):
 *
 *   header = "ATLASSNP" | u32 version (1) | u32 aofSeq | f64 createdAtMs | u32 0 | u32 crc32(previous 28 bytes)
 *   chunk  = u32 bodyLength | u32 crc32(body) | body
 *   body   = "E" entry* | "Z" f64 keyCount          (the "Z" chunk ends the file)
 *   entry  = u32 keyLength | key | u32 payloadLength | payload | f64 expireAtMs (-1: none)
 *
 * `aofSeq` is the log position: the snapshot holds the state from before AOF part `aofSeq`.
 * Every chunk is checksummed, so a reader streams the file and still detects any damage.
 */
import { bytesToBinary } from "../store/binary.ts";
import { crc32 } from "../aof/crc32.ts";
import { writeBinary } from "../aof/format.ts";
import { TAG_STRING } from "../store/serialize.ts";

const STRING_TAG_BYTE = TAG_STRING.charCodeAt(0);

export const SNAPSHOT_MAGIC = "ATLASSNP";
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 32;
export const CHUNK_HEADER_BYTES = 8;
export const CHUNK_ENTRIES = 0x45; // "E"
export const CHUNK_END = 0x5a; // "Z"
export const NO_EXPIRY = -1;
/** Chunks are ~1 MiB; one entry may be larger (a 512 MiB value), never beyond this. */
export const CHUNK_BODY_BYTES_MAX = 1100 * 1024 * 1024;

export interface SnapshotHeader {
  version: number;
  aofSeq: number;
  createdAtMs: number;
}

export function encodeSnapshotHeader(aofSeq: number, createdAtMs: number): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES);
  out.set(new TextEncoder().encode(SNAPSHOT_MAGIC));
  const view = new DataView(out.buffer);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, aofSeq, true);
  view.setFloat64(16, createdAtMs, true);
  view.setUint32(28, crc32(out, 0, 0, 28), true);
  return out;
}

/** Null when the bytes are not a valid header (bad magic or checksum). */
export function decodeSnapshotHeader(bytes: Uint8Array): SnapshotHeader | null {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) return null;
  if (bytesToBinary(bytes, 0, 8) !== SNAPSHOT_MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, SNAPSHOT_HEADER_BYTES);
  if (view.getUint32(28, true) !== crc32(bytes, 0, 0, 28)) return null;
  return {
    version: view.getUint32(8, true),
    aofSeq: view.getUint32(12, true),
    createdAtMs: view.getFloat64(16, true),
  };
}

/** Accumulates entries into checksummed chunks. */
export class ChunkEncoder {
  private buf: Uint8Array;
  private view: DataView;
  private used = CHUNK_HEADER_BYTES + 1;

  constructor(private readonly targetBytes = 1024 * 1024) {
    this.buf = new Uint8Array(targetBytes + 64);
    this.view = new DataView(this.buf.buffer);
    this.buf[CHUNK_HEADER_BYTES] = CHUNK_ENTRIES;
  }

  get full(): boolean {
    return this.used >= this.targetBytes;
  }

  get empty(): boolean {
    return this.used === CHUNK_HEADER_BYTES + 1;
  }

  /**
   * Adds one entry. `stringValue`, when given, is the string whose serializeValue payload
   * `payload` is: it is written as the tag byte and then itself, so a large value is not copied
   * into a flat payload first (see SnapshotEntry.stringValue).
   */
  add(key: string, payload: string, expireAtMs: number | null, stringValue?: string): void {
    const need = 16 + key.length + payload.length;
    if (this.used + need > this.buf.length) this.grow(this.used + need);
    const view = this.view;
    let p = this.used;
    view.setUint32(p, key.length, true);
    p = writeBinary(this.buf, p + 4, key);
    view.setUint32(p, payload.length, true);
    if (stringValue === undefined) p = writeBinary(this.buf, p + 4, payload);
    else {
      this.buf[p + 4] = STRING_TAG_BYTE;
      p = writeBinary(this.buf, p + 5, stringValue);
    }
    view.setFloat64(p, expireAtMs ?? NO_EXPIRY, true);
    this.used = p + 8;
  }

  /**
   * The finished chunk and a reset encoder. The chunk is a view of the encoder's buffer, valid
   * until the next add(): write it out first (a copy of every chunk cost as much as encoding it).
   */
  take(): Uint8Array {
    const length = this.used - CHUNK_HEADER_BYTES;
    this.view.setUint32(0, length, true);
    this.view.setUint32(4, crc32(this.buf, 0, CHUNK_HEADER_BYTES, this.used), true);
    const out = this.buf.subarray(0, this.used);
    this.used = CHUNK_HEADER_BYTES + 1;
    return out;
  }

  private grow(minBytes: number): void {
    const next = new Uint8Array(Math.max(minBytes, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.used));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

export function encodeEndChunk(keyCount: number): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES + 9);
  const view = new DataView(out.buffer);
  out[CHUNK_HEADER_BYTES] = CHUNK_END;
  view.setFloat64(CHUNK_HEADER_BYTES + 1, keyCount, true);
  view.setUint32(0, 9, true);
  view.setUint32(4, crc32(out, 0, CHUNK_HEADER_BYTES), true);
  return out;
}
