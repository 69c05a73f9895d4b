/**
 * ATLAS store: the pure keyspace and command layer (no I/O, no clock, no timers).
 * See docs/atlas_store.md.
 */
export {
  type CommandHandler,
  type ExecResult,
  Store,
  type StoreOptions,
  type StoreStats,
} from "./store.ts";
export type { ExecContext } from "./keyspace.ts";
export {
  type CommandFlag,
  type CommandGroup,
  type CommandSpec,
  keyIndexes,
} from "./command_table.ts";
export type { SnapshotEntry, SnapshotView } from "./snapshot_view.ts";
export type { ExpireBudget } from "./expire.ts";
export { EVICTION_POLICIES, type EvictionPolicy } from "./evict.ts";
export { formatDouble } from "./numbers.ts";
export { globMatch } from "./glob.ts";
export * from "./reply.ts";
export * from "./binary.ts";
export { type AtlasLimits, DEFAULT_LIMITS } from "../limits.ts";
