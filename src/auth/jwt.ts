/**
 * Access tokens: short-lived JWTs. Claims iss aud sub exp iat nbf jti sid; header alg + kid.
 * Verification pins the algorithm of the ring (EdDSA, or HS256 with jwt_secret), requires every
 * claim, checks iss/aud, and allows a bounded clock skew. Every failure is a 401.
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { UnauthorizedError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { KeyRing } from "./key_ring.ts";

export interface JwtOptions {
  issuer: string;
  audience: string;
  accessTtlMs: number;
  clockSkewMs: number;
}

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

const REQUIRED = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "sid"];

/** Verified tokens remembered (exact token text → claims), so a token is verified once. */
export const VERIFIED_CACHE_MAX = 10_000;

export class JwtCodec {
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    private readonly ring: KeyRing,
    private readonly clock: Clock,
    private readonly options: JwtOptions,
  ) {}

  get accessTtlS(): number {
    return Math.floor(this.options.accessTtlMs / 1000);
  }

  async sign(userId: string, sessionId: string): Promise<string> {
    const { kid, key, alg } = this.ring.signing();
    const nowS = Math.floor(this.clock.nowMs() / 1000);
    return await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg, kid, typ: "JWT" })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(userId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(nowS + this.accessTtlS)
      .sign(key);
  }

  /**
   * Verifies signature and claims. A token verified before is answered from a bounded cache of
   * its exact text (the rate limiter and the route both authenticate each request); only its
   * expiry is re-checked. Revocation and user state are checked by the caller every time.
   */
  async verify(token: string): Promise<AccessClaims> {
    const cached = this.cachedClaims(token);
    if (cached) return cached;
    const claims = await this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_CACHE_MAX) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * The claims of a token verified before and not expired since, synchronously (the per-request
   * fast path); undefined when the token must go through `verify`. Throws 401 when it expired.
   */
  cachedClaims(token: string): AccessClaims | undefined {
    const cached = this.verified.get(token);
    if (cached === undefined) return undefined;
    if (cached.exp * 1000 + this.options.clockSkewMs > this.clock.nowMs()) return cached;
    this.verified.delete(token);
    throw new UnauthorizedError("Token expired", "token_expired");
  }

  private async verifyUncached(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          if (typeof header.kid !== "string") throw new UnauthorizedError("Token has no key id");
          const key = await this.ring.verifying(header.kid);
          if (!key) throw new UnauthorizedError("Token signed by an unknown or retired key");
          return key;
        },
        {
          algorithms: [this.ring.algorithm],
          issuer: this.options.issuer,
          audience: this.options.audience,
          clockTolerance: Math.floor(this.options.clockSkewMs / 1000),
          currentDate: new Date(this.clock.nowMs()),
          requiredClaims: REQUIRED,
        },
      );
      if (typeof payload.sid !== "string" || typeof payload.sub !== "string") {
        throw new UnauthorizedError("Token lacks a subject or session");
      }
      // jose checks exp and nbf; a token "issued" in the future is forged or from a bad clock.
      if ((payload.iat ?? 0) * 1000 > this.clock.nowMs() + this.options.clockSkewMs) {
        throw new UnauthorizedError("Token issued in the future", "invalid_token");
      }
      return payload as unknown as AccessClaims;
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new UnauthorizedError("Token expired", "token_expired");
      }
      if (error instanceof errors.JOSEError) {
        throw new UnauthorizedError("Invalid token", "invalid_token");
      }
      throw error;
    }
  }
}
