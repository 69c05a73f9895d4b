/**
 * The per-request auth middleware. `provideAuth(services)` (once, app-wide) puts the
 * authenticator in the context; `authenticate` verifies the bearer credential and sets
 * `principal`; `authorize(template)` fills the route's permission from its path params and asks
 * RBAC. routes/mount.ts puts the last two in front of every non-public route.
 */
import type { MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError, ValidationError } from "../errors/app_error.ts";
import {
  can,
  fillPermission,
  parsePermission,
  type Principal,
  toActionResource,
} from "../rbac/mod.ts";

/** What the middleware needs from the auth services (AuthServices implements it). */
export interface RequestAuthenticator {
  /** Verifies a bearer credential (access JWT or API token); throws UnauthorizedError. */
  authenticateBearer(credential: string): Promise<Principal>;
  /** Called on every RBAC denial (metrics, audit log). */
  onDenied(principal: Principal, permissionTemplate: string, permission: string): void;
}

export interface AuthVariables {
  auth: RequestAuthenticator;
  principal: Principal;
}

export interface AuthEnv {
  Variables: AuthVariables;
}

/** App-wide: makes the authenticator available to every route's auth middleware. */
export function provideAuth(auth: RequestAuthenticator): MiddlewareHandler<AuthEnv> {
  return async function provideAuthServices(c, next) {
    c.set("auth", auth);
    await next();
  };
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,8192})[ ]*$/i;

/** The bearer credential of a request, or throws 401. */
export function bearerCredential(header: string | undefined): string {
  if (header === undefined) throw new UnauthorizedError("Missing bearer token");
  const match = BEARER.exec(header);
  if (!match) throw new UnauthorizedError("Malformed Authorization header: expected Bearer token");
  return match[1];
}

function authenticatorOf(c: { get(key: "auth"): RequestAuthenticator | undefined }) {
  const auth = c.get("auth");
  // Fail closed: a secure route on an app without provideAuth() is a wiring bug, never open.
  if (!auth) throw new Error("Secure route reached without provideAuth() middleware");
  return auth;
}

export const authenticate: MiddlewareHandler<AuthEnv> = async function authenticate(c, next) {
  const auth = authenticatorOf(c);
  const principal = await auth.authenticateBearer(bearerCredential(c.req.header("authorization")));
  c.set("principal", principal);
  await next();
};

/** Checks the route's permission (template filled from path params) for the principal. */
export function authorize(template: string): MiddlewareHandler<AuthEnv> {
  if (!parsePermission(template.replace(/\{[A-Za-z0-9_]+\}/g, "x"))) {
    throw new Error(`Invalid permission template "${template}"`);
  }
  return async function authorizeRoute(c, next) {
    const principal = c.get("principal");
    if (!principal) throw new Error("authorize() ran before authenticate()");
    const permission = fillPermission(template, c.req.param() as Record<string, string>);
    const parsed = parsePermission(permission);
    if (parsed === null) {
      // The route's template is valid (checked at boot), so a path parameter made the resource
      // name unusable (too long, or characters a resource cannot hold): bad input, not a denial.
      throw new ValidationError("A path parameter is not a valid resource name", [
        {
          path: "params",
          message: `"${permission.slice(0, 80)}..." is not a valid permission resource`,
        },
      ]);
    }
    const { action, resource } = toActionResource(parsed);
    const decision = can(principal, action, resource);
    if (!decision.allowed) {
      authenticatorOf(c).onDenied(principal, template, permission);
      throw new ForbiddenError(`Permission "${permission}" is required`, "permission_denied");
    }
    await next();
  };
}
