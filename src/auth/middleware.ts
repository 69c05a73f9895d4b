/**
 * The per-request auth middleware. `provideAuth(services)` (once, app-wide) puts the
 * authenticator in the context; `authenticate` verifies the bearer credential and sets
 * `principal`; `authorize(template)` fills the route's permission from its path params and asks
 * RBAC. routes/mount.ts puts the last two in front of every non-public route.
 */
import type { MiddlewareHandler } from "hono";
import { ForbiddenError, UnauthorizedError, ValidationError } from "../errors/app_error.ts";
import { can, parsePermission, type Principal, toActionResource } from "../rbac/mod.ts";

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

// The scheme case-insensitively, spaces, the RFC 6750 b64token, optional trailing spaces. No
// counted repetition: the length is checked after the match (a `{1,8192}` made this slower).
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/=-]+) *$/;
export const BEARER_CREDENTIAL_MAX = 8192;

// The last header parsed: the rate limiter and the route parse the same header per request.
let lastHeader = "";
let lastCredential: string | null = null;

/** The credential of `Bearer <token>`, or null when the header is not a bearer credential. */
export function parseBearer(header: string): string | null {
  if (header === lastHeader) return lastCredential;
  const match = BEARER.exec(header);
  const credential = match !== null && match[1].length <= BEARER_CREDENTIAL_MAX ? match[1] : null;
  lastHeader = header;
  lastCredential = credential;
  return credential;
}

/** The bearer credential of a request, or throws 401. */
export function bearerCredential(header: string | undefined): string {
  if (header === undefined) throw new UnauthorizedError("Missing bearer token");
  const credential = parseBearer(header);
  if (credential === null) {
    throw new UnauthorizedError("Malformed Authorization header: expected Bearer token");
  }
  return credential;
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
  const fill = compileTemplate(template);
  return async function authorizeRoute(c, next) {
    const principal = c.get("principal");
    if (!principal) throw new Error("authorize() ran before authenticate()");
    const permission = fill((name) => c.req.param(name));
    const verdict = decisionFor(principal.rules, permission);
    if (verdict === INVALID) {
      // The route's template is valid (checked at boot), so a path parameter made the resource
      // name unusable (too long, or characters a resource cannot hold): bad input, not a denial.
      throw new ValidationError("A path parameter is not a valid resource name", [
        {
          path: "params",
          message: `"${permission.slice(0, 80)}..." is not a valid permission resource`,
        },
      ]);
    }
    if (verdict === DENIED) {
      authenticatorOf(c).onDenied(principal, template, permission);
      throw new ForbiddenError(`Permission "${permission}" is required`, "permission_denied");
    }
    await next();
  };
}

/**
 * `kv:read:{key}` → a function filling the placeholders, split once at boot (fillPermission's
 * regex replace per request is what it replaces; a missing param is the same programmer error).
 */
function compileTemplate(
  template: string,
): (param: (name: string) => string | undefined) => string {
  const names = [...template.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]);
  if (names.length === 0) return () => template;
  const literals = template.split(/\{[A-Za-z0-9_]+\}/);
  return (param) => {
    let text = literals[0];
    for (let i = 0; i < names.length; i++) {
      const value = param(names[i]);
      if (value === undefined) {
        throw new Error(
          `Permission "${template}" names {${names[i]}} but the route has no such param`,
        );
      }
      text += value + literals[i + 1];
    }
    return text;
  };
}

const ALLOWED = 1;
const DENIED = 2;
const INVALID = 3;
type Verdict = typeof ALLOWED | typeof DENIED | typeof INVALID;

/**
 * Decisions per rule list, per permission: `can` is pure, so a repeat asks no question twice.
 * Bounded in total (rule lists are shared per role set, see AuthCache.rulesFor); all are dropped
 * when the bound is reached.
 */
let decisions = new WeakMap<readonly string[], Map<string, Verdict>>();
let decisionCount = 0;
export const DECISIONS_MAX = 16_384;

function decisionFor(rules: readonly string[], permission: string): Verdict {
  let memo = decisions.get(rules);
  if (memo === undefined) {
    memo = new Map();
    decisions.set(rules, memo);
  }
  let verdict = memo.get(permission);
  if (verdict === undefined) {
    const parsed = parsePermission(permission);
    if (parsed === null) verdict = INVALID;
    else {
      const { action, resource } = toActionResource(parsed);
      verdict = can({ rules }, action, resource).allowed ? ALLOWED : DENIED;
    }
    if (++decisionCount > DECISIONS_MAX) {
      decisions = new WeakMap();
      decisionCount = 1;
      memo = new Map();
      decisions.set(rules, memo);
    }
    memo.set(permission, verdict);
  }
  return verdict;
}
