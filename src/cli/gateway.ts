/**
 * `helios gateway`: the HTTP API gateway alone. Storage is remote when `--atlas host:port[,...]`
 * (or gateway.atlas) is given — a RESP client with a pool and failover across the nodes — and
 * otherwise an embedded engine on `--data-dir`. The same gateway (routes/createGateway) serves
 * both; several remote gateways share rate-limit buckets with `rate_limit.store: atlas`.
 */
import { parseHostPort } from "../lib/address.ts";
import { serveHttp } from "../lib/http_server.ts";
import { createGateway, type RunningGateway } from "../../routes/mod.ts";
import { UnavailableError } from "../errors/app_error.ts";
import { EmbeddedAtlasClient } from "../storage/embedded_client.ts";
import { parseNodeList, RespAtlasClient } from "../storage/resp_client.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { TracedAtlasClient } from "../storage/traced_client.ts";
import type { Command } from "./command.ts";
import { configFlag, dataDirFlag, helpFlag, logLevelFlag, metricsListenFlag } from "./flags.ts";
import { configFrom, createDaemon, type Daemon } from "./runtime.ts";
import { startAtlasNode, StorageStartError } from "./atlas_node.ts";
import { storeModules } from "./modules.ts";
import { gatewayTls } from "./serve.ts";

async function openStorage(daemon: Daemon): Promise<AtlasClient> {
  const { config } = daemon;
  if (config.gateway.atlas.trim() !== "") {
    const client = new RespAtlasClient({
      nodes: parseNodeList(config.gateway.atlas),
      password: config.atlas.requirepass || undefined,
    });
    daemon.logger.info("Using remote ATLAS", { nodes: config.gateway.atlas });
    daemon.onStop("atlas client", () => client.close());
    return new TracedAtlasClient(client);
  }
  const node = await startAtlasNode(daemon, {
    listen: null,
    modules: storeModules,
  });
  return new EmbeddedAtlasClient(node.engine);
}

export const gatewayCommand: Command = {
  name: "gateway",
  summary: "Run the HTTP API gateway (:8443) on --data-dir or a remote --atlas",
  synopsis: "[flags]",
  flags: [
    configFlag,
    {
      name: "listen",
      type: "string",
      placeholder: "ADDR",
      help: "HTTP listener (default :8443)",
      configPath: ["gateway", "listen"],
    },
    {
      name: "atlas",
      type: "string",
      placeholder: "HOST:PORT[,...]",
      help: "remote ATLAS nodes (default: embedded on --data-dir)",
      configPath: ["gateway", "atlas"],
    },
    dataDirFlag,
    metricsListenFlag,
    logLevelFlag,
    helpFlag,
  ],
  async run(flags, io) {
    const config = configFrom(flags, io);
    const daemon = createDaemon("helios", config);
    const logger = daemon.logger.child("gateway");
    let atlas: AtlasClient;
    try {
      atlas = await openStorage(daemon);
    } catch (error) {
      if (
        !(error instanceof StorageStartError) &&
        !(error instanceof Error && /ATLAS address/.test(error.message))
      ) {
        throw error;
      }
      io.err(`helios gateway: ${error.message}`);
      await daemon.shutdownNow();
      return 1;
    }
    let gateway: RunningGateway;
    try {
      gateway = await createGateway({
        config,
        logger,
        metrics: daemon.metrics,
        atlas,
        env: { get: (name) => io.env[name] },
      });
    } catch (error) {
      // Remote ATLAS unreachable at boot: say so and exit non-zero (a supervisor restarts us).
      if (!(error instanceof UnavailableError)) throw error;
      logger.error("Cannot start: ATLAS is unavailable", { reason: error.message });
      io.err(`helios gateway: ${error.message}`);
      await daemon.shutdownNow();
      return 1;
    }
    daemon.onStop("gateway services", () => gateway.close());
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
