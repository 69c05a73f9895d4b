/**
 * What every daemon command shares: the effective config, the root logger, the metrics registry
 * and listener, and an orderly shutdown on SIGINT/SIGTERM that runs the stop hooks in reverse
 * order of start within a bounded time.
 */
import { ConfigError, loadConfig, metricsListen, type Override } from "../config/load.ts";
import type { HeliosConfig } from "../config/schema.ts";
import { Logger } from "../observability/logger.ts";
import { MetricsRegistry } from "../observability/metrics.ts";
import { startMetricsServer } from "../observability/metrics_server.ts";
import { parseHostPort } from "../lib/address.ts";
import type { Hono } from "hono";
import type { ParsedFlags } from "./flags.ts";
import type { CliIo } from "./command.ts";

/** How long shutdown may take before the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

export function configFrom(flags: ParsedFlags, io: CliIo, defaults: Override[] = []): HeliosConfig {
  const file = (flags.values.config as string | undefined) ?? io.env.HELIOS_CONFIG;
  return loadConfig({ file, env: io.env, flags: flags.overrides, defaults });
}

/** Reports a config error the way every command does: each bad field on its own line, exit 2. */
export function reportConfigError(error: unknown, io: CliIo): number | null {
  if (!(error instanceof ConfigError)) return null;
  io.err(error.message);
  return 2;
}

export interface Daemon {
  config: HeliosConfig;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Registers a stop hook; hooks run in reverse order on shutdown. */
  onStop(name: string, stop: () => Promise<void> | void): void;
  /** Adds read-only routes on the metrics listener (/raft/status). Call before `start`. */
  extendMetrics(extend: (app: Hono) => void): void;
  /** Starts the metrics listener, then resolves when a signal (or `stop()`) ended the daemon. */
  run(): Promise<number>;
  stop(reason: string): void;
  /** Runs the stop hooks now, without having run (a start that failed half-way). */
  shutdownNow(): Promise<void>;
}

export function createDaemon(component: string, config: HeliosConfig): Daemon {
  const logger = new Logger(component, {
    level: config.observability.log_level,
    context: config.atlas.raft.enabled ? { node_id: config.atlas.raft.node_id } : {},
  });
  const metrics = new MetricsRegistry();
  const stops: { name: string; stop: () => Promise<void> | void }[] = [];
  const extensions: ((app: Hono) => void)[] = [];
  let stopRequested: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));

  const runStops = async (): Promise<number> => {
    let exitCode = 0;
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        exitCode = 1;
        logger.error("Component failed to stop cleanly", { component_name: name, error });
      }
    }
    return exitCode;
  };

  return {
    config,
    logger,
    metrics,
    shutdownNow: async () => {
      await runStops();
    },
    onStop: (name, stop) => stops.push({ name, stop }),
    extendMetrics: (extend) => extensions.push(extend),
    stop: (reason) => stopRequested(reason),
    async run() {
      const address = parseHostPort(metricsListen(config))!;
      const metricsServer = startMetricsServer({
        address,
        metrics,
        logger: logger.child("metrics"),
        extend: (app) => extensions.forEach((extend) => extend(app)),
      });
      stops.unshift({ name: "metrics", stop: () => metricsServer.close(1000) });
      const onSignal = (signal: Deno.Signal) => () => stopRequested(signal);
      const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
        const handler = onSignal(signal);
        Deno.addSignalListener(signal, handler);
        return [signal, handler] as const;
      });
      const reason = await stopped;
      logger.info("Shutting down", { reason });
      const deadline = setTimeout(() => {
        logger.error("Shutdown deadline passed; exiting", { deadline_ms: SHUTDOWN_DEADLINE_MS });
        Deno.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      const exitCode = await runStops();
      clearTimeout(deadline);
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      logger.info("Stopped", { reason });
      return exitCode;
    },
  };
}
