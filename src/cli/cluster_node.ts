import type { Daemon } from "./runtime.ts";
import { StorageStartError, type StoreModule } from "./atlas_node.ts";

export function startClusterNode(
  _daemon: Daemon,
  _options: { listen: string; modules: StoreModule[] },
): Promise<never> {
  return Promise.reject(new StorageStartError("Raft mode (--raft) is not built yet"));
}
