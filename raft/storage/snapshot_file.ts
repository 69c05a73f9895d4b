/**
 * Snapshot files: `snap-<index>.snap`, written temp → fsync → rename → fsync dir, so a crash
 * leaves either the old or the new snapshot, never half of one.
 *
 *   "HRS1" | u32 metaLength | meta (JSON: index, term, confState) | data | u32 crc32(all before)
 */
import { join } from "node:path";
import type { Snapshot } from "../core/types.ts";
import { crc32 } from "./wal_codec.ts";

const MAGIC = new TextEncoder().encode("HRS1");

export class SnapshotCorruptError extends Error {
  override name = "SnapshotCorruptError";
  constructor(readonly file: string, reason: string) {
    super(`Raft snapshot ${file} is corrupt (${reason}); restore the node from a peer or a backup`);
  }
}

export function snapshotFileName(index: number): string {
  return `snap-${String(index).padStart(16, "0")}.snap`;
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify(snapshot.meta));
  const out = new Uint8Array(MAGIC.length + 4 + meta.length + snapshot.data.length + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, meta.length, true);
  out.set(meta, 8);
  out.set(snapshot.data, 8 + meta.length);
  const crcAt = out.length - 4;
  view.setUint32(crcAt, crc32(out.subarray(0, crcAt)), true);
  return out;
}

export function decodeSnapshot(file: string, bytes: Uint8Array): Snapshot {
  if (bytes.length < 12 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new SnapshotCorruptError(file, "bad header");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - 4;
  if (crc32(bytes.subarray(0, crcAt)) !== view.getUint32(crcAt, true)) {
    throw new SnapshotCorruptError(file, "checksum mismatch");
  }
  const metaLength = view.getUint32(4, true);
  if (8 + metaLength > crcAt) throw new SnapshotCorruptError(file, "metadata past the end");
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + metaLength)));
  return { meta, data: bytes.slice(8 + metaLength, crcAt) };
}

export async function writeSnapshotFile(dir: string, snapshot: Snapshot): Promise<string> {
  const name = snapshotFileName(snapshot.meta.index);
  const tmp = join(dir, `${name}.tmp`);
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, encodeSnapshot(snapshot));
    await file.syncData();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, join(dir, name));
  await syncDir(dir);
  return name;
}

export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

export async function syncDir(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}
