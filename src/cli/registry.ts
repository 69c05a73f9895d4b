import type { Command } from "./command.ts";
import { atlasdCommand } from "./atlasd.ts";
import { clusterCommand } from "./cluster.ts";
import { configCommand } from "./config_cmd.ts";
import { gatewayCommand } from "./gateway.ts";
import { pendingCommand } from "./pending.ts";
import { serveCommand } from "./serve.ts";
import { versionCommand } from "./version.ts";
import { workerCommand } from "./worker.ts";

/** Every `helios` subcommand, in the order usage lists them. */
export const commands: Command[] = [
  serveCommand,
  atlasdCommand,
  gatewayCommand,
  pendingCommand("proxy", "Run the reverse proxy (:8080)", "reverse proxy issue"),
  workerCommand,
  pendingCommand("aof", "Check or repair an append-only file", "ATLAS storage issue"),
  clusterCommand,
  pendingCommand("user", "Manage users (add the first admin)", "authentication issue"),
  configCommand,
  versionCommand,
];
