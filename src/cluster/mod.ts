export { ClusterNode } from "./cluster_node.ts";
export type { ClusterNodeOptions } from "./cluster_node.ts";
export { registerClusterCommands } from "./commands.ts";
export type { ReadConsistency } from "./replicated_executor.ts";
export {
  foundFromStandaloneData,
  seedRaftStorage,
  StandaloneDataError,
  standaloneDataLeftBehind,
} from "./seed.ts";
export { IDEMPOTENCY_KEY_PREFIX, IDEMPOTENT, registerIdempotentCommand } from "./idempotent.ts";
