/**
 * The worker inside `helios serve`: the same runner, talking to the JobService in-process (no
 * HTTP, no token). Returns null when `worker.embedded` is false.
 */
import type { HeliosConfig } from "../../config/schema.ts";
import { parseDurationMs } from "../../lib/duration.ts";
import type { Logger } from "../../observability/logger.ts";
import type { MetricsRegistry } from "../../observability/metrics.ts";
import type { JobService } from "../service.ts";
import { InProcessJobApi } from "./api.ts";
import type { HandlerRegistry } from "./registry.ts";
import { WorkerRunner } from "./runner.ts";
import { defaultHandlers } from "./mod.ts";

export interface WorkerSettings {
  workerId: string;
  queues: string[];
  concurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  shutdownTimeoutMs: number;
}

/** Worker settings from the `worker` config section (worker id defaults to hostname-pid). */
export function workerSettingsFrom(config: HeliosConfig): WorkerSettings {
  const w = config.worker;
  return {
    workerId: w.id || `${Deno.hostname()}-${Deno.pid}`,
    queues: w.queues,
    concurrency: w.concurrency,
    pollIntervalMs: parseDurationMs(w.poll_interval) ?? 5000,
    leaseMs: parseDurationMs(w.visibility_timeout) ?? 300_000,
    shutdownTimeoutMs: parseDurationMs(w.shutdown_timeout) ?? 8000,
  };
}

/**
 * Starts an in-process worker over `jobs`; stop it with `await runner.stop()` before closing the
 * store. `registry` defaults to the built-in handlers (applications pass theirs).
 */
export function startEmbeddedWorker(options: {
  config: HeliosConfig;
  jobs: JobService;
  logger: Logger;
  metrics?: MetricsRegistry;
  registry?: HandlerRegistry;
}): WorkerRunner | null {
  if (!options.config.worker.embedded) return null;
  const settings = workerSettingsFrom(options.config);
  const runner = new WorkerRunner({
    ...settings,
    // A long-poll in-process costs nothing but bounds how fast a stop() returns.
    pollIntervalMs: Math.min(settings.pollIntervalMs, 1000),
    api: new InProcessJobApi(options.jobs),
    registry: options.registry ?? defaultHandlers(),
    logger: options.logger,
    metrics: options.metrics,
  });
  runner.start();
  return runner;
}
