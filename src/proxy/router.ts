/**
 * Route matching: host (exact or "*.suffix", case-insensitive, port ignored), path prefix on
 * segment boundaries ("/api" matches "/api" and "/api/x", not "/apix"), methods and exact header
 * values. The first route that matches, in declared order, wins.
 */
import type { RouteConfig } from "./config.ts";

export interface CompiledRoute {
  name: string;
  upstream: string;
  prefix: string;
  stripPrefix: boolean;
  retryable: boolean;
  host: string | null;
  hostSuffix: string | null;
  methods: Set<string> | null;
  headers: [string, string][];
}

export function compileRoute(route: RouteConfig): CompiledRoute {
  const host = route.match.host?.toLowerCase() ?? null;
  const wildcard = host?.startsWith("*.") ?? false;
  return {
    name: route.name,
    upstream: route.upstream,
    prefix: route.match.path_prefix,
    stripPrefix: route.strip_prefix,
    retryable: route.retryable,
    host: wildcard ? null : host,
    hostSuffix: wildcard ? host!.slice(1) : null,
    methods: route.match.methods.length > 0 ? new Set(route.match.methods) : null,
    headers: Object.entries(route.match.headers).map(([k, v]) => [k.toLowerCase(), v]),
  };
}

export function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === "/" || path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  if (prefix.endsWith("/")) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

/**
 * The host header without port or a trailing dot, lower case: "Admin.Example.com.:80" is
 * "admin.example.com", the same name in DNS, so it takes that name's route (as in nginx).
 */
export function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]");
    return hostHeader.slice(0, end + 1).toLowerCase();
  }
  const colon = hostHeader.indexOf(":");
  let end = colon >= 0 ? colon : hostHeader.length;
  if (end > 1 && hostHeader.charCodeAt(end - 1) === 46 /* . */) end--;
  return (end === hostHeader.length ? hostHeader : hostHeader.slice(0, end)).toLowerCase();
}

export class Router {
  constructor(readonly routes: CompiledRoute[]) {}

  match(
    method: string,
    host: string,
    path: string,
    headers: { get(name: string): string | null },
  ): CompiledRoute | null {
    // Index loops: this runs per request, and for-of with destructuring allocates iterators.
    for (let r = 0; r < this.routes.length; r++) {
      const route = this.routes[r];
      if (route.methods !== null && !route.methods.has(method)) continue;
      if (route.host !== null && route.host !== host) continue;
      if (route.hostSuffix !== null && !host.endsWith(route.hostSuffix)) continue;
      if (!pathHasPrefix(path, route.prefix)) continue;
      let ok = true;
      for (let h = 0; h < route.headers.length; h++) {
        if (headers.get(route.headers[h][0]) !== route.headers[h][1]) {
          ok = false;
          break;
        }
      }
      if (ok) return route;
    }
    return null;
  }
}
