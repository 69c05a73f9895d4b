/**
 * `helios health [URL]`: exits 0 when URL answers 2xx within the timeout, 1 otherwise. The
 * container HEALTHCHECK (the runtime image has no curl) and scripts use it.
 */
import { type Command, EXIT_FAILURE, EXIT_OK } from "./command.ts";
import { helpFlag, UsageError } from "./flags.ts";

export const healthCommand: Command = {
  name: "health",
  summary: "Check a health endpoint (default http://127.0.0.1:9090/healthz); exit 0 when healthy",
  synopsis: "[URL] [--timeout MS]",
  flags: [
    {
      name: "timeout",
      type: "string",
      placeholder: "MS",
      help: "give up after this long (default 3000)",
    },
    helpFlag,
  ],
  allowPositionals: true,
  async run(flags, io) {
    const [url = "http://127.0.0.1:9090/healthz", ...extra] = flags.positionals;
    if (extra.length > 0) throw new UsageError("health takes at most one URL");
    const timeoutMs = Number(flags.values.timeout ?? "3000");
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new UsageError("--timeout must be a positive number");
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (response.ok) return EXIT_OK;
      io.err(`helios health: ${url} answered ${response.status}`);
    } catch (error) {
      io.err(`helios health: ${url}: ${(error as Error).message}`);
    }
    return EXIT_FAILURE;
  },
};
