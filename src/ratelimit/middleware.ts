/**
 * The rate-limit middleware: identify the caller, pick the policy, take a token, and answer
 * 429 problem+json with Retry-After when the bucket is empty. Every response carries the draft
 * RateLimit-Policy / RateLimit headers. A store failure fails open or closed, as configured.
 */
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { RateLimitedError, UnavailableError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricsRegistry } from "../observability/metrics.ts";
import { policyHeader, rateLimitHeaders, setResponseHeaders, stateHeader } from "./headers.ts";
import { type RateLimitRules, resolvePolicy, routeKey } from "./policy.ts";
import type { BucketStore } from "./store.ts";
import type { BucketDecision } from "./token_bucket.ts";

/** Who is asking: `user:ID`, `token:ID` or `ip:ADDR`, plus roles for per-role policies. */
export interface Identity {
  key: string;
  roles: readonly string[];
}

export interface RateLimitOptions {
  rules: RateLimitRules;
  store: BucketStore;
  clock: Clock;
  failOpen: boolean;
  // deno-lint-ignore no-explicit-any
  identify(c: Context<any>): Promise<Identity>;
  metrics: MetricsRegistry;
  logger: Logger;
}

/** Hono `/api/v1/kv/:key` → OpenAPI `/api/v1/kv/{key}` (what config and docs use). */
export function templateOf(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const denied = options.metrics.counter({
    name: "rate_limiter_denied_total",
    help: "Requests refused with 429 by the rate limiter, by policy",
    labelNames: ["policy"],
  });
  const storeErrors = options.metrics.counter({
    name: "rate_limiter_store_errors_total",
    help: "Rate-limit decisions that failed because the bucket store was unreachable",
    labelNames: ["outcome"],
  });
  // Route keys by method and Hono path, computed once per route (bounded by the route table).
  const routeKeys = new Map<string, string>();
  const takeNow = options.store.takeNow;
  return async function limitRate(c, next) {
    const honoPath = routePath(c, -1);
    const cacheKey = c.req.method + " " + honoPath;
    let route = routeKeys.get(cacheKey);
    if (route === undefined) {
      route = routeKey(c.req.method, templateOf(honoPath));
      if (routeKeys.size < 10_000) routeKeys.set(cacheKey, route);
    }
    if (options.rules.exempt.has(route)) return next();
    const identity = await options.identify(c);
    const policy = resolvePolicy(options.rules, route, identity.roles);
    const bucket = `rl:${policy.name}:${identity.key}`;
    let decision: BucketDecision;
    try {
      decision = takeNow
        ? takeNow.call(options.store, bucket, policy, options.clock.nowMs())
        : await options.store.take(bucket, policy, options.clock.nowMs());
    } catch (error) {
      const outcome = options.failOpen ? "allowed" : "denied";
      storeErrors.inc({ outcome });
      options.logger.warn("Rate-limit store failed", { outcome, error });
      if (options.failOpen) return await next();
      throw new UnavailableError("Rate limiter is unavailable", "ratelimit_unavailable", 1);
    }
    if (!decision.allowed) {
      denied.inc({ policy: policy.name });
      const error = new RateLimitedError(
        decision.retryAfterMs / 1000,
        `Rate limit "${policy.name}" exceeded`,
      );
      Object.assign(error.headers, rateLimitHeaders(policy, decision));
      throw error;
    }
    await next();
    setRateLimitHeaders(c, policyHeader(policy), stateHeader(policy, decision));
  };
}

/** setResponseHeaders for the two headers, without building a record per request. */
function setRateLimitHeaders(c: { res: Response }, policy: string, state: string): void {
  try {
    const headers = c.res.headers;
    headers.set("ratelimit-policy", policy);
    headers.set("ratelimit", state);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    setResponseHeaders(c, { "ratelimit-policy": policy, "ratelimit": state });
  }
}
