/**
 * `helios proxy`: the reverse proxy. Routes come from `proxy.routes_file` (`--routes FILE`) or,
 * for a quick start, from `--backend URL` (repeatable: one pool behind "/"); with neither, it
 * fronts the local gateway (`gateway.listen`), as the README's `helios proxy --listen :8080` does.
 * The admin API sits on the metrics listener under /proxy; the routes file reloads on change and
 * on SIGHUP.
 */
import { formatHostPort, parseHostPort } from "../lib/address.ts";
import { parseDurationMs } from "../lib/duration.ts";
import {
  backendsConfig,
  mountProxyAdmin,
  parseRoutesText,
  ProxyService,
  RoutesConfigError,
  type RoutesFile,
  type RoutesReloader,
  validateRoutes,
  watchRoutesFile,
} from "../proxy/mod.ts";
import { type Command, EXIT_USAGE } from "./command.ts";
import { configFlag, helpFlag, logLevelFlag, metricsListenFlag } from "./flags.ts";
import { configFrom, createDaemon, reportConfigError } from "./runtime.ts";
import type { CliIo } from "./command.ts";
import type { HeliosConfig } from "../config/schema.ts";

export const proxyCommand: Command = {
  name: "proxy",
  summary: "Run the reverse proxy (:8080)",
  synopsis: "[--routes FILE | --backend URL ...] [flags]",
  flags: [
    configFlag,
    {
      name: "listen",
      type: "string",
      placeholder: "ADDR",
      help: "proxy listener (default :8080)",
      configPath: ["proxy", "listen"],
    },
    {
      name: "routes",
      type: "string",
      placeholder: "FILE",
      help: "routes and upstreams file, YAML or JSON (proxy.routes_file)",
      configPath: ["proxy", "routes_file"],
    },
    {
      name: "backend",
      type: "string",
      multiple: true,
      placeholder: "URL",
      help: "quick start: a target behind / (repeatable); ignored when a routes file is set",
    },
    metricsListenFlag,
    logLevelFlag,
    helpFlag,
  ],
  async run(flags, io) {
    let config: HeliosConfig;
    try {
      config = configFrom(flags, io);
    } catch (error) {
      const code = reportConfigError(error, io);
      if (code !== null) return code;
      throw error;
    }
    const backends = (flags.values.backend ?? []) as string[];
    const file = loadRoutes(config, backends, io);
    if (file === null) return EXIT_USAGE;
    return await runProxy(config, file ?? localGatewayRoutes(config), file === undefined);
  },
};

/** The routes file or --backend pool; undefined when neither is given, null after an error. */
function loadRoutes(
  config: HeliosConfig,
  backends: string[],
  io: CliIo,
): RoutesFile | null | undefined {
  try {
    if (config.proxy.routes_file !== "") {
      return parseRoutesText(
        Deno.readTextFileSync(config.proxy.routes_file),
        config.proxy.routes_file,
      );
    }
    if (backends.length > 0) return backendsConfig(backends);
  } catch (error) {
    if (error instanceof RoutesConfigError) {
      io.err(error.message);
      return null;
    }
    if (error instanceof Deno.errors.NotFound) {
      io.err(`Cannot read routes file "${config.proxy.routes_file}": not found`);
      return null;
    }
    throw error;
  }
  return undefined;
}

/**
 * One pool behind "/" with the gateway of this config as its target (a wildcard listen address is
 * reached on loopback), health-checked on /healthz: the README's diagram puts the proxy in front
 * of the gateway.
 */
export function localGatewayRoutes(config: HeliosConfig): RoutesFile {
  const listen = parseHostPort(config.gateway.listen)!;
  const hostname = listen.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : listen.hostname === "::"
    ? "::1"
    : listen.hostname;
  const scheme = config.gateway.tls_enabled ? "https" : "http";
  const url = `${scheme}://${formatHostPort({ hostname, port: listen.port })}`;
  return validateRoutes({
    upstreams: { gateway: { targets: [{ url }], health_check: { path: "/healthz" } } },
    routes: [{ name: "gateway", upstream: "gateway" }],
  }, `the local gateway (gateway.listen ${config.gateway.listen})`);
}

async function runProxy(
  config: HeliosConfig,
  file: RoutesFile,
  toLocalGateway: boolean,
): Promise<number> {
  const daemon = createDaemon("proxy", config);
  const logger = daemon.logger;
  if (toLocalGateway) {
    logger.info("No routes file or --backend: proxying to the local gateway", {
      target: file.upstreams.gateway.targets[0].url,
    });
  }
  const proxy = new ProxyService({
    file,
    logger: logger.child("proxy"),
    metrics: daemon.metrics,
    failureThreshold: config.proxy.circuit_breaker.failure_threshold,
    cooldownMs: config.proxy.circuit_breaker.cooldown_sec * 1000,
    healthCheckIntervalMs: parseDurationMs(config.proxy.health_check_interval)!,
  });
  daemon.extendMetrics((app) => mountProxyAdmin(app, proxy, config.proxy.admin_token));
  const server = proxy.listen(parseHostPort(config.proxy.listen)!);
  let reloader: RoutesReloader | null = null;
  if (config.proxy.routes_file !== "") {
    reloader = watchRoutesFile(
      config.proxy.routes_file,
      (f) => proxy.apply(f),
      logger.child("proxy"),
    );
    const onHup = () => void reloader?.reload("SIGHUP");
    Deno.addSignalListener("SIGHUP", onHup);
    daemon.onStop("reload", async () => {
      Deno.removeSignalListener("SIGHUP", onHup);
      await reloader?.close();
    });
  }
  daemon.onStop("proxy", async () => {
    await server.close();
    await proxy.close();
  });
  return await daemon.run();
}
