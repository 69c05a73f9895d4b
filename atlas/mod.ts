/**
 * ATLAS, the Redis-protocol key-value store: its public surface. Everything outside atlas/
 * imports from here (`deno task lint:deps` enforces it).
 */
export type { CommandExecutor } from "./executor.ts";
export * from "./store/reply.ts";
export * from "./store/binary.ts";
export { AtlasEngine } from "./engine.ts";
export { HEAP_CHECK_INTERVAL_MS, HeapGuard, logHeapChange } from "./heap_guard.ts";
export { ERR_OOM } from "./store/errors.ts";
export type { AtlasEngineOptions, AtlasEngineStats, AtlasLogger } from "./engine.ts";
export { databasesHeldBy, Store } from "./store/store.ts";
export { SERVER_BASE_MEMORY_BYTES } from "./store/keyspace.ts";
/** Redis string2ll: the strict int64 parser of every integer argument (module commands too). */
export { type Int64, parseInt64 } from "./store/numbers.ts";
export { type CommandSpec, mayWrite } from "./store/command_table.ts";
export type { CommandHandler, ExecResult, PausedScript, StoreOptions } from "./store/store.ts";
export { AclFileError, startAtlasServer } from "./server.ts";
export {
  DEFAULT_SCRIPT_INSTRUCTIONS_MAX,
  registerScriptingCommands,
  type ScriptingOptions,
} from "./scripting/mod.ts";
export type {
  AtlasServer,
  AtlasServerOptions,
  AtlasServerStats,
  CommandStat,
  PersistenceHooks,
  ServerLogger,
  StoreHooks,
} from "./server.ts";
export { engineHooks } from "./server/engine_hooks.ts";
export { AofCorruptError, AofLayoutError, AofTruncatedError, AofWriteError } from "./aof/errors.ts";
export { SnapshotCorruptError } from "./snapshot/errors.ts";
export type { AtlasEngineHooks, AtlasTimers, SnapshotInfo } from "./engine.ts";
export { FSYNC_MODES } from "./aof/writer.ts";
export type { FsyncMode } from "./aof/writer.ts";
export { checkAofFile } from "./aof/check.ts";
export type { AofCheckOptions, AofCheckResult } from "./aof/check.ts";
export { DataDirLockedError } from "./aof/lock.ts";
