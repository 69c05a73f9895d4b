/**
 * Route definitions that carry their permission. Every gateway route is built with one of these
 * two helpers and registered with `mountRoute` (routes/mount.ts), which reads the permission back
 * and puts authentication + authorization in front of the handler. The permission therefore lives
 * in exactly one place — the route definition — and the OpenAPI document shows it:
 *
 * - `secureRoute({...createRouteConfig, permission: "kv:write:{key}"})`: adds
 *   `security: [{ bearerAuth: [] }]`, the `x-helios-permission` extension, a sentence in the
 *   description, and the 401/403 problem responses.
 * - `publicRoute({...})`: no authentication; marked `x-helios-permission: "public"` so the
 *   route-table test tells deliberate public routes from forgotten ones.
 *
 * Both add the problems the gateway's middleware can answer on any route (`gatewayResponses`),
 * unless the route documents that status itself: 400 for a route with a request schema, 413 for
 * one with a body, 429 (rate limit; never on /healthz and /readyz), 500, 503 and 504.
 *
 * Permission strings are `resource:action[:scope]` (see src/rbac/permission.ts). `{name}` in the
 * scope is filled from the path parameter of that name at request time, so
 * `"kv:write:{key}"` on `PUT /api/v1/kv/{key}` requires `kv:write:orders/42` for key orders/42.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { problemResponse } from "./problem.ts";

/** The OpenAPI operation extension that names the route's permission. */
export const PERMISSION_EXTENSION = "x-helios-permission";
/** The permission value of routes that need no authentication. */
export const PUBLIC_PERMISSION = "public";
/** The name of the bearer security scheme in components.securitySchemes. */
export const BEARER_SCHEME = "bearerAuth";

/** The security scheme object mountRoute registers once per app. */
export const bearerSecurityScheme = {
  type: "http" as const,
  scheme: "bearer",
  bearerFormat: "JWT",
  description: "An access token from POST /api/v1/auth/login (or an API token: `hlt_...`)",
};

/** `resource:action[:scope]`, each of resource/action a word (or `*`), scope free-form. */
const PERMISSION_TEMPLATE = /^([a-z][a-z0-9_-]*|\*):([a-z][a-z0-9_-]*|\*)(:.+)?$/;

type Marked<R, P extends string> = R & { readonly [PERMISSION_EXTENSION]: P };
type Built<R, P extends string, Perm extends string> = Marked<
  Omit<R, "permission"> & { path: P },
  Perm
>;

/** A route created with secureRoute/publicRoute; mountRoute accepts only these. */
export type HeliosRoute = RouteConfig & { readonly [PERMISSION_EXTENSION]: string };

type SecureConfig<P extends string> =
  & Omit<RouteConfig, "path" | "security">
  & { path: P; permission: string };

/** createRoute + a required permission, with auth documented on the operation. */
export function secureRoute<P extends string, R extends SecureConfig<P>>(
  config: R,
): Built<R, P, string> {
  const { permission, ...rest } = config;
  if (!PERMISSION_TEMPLATE.test(permission) || permission === PUBLIC_PERMISSION) {
    throw new Error(`Invalid permission "${permission}" on route ${config.path}`);
  }
  const sentence = `Requires a bearer token with permission \`${permission}\`.`;
  const route = createRoute({
    ...rest,
    description: rest.description ? `${rest.description}\n\n${sentence}` : sentence,
    security: [{ [BEARER_SCHEME]: [] }],
    responses: {
      ...gatewayResponses(config),
      401: problemResponse("Missing, invalid or expired credentials"),
      403: problemResponse(`The caller lacks permission \`${permission}\``),
    },
    [PERMISSION_EXTENSION]: permission,
  } as unknown as RouteConfig);
  return route as unknown as Built<R, P, string>;
}

/** createRoute for a deliberately unauthenticated route (login, register, healthz, jwks). */
export function publicRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P }>(
  config: R,
): Built<R, P, typeof PUBLIC_PERMISSION> {
  const route = createRoute(
    {
      ...config,
      security: [], // stated, so linters and SDK generators know no credentials are sent
      responses: gatewayResponses(config),
      [PERMISSION_EXTENSION]: PUBLIC_PERMISSION,
    } as R,
  );
  return route as unknown as Built<R, P, typeof PUBLIC_PERMISSION>;
}

/** Paths the rate limiter, timeout and body limit never answer for (docs/api.md). */
const UNLIMITED_PATHS = new Set(["/healthz", "/readyz"]);

const tooManyRequests = {
  ...problemResponse("Rate limited (see RateLimit-Policy / RateLimit); retry after Retry-After"),
  headers: {
    "Retry-After": {
      description: "Seconds until a request may succeed",
      schema: { type: "integer" },
    },
  },
};

/**
 * The problem responses the gateway's own layers send on any route, added to `responses` where the
 * route does not document that status: validation (400) when the route has a request schema, the
 * body limit (413) when it has a body, the rate limiter (429), internal errors (500), storage or
 * rate-limit store unavailable (503) and the request timeout (504).
 */
export function gatewayResponses(config: Omit<RouteConfig, "path"> & { path: string }) {
  const request = config.request ?? {};
  const added: Record<number, unknown> = {};
  if (request.body || request.query || request.params || request.headers) {
    added[400] = problemResponse("Request validation failed (`errors` lists the fields)");
  }
  if (request.body) added[413] = problemResponse("The request body exceeds the body limit");
  if (!UNLIMITED_PATHS.has(config.path)) {
    added[429] = tooManyRequests;
    added[500] = problemResponse("Internal error (the request id identifies it in the log)");
    added[503] = problemResponse("Storage or the rate-limit store is unavailable");
    added[504] = problemResponse("The request timed out (gateway.request_timeout)");
  }
  return { ...added, ...config.responses };
}

/** The permission a route declares, or undefined for a route not built by these helpers. */
export function routePermission(route: object): string | undefined {
  const value = (route as Record<string, unknown>)[PERMISSION_EXTENSION];
  return typeof value === "string" ? value : undefined;
}
