import { registerBackupCommand } from "../backup/mod.ts";
import { registerClusterCommands, registerIdempotentCommand } from "../cluster/mod.ts";
import { register as registerKvCommands } from "../kv/atlas_command.ts";
import { registerQueueCommands } from "../queue/module.ts";
import { register as registerRateLimitCommands } from "../ratelimit/atlas_command.ts";
import { registerTraceCommand } from "../observability/tracing.ts";
import { DEFAULT_SCRIPT_INSTRUCTIONS_MAX, registerScriptingCommands } from "../../atlas/mod.ts";
import type { StoreModule } from "./atlas_node.ts";

/**
 * The module commands every ATLAS store of Helios carries, embedded or in `atlasd`, standalone or
 * replicated: a remote gateway or worker relies on the server knowing them.
 *   HELIOS.*  cluster forwarding and administration, idempotent retries (HELIOS.IDEMPOTENT)
 *   KV.CAS / KV.CAD  conditional writes
 *   RL.TAKE   shared rate-limit buckets                   JOB.*            the job queue
 *   HELIOS.BACKUP  a consistent backup file            HELIOS.TRACE     a traced command
 *   EVAL, EVALSHA, SCRIPT, FCALL, FUNCTION  Lua scripting and functions (atlas/scripting)
 */
export const storeModules: StoreModule[] = modulesWith(false);

/**
 * The same for a Raft member: the script cache goes into snapshots, as EVALSHA entries in the
 * log need it on every replica (atlas/scripting's cacheInSnapshots), and scripts run under the
 * instruction budget, as they cannot pause there. Standalone they have none, as in Redis: one
 * that runs past busy-reply-threshold pauses, and SCRIPT KILL / FUNCTION KILL can stop it.
 */
export const clusterStoreModules: StoreModule[] = modulesWith(true);

function modulesWith(cluster: boolean): StoreModule[] {
  return [
    registerClusterCommands,
    registerIdempotentCommand,
    registerKvCommands,
    registerRateLimitCommands,
    registerQueueCommands,
    registerBackupCommand,
    registerTraceCommand,
    (store) =>
      registerScriptingCommands(store, {
        cacheInSnapshots: cluster,
        instructionsMax: cluster ? DEFAULT_SCRIPT_INSTRUCTIONS_MAX : 0,
      }),
  ];
}
