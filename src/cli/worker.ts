/**
 * `helios worker`: claims jobs from a gateway over HTTP and runs them with the registered handlers
 * (the built-in `http` webhook handler here). Authenticates with an API token from HELIOS_TOKEN.
 * SIGTERM/SIGINT: stop claiming, finish running jobs within worker.shutdown_timeout, release the
 * rest.
 */
import { defaultHandlers, HttpJobApi, WorkerRunner, workerSettingsFrom } from "../queue/mod.ts";
import type { Command } from "./command.ts";
import { configFlag, helpFlag, logLevelFlag, metricsListenFlag, UsageError } from "./flags.ts";
import { configFrom, createDaemon } from "./runtime.ts";

function positiveInt(name: string) {
  return (raw: string) => {
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new UsageError(`--${name}: "${raw}" is not a positive integer`);
    }
    return value;
  };
}

export const workerCommand: Command = {
  name: "worker",
  summary: "Run a job worker against a gateway (token in HELIOS_TOKEN)",
  synopsis: "[flags]",
  flags: [
    configFlag,
    {
      name: "worker-id",
      type: "string",
      placeholder: "ID",
      help: "this worker's id (default hostname-pid)",
      configPath: ["worker", "id"],
    },
    {
      name: "gateway",
      type: "string",
      placeholder: "URL",
      help: "gateway base URL (default http://127.0.0.1:8443)",
      configPath: ["worker", "gateway"],
    },
    {
      name: "queues",
      type: "string",
      placeholder: "A,B",
      help: "queues to claim from (default default)",
      configPath: ["worker", "queues"],
      toConfig: (raw) => raw.split(",").map((q) => q.trim()).filter((q) => q.length > 0),
    },
    {
      name: "concurrency",
      type: "string",
      placeholder: "N",
      help: "jobs run at once (default 4)",
      configPath: ["worker", "concurrency"],
      toConfig: positiveInt("concurrency"),
    },
    {
      name: "poll-interval",
      type: "string",
      placeholder: "DURATION",
      help: "long-poll wait of one claim (default 5s)",
      configPath: ["worker", "poll_interval"],
    },
    {
      name: "visibility-timeout",
      type: "string",
      placeholder: "DURATION",
      help: "lease per job, extended by heartbeats (default 300s)",
      configPath: ["worker", "visibility_timeout"],
    },
    metricsListenFlag,
    logLevelFlag,
    helpFlag,
  ],
  async run(flags, io) {
    const config = configFrom(flags, io);
    const token = io.env.HELIOS_TOKEN ?? "";
    if (token === "") {
      io.err(
        "helios worker: set HELIOS_TOKEN to an API token with the jobs:claim and jobs:ack permissions",
      );
      return 2;
    }
    const daemon = createDaemon("worker", config);
    const settings = workerSettingsFrom(config);
    const runner = new WorkerRunner({
      ...settings,
      // The claim long-polls; keep it below the gateway's request timeout.
      pollIntervalMs: Math.min(settings.pollIntervalMs, 20_000),
      api: new HttpJobApi({ gateway: config.worker.gateway, token }),
      registry: defaultHandlers(),
      logger: daemon.logger.child("worker"),
      metrics: daemon.metrics,
    });
    daemon.onStop("worker", () => runner.stop());
    runner.start();
    return await daemon.run();
  },
};
