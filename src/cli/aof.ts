/**
 * `helios aof check FILE [--fix] [--yes]`: finds the first bad byte of an AOF part (or checks a
 * snapshot's checksum). With --fix a torn tail is cut off after confirmation (or --yes);
 * corruption in the middle is reported, never "fixed" by throwing data away silently.
 */
import { checkAofFile } from "../../atlas/mod.ts";
import { type Command, EXIT_USAGE } from "./command.ts";
import { helpFlag, UsageError } from "./flags.ts";

export const aofCommand: Command = {
  name: "aof",
  summary: "Check an append-only file (or snapshot) and repair a torn tail",
  synopsis: "check FILE [--fix] [--yes]",
  flags: [
    { name: "fix", type: "boolean", help: "truncate a torn final record (asks first)" },
    { name: "yes", type: "boolean", short: "y", help: "do not ask before --fix truncates" },
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [action, file, ...extra] = flags.positionals;
    if (action !== "check") {
      io.err(`helios aof: expected "check FILE", got ${action ? `"${action}"` : "nothing"}`);
      return EXIT_USAGE;
    }
    if (!file || extra.length > 0) throw new UsageError("aof check takes exactly one FILE");
    const result = await checkAofFile(file, {
      fix: Boolean(flags.values.fix),
      yes: Boolean(flags.values.yes),
      confirm: async (question) => {
        io.out(`${question} [y/N]`);
        const answer = (await io.readStdin()).trim().toLowerCase();
        return answer === "y" || answer === "yes";
      },
    });
    (result.exitCode === 0 ? io.out : io.err)(result.message);
    return result.exitCode;
  },
};
