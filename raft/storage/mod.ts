export type { Storage, WritableStorage } from "./storage.ts";
export { MemoryStorage } from "./memory.ts";
export { storageConformance } from "./conformance.ts";
