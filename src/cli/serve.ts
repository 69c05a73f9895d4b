/**
 * `helios serve`: everything in one process on an embedded data directory — ATLAS (durable
 * engine, RESP on :6379), the gateway on :8443, an in-process job worker, and the metrics
 * listener on :9090. One "Listening" line per listener. SIGINT/SIGTERM stop in reverse order:
 * the gateway drains in-flight requests, the worker finishes or releases its jobs, the RESP
 * listener closes, and the engine flushes and fsyncs the AOF.
 */
import { parseHostPort } from "../lib/address.ts";
import { serveHttp } from "../lib/http_server.ts";
import { createGateway } from "../../routes/mod.ts";
import type { HeliosConfig } from "../config/schema.ts";
import { startEmbeddedWorker } from "../queue/mod.ts";
import { EmbeddedAtlasClient } from "../storage/embedded_client.ts";
import { startAtlasNode, StorageStartError } from "./atlas_node.ts";
import { storeModules } from "./modules.ts";
import type { Command } from "./command.ts";
import {
  configFlag,
  dataDirFlag,
  helpFlag,
  logLevelFlag,
  metricsListenFlag,
  syncModeFlag,
} from "./flags.ts";
import { configFrom, createDaemon } from "./runtime.ts";

/**
 * `serve` is the laptop command: unless a flag, the environment or the file says otherwise, its
 * listeners bind loopback only, so a first run never exposes an unauthenticated store.
 */
const LOOPBACK_DEFAULTS = [
  { path: ["gateway", "listen"], value: "127.0.0.1:8443", source: "serve default" },
  { path: ["atlas", "listen"], value: "127.0.0.1:6379", source: "serve default" },
  { path: ["observability", "metrics_listen"], value: "127.0.0.1:9090", source: "serve default" },
];

export const serveCommand: Command = {
  name: "serve",
  summary: "Run Helios all-in-one: gateway, ATLAS and metrics on an embedded data directory",
  synopsis: "[flags]",
  flags: [
    configFlag,
    dataDirFlag,
    {
      name: "listen",
      type: "string",
      placeholder: "ADDR",
      help: "gateway HTTP listener (default :8443)",
      configPath: ["gateway", "listen"],
    },
    {
      name: "resp-listen",
      type: "string",
      placeholder: "ADDR",
      help: "ATLAS RESP listener (default :6379)",
      configPath: ["atlas", "listen"],
    },
    metricsListenFlag,
    syncModeFlag,
    logLevelFlag,
    helpFlag,
  ],
  async run(flags, io) {
    const config = configFrom(flags, io, LOOPBACK_DEFAULTS);
    const daemon = createDaemon("helios", config);
    let node;
    try {
      node = await startAtlasNode(daemon, { listen: config.atlas.listen, modules: storeModules });
    } catch (error) {
      if (!(error instanceof StorageStartError)) throw error;
      daemon.logger.error("Cannot start: needs attention", { reason: error.message });
      io.err(`helios serve: ${error.message}`);
      await daemon.shutdownNow();
      return 1;
    }
    const logger = daemon.logger.child("gateway");
    const gateway = await createGateway({
      config,
      logger,
      metrics: daemon.metrics,
      atlas: new EmbeddedAtlasClient(node.engine),
      env: { get: (name) => io.env[name] },
      readiness: { storage: () => true },
    });
    daemon.onStop("gateway services", () => gateway.close());
    const worker = startEmbeddedWorker({
      config,
      jobs: gateway.jobs,
      logger: daemon.logger.child("worker"),
      metrics: daemon.metrics,
    });
    if (worker) daemon.onStop("worker", () => worker.stop());
    const server = serveHttp({
      address: parseHostPort(config.gateway.listen)!,
      handler: gateway.fetch,
      logger,
      name: "gateway",
      tls: gatewayTls(config),
    });
    daemon.onStop("gateway", () => server.close());
    return await daemon.run();
  },
};

/** The gateway's certificate and key, when TLS is enabled (validated by the config schema). */
export function gatewayTls(config: HeliosConfig): { cert: string; key: string } | undefined {
  if (!config.gateway.tls_enabled) return undefined;
  return {
    cert: Deno.readTextFileSync(config.gateway.tls_cert),
    key: Deno.readTextFileSync(config.gateway.tls_key),
  };
}
