/**
 * Auth records as stored in ATLAS (hashes of strings) and the key layout. Every key lives under
 * `helios:auth:` so an operator can see, back up or wipe auth state as one prefix.
 *
 *   user:{uid}            hash  id username password_hash roles(JSON) disabled created_ms
 *   username:{lower}      str   uid (SET NX = uniqueness)
 *   users                 set   uids
 *   session:{sid}         hash  user_id current(sha256 of refresh secret) created_ms expires_ms
 *   session_used:{sid}    set   sha256 of every rotated-away refresh secret (reuse detection)
 *   grace:{sid}:{hash}    str   JSON of the pair a rotation returned (PX = refresh grace)
 *   user_sessions:{uid}   set   sids
 *   apitoken:{id}         hash  id user_id name roles secret_sha256 created_ms expires_ms
 *   user_tokens:{uid}     set   token ids
 *   roles                 hash  name -> JSON RoleDefinition (custom roles; built-ins are code)
 *   revoked               zset  "s:{sid}" | "t:{tokenId}" scored by revocation time (ms)
 *   version               str   counter bumped by every change caches must see
 *   jwks                  hash  kid -> JSON signing key;  jwks_current str kid
 */
export const AUTH_PREFIX = "helios:auth:";

export const keys = {
  user: (uid: string) => `${AUTH_PREFIX}user:${uid}`,
  username: (name: string) => `${AUTH_PREFIX}username:${name.toLowerCase()}`,
  users: () => `${AUTH_PREFIX}users`,
  session: (sid: string) => `${AUTH_PREFIX}session:${sid}`,
  sessionUsed: (sid: string) => `${AUTH_PREFIX}session_used:${sid}`,
  grace: (sid: string, hash: string) => `${AUTH_PREFIX}grace:${sid}:${hash}`,
  userSessions: (uid: string) => `${AUTH_PREFIX}user_sessions:${uid}`,
  apiToken: (id: string) => `${AUTH_PREFIX}apitoken:${id}`,
  userTokens: (uid: string) => `${AUTH_PREFIX}user_tokens:${uid}`,
  roles: () => `${AUTH_PREFIX}roles`,
  revoked: () => `${AUTH_PREFIX}revoked`,
  version: () => `${AUTH_PREFIX}version`,
  jwks: () => `${AUTH_PREFIX}jwks`,
  jwksCurrent: () => `${AUTH_PREFIX}jwks_current`,
};

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  roles: string[];
  disabled: boolean;
  createdMs: number;
}

export interface SessionRecord {
  id: string;
  userId: string;
  currentHash: string;
  createdMs: number;
  expiresMs: number;
}

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  roles: string[];
  secretSha256: string;
  createdMs: number;
  /** 0 = never expires. */
  expiresMs: number;
}

/** The pair login and refresh return (the documented response shape). */
export interface TokenPair {
  token: string;
  refresh_token: string;
  user_id: string;
  expires_in: number;
  token_type: "Bearer";
}

export function userFields(user: UserRecord): string[] {
  return [
    "id",
    user.id,
    "username",
    user.username,
    "password_hash",
    user.passwordHash,
    "roles",
    JSON.stringify(user.roles),
    "disabled",
    user.disabled ? "1" : "0",
    "created_ms",
    String(user.createdMs),
  ];
}

export function parseUser(h: Record<string, string>): UserRecord | null {
  if (!h.id || !h.username) return null;
  return {
    id: h.id,
    username: h.username,
    passwordHash: h.password_hash ?? "",
    roles: parseStringArray(h.roles),
    disabled: h.disabled === "1",
    createdMs: Number(h.created_ms ?? 0),
  };
}

export function parseSession(sid: string, h: Record<string, string>): SessionRecord | null {
  if (!h.user_id || !h.current) return null;
  return {
    id: sid,
    userId: h.user_id,
    currentHash: h.current,
    createdMs: Number(h.created_ms ?? 0),
    expiresMs: Number(h.expires_ms ?? 0),
  };
}

export function apiTokenFields(t: ApiTokenRecord): string[] {
  return [
    "id",
    t.id,
    "user_id",
    t.userId,
    "name",
    t.name,
    "roles",
    JSON.stringify(t.roles),
    "secret_sha256",
    t.secretSha256,
    "created_ms",
    String(t.createdMs),
    "expires_ms",
    String(t.expiresMs),
  ];
}

export function parseApiToken(h: Record<string, string>): ApiTokenRecord | null {
  if (!h.id || !h.user_id || !h.secret_sha256) return null;
  return {
    id: h.id,
    userId: h.user_id,
    name: h.name ?? "",
    roles: parseStringArray(h.roles),
    secretSha256: h.secret_sha256,
    createdMs: Number(h.created_ms ?? 0),
    expiresMs: Number(h.expires_ms ?? 0),
  };
}

function parseStringArray(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : [];
  } catch (_error) {
    return [];
  }
}
