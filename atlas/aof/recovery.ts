/**
 * Startup recovery: load the newest snapshot, then replay the AOF parts after its log position.
 *
 * Rules (docs/aof.md): zero-filled space after the last record (preallocated by the writer) is
 * trimmed; a torn final record of the LAST part is cut off with a warning when
 * `aofLoadTruncated` is on (else AofTruncatedError); damage anywhere else is AofCorruptError; a
 * snapshot that fails its checks is SnapshotCorruptError; a missing part is AofLayoutError.
 * Records replay with their original clock and `replaying: true`, so TTLs come out exactly as they
 * were (never extended) and no lazy expiry or eviction diverges from the original run.
 */
import type { ExecContext } from "../store/keyspace.ts";
import type { Reply } from "../store/reply.ts";
import { SnapshotCorruptError } from "../snapshot/errors.ts";
import { readSnapshot } from "../snapshot/reader.ts";
import { type Disk, readWholeFile } from "./disk.ts";
import { AofCorruptError, AofLayoutError, AofTruncatedError } from "./errors.ts";
import { aofPath, classifyNames, snapshotPath } from "./layout.ts";
import { scanAof } from "./scan.ts";

/** The part of Store recovery needs. */
export interface RecoverableStore {
  execute(argv: string[], ctx: ExecContext): { reply: Reply; log: string[][] | null };
  restoreValue(key: string, payload: string, expireAtMs: number | null): void;
  /** Optional fast path for string values (no payload string to build and slice). */
  restoreString?(key: string, value: string, expireAtMs: number | null): void;
}

export interface RecoveryLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface RecoveryOptions {
  disk: Disk;
  dir: string;
  store: RecoverableStore;
  aofLoadTruncated: boolean;
  logger: RecoveryLogger;
  /**
   * The directory is in use by a running engine (DEBUG LOADAOF reads it back): read only — no
   * temp file removed, no padding or torn tail cut off (replay stops at the last whole record),
   * no stale file deleted.
   */
  readOnly?: boolean;
}

export interface RecoveryResult {
  /** The AOF part the writer should create next. */
  nextAofSeq: number;
  snapshotSeq: number | null;
  snapshotKeys: number;
  snapshotSizeBytes: number;
  snapshotCreatedAtMs: number | null;
  aofFiles: number;
  aofRecords: number;
  /** Replayed commands whose reply was an error (a divergence worth a look). */
  replayErrors: number;
  /** Bytes of the live AOF parts, after any truncation. */
  aofSizeBytes: number;
  truncated: { file: string; offset: number; droppedBytes: number } | null;
}

const REPLAY_ERRORS_LOGGED = 5;

export async function recover(options: RecoveryOptions): Promise<RecoveryResult> {
  const { disk, dir, store, logger } = options;
  const listing = classifyNames(await disk.readDir(dir));
  if (!options.readOnly) {
    for (const name of listing.tempNames) await disk.remove(`${dir}/${name}`);
  }
  const result: RecoveryResult = {
    nextAofSeq: 1,
    snapshotSeq: null,
    snapshotKeys: 0,
    snapshotSizeBytes: 0,
    snapshotCreatedAtMs: null,
    aofFiles: 0,
    aofRecords: 0,
    replayErrors: 0,
    aofSizeBytes: 0,
    truncated: null,
  };
  const snapshotSeq = listing.snapshotSeqs.at(-1) ?? null;
  if (snapshotSeq !== null) {
    const path = snapshotPath(dir, snapshotSeq);
    const read = await readSnapshot(
      disk,
      path,
      (key, payload, at) => store.restoreValue(key, payload, at),
      store.restoreString ? (key, value, at) => store.restoreString!(key, value, at) : undefined,
    );
    if (read.aofSeq !== snapshotSeq) {
      throw new SnapshotCorruptError(path, 12, `header names log position ${read.aofSeq}`);
    }
    result.snapshotSeq = snapshotSeq;
    result.snapshotKeys = read.keys;
    result.snapshotSizeBytes = read.sizeBytes;
    result.snapshotCreatedAtMs = read.createdAtMs;
    logger.info("Snapshot loaded", { file: path, keys: read.keys, bytes: read.sizeBytes });
  }
  const firstSeq = snapshotSeq ?? 1;
  const parts = listing.aofSeqs.filter((seq) => seq >= firstSeq);
  parts.forEach((seq, i) => {
    if (seq !== firstSeq + i) {
      throw new AofLayoutError(
        `AOF part ${aofPath(dir, firstSeq + i)} is missing (found ${aofPath(dir, seq)}); ` +
          `the log has a gap and cannot be replayed`,
      );
    }
  });
  let lastBytes = -1;
  for (const [i, seq] of parts.entries()) {
    lastBytes = await replayPart(options, seq, i === parts.length - 1, result);
  }
  result.aofFiles = parts.length;
  result.nextAofSeq = parts.length > 0 ? parts[parts.length - 1] + 1 : firstSeq;
  if (options.readOnly) return result;
  if (lastBytes === 0) {
    // The last part was created but its header not (wholly) written: a crash just after a
    // rotation. Its number is written anew, so no empty part stays between two others.
    const seq = parts[parts.length - 1];
    await disk.remove(aofPath(dir, seq));
    await disk.syncDir(dir);
    result.aofFiles--;
    result.nextAofSeq = seq;
  }
  await removeStale(disk, dir, listing.aofSeqs, listing.snapshotSeqs, firstSeq, snapshotSeq);
  if (result.replayErrors > 0) {
    logger.warn("AOF replay produced error replies", { count: result.replayErrors });
  }
  return result;
}

/** Replays one part; returns its length once recovered (a torn tail cut off). */
async function replayPart(
  options: RecoveryOptions,
  seq: number,
  isLast: boolean,
  result: RecoveryResult,
): Promise<number> {
  const { disk, dir, store, logger } = options;
  const path = aofPath(dir, seq);
  const bytes = await readWholeFile(disk, path);
  if (bytes.length === 0) return 0; // created, header never written: nothing to replay
  const ctx: ExecContext = { nowMs: 0, random: () => 0, replaying: true };
  const scan = scanAof(bytes, (record) => {
    ctx.nowMs = record.nowMs;
    // A record starts at database 0; its SELECT forms say where the forms after them apply.
    ctx.db = 0;
    for (const argv of record.log) {
      if (argv[0] === "SELECT" && argv.length === 2) {
        ctx.db = Number(argv[1]);
        continue;
      }
      const { reply } = store.execute(argv, ctx);
      if (reply.kind === "error" && result.replayErrors++ < REPLAY_ERRORS_LOGGED) {
        logger.warn("AOF command replayed with an error reply", { file: path, error: reply.value });
      }
    }
    result.aofRecords++;
  });
  if (scan.status === "ok") {
    if (scan.fileSeq !== seq) {
      throw new AofCorruptError(path, 12, `header names part ${scan.fileSeq}, expected ${seq}`);
    }
    // Preallocated space the writer did not get to trim (it stopped without a clean close).
    if (scan.paddingBytes > 0 && !options.readOnly) await truncateFile(disk, path, scan.validBytes);
    result.aofSizeBytes += scan.validBytes;
    return scan.validBytes;
  }
  const offset = scan.badOffset ?? 0;
  const reason = scan.reason ?? "bad record";
  if (scan.status === "corrupt" || !isLast) throw new AofCorruptError(path, offset, reason);
  if (options.readOnly) return scan.validBytes; // a record still being written: the tail so far
  if (!options.aofLoadTruncated) throw new AofTruncatedError(path, offset, reason);
  await truncateFile(disk, path, scan.validBytes);
  result.truncated = { file: path, offset, droppedBytes: bytes.length - scan.validBytes };
  result.aofSizeBytes += scan.validBytes;
  logger.warn("AOF ends in a partial record; truncated it", {
    file: path,
    offset,
    droppedBytes: bytes.length - scan.validBytes,
    reason,
  });
  return scan.validBytes;
}

async function truncateFile(disk: Disk, path: string, sizeBytes: number): Promise<void> {
  const file = await disk.open(path, "append");
  try {
    await file.truncate(sizeBytes);
    await file.sync();
  } finally {
    file.close();
  }
}

/** Parts and snapshots older than the loaded snapshot: leftovers of an interrupted compaction. */
async function removeStale(
  disk: Disk,
  dir: string,
  aofSeqs: number[],
  snapshotSeqs: number[],
  firstSeq: number,
  snapshotSeq: number | null,
): Promise<void> {
  const stale = [
    ...aofSeqs.filter((seq) => seq < firstSeq).map((seq) => aofPath(dir, seq)),
    ...snapshotSeqs.filter((seq) => seq !== snapshotSeq).map((seq) => snapshotPath(dir, seq)),
  ];
  for (const path of stale) await disk.remove(path);
  if (stale.length > 0) await disk.syncDir(dir);
}
