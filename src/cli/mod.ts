/**
 * `helios <command> [flags]`: finds the command, parses its flags strictly and runs it.
 * An unknown command or flag prints usage and exits 2.
 */
import { type CliIo, type Command, EXIT_USAGE } from "./command.ts";
import { formatFlags, parseFlags, UsageError } from "./flags.ts";
import { isListenFailure } from "../lib/listen_error.ts";
import { reportConfigError } from "./runtime.ts";
import { commands } from "./registry.ts";

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "Usage: helios <command> [flags]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    'Run "helios <command> --help" for the flags of a command.',
  ].join("\n");
}

export function commandUsage(command: Command): string {
  return [
    `Usage: helios ${command.name} ${command.synopsis}`,
    "",
    command.summary,
    "",
    "Flags:",
    formatFlags(command.flags),
  ].join("\n");
}

export async function runCli(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`helios: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  let flags;
  try {
    flags = parseFlags(rest, command.flags, command.allowPositionals ?? false);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`helios ${command.name}: ${error.message}\n\n${commandUsage(command)}`);
    return EXIT_USAGE;
  }
  if (flags.values.help) {
    io.out(commandUsage(command));
    return 0;
  }
  try {
    return await command.run(flags, io);
  } catch (error) {
    const code = reportConfigError(error, io);
    if (code !== null) return code;
    if (error instanceof UsageError) {
      io.err(`helios ${command.name}: ${error.message}\n\n${commandUsage(command)}`);
      return EXIT_USAGE;
    }
    if (isListenFailure(error)) {
      io.err(`helios ${command.name}: ${error.message}`);
      return 1; // as redis-server does when it cannot bind
    }
    throw error;
  }
}
