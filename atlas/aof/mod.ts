/** The append-only file: format, writer (group commit), reader, recovery, check tool. */
export { checkAofFile } from "./check.ts";
export type { AofCheckOptions, AofCheckResult } from "./check.ts";
export { crc32 } from "./crc32.ts";
export { denoDisk } from "./disk.ts";
export type { Disk, DiskFile, OpenMode } from "./disk.ts";
export { AofCorruptError, AofLayoutError, AofTruncatedError, AofWriteError } from "./errors.ts";
export { DataDirLockedError, lockDataDir } from "./lock.ts";
export { recover } from "./recovery.ts";
export type { RecoveryResult } from "./recovery.ts";
export { scanAof } from "./scan.ts";
export type { ScanResult } from "./scan.ts";
export { SimDisk } from "./sim_disk.ts";
export { AofWriter, FSYNC_MODES } from "./writer.ts";
export type { FsyncMode } from "./writer.ts";
