/**
 * `helios proxy`: the reverse proxy. Routes come from `proxy.routes_file` (`--routes FILE`) or,
 * for a quick start, from `--backend URL` (repeatable: one pool behind "/"). The admin API sits
 * on the metrics listener under /proxy; the routes file reloads on change and on SIGHUP.
 */
import { parseHostPort } from "../lib/address.ts";
import { parseDurationMs } from "../lib/duration.ts";
import {
  backendsConfig,
  mountProxyAdmin,
  parseRoutesText,
  ProxyService,
  RoutesConfigError,
  type RoutesFile,
  type RoutesReloader,
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
    return await runProxy(config, file);
  },
};

function loadRoutes(config: HeliosConfig, backends: string[], io: CliIo): RoutesFile | null {
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
  io.err("helios proxy: give a routes file (--routes FILE or proxy.routes_file) or --backend URL");
  return null;
}

async function runProxy(config: HeliosConfig, file: RoutesFile): Promise<number> {
  const daemon = createDaemon("proxy", config);
  const logger = daemon.logger;
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
