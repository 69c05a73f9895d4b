/** Building the request principal from a verified credential, through the cache only. */
import { UnauthorizedError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import { type Principal, roleClosure } from "../rbac/mod.ts";
import { sha256HexSync, timingSafeEqualHex } from "./atlas_util.ts";
import type { AuthCache } from "./auth_cache.ts";
import { parseApiTokenText } from "./api_tokens.ts";
import type { AccessClaims, JwtCodec } from "./jwt.ts";
import type { ApiTokenRecord, UserRecord } from "./records.ts";

const REJECTED = "Invalid or revoked credentials";

export async function principalFromJwt(
  token: string,
  jwt: JwtCodec,
  cache: AuthCache,
): Promise<Principal> {
  const claims = await jwt.verify(token);
  await cache.fresh();
  checkSession(cache, claims);
  return userPrincipal(cache, claims, await cache.user(claims.sub));
}

/**
 * principalFromJwt without a wait, when everything it needs is cached (the token verified
 * before, the caches fresh, the user record cached) — the common case of every request after a
 * client's first. Same checks, same errors; undefined when the async path must run.
 */
export function principalFromCachedJwt(
  token: string,
  jwt: JwtCodec,
  cache: AuthCache,
): Principal | undefined {
  const claims = jwt.cachedClaims(token);
  if (claims === undefined || !cache.isFresh()) return undefined;
  checkSession(cache, claims);
  const user = cache.cachedUser(claims.sub);
  return user === undefined ? undefined : userPrincipal(cache, claims, user);
}

function checkSession(cache: AuthCache, claims: AccessClaims): void {
  if (cache.isRevoked("s", claims.sid)) {
    throw new UnauthorizedError("Session has ended", "session_revoked");
  }
}

function userPrincipal(cache: AuthCache, claims: AccessClaims, user: UserRecord | null): Principal {
  if (!user || user.disabled) throw new UnauthorizedError(REJECTED, "user_inactive");
  return {
    kind: "user",
    userId: user.id,
    username: user.username,
    roles: user.roles,
    rules: cache.rulesFor(user.roles),
    sessionId: claims.sid,
  };
}

export async function principalFromApiToken(
  text: string,
  cache: AuthCache,
  clock: Clock,
): Promise<Principal> {
  const parsed = parseApiTokenText(text);
  if (!parsed) throw new UnauthorizedError("Invalid token", "invalid_token");
  await cache.fresh();
  const record = cache.isRevoked("t", parsed.id) ? null : await cache.apiToken(parsed.id);
  checkApiToken(record, secretHashOf(parsed.secret), clock);
  return tokenPrincipal(cache, record, await cache.user(record.userId));
}

/**
 * principalFromApiToken without a wait, when the caches are fresh and the token and its owner
 * are cached: the common case of a worker's or a service's every request after its first. Same
 * checks, same errors; undefined when the async path must run.
 */
export function principalFromCachedApiToken(
  text: string,
  cache: AuthCache,
  clock: Clock,
): Principal | undefined {
  if (!cache.isFresh()) return undefined;
  const parsed = parseApiTokenText(text);
  if (!parsed) throw new UnauthorizedError("Invalid token", "invalid_token");
  const record = cache.isRevoked("t", parsed.id) ? null : cache.cachedApiToken(parsed.id);
  if (record === undefined) return undefined;
  checkApiToken(record, secretHashOf(parsed.secret), clock);
  const user = cache.cachedUser(record.userId);
  return user === undefined ? undefined : tokenPrincipal(cache, record, user);
}

/**
 * SHA-256 of presented token secrets, remembered (bounded): hashing is most of an API-token
 * check's cost, and a worker presents the same token on every request. Only the hash of what
 * was presented is remembered; every request still compares it with the stored record.
 */
const secretHashes = new Map<string, string>();
const SECRET_HASHES_MAX = 1024;

function secretHashOf(secret: string): string {
  let hash = secretHashes.get(secret);
  if (hash === undefined) {
    if (secretHashes.size >= SECRET_HASHES_MAX) secretHashes.clear();
    hash = sha256HexSync(secret);
    secretHashes.set(secret, hash);
  }
  return hash;
}

function checkApiToken(
  record: ApiTokenRecord | null,
  secretHash: string,
  clock: Clock,
): asserts record is ApiTokenRecord {
  if (!record || !timingSafeEqualHex(secretHash, record.secretSha256)) {
    throw new UnauthorizedError(REJECTED, "invalid_token");
  }
  if (record.expiresMs > 0 && record.expiresMs <= clock.nowMs()) {
    throw new UnauthorizedError("API token expired", "token_expired");
  }
}

function tokenPrincipal(
  cache: AuthCache,
  record: ApiTokenRecord,
  user: UserRecord | null,
): Principal {
  if (!user || user.disabled) throw new UnauthorizedError(REJECTED, "user_inactive");
  // A token never has more than its owner has now: its roles ∩ the roles its owner holds now.
  const owned = roleClosure(cache.roleTable(), user.roles);
  const roles = record.roles.filter((role) => owned.has(role));
  return {
    kind: "api_token",
    userId: user.id,
    username: user.username,
    roles,
    rules: cache.rulesFor(roles),
    tokenId: record.id,
  };
}
