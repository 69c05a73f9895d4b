/**
 * Which bucket a request draws from: a per-route override (by method and route template) wins,
 * then the first per-role override the caller holds, then the default policy. Buckets are keyed
 * by policy name and caller, so one route's override never shares tokens with another's.
 */
import { type BucketPolicy, checkPolicy } from "./token_bucket.ts";

export interface RateLimitRules {
  default: BucketPolicy;
  /** `"GET /api/v1/kv/{key}"` → policy. */
  routes: Map<string, BucketPolicy>;
  /** Role name → policy; checked in insertion order. */
  roles: Map<string, BucketPolicy>;
  /** Route templates never limited (health probes, static docs assets). */
  exempt: Set<string>;
}

/** The config shape (gateway.rate_limit). */
export interface RateLimitConfig {
  default_capacity: number;
  default_rate_num: number;
  default_rate_den: number;
  routes?: {
    name?: string;
    method: string;
    path: string;
    capacity: number;
    rate_num: number;
    rate_den: number;
  }[];
  roles?: Record<string, { capacity: number; rate_num: number; rate_den: number }>;
}

export const DEFAULT_EXEMPT = [
  "GET /healthz",
  "GET /readyz",
  "GET /assets/swagger-ui-dist/{file}",
  "GET /favicon.ico",
];

export function rulesFromConfig(config: RateLimitConfig): RateLimitRules {
  const rules: RateLimitRules = {
    default: {
      name: "default",
      capacity: config.default_capacity,
      rateNum: config.default_rate_num,
      rateDen: config.default_rate_den,
    },
    routes: new Map(),
    roles: new Map(),
    exempt: new Set(DEFAULT_EXEMPT),
  };
  checkPolicy(rules.default);
  (config.routes ?? []).forEach((route, index) => {
    addRoutePolicy(rules, route.method, route.path, {
      name: route.name ?? `route_${index + 1}`,
      capacity: route.capacity,
      rateNum: route.rate_num,
      rateDen: route.rate_den,
    });
  });
  for (const [role, policy] of Object.entries(config.roles ?? {})) {
    const named = {
      name: `role_${role}`,
      capacity: policy.capacity,
      rateNum: policy.rate_num,
      rateDen: policy.rate_den,
    };
    checkPolicy(named);
    rules.roles.set(role, named);
  }
  return rules;
}

export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export function addRoutePolicy(
  rules: RateLimitRules,
  method: string,
  path: string,
  policy: BucketPolicy,
): void {
  checkPolicy(policy);
  rules.routes.set(routeKey(method, path), policy);
}

export function resolvePolicy(
  rules: RateLimitRules,
  route: string,
  roles: readonly string[],
): BucketPolicy {
  const byRoute = rules.routes.get(route);
  if (byRoute) return byRoute;
  for (const [role, policy] of rules.roles) if (roles.includes(role)) return policy;
  return rules.default;
}
