/** The auth and RBAC metrics (documented names). */
import type { Counter, MetricsRegistry } from "../observability/metrics.ts";

export interface AuthMetrics {
  logins: Counter;
  refreshReuse: Counter;
  throttled: Counter;
  rbacDenied: Counter;
}

export function authMetrics(registry: MetricsRegistry): AuthMetrics {
  return {
    logins: registry.counter({
      name: "auth_logins_total",
      help: "Login attempts by result (success, failure, throttled)",
      labelNames: ["result"],
    }),
    refreshReuse: registry.counter({
      name: "auth_refresh_reuse_detected_total",
      help: "Rotated refresh tokens presented again; each revoked its session family",
    }),
    throttled: registry.counter({
      name: "auth_throttled_total",
      help: "Login or password attempts refused by brute-force throttling",
    }),
    rbacDenied: registry.counter({
      name: "rbac_denied_total",
      help: "Requests refused for lack of permission, by route permission template",
      labelNames: ["permission"],
    }),
  };
}
