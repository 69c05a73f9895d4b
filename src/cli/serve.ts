/**
 * `helios serve`: everything in one process on an embedded data directory — the gateway on
 * :8443, the metrics listener on :9090 (and, as they land, ATLAS over RESP on :6379 and an
 * in-process worker). One "Listening" line per listener; SIGINT/SIGTERM drain and flush.
 */
import { parseHostPort } from "../lib/address.ts";
import { serveHttp } from "../lib/http_server.ts";
import { createGatewayApp } from "../../routes/mod.ts";
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
    const gatewayLogger = daemon.logger.child("gateway");
    const app = createGatewayApp({
      logger: gatewayLogger,
      metrics: daemon.metrics,
      readiness: { storage: () => true },
    });
    const gateway = serveHttp({
      address: parseHostPort(config.gateway.listen)!,
      handler: app.fetch,
      logger: gatewayLogger,
      name: "gateway",
      tls: config.gateway.tls_enabled
        ? {
          cert: Deno.readTextFileSync(config.gateway.tls_cert),
          key: Deno.readTextFileSync(config.gateway.tls_key),
        }
        : undefined,
    });
    daemon.onStop("gateway", () => gateway.close());
    return await daemon.run();
  },
};
