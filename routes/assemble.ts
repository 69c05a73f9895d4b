/**
 * `createGateway`: THE builder entry points call (helios serve, helios gateway, the framework API,
 * the route-table test). It creates the auth services and the job service over the given
 * AtlasClient, then `buildGateway` with everything mounted: auth + admin, KV, jobs, docs.
 *
 *   const gateway = await createGateway({ config, logger, metrics, atlas, clock, env: Deno.env });
 *   serveHttp({ ..., handler: gateway.fetch });
 *   ...
 *   await gateway.close();   // stops the job reaper and the password workers
 *
 * The ATLAS that `atlas` talks to must have the module commands registered
 * (registerGatewayCommands below: KV.CAS/KV.CAD and RL.TAKE; plus the queue's
 * registerQueueCommands).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createAuthServices, ensureFirstAdmin } from "../src/auth/mod.ts";
import type { HeliosConfig } from "../src/config/schema.ts";
import { TrustedProxies } from "../src/gateway/client_ip.ts";
import { registerKvCommands } from "../src/kv/mod.ts";
import type { Clock } from "../src/lib/clock.ts";
import type { Logger } from "../src/observability/logger.ts";
import type { MetricsRegistry } from "../src/observability/metrics.ts";
import { JobService, queueSettingsFrom } from "../src/queue/mod.ts";
import { registerRateLimitCommands } from "../src/ratelimit/mod.ts";
import type { AtlasClient } from "../src/storage/atlas_client.ts";
import { clientIpOf, gatewayAuth } from "./auth.ts";
import { buildGateway, type Gateway } from "./build.ts";
import type { GatewayEnv } from "./env.ts";
import type { ReadinessChecks } from "./health.ts";
import { mountJobRoutes } from "./jobs.ts";

export interface CreateGatewayOptions {
  config: HeliosConfig;
  logger: Logger;
  metrics: MetricsRegistry;
  atlas: AtlasClient;
  clock?: Clock;
  readiness?: ReadinessChecks;
  /** Reads HELIOS_ADMIN_PASSWORD / HELIOS_ADMIN_USERNAME to create the first admin. */
  env?: { get(name: string): string | undefined };
  /** Runs the job reaper in this process (default true). */
  reaper?: boolean;
  /** Adds application routes after the built-in ones (the framework API uses it). */
  extend?: (app: OpenAPIHono<GatewayEnv>, gateway: Gateway) => void;
  title?: string;
  version?: string;
}

export interface RunningGateway extends Gateway {
  jobs: JobService;
  close(): Promise<void>;
}

export async function createGateway(options: CreateGatewayOptions): Promise<RunningGateway> {
  const { config, logger, metrics, atlas, clock } = options;
  const auth = await createAuthServices({
    atlas,
    config: config.gateway,
    logger: logger.child("auth"),
    metrics,
    clock,
  });
  try {
    if (options.env) await ensureFirstAdmin(auth, options.env);
  } catch (error) {
    auth.close();
    throw error;
  }
  const jobs = new JobService({
    client: atlas,
    settings: queueSettingsFrom(config.worker),
    clock,
    logger: logger.child("queue"),
    metrics,
  });
  if (options.reaper ?? true) jobs.startReaper();
  const proxies = new TrustedProxies(config.gateway.rate_limit.trusted_proxies);
  const gateway = buildGateway({
    config,
    logger,
    metrics,
    atlas,
    clock,
    readiness: options.readiness,
    auth: gatewayAuth(auth, clientIpOf(proxies)),
    title: options.title,
    version: options.version,
    extend: (app, built) => {
      mountJobRoutes(app, jobs, built.rateLimitRules);
      options.extend?.(app, built);
    },
  });
  return {
    ...gateway,
    jobs,
    close() {
      jobs.close();
      auth.close();
      return Promise.resolve();
    },
  };
}

/** The structural Store registry the module commands need (atlas/store's Store fits). */
type Registry = Parameters<typeof registerKvCommands>[0];

/**
 * Registers the gateway's module commands on an ATLAS Store: KV.CAS/KV.CAD (conditional KV
 * writes) and RL.TAKE (shared rate-limit buckets). Call once at startup in every process that
 * executes ATLAS commands (`helios serve`'s embedded engine and `helios atlasd`), next to the
 * queue's registerQueueCommands.
 */
export function registerGatewayCommands(store: Registry): void {
  registerKvCommands(store);
  registerRateLimitCommands(store as Parameters<typeof registerRateLimitCommands>[0]);
}
