/**
 * The backup file: a consistent copy of an ATLAS keyspace, verifiable on its own.
 *
 *   "HELIOSBK" | u8 version (1) | u32 metaLength | meta (JSON: createdAt, source, keys)
 *   | record* | u32 crc32(everything before)
 *   record = u32 keyLength | u32 payloadLength | f64 expireAtMs (-1 = none) | key | payload
 *
 * Keys and payloads are the store's binary strings (Store.dumpValue format). A file that is
 * truncated, altered or not a backup is refused with a clear error before anything is written.
 */
import { Buffer } from "node:buffer";

const MAGIC = "HELIOSBK";
const VERSION = 1;

export interface BackupMeta {
  createdAt: string;
  /** Where it came from: a node id or an address. */
  source: string;
  keys: number;
}

export interface BackupEntry {
  key: string;
  payload: string;
  expireAtMs: number | null;
}

export class BackupCorruptError extends Error {
  override name = "BackupCorruptError";
  constructor(reason: string) {
    super(`Not a valid Helios backup: ${reason}`);
  }
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function encodeBackup(meta: BackupMeta, entries: Iterable<BackupEntry>): Uint8Array {
  const chunks: Buffer[] = [];
  const metaBytes = Buffer.from(JSON.stringify(meta), "utf8");
  const head = Buffer.alloc(MAGIC.length + 5);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt8(VERSION, MAGIC.length);
  head.writeUInt32LE(metaBytes.length, MAGIC.length + 1);
  chunks.push(head, metaBytes);
  for (const e of entries) {
    const fixed = Buffer.alloc(16);
    fixed.writeUInt32LE(e.key.length, 0);
    fixed.writeUInt32LE(e.payload.length, 4);
    fixed.writeDoubleLE(e.expireAtMs ?? -1, 8);
    chunks.push(fixed, Buffer.from(e.key, "latin1"), Buffer.from(e.payload, "latin1"));
  }
  const body = Buffer.concat(chunks);
  const out = new Uint8Array(body.length + 4);
  out.set(body, 0);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

/** Verifies the whole file first, then returns its meta and entries. */
export function decodeBackup(bytes: Uint8Array): { meta: BackupMeta; entries: BackupEntry[] } {
  if (bytes.length < MAGIC.length + 9) throw new BackupCorruptError("the file is too short");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString("latin1", 0, MAGIC.length) !== MAGIC) {
    throw new BackupCorruptError("wrong magic bytes");
  }
  if (buf.readUInt8(MAGIC.length) !== VERSION) {
    throw new BackupCorruptError(`unsupported version ${buf.readUInt8(MAGIC.length)}`);
  }
  const crcAt = buf.length - 4;
  if (crc32(bytes.subarray(0, crcAt)) !== buf.readUInt32LE(crcAt)) {
    throw new BackupCorruptError("checksum mismatch (truncated or altered)");
  }
  const metaLength = buf.readUInt32LE(MAGIC.length + 1);
  let at = MAGIC.length + 5;
  if (at + metaLength > crcAt) throw new BackupCorruptError("metadata runs past the end");
  const meta = JSON.parse(buf.toString("utf8", at, at + metaLength)) as BackupMeta;
  at += metaLength;
  const entries: BackupEntry[] = [];
  while (at < crcAt) {
    if (at + 16 > crcAt) throw new BackupCorruptError("a record header runs past the end");
    const keyLength = buf.readUInt32LE(at);
    const payloadLength = buf.readUInt32LE(at + 4);
    const expireAt = buf.readDoubleLE(at + 8);
    at += 16;
    if (at + keyLength + payloadLength > crcAt) {
      throw new BackupCorruptError("a record runs past the end");
    }
    const key = buf.toString("latin1", at, at + keyLength);
    at += keyLength;
    const payload = buf.toString("latin1", at, at + payloadLength);
    at += payloadLength;
    entries.push({ key, payload, expireAtMs: expireAt < 0 ? null : expireAt });
  }
  if (entries.length !== meta.keys) {
    throw new BackupCorruptError(`it says ${meta.keys} keys but holds ${entries.length}`);
  }
  return { meta, entries };
}
