/**
 * Raft testing tools, reusable outside raft/: the linearizability checker (for real-process tests
 * that record client histories), the register model it checks against, the deterministic
 * simulator and its cluster harness.
 */
export { checkLinearizable } from "./linearizability.ts";
export type { HistoryOp, LinearizabilityResult, OpStatus } from "./linearizability.ts";
export { applyOp } from "./kv.ts";
export type { KvOp, KvResult } from "./kv.ts";
export { runSeed } from "./simulator.ts";
export type { SimOptions, SimResult } from "./simulator.ts";
export { SimCluster } from "./cluster.ts";
export type { ClusterOptions } from "./cluster.ts";
export { SafetyChecker } from "./checkers.ts";
