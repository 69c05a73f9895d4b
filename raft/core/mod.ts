export * from "./types.ts";
export * from "./errors.ts";
export { Prng } from "./prng.ts";
export { RAFT_LIMITS } from "./limits.ts";
export type { ConfChange } from "./conf_change.ts";
export { decodeConfChange, encodeConfChange } from "./conf_change.ts";
export type { RaftConfig, TestingKnobs } from "./raft.ts";
export { RawNode } from "./raw_node.ts";
export type { Ready, Status } from "./raw_node.ts";
