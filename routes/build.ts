/**
 * `buildGateway`: the one assembly of the Helios HTTP gateway from config and an AtlasClient.
 * serve.ts, gateway.ts, the framework API (src/mod.ts) and the tests all call it, so every
 * entry point serves the same routes behind the same middleware.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { HeliosConfig } from "../src/config/schema.ts";
import type { RequestAuthenticator } from "../src/auth/middleware.ts";
import type { Principal } from "../src/rbac/policy.ts";
import { bodyLimit, cors, requestTimeout, securityHeaders } from "../src/gateway/hygiene.ts";
import { TrustedProxies } from "../src/gateway/client_ip.ts";
import { identifier } from "../src/gateway/identity.ts";
import { type KvLimits, KvService } from "../src/kv/mod.ts";
import { parseDurationMs } from "../src/lib/duration.ts";
import { type Clock, systemClock } from "../src/lib/clock.ts";
import type { Logger } from "../src/observability/logger.ts";
import type { MetricsRegistry } from "../src/observability/metrics.ts";
import {
  AtlasBucketStore,
  type BucketStore,
  LocalBucketStore,
  rateLimit,
  type RateLimitConfig,
  type RateLimitRules,
  rulesFromConfig,
} from "../src/ratelimit/mod.ts";
import type { AtlasClient } from "../src/storage/atlas_client.ts";
import { ASSETS_PREFIX, DOCS_PATH, mountDocs } from "./docs.ts";
import type { GatewayEnv } from "./env.ts";
import type { ReadinessChecks } from "./health.ts";
import { mountKvRoutes } from "./kv.ts";
import { createGatewayApp } from "./app.ts";

/** What the auth module contributes: the per-request authenticator and its own routes. */
export interface GatewayAuth {
  authenticator: RequestAuthenticator;
  /** Mounts /api/v1/auth/* and /api/v1/admin/* (called after the middleware is in place). */
  mountRoutes?(app: OpenAPIHono<GatewayEnv>): void;
}

export interface BuildGatewayOptions {
  config: HeliosConfig;
  logger: Logger;
  metrics: MetricsRegistry;
  atlas: AtlasClient;
  clock?: Clock;
  readiness?: ReadinessChecks;
  auth?: GatewayAuth;
  /** Overrides the rate-limit bucket store (tests; default from gateway.rate_limit.store). */
  bucketStore?: BucketStore;
  kvLimits?: Partial<KvLimits>;
  /** Adds routes after the built-in ones (jobs, framework applications). */
  extend?: (app: OpenAPIHono<GatewayEnv>, gateway: Gateway) => void;
  title?: string;
  version?: string;
}

export interface Gateway {
  app: OpenAPIHono<GatewayEnv>;
  /** `app.fetch` for Deno.serve / serveHttp. */
  fetch: OpenAPIHono<GatewayEnv>["fetch"];
  kv: KvService;
  /** Rate-limit rules: add per-route policies before serving (framework API). */
  rateLimitRules: RateLimitRules;
}

export function buildGateway(options: BuildGatewayOptions): Gateway {
  const { config, logger, metrics } = options;
  const gw = config.gateway;
  const clock = options.clock ?? systemClock;
  const rateLimitRules = rulesFromConfig(gw.rate_limit as RateLimitConfig);
  const middleware: MiddlewareHandler<GatewayEnv>[] = [
    securityHeaders({ hsts: gw.tls_enabled, htmlPrefixes: [DOCS_PATH, ASSETS_PREFIX] }),
  ];
  if (gw.cors_origins.length > 0) middleware.push(cors(gw.cors_origins));
  middleware.push(bodyLimit(gw.body_limit_bytes));
  middleware.push(requestTimeout(parseDurationMs(gw.request_timeout) ?? 30_000));
  if (options.auth) middleware.push(provideAuthOncePerRequest(options.auth.authenticator));
  if (gw.rate_limit.enabled) {
    const store = options.bucketStore ??
      (gw.rate_limit.store === "atlas"
        ? new AtlasBucketStore(options.atlas)
        : new LocalBucketStore());
    middleware.push(rateLimit({
      rules: rateLimitRules,
      store,
      clock,
      failOpen: gw.rate_limit.fail_open,
      identify: identifier(
        new TrustedProxies(gw.rate_limit.trusted_proxies),
        (c) => {
          const auth = (c as Context<GatewayEnv>).get("auth");
          return auth && ((credential) => auth.authenticateBearer(credential));
        },
      ),
      metrics,
      logger: logger.child("ratelimit"),
    }));
  }
  const app = createGatewayApp({
    logger,
    metrics,
    readiness: options.readiness ?? { storage: () => options.atlas.ready?.() ?? true },
    middleware,
    title: options.title,
    version: options.version,
  });
  const kv = new KvService(options.atlas, options.kvLimits);
  const gateway: Gateway = { app, fetch: app.fetch, kv, rateLimitRules };
  options.auth?.mountRoutes?.(app);
  mountKvRoutes(app, kv);
  mountDocs(app);
  options.extend?.(app, gateway);
  return gateway;
}

/**
 * Puts the authenticator in the context (what provideAuth does), remembering the request's one
 * bearer verification: the rate limiter identifies the caller first, and the route's
 * `authenticate` then gets the same answer (principal or 401) without verifying twice.
 */
function provideAuthOncePerRequest(auth: RequestAuthenticator): MiddlewareHandler<GatewayEnv> {
  return async function provideAuth(c, next) {
    let memoCredential: string | null = null;
    let memo: Promise<Principal> | null = null;
    c.set("auth", {
      authenticateBearer(credential) {
        if (memo === null || memoCredential !== credential) {
          memoCredential = credential;
          memo = auth.authenticateBearer(credential);
        }
        return memo;
      },
      onDenied: (principal, template, permission) => auth.onDenied(principal, template, permission),
    });
    await next();
  };
}
