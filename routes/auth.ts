/**
 * /api/v1/auth/*, /api/v1/authz/check and /.well-known/jwks.json: thin handlers over
 * AuthServices (src/auth). Registered through mountRoute, so each carries its permission.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  authzCheckRoute,
  createTokenRoute,
  jwksRoute,
  listTokensRoute,
  loginRoute,
  logoutRoute,
  mePermissionsRoute,
  meRoute,
  passwordRoute,
  refreshRoute,
  registerRoute,
  revokeTokenRoute,
} from "../openapi/auth.ts";
import { type AuthServices, userView } from "../src/auth/mod.ts";
import type { TrustedProxies } from "../src/gateway/client_ip.ts";
import { peerAddress } from "../src/gateway/identity.ts";
import { mountAdminRoutes } from "./admin.ts";
import type { GatewayAuth } from "./build.ts";
import type { GatewayEnv } from "./env.ts";
import { mountRoute } from "./mount.ts";

export type ClientIp = (c: Context) => string;

/** The client address for per-IP login throttling (trusted-proxy aware). */
export function clientIpOf(proxies: TrustedProxies): ClientIp {
  return (c) => proxies.clientIp(peerAddress(c), c.req.header("x-forwarded-for"));
}

const iso = (ms: number) => new Date(ms).toISOString();

export function mountAuthRoutes(
  app: OpenAPIHono<GatewayEnv>,
  auth: AuthServices,
  clientIp: ClientIp,
): void {
  mountRoute(app, registerRoute, async (c) => {
    const { username, password } = c.req.valid("json");
    return c.json(userView(await auth.register(username, password)), 201);
  });
  mountRoute(app, loginRoute, async (c) => {
    const { username, password } = c.req.valid("json");
    return c.json(await auth.login(username, password, clientIp(c)), 200);
  });
  mountRoute(app, refreshRoute, async (c) => {
    return c.json(await auth.refresh(c.req.valid("json").refresh_token), 200);
  });
  mountRoute(app, logoutRoute, async (c) => {
    await auth.logout(c.get("principal"), c.req.valid("query").scope);
    return c.body(null, 204);
  });
  mountRoute(app, meRoute, async (c) => {
    const principal = c.get("principal");
    const user = await auth.parts.cache.user(principal.userId);
    return c.json({
      user_id: principal.userId,
      username: principal.username,
      roles: [...principal.roles],
      disabled: user?.disabled ?? false,
      created_at: iso(user?.createdMs ?? 0),
      kind: principal.kind,
      ...(principal.sessionId ? { session_id: principal.sessionId } : {}),
      ...(principal.tokenId ? { token_id: principal.tokenId } : {}),
    }, 200);
  });
  mountRoute(app, mePermissionsRoute, (c) => c.json(auth.effective(c.get("principal")), 200));
  mountRoute(app, passwordRoute, async (c) => {
    const { current_password, new_password } = c.req.valid("json");
    await auth.changePassword(c.get("principal"), current_password, new_password, clientIp(c));
    return c.body(null, 204);
  });
  mountTokenRoutes(app, auth);
  mountRoute(app, jwksRoute, (c) => {
    c.header("cache-control", "public, max-age=300");
    return c.json(auth.keyRing.jwks(), 200);
  });
  mountRoute(app, authzCheckRoute, async (c) => {
    const { subject, action, resource } = c.req.valid("json");
    const decision = await auth.check(subject, action, resource);
    return c.json({ allowed: decision.allowed, matched_rule: decision.matchedRule }, 200);
  });
}

function mountTokenRoutes(app: OpenAPIHono<GatewayEnv>, auth: AuthServices): void {
  mountRoute(app, createTokenRoute, async (c) => {
    const { name, roles, expires_in } = c.req.valid("json");
    const { record, token } = await auth.createApiToken(
      c.get("principal"),
      name,
      roles,
      expires_in,
    );
    return c.json({
      id: record.id,
      name: record.name,
      roles: record.roles,
      created_at: iso(record.createdMs),
      expires_at: record.expiresMs > 0 ? iso(record.expiresMs) : null,
      token,
    }, 201);
  });
  mountRoute(app, listTokensRoute, async (c) => {
    const tokens = await auth.listApiTokens(c.get("principal"));
    return c.json({
      tokens: tokens.map((t) => ({
        id: t.id,
        name: t.name,
        roles: t.roles,
        created_at: iso(t.createdMs),
        expires_at: t.expiresMs > 0 ? iso(t.expiresMs) : null,
      })),
    }, 200);
  });
  mountRoute(app, revokeTokenRoute, async (c) => {
    await auth.revokeApiToken(c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });
}

/**
 * What buildGateway (routes/build.ts) takes as `auth`: the authenticator for provideAuth and
 * the mounting of the auth and admin routes.
 */
export function gatewayAuth(auth: AuthServices, clientIp: ClientIp): GatewayAuth {
  return {
    authenticator: auth,
    mountRoutes(app) {
      mountAuthRoutes(app, auth, clientIp);
      mountAdminRoutes(app, auth);
    },
  };
}
