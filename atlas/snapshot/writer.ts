/**
 * Writes a snapshot from a copy-on-write view while the store keeps serving: entries are encoded
 * into ~1 MiB checksummed chunks, and the writer yields to the event loop at least every
 * `sliceMs` (4 ms), so a large snapshot adds only short pauses to command latency. The file appears
 * atomically: temp file → fsync → rename → fsync the directory.
 */
import { setImmediate } from "node:timers";
import type { Disk } from "../aof/disk.ts";
import { snapshotPath, TEMP_SUFFIX } from "../aof/layout.ts";
import type { SnapshotView } from "../store/snapshot_view.ts";
import { ChunkEncoder, encodeEndChunk, encodeSnapshotHeader } from "./format.ts";

export interface SnapshotWriteResult {
  path: string;
  keys: number;
  sizeBytes: number;
}

export interface SnapshotWriteOptions {
  disk: Disk;
  dir: string;
  /** The log position: the view holds the state from before AOF part `aofSeq`. */
  aofSeq: number;
  createdAtMs: number;
  chunkBytes?: number;
  /** Entries taken from the view per step. */
  batchEntries?: number;
  /** Longest stretch of serialization between event-loop yields (default 4 ms). */
  sliceMs?: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function writeSnapshot(
  view: SnapshotView,
  options: SnapshotWriteOptions,
): Promise<SnapshotWriteResult> {
  const { disk, dir } = options;
  const path = snapshotPath(dir, options.aofSeq);
  const temp = path + TEMP_SUFFIX;
  const file = await disk.open(temp, "create");
  let keys = 0;
  let sizeBytes = 0;
  try {
    const header = encodeSnapshotHeader(options.aofSeq, options.createdAtMs);
    await file.write(header);
    sizeBytes += header.length;
    const encoder = new ChunkEncoder(options.chunkBytes);
    const batch = options.batchEntries ?? 256;
    const sliceMs = options.sliceMs ?? 4;
    let sliceStartMs = performance.now();
    for (let entries = view.nextBatch(batch); entries.length > 0; entries = view.nextBatch(batch)) {
      for (const entry of entries) {
        encoder.add(entry.key, entry.payload, entry.expireAtMs, entry.stringValue);
      }
      keys += entries.length;
      const chunkDone = encoder.full;
      if (chunkDone) {
        const chunk = encoder.take();
        await file.write(chunk);
        sizeBytes += chunk.length;
      }
      // Writers and readers run between slices; the view keeps the state of its log position.
      if (chunkDone || performance.now() - sliceStartMs >= sliceMs) {
        await yieldToLoop();
        sliceStartMs = performance.now();
      }
    }
    const tail = encoder.empty ? [] : [encoder.take()];
    for (const chunk of [...tail, encodeEndChunk(keys)]) {
      await file.write(chunk);
      sizeBytes += chunk.length;
    }
    await file.sync();
  } catch (error) {
    file.close();
    view.close();
    await disk.remove(temp).catch(() => undefined);
    throw error;
  }
  file.close();
  view.close();
  await disk.rename(temp, path);
  await disk.syncDir(dir);
  return { path, keys, sizeBytes };
}
