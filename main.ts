/**
 * The Helios executable: `helios <command> [flags]`. Composition only; see src/cli/.
 */
import { runCli } from "./src/cli/mod.ts";
import type { CliIo } from "./src/cli/command.ts";

const encoder = new TextEncoder();

export const processIo: CliIo = {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text + "\n")),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text + "\n")),
  env: Deno.env.toObject(),
  readStdin: async () => await new Response(Deno.stdin.readable).text(),
};

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, processIo));
}
