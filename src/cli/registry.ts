import type { Command } from "./command.ts";
import { aofCommand } from "./aof.ts";
import { atlasdCommand } from "./atlasd.ts";
import { backupCommand, restoreCommand } from "./backup.ts";
import { clusterCommand } from "./cluster.ts";
import { configCommand } from "./config_cmd.ts";
import { healthCommand } from "./health.ts";
import { gatewayCommand } from "./gateway.ts";
import { proxyCommand } from "./proxy.ts";
import { serveCommand } from "./serve.ts";
import { userCommand } from "./user.ts";
import { versionCommand } from "./version.ts";
import { workerCommand } from "./worker.ts";

/** Every `helios` subcommand, in the order usage lists them. */
export const commands: Command[] = [
  serveCommand,
  atlasdCommand,
  gatewayCommand,
  proxyCommand,
  workerCommand,
  aofCommand,
  clusterCommand,
  backupCommand,
  restoreCommand,
  userCommand,
  configCommand,
  healthCommand,
  versionCommand,
];
