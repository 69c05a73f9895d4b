/**
 * Who a request is, for rate limiting: the verified user, else the verified API token, else the
 * client address (trusted-proxy aware). A credential that does not verify counts as no credential
 * — otherwise random tokens would each get a fresh bucket.
 */
import type { Context } from "hono";
import { parseBearer } from "../auth/mod.ts";
import type { Identity } from "../ratelimit/mod.ts";
import type { TrustedProxies } from "./client_ip.ts";

/** What identify needs of an authenticated caller (src/rbac Principal has these fields). */
export interface IdentityPrincipal {
  kind: string;
  userId: string;
  tokenId?: string;
  roles: readonly string[];
}

export type VerifyBearer = (credential: string) => Promise<IdentityPrincipal>;

/** The socket peer of a request served by Deno.serve (app.fetch(req, info) puts info in c.env). */
export function peerAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

export function identifier(
  proxies: TrustedProxies,
  verify: (c: Context) => VerifyBearer | undefined,
): (c: Context) => Promise<Identity> {
  return async function identify(c) {
    const header = c.req.header("authorization");
    const credential = header ? parseBearer(header) : null;
    const verifyBearer = credential === null ? undefined : verify(c);
    if (credential !== null && verifyBearer) {
      try {
        const principal = await verifyBearer(credential);
        const key = principal.kind === "api_token" && principal.tokenId
          ? `token:${principal.tokenId}`
          : `user:${principal.userId}`;
        return { key, roles: principal.roles };
      } catch (error) {
        // Not verified: the route's own authentication answers 401; limit by address meanwhile.
        void error;
      }
    }
    const ip = proxies.clientIp(peerAddress(c), c.req.header("x-forwarded-for"));
    return { key: `ip:${ip}`, roles: [] };
  };
}
