/**
 * `mountRoute(app, route, handler)`: THE way gateway routes are registered. The route comes from
 * `secureRoute` or `publicRoute` (openapi/secure_route.ts) and carries its permission; mountRoute
 * reads it and puts `authenticate` + `authorize(permission)` in front of the handler, so a route
 * cannot skip the check. A route without a permission marker is refused at boot.
 *
 * Wiring (routes/mod.ts), once per app, BEFORE mounting routes:
 *
 *   app.use("*", provideAuth(authServices));     // authServices = createAuthServices({...})
 *   mountRoute(app, getKeyRoute, (c) => ...);    // per route
 *
 * Inside a secure handler, `c.get("principal")` is the authenticated caller (see
 * src/rbac/policy.ts Principal). Without provideAuth, secure routes fail closed (500).
 */
import type { OpenAPIHono, RouteHandler } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { authenticate, authorize } from "../src/auth/middleware.ts";
import {
  BEARER_SCHEME,
  bearerSecurityScheme,
  type HeliosRoute,
  PUBLIC_PERMISSION,
  routePermission,
} from "../openapi/secure_route.ts";
import type { GatewayEnv } from "./env.ts";

const schemeRegistered = new WeakSet<object>();

export function mountRoute<R extends HeliosRoute>(
  app: OpenAPIHono<GatewayEnv>,
  route: R,
  handler: RouteHandler<R, GatewayEnv>,
): void {
  const permission = routePermission(route);
  if (permission === undefined) {
    throw new Error(`Route ${route.method} ${route.path} has no permission: use secureRoute`);
  }
  if (route.middleware !== undefined) {
    throw new Error(`Route ${route.method} ${route.path} sets middleware; mountRoute owns it`);
  }
  if (permission === PUBLIC_PERMISSION) {
    app.openapi(route, handler as never);
    return;
  }
  for (const [, name] of permission.matchAll(/\{([A-Za-z0-9_]+)\}/g)) {
    if (!route.path.includes(`{${name}}`)) {
      throw new Error(
        `Route ${route.method} ${route.path}: permission names {${name}}, not a path param`,
      );
    }
  }
  registerBearerScheme(app);
  const middleware: MiddlewareHandler<GatewayEnv>[] = [
    authenticate as unknown as MiddlewareHandler<GatewayEnv>,
    authorize(permission) as unknown as MiddlewareHandler<GatewayEnv>,
  ];
  app.openapi({ ...route, middleware }, handler as never);
}

function registerBearerScheme(app: OpenAPIHono<GatewayEnv>): void {
  if (schemeRegistered.has(app)) return;
  schemeRegistered.add(app);
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, bearerSecurityScheme);
}
