import { registerClusterCommands } from "../cluster/mod.ts";
import type { StoreModule } from "./atlas_node.ts";

/**
 * The module commands every ATLAS store of Helios carries, embedded or in `atlasd`, standalone or
 * replicated: a remote gateway or worker relies on the server knowing them.
 */
export const storeModules: StoreModule[] = [registerClusterCommands];
