import { type Command, EXIT_USAGE } from "./command.ts";
import { helpFlag } from "./flags.ts";

/**
 * A command whose component has not been built yet. It says so plainly and exits 2, so no one
 * mistakes it for a working daemon. Each is replaced by the real command when its issue lands.
 */
export function pendingCommand(name: string, summary: string, issue: string): Command {
  return {
    name,
    summary,
    synopsis: "[flags]",
    flags: [helpFlag],
    allowPositionals: true,
    run(_flags, io) {
      io.err(`helios ${name}: not built yet (${issue}); use "helios serve" for what exists today`);
      return Promise.resolve(EXIT_USAGE);
    },
  };
}
