import { HELIOS_VERSION } from "../version.ts";
import type { Command } from "./command.ts";
import { helpFlag } from "./flags.ts";

export const versionCommand: Command = {
  name: "version",
  summary: "Print the Helios, Deno and TypeScript versions",
  synopsis: "",
  flags: [helpFlag],
  run(_flags, io) {
    io.out(
      `helios ${HELIOS_VERSION} (deno ${Deno.version.deno}, typescript ${Deno.version.typescript})`,
    );
    return Promise.resolve(0);
  },
};
