/**
 * ATLAS, the Redis-protocol key-value store: its public surface. Everything outside atlas/
 * imports from here (`deno task lint:deps` enforces it).
 */
export type { CommandExecutor } from "./executor.ts";
export * from "./store/reply.ts";
export * from "./store/binary.ts";
