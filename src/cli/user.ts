/**
 * `helios user add NAME [--role ROLE]... [--data-dir DIR | --atlas HOST:PORT]`: creates a user,
 * typically the first admin. The password is read from standard input (never a flag: flags end
 * up in shell history and `ps`). Embedded mode opens the ATLAS engine of --data-dir directly, so
 * run it while `helios serve` is stopped — or point --atlas at a running atlasd, or use the admin
 * API. `helios user list` prints the users.
 */
import { AtlasEngine } from "../../atlas/mod.ts";
import { createAuthServices } from "../auth/mod.ts";
import type { HeliosConfig } from "../config/schema.ts";
import { AppError } from "../errors/app_error.ts";
import { Logger } from "../observability/logger.ts";
import { MetricsRegistry } from "../observability/metrics.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { EmbeddedAtlasClient } from "../storage/embedded_client.ts";
import { parseNodeList, RespAtlasClient } from "../storage/resp_client.ts";
import { type CliIo, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./command.ts";
import { configFlag, dataDirFlag, helpFlag, UsageError } from "./flags.ts";
import { configFrom } from "./runtime.ts";

async function openAtlas(config: HeliosConfig, logger: Logger) {
  if (config.gateway.atlas.trim() !== "") {
    const client = new RespAtlasClient({
      nodes: parseNodeList(config.gateway.atlas),
      password: config.atlas.requirepass || undefined,
    });
    return { client: client as AtlasClient, close: () => client.close() };
  }
  const engine = await AtlasEngine.open({
    dataDir: config.atlas.data_dir,
    fsync: "every",
    snapshotIntervalMs: 0,
    logger: logger.child("atlas"),
  });
  return { client: new EmbeddedAtlasClient(engine) as AtlasClient, close: () => engine.close() };
}

/** The password from stdin: the first line, without its line ending. */
export function passwordFromStdin(text: string): string {
  return text.split(/\r?\n/)[0];
}

async function run(
  action: string,
  name: string | undefined,
  roles: string[],
  config: HeliosConfig,
  io: CliIo,
) {
  const logger = new Logger("user", { level: "warn", sink: (line) => io.err(line) });
  const atlas = await openAtlas(config, logger);
  try {
    const auth = await createAuthServices({
      atlas: atlas.client,
      config: config.gateway,
      logger,
      metrics: new MetricsRegistry({ defaultMetrics: false }),
    });
    try {
      if (action === "list") {
        const { users } = await auth.parts.users.list(0, 1000);
        for (const u of users) {
          io.out(`${u.id}\t${u.username}\t${u.roles.join(",")}${u.disabled ? "\tdisabled" : ""}`);
        }
        return EXIT_OK;
      }
      const password = passwordFromStdin(await io.readStdin());
      const user = await auth.addUser(
        name!,
        password,
        roles.length > 0 ? roles : [config.gateway.default_role],
      );
      io.out(`Created user "${user.username}" (${user.id}) with roles ${user.roles.join(", ")}`);
      return EXIT_OK;
    } finally {
      auth.close();
    }
  } finally {
    await atlas.close();
  }
}

export const userCommand: Command = {
  name: "user",
  summary: "Manage users: add (the first admin; password on stdin) or list",
  synopsis: "add NAME [--role ROLE]... | list",
  flags: [
    configFlag,
    dataDirFlag,
    {
      name: "atlas",
      type: "string",
      placeholder: "HOST:PORT[,...]",
      help: "a running atlasd instead of opening --data-dir",
      configPath: ["gateway", "atlas"],
    },
    {
      name: "role",
      type: "string",
      multiple: true,
      placeholder: "ROLE",
      help: "role to assign (repeatable; default gateway.default_role)",
    },
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [action, name, ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    if (action !== "add" && action !== "list") {
      io.err(
        `helios user: expected "add NAME" or "list", got ${action ? `"${action}"` : "nothing"}`,
      );
      return EXIT_USAGE;
    }
    if (action === "add" && !name) throw new UsageError("user add needs a NAME");
    const config = configFrom(flags, io);
    const roles = (flags.values.role as string[] | undefined) ?? [];
    try {
      return await run(action, name, roles, config, io);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      io.err(`helios user ${action}: ${error.detail ?? error.title}`);
      return EXIT_FAILURE;
    }
  },
};
