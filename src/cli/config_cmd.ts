import { stringify } from "yaml";
import { loadConfig, redactSecrets } from "../config/load.ts";
import { type Command, EXIT_USAGE } from "./command.ts";
import { configFlag, helpFlag, UsageError } from "./flags.ts";

/** `helios config validate FILE` and `helios config print [--config FILE]`. */
export const configCommand: Command = {
  name: "config",
  summary: "Validate a config file, or print the effective config (secrets redacted)",
  synopsis: "validate FILE | print [--config FILE] [--json]",
  flags: [
    configFlag,
    { name: "json", type: "boolean", help: "print as JSON instead of YAML" },
    helpFlag,
  ],
  allowPositionals: true,
  run(flags, io) {
    const [action, file, ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    if (action === "validate") {
      if (!file) throw new UsageError("config validate needs a FILE");
      loadConfig({ file, env: {} });
      io.out(`${file}: valid`);
      return Promise.resolve(0);
    }
    if (action === "print") {
      if (file) throw new UsageError("config print takes --config FILE, not a positional file");
      const config = loadConfig({
        file: (flags.values.config as string | undefined) ?? io.env.HELIOS_CONFIG,
        env: io.env,
      });
      const redacted = redactSecrets(config);
      io.out(flags.values.json ? JSON.stringify(redacted, null, 2) : stringify(redacted).trimEnd());
      return Promise.resolve(0);
    }
    io.err(
      `helios config: expected "validate FILE" or "print", got ${
        action ? `"${action}"` : "nothing"
      }`,
    );
    return Promise.resolve(EXIT_USAGE);
  },
};
