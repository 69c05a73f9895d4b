/**
 * The logic of `helios aof check FILE [--fix] [--yes]`: scan an AOF part (or verify a snapshot),
 * report the first bad byte, and with --fix cut the file there once the operator confirmed (or
 * passed --yes). The CLI wrapper (src/cli/aof.ts) only parses flags and prints `message`.
 */
import { readSnapshot } from "../snapshot/reader.ts";
import { SnapshotCorruptError } from "../snapshot/errors.ts";
import { SNAPSHOT_MAGIC } from "../snapshot/format.ts";
import { denoDisk, type Disk, readWholeFile } from "./disk.ts";
import { scanAof } from "./scan.ts";
import { checkDataDir } from "./check_dir.ts";

export interface AofCheckOptions {
  fix?: boolean;
  /** Skip the confirmation (--yes). */
  yes?: boolean;
  /** Asks the operator; called only when fixing without --yes. */
  confirm?: (question: string) => Promise<boolean>;
  disk?: Disk;
}

export interface AofCheckResult {
  file: string;
  kind: "aof" | "snapshot" | "dir";
  /** ok: nothing wrong; torn: partial final record; corrupt: damage before the end. */
  status: "ok" | "torn" | "corrupt";
  sizeBytes: number;
  /** Good records (AOF) or keys (snapshot) before the first bad byte. */
  records: number;
  badOffset: number | null;
  reason: string | null;
  /** True when --fix truncated the file. */
  fixed: boolean;
  /** Exit code for the CLI: 0 ok or fixed, 1 damage left in place. */
  exitCode: 0 | 1;
  /** One human-readable paragraph for the CLI to print. */
  message: string;
}

export async function checkAofFile(
  path: string,
  options: AofCheckOptions = {},
): Promise<AofCheckResult> {
  const disk = options.disk ?? denoDisk;
  if (options.disk === undefined && (await Deno.stat(path)).isDirectory) {
    return await checkDataDir(path, options);
  }
  const bytes = await readWholeFile(disk, path);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) === SNAPSHOT_MAGIC) {
    return await checkSnapshot(disk, path, bytes.length);
  }
  if (bytes.length === 0) {
    // Created, header never written (a crash right after a rotation): recovery reads it as a part
    // with no records.
    const message = `${path}: OK, empty (created, never written)`;
    return {
      file: path,
      kind: "aof",
      status: "ok",
      sizeBytes: 0,
      records: 0,
      badOffset: null,
      reason: null,
      fixed: false,
      exitCode: 0,
      message,
    };
  }
  const scan = scanAof(bytes, () => {});
  const base = {
    file: path,
    kind: "aof" as const,
    status: scan.status,
    sizeBytes: bytes.length,
    records: scan.records,
    badOffset: scan.badOffset,
    reason: scan.reason,
  };
  if (scan.status === "ok") {
    const padding = scan.paddingBytes > 0
      ? ` (the last ${scan.paddingBytes} of them preallocated, zero-filled space)`
      : "";
    const message = `${path}: OK, ${scan.records} records, ${bytes.length} bytes${padding}`;
    return { ...base, fixed: false, exitCode: 0, message };
  }
  const dropped = bytes.length - scan.validBytes;
  const what = scan.status === "torn"
    ? `the file ends in a partial record (${scan.reason})`
    : `corrupt record (${scan.reason}); the ${dropped} bytes from there on include records that look valid`;
  const found = `${path}: bad byte at offset ${scan.badOffset}: ${what}. ` +
    `${scan.records} good records before it.`;
  if (!options.fix) {
    const message =
      `${found} Run "helios aof check ${path} --fix" to truncate the file to ${scan.validBytes} bytes.`;
    return { ...base, fixed: false, exitCode: 1, message };
  }
  const question =
    `Truncate ${path} from ${bytes.length} to ${scan.validBytes} bytes, dropping ${dropped} bytes?`;
  const confirmed = options.yes === true || (await options.confirm?.(question)) === true;
  if (!confirmed) {
    return { ...base, fixed: false, exitCode: 1, message: `${found} Not fixed: not confirmed.` };
  }
  const file = await disk.open(path, "append");
  try {
    await file.truncate(scan.validBytes);
    await file.sync();
  } finally {
    file.close();
  }
  const message =
    `${found} Fixed: truncated to ${scan.validBytes} bytes (${dropped} bytes dropped).`;
  return { ...base, fixed: true, exitCode: 0, message };
}

async function checkSnapshot(disk: Disk, path: string, sizeBytes: number): Promise<AofCheckResult> {
  const base = { file: path, kind: "snapshot" as const, sizeBytes, fixed: false };
  try {
    const read = await readSnapshot(disk, path, () => {});
    const message = `${path}: snapshot OK, ${read.keys} keys, log position ${read.aofSeq}`;
    return {
      ...base,
      status: "ok",
      records: read.keys,
      badOffset: null,
      reason: null,
      exitCode: 0,
      message,
    };
  } catch (error) {
    if (!(error instanceof SnapshotCorruptError)) throw error;
    const message = `${path}: bad snapshot at offset ${error.offset}: ${error.reason}. ` +
      `A snapshot cannot be repaired; restore it from a backup.`;
    return {
      ...base,
      status: "corrupt",
      records: 0,
      badOffset: error.offset,
      reason: error.reason,
      exitCode: 1,
      message,
    };
  }
}
