export { BackupCorruptError, type BackupMeta, decodeBackup, encodeBackup } from "./format.ts";
export { BACKUP_COMMAND, registerBackupCommand } from "./module.ts";
export { restoreToDataDir, restoreToRaftDir } from "./restore.ts";
