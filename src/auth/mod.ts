/**
 * Authentication: passwords (bcrypt/argon2id in Web Workers), JWT sessions with refresh
 * rotation, API tokens, brute-force throttling, and the per-route middleware. State lives in
 * ATLAS through AtlasClient. See docs/auth.md.
 *
 *   const auth = await createAuthServices({ atlas, config: config.gateway, logger, metrics, clock });
 *   app.use("*", provideAuth(auth));        // then mountRoute(...) for every route
 *   ...
 *   auth.close();                           // terminates the hashing workers
 */
import type { GatewayConfig } from "../config/schema.ts";
import { parseDurationMs } from "../lib/duration.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricsRegistry } from "../observability/metrics.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { ApiTokenStore } from "./api_tokens.ts";
import { AuthCache } from "./auth_cache.ts";
import { JwtCodec } from "./jwt.ts";
import { KeyRing } from "./key_ring.ts";
import { authMetrics } from "./metrics.ts";
import type { PasswordRunner } from "./password_jobs.ts";
import { PasswordHasher } from "./passwords.ts";
import { RoleStore } from "./role_store.ts";
import { AuthServices } from "./service.ts";
import { SessionStore } from "./sessions.ts";
import { LoginThrottle } from "./throttle.ts";
import { UserStore } from "./user_store.ts";
import { PasswordWorkerPool } from "./worker_pool.ts";

export { AuthServices } from "./service.ts";
export { UserAdmin, type UserView, userView } from "./admin.ts";
export {
  authenticate,
  authorize,
  type AuthVariables,
  parseBearer,
  provideAuth,
  type RequestAuthenticator,
} from "./middleware.ts";
export type { TokenPair } from "./records.ts";
export { LoginThrottle, type ThrottlePolicy } from "./throttle.ts";
export { InlinePasswordRunner, type PasswordRunner } from "./password_jobs.ts";

export interface AuthServicesDeps {
  atlas: AtlasClient;
  config: GatewayConfig;
  logger: Logger;
  metrics: MetricsRegistry;
  clock?: Clock;
  /** Overrides the throttle (tests use short delays); defaults to the documented policy. */
  throttle?: LoginThrottle;
  /** Overrides the hashing worker pool (bench/login_storm's inline comparison only). */
  passwordRunner?: PasswordRunner;
}

const ms = (text: string) => parseDurationMs(text)!;

/** Hashing workers: configured, else one less than the CPUs (at least 1). */
export function passwordWorkerCount(configured: number): number {
  if (configured > 0) return configured;
  return Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1);
}

export async function createAuthServices(deps: AuthServicesDeps): Promise<AuthServices> {
  const { atlas, config } = deps;
  const clock = deps.clock ?? systemClock;
  const accessTtlMs = ms(config.jwt_expiry);
  const clockSkewMs = ms(config.jwt_clock_skew);
  const cacheRefreshMs = ms(config.auth_cache_refresh);
  // Revocations must outlive every access token they could still match, plus cache staleness.
  const revocationKeepMs = accessTtlMs + clockSkewMs + cacheRefreshMs + 60_000;
  const pool = deps.passwordRunner ??
    new PasswordWorkerPool(passwordWorkerCount(config.password_workers));
  const ring = new KeyRing(atlas, clock, {
    secret: config.jwt_secret,
    retireAfterMs: accessTtlMs + clockSkewMs,
  });
  try {
    await ring.load();
  } catch (error) {
    pool.close();
    throw error;
  }
  const cache = new AuthCache(atlas, clock, cacheRefreshMs);
  return new AuthServices({
    atlas,
    clock,
    logger: deps.logger,
    metrics: authMetrics(deps.metrics),
    pool,
    hasher: new PasswordHasher(pool, {
      algorithm: config.password_hash,
      bcryptCost: config.bcrypt_cost,
      argon2MemoryKiB: 19_456,
      argon2Iterations: 2,
    }),
    ring,
    jwt: new JwtCodec(ring, clock, {
      issuer: config.jwt_issuer,
      audience: config.jwt_audience,
      accessTtlMs,
      clockSkewMs,
    }),
    cache,
    users: new UserStore(atlas, clock),
    sessions: new SessionStore(atlas, clock, {
      refreshTtlMs: ms(config.refresh_expiry),
      graceMs: ms(config.refresh_grace),
      revocationKeepMs,
    }),
    tokens: new ApiTokenStore(atlas, clock, revocationKeepMs),
    roles: new RoleStore(atlas, cache),
    throttle: deps.throttle ?? new LoginThrottle(clock),
    defaultRole: config.default_role,
  });
}

/**
 * First start: when HELIOS_ADMIN_PASSWORD is set and no user named HELIOS_ADMIN_USERNAME
 * (default "admin") exists, create it with the admin role. Returns whether it created one.
 */
export async function ensureFirstAdmin(
  auth: AuthServices,
  env: { get(name: string): string | undefined },
): Promise<boolean> {
  const password = env.get("HELIOS_ADMIN_PASSWORD");
  if (!password) return false;
  const username = env.get("HELIOS_ADMIN_USERNAME") || "admin";
  if (await auth.parts.users.byUsername(username)) return false;
  await auth.addUser(username, password, ["admin"]);
  auth.parts.logger.info("First admin created from HELIOS_ADMIN_PASSWORD", { username });
  return true;
}
