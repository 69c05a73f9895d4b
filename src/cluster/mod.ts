export { ClusterNode } from "./cluster_node.ts";
export type { ClusterNodeOptions } from "./cluster_node.ts";
export { registerClusterCommands } from "./commands.ts";
export type { ReadConsistency } from "./replicated_executor.ts";
export { seedRaftStorage } from "./seed.ts";
