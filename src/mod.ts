/**
 * The Helios framework API: build an application on Helios — its own OpenAPI routes behind the
 * same authentication, permission checks and rate limits as the built-in ones, next to the
 * built-in auth, KV and jobs APIs, with job handlers run by an in-process worker.
 *
 *   const helios = await createHelios({ dataDir: "./data", title: "Orders" });
 *   helios.route(requirePermission("orders:create", { method: "post", path: "/orders", ... }),
 *     async (c) => c.json(await save(c.req.valid("json")), 201), { rateLimit: { capacity: 10 } });
 *   helios.jobs.handle("orders.confirm", async (job) => { ... });
 *   await helios.listen({ port: 8443 });
 */
import { OpenAPIHono, type RouteConfig, type RouteHandler, z } from "@hono/zod-openapi";
import { AtlasEngine } from "../atlas/mod.ts";
import { type HeliosRoute, publicRoute, secureRoute } from "../openapi/secure_route.ts";
import { problemResponse } from "../openapi/problem.ts";
import { createGateway, registerGatewayCommands, type RunningGateway } from "../routes/mod.ts";
import type { GatewayEnv } from "../routes/env.ts";
import { mountRoute } from "../routes/mount.ts";
import { configSchema, type HeliosConfig } from "./config/schema.ts";
import { engineOptionsFromConfig } from "./storage/engine_options.ts";
import { formatHostPort } from "./lib/address.ts";
import { type Clock, systemClock } from "./lib/clock.ts";
import { type ListeningServer, serveHttp } from "./lib/http_server.ts";
import { Logger } from "./observability/logger.ts";
import { MetricsRegistry } from "./observability/metrics.ts";
import {
  defaultHandlers,
  type EnqueueInput,
  type EnqueueOutcome,
  type HandlerRegistry,
  type JobHandler,
  type JobService,
  registerQueueCommands,
  startEmbeddedWorker,
  type WorkerRunner,
} from "./queue/mod.ts";
import { addRoutePolicy } from "./ratelimit/mod.ts";
import type { KvService } from "./kv/mod.ts";
import type { AtlasClient } from "./storage/atlas_client.ts";
import { EmbeddedAtlasClient } from "./storage/embedded_client.ts";
import { parseNodeList, RespAtlasClient } from "./storage/resp_client.ts";

export { z };
export { problemResponse, publicRoute, secureRoute };
export type { GatewayEnv, HeliosConfig, HeliosRoute, JobHandler, KvService };
export { AppError, ConflictError, NotFoundError, ValidationError } from "./errors/app_error.ts";
export { type JobContext, JobFailure } from "./queue/mod.ts";

/** A route that requires `permission` (e.g. "orders:read:{id}"; `{id}` comes from the path). */
export function requirePermission<
  P extends string,
  R extends Omit<RouteConfig, "path" | "security"> & { path: P },
>(
  permission: string,
  config: R,
) {
  return secureRoute({ ...config, permission });
}

export interface RouteRateLimit {
  /** Burst size (default: the gateway's default capacity). */
  capacity?: number;
  /** Refill `rateNum` tokens every `rateDen` seconds (defaults: the gateway's). */
  rateNum?: number;
  rateDen?: number;
  /** Names the policy in the RateLimit headers (default: method_path). */
  name?: string;
}

export interface HeliosOptions {
  /** Config sections as in configs/config.yaml (validated); the defaults otherwise. */
  config?: Record<string, unknown> | HeliosConfig;
  /** Embedded storage directory (default config.atlas.data_dir). Ignored when `atlas` is set. */
  dataDir?: string;
  /** Remote ATLAS: "host:port[,host:port...]" or a ready AtlasClient. */
  atlas?: string | AtlasClient;
  title?: string;
  version?: string;
  logger?: Logger;
  metrics?: MetricsRegistry;
  clock?: Clock;
  /** HELIOS_ADMIN_PASSWORD / HELIOS_ADMIN_USERNAME create the first admin (default Deno.env). */
  env?: { get(name: string): string | undefined };
}

export interface HeliosJobs {
  /** Registers the handler of a task; the embedded worker runs it once `listen()` is called. */
  handle(task: string, handler: JobHandler): HeliosJobs;
  enqueue(input: EnqueueInput): Promise<EnqueueOutcome>;
  readonly service: JobService;
  readonly registry: HandlerRegistry;
}

export interface Helios {
  /** The Hono app (escape hatch: middleware, non-API routes). */
  readonly app: OpenAPIHono<GatewayEnv>;
  readonly atlas: AtlasClient;
  readonly kv: KvService;
  readonly jobs: HeliosJobs;
  readonly config: HeliosConfig;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** Adds an OpenAPI route built with requirePermission/secureRoute/publicRoute. */
  route<R extends HeliosRoute>(
    route: R,
    handler: RouteHandler<R, GatewayEnv>,
    options?: { rateLimit?: RouteRateLimit },
  ): Helios;
  fetch(request: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>): Response | Promise<Response>;
  /** Serves HTTP and starts the embedded worker (unless worker.embedded is false). */
  listen(options?: { hostname?: string; port?: number }): ListeningServer;
  close(): Promise<void>;
}

async function openStorage(options: HeliosOptions, config: HeliosConfig, logger: Logger) {
  if (typeof options.atlas === "object") {
    return {
      atlas: options.atlas,
      close: () => Promise.resolve(),
    };
  }
  const remote = options.atlas ?? config.gateway.atlas;
  if (remote) {
    const atlas = new RespAtlasClient({
      nodes: parseNodeList(remote),
      password: config.atlas.requirepass || undefined,
    });
    return { atlas, close: () => atlas.close() };
  }
  const engine = await AtlasEngine.open({
    ...engineOptionsFromConfig(config.atlas, options.dataDir),
    logger: logger.child("atlas"),
  });
  registerGatewayCommands(engine.store);
  if (!engine.store.commands.has("job.reap")) registerQueueCommands(engine.store);
  return { atlas: new EmbeddedAtlasClient(engine), close: () => engine.close() };
}

function policyName(method: string, path: string): string {
  return `${method}_${path}`.toLowerCase().replace(/[^a-z0-9_.-]+/g, "_").replace(/_+$/, "").slice(
    0,
    64,
  );
}

/** Builds a Helios application: storage, the full gateway, and the hooks to extend it. */
export async function createHelios(options: HeliosOptions = {}): Promise<Helios> {
  const config = configSchema.parse(options.config ?? {});
  const logger = options.logger ?? new Logger("helios", { level: config.observability.log_level });
  const metrics = options.metrics ?? new MetricsRegistry();
  const storage = await openStorage(options, config, logger);
  let gateway: RunningGateway;
  try {
    gateway = await createGateway({
      config,
      logger: logger.child("gateway"),
      metrics,
      atlas: storage.atlas,
      clock: options.clock ?? systemClock,
      env: options.env ?? Deno.env,
      title: options.title,
      version: options.version,
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  const registry = defaultHandlers();
  const servers: ListeningServer[] = [];
  let worker: WorkerRunner | null = null;
  const jobs: HeliosJobs = {
    handle(task, handler) {
      registry.handle(task, handler);
      return jobs;
    },
    enqueue: (input) => gateway.jobs.enqueue(input),
    service: gateway.jobs,
    registry,
  };
  const helios: Helios = {
    app: gateway.app,
    atlas: storage.atlas,
    kv: gateway.kv,
    jobs,
    config,
    logger,
    metrics,
    route(route, handler, routeOptions = {}) {
      const limit = routeOptions.rateLimit;
      if (limit) {
        const rl = config.gateway.rate_limit;
        addRoutePolicy(gateway.rateLimitRules, route.method, route.path, {
          name: limit.name ?? policyName(route.method, route.path),
          capacity: limit.capacity ?? rl.default_capacity,
          rateNum: limit.rateNum ?? rl.default_rate_num,
          rateDen: limit.rateDen ?? rl.default_rate_den,
        });
      }
      mountRoute(gateway.app, route, handler);
      return helios;
    },
    fetch: (request, info) => gateway.fetch(request, info),
    listen(listenOptions = {}) {
      const server = serveHttp({
        address: {
          hostname: listenOptions.hostname ?? "127.0.0.1",
          port: listenOptions.port ?? 8443,
        },
        handler: gateway.fetch,
        logger: logger.child("gateway"),
        name: "gateway",
      });
      servers.push(server);
      worker ??= startEmbeddedWorker({
        config,
        jobs: gateway.jobs,
        logger: logger.child("worker"),
        metrics,
        registry,
      });
      logger.debug("Application listening", { address: formatHostPort(server.address) });
      return server;
    },
    async close() {
      for (const server of servers.splice(0)) await server.close(1000);
      await worker?.stop();
      await gateway.close();
      await storage.close();
    },
  };
  return helios;
}

export { OpenAPIHono };
