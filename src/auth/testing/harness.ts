/**
 * Test support: the full gateway (buildGateway, as `helios serve` assembles it) with REAL auth
 * services over an in-process ATLAS. Uses the real ATLAS Store when it implements every command
 * auth needs, else the in-memory fake (MemoryAtlasClient) — the tests are the same either way.
 */
import { buildGateway, type Gateway } from "../../../routes/mod.ts";
import { clientIpOf, gatewayAuth } from "../../../routes/auth.ts";
import { configSchema, type HeliosConfig } from "../../config/schema.ts";
import { TrustedProxies } from "../../gateway/client_ip.ts";
import { memoryAtlas } from "../../gateway/testing/memory_atlas.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { Logger } from "../../observability/logger.ts";
import { MetricsRegistry } from "../../observability/metrics.ts";
import type { AtlasClient } from "../../storage/atlas_client.ts";
import { isErrorValue } from "../../storage/atlas_client.ts";
import { type AuthServices, createAuthServices } from "../mod.ts";
import type { LoginThrottle } from "../throttle.ts";
import { MemoryAtlasClient } from "./memory_atlas.ts";

const PROBES: (string | number)[][] = [
  ["HSET", "probe:h", "f", "v"],
  ["HGETALL", "probe:h"],
  ["HDEL", "probe:h", "f"],
  ["SADD", "probe:s", "m"],
  ["SISMEMBER", "probe:s", "m"],
  ["SCARD", "probe:s"],
  ["SMEMBERS", "probe:s"],
  ["SREM", "probe:s", "m"],
  ["ZADD", "probe:z", 1, "m"],
  ["ZRANGEBYSCORE", "probe:z", "-inf", "+inf"],
  ["ZREMRANGEBYSCORE", "probe:z", "-inf", "+inf"],
  ["PEXPIREAT", "probe:h", 1],
  ["INCR", "probe:n"],
];

/** An in-process ATLAS for auth: the real Store if it has every command auth uses. */
export async function authAtlas(clock: Clock = systemClock): Promise<AtlasClient> {
  const real = memoryAtlas(clock).client;
  for (const probe of PROBES) {
    const [command, ...args] = probe;
    const reply = await real.call(String(command), ...args);
    if (isErrorValue(reply) && /unknown command/i.test(reply.error)) {
      return new MemoryAtlasClient(clock);
    }
  }
  await real.call("FLUSHALL");
  return real;
}

export interface AuthTestGateway {
  gateway: Gateway;
  auth: AuthServices;
  atlas: AtlasClient;
  config: HeliosConfig;
  metrics: MetricsRegistry;
  /** app.request with the test peer address (per-IP throttling needs one). */
  request(path: string, init?: RequestInit, ip?: string): Promise<Response>;
  close(): void;
}

export async function startAuthGateway(options: {
  gateway?: Record<string, unknown>;
  clock?: Clock;
  throttle?: LoginThrottle;
  atlas?: AtlasClient;
} = {}): Promise<AuthTestGateway> {
  const clock = options.clock ?? systemClock;
  const config = configSchema.parse({
    gateway: {
      listen: "127.0.0.1:0",
      rate_limit: { enabled: false },
      password_workers: 2,
      ...options.gateway,
    },
  });
  const logger = new Logger("gateway", { sink: () => {} });
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const atlas = options.atlas ?? await authAtlas(clock);
  const auth = await createAuthServices({
    atlas,
    config: config.gateway,
    logger,
    metrics,
    clock,
    throttle: options.throttle,
  });
  const proxies = new TrustedProxies(config.gateway.rate_limit.trusted_proxies);
  const gateway = buildGateway({
    config,
    logger,
    metrics,
    atlas,
    clock,
    auth: gatewayAuth(auth, clientIpOf(proxies)),
  });
  return {
    gateway,
    auth,
    atlas,
    config,
    metrics,
    request: (path, init, ip = "192.0.2.1") =>
      Promise.resolve(
        gateway.app.request(path, init, {
          remoteAddr: { hostname: ip, port: 1, transport: "tcp" },
        }),
      ),
    close: () => auth.close(),
  };
}

/** JSON request init helper. */
export function jsonInit(method: string, body: unknown, token?: string): RequestInit {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return { method, headers, body: JSON.stringify(body) };
}

export function bearer(token: string, method = "GET"): RequestInit {
  return { method, headers: { authorization: `Bearer ${token}` } };
}
