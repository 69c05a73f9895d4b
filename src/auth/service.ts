/**
 * AuthServices: the auth domain behind routes/auth.ts and routes/admin.ts, and the
 * RequestAuthenticator the per-route middleware uses. Built by `createAuthServices` (mod.ts).
 */
import {
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { can, type Decision, expandRoles, type Principal, roleClosure } from "../rbac/mod.ts";
import type { RequestAuthenticator } from "./middleware.ts";
import { API_TOKEN_PREFIX, API_TOKENS_PER_USER_MAX, ApiTokenStore } from "./api_tokens.ts";
import type { AuthCache } from "./auth_cache.ts";
import type { JwtCodec } from "./jwt.ts";
import type { KeyRing } from "./key_ring.ts";
import type { AuthMetrics } from "./metrics.ts";
import { checkPasswordRules, PASSWORD_CHARS_MAX, type PasswordHasher } from "./passwords.ts";
import type { PasswordRunner } from "./password_jobs.ts";
import {
  principalFromApiToken,
  principalFromCachedApiToken,
  principalFromCachedJwt,
  principalFromJwt,
} from "./principal.ts";
import type { ApiTokenRecord, TokenPair, UserRecord } from "./records.ts";
import type { RoleStore } from "./role_store.ts";
import type { SessionStore } from "./sessions.ts";
import type { LoginThrottle } from "./throttle.ts";
import { USERNAME, type UserStore } from "./user_store.ts";

export interface AuthParts {
  atlas: AtlasClient;
  clock: Clock;
  logger: Logger;
  metrics: AuthMetrics;
  pool: PasswordRunner;
  hasher: PasswordHasher;
  ring: KeyRing;
  jwt: JwtCodec;
  cache: AuthCache;
  users: UserStore;
  sessions: SessionStore;
  tokens: ApiTokenStore;
  roles: RoleStore;
  throttle: LoginThrottle;
  defaultRole: string;
}

const BAD_LOGIN = "Invalid username or password";
export const API_TOKEN_TTL_MAX_MS = 366 * 86_400_000;

export class AuthServices implements RequestAuthenticator {
  constructor(readonly parts: AuthParts) {}

  get keyRing(): KeyRing {
    return this.parts.ring;
  }

  get roles(): RoleStore {
    return this.parts.roles;
  }

  authenticateBearer(credential: string): Promise<Principal> {
    // Most requests carry a credential checked before, for a cached user: answer without a wait.
    try {
      const { jwt, cache, clock } = this.parts;
      const principal = credential.startsWith(API_TOKEN_PREFIX)
        ? principalFromCachedApiToken(credential, cache, clock)
        : principalFromCachedJwt(credential, jwt, cache);
      if (principal !== undefined) return Promise.resolve(principal);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.authenticateUncached(credential);
  }

  private async authenticateUncached(credential: string): Promise<Principal> {
    if (credential.startsWith(API_TOKEN_PREFIX)) {
      return await principalFromApiToken(credential, this.parts.cache, this.parts.clock);
    }
    return await principalFromJwt(credential, this.parts.jwt, this.parts.cache);
  }

  onDenied(principal: Principal, template: string, permission: string): void {
    this.parts.metrics.rbacDenied.inc({ permission: template });
    this.parts.logger.info("Permission denied", { user_id: principal.userId, permission });
  }

  async register(username: string, password: string): Promise<UserRecord> {
    checkUsername(username);
    checkPasswordRules(password);
    const hash = await this.parts.hasher.hash(password);
    const user = await this.parts.users.create(username, hash, [this.parts.defaultRole]);
    this.parts.logger.info("User registered", { user_id: user.id });
    return user;
  }

  /** Creates a user with given roles unless the username exists (CLI, first admin). */
  async addUser(username: string, password: string, roles: string[]): Promise<UserRecord> {
    checkUsername(username);
    checkPasswordRules(password);
    await this.requireRoles(roles);
    const hash = await this.parts.hasher.hash(password);
    return await this.parts.users.create(username, hash, roles);
  }

  async login(username: string, password: string, clientIp: string): Promise<TokenPair> {
    const user = await this.checkPassword(username, password, clientIp);
    const { sessionId, refreshToken } = await this.parts.sessions.open(user.id);
    this.parts.metrics.logins.inc({ result: "success" });
    return await this.pair(user.id, sessionId, refreshToken);
  }

  /**
   * The throttled password check shared by login and password change. Unknown, disabled and
   * wrong-password cases take the same work and give the same 401.
   */
  private async checkPassword(username: string, password: string, ip: string): Promise<UserRecord> {
    const decision = this.parts.throttle.begin(username.toLowerCase(), ip);
    if (!decision.allowed) {
      this.parts.metrics.throttled.inc();
      this.parts.metrics.logins.inc({ result: "throttled" });
      throw new RateLimitedError(
        decision.retryAfterMs / 1000,
        "Too many failed logins; retry later",
      );
    }
    let user: UserRecord | null = null;
    let success = false;
    try {
      user = password.length <= PASSWORD_CHARS_MAX && USERNAME.test(username)
        ? await this.parts.users.byUsername(username)
        : null;
      if (!user) {
        await this.parts.hasher.verifyDummy(password.slice(0, PASSWORD_CHARS_MAX));
      } else {
        const result = await this.parts.hasher.verify(password, user.passwordHash);
        success = result.ok && !user.disabled;
        if (success && result.needsRehash) await this.rehash(user, password);
      }
    } finally {
      this.parts.throttle.finish(decision.ticket, success);
    }
    if (!success || !user) {
      this.parts.metrics.logins.inc({ result: "failure" });
      throw new UnauthorizedError(BAD_LOGIN, "invalid_credentials");
    }
    return user;
  }

  /** Upgrades a hash to the configured algorithm/cost; a failure is logged, never fails login. */
  private async rehash(user: UserRecord, password: string): Promise<void> {
    try {
      const passwordHash = await this.parts.hasher.hash(password);
      await this.parts.users.update(user.id, { passwordHash });
      this.parts.cache.forgetUser(user.id);
      this.parts.logger.info("Password rehashed with current parameters", { user_id: user.id });
    } catch (error) {
      this.parts.logger.warn("Password rehash failed; keeping the old hash", {
        user_id: user.id,
        error,
      });
    }
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const outcome = await this.parts.sessions.rotate(refreshToken, async (userId, sid, next) => {
      const user = await this.parts.users.get(userId);
      if (!user || user.disabled) {
        throw new UnauthorizedError("Invalid or expired refresh token", "invalid_refresh_token");
      }
      return await this.pair(userId, sid, next);
    });
    if (outcome.kind === "rotated") return outcome.pair;
    this.parts.metrics.refreshReuse.inc();
    this.parts.logger.warn("Refresh token reuse detected; session revoked", {
      user_id: outcome.userId,
      session_id: outcome.sessionId,
    });
    await this.endSessions(outcome.userId, [outcome.sessionId]);
    throw new UnauthorizedError(
      "Refresh token was already used; the session has been ended",
      "refresh_token_reused",
    );
  }

  private async pair(userId: string, sid: string, refreshToken: string): Promise<TokenPair> {
    return {
      token: await this.parts.jwt.sign(userId, sid),
      refresh_token: refreshToken,
      user_id: userId,
      expires_in: this.parts.jwt.accessTtlS,
      token_type: "Bearer",
    };
  }

  async endSessions(userId: string, sids: string[]): Promise<void> {
    await this.parts.sessions.revoke(userId, sids);
    for (const sid of sids) this.parts.cache.revokeLocal("s", sid);
  }

  async logout(principal: Principal, scope: "session" | "global"): Promise<void> {
    if (scope === "global") {
      await this.endSessions(principal.userId, await this.parts.sessions.listOf(principal.userId));
      return;
    }
    if (!principal.sessionId) {
      throw new ValidationError("An API token has no session to log out; revoke the token instead");
    }
    await this.endSessions(principal.userId, [principal.sessionId]);
  }

  /** Changes the caller's password and ends every other session of the user. */
  async changePassword(
    principal: Principal,
    current: string,
    next: string,
    ip: string,
  ): Promise<void> {
    if (!principal.sessionId) {
      throw new ForbiddenError("Passwords are changed from a login session, not an API token");
    }
    checkPasswordRules(next, "body.new_password");
    const user = await this.checkPassword(principal.username, current, ip);
    await this.parts.users.update(user.id, { passwordHash: await this.parts.hasher.hash(next) });
    this.parts.cache.forgetUser(user.id);
    const others = (await this.parts.sessions.listOf(user.id)).filter((s) =>
      s !== principal.sessionId
    );
    await this.endSessions(user.id, others);
  }

  effective(principal: Principal): { roles: string[]; rules: string[] } {
    const table = this.parts.cache.roleTable();
    return { roles: [...roleClosure(table, principal.roles)], rules: [...principal.rules] };
  }

  /** `POST /api/v1/authz/check`: the decision for any user, by id or username. */
  async check(subject: string, action: string, resource: string): Promise<Decision> {
    const user = (await this.parts.users.get(subject)) ??
      (await this.parts.users.byUsername(subject));
    if (!user || user.disabled) return { allowed: false, matchedRule: null };
    await this.parts.cache.fresh();
    return can({ rules: expandRoles(this.parts.cache.roleTable(), user.roles) }, action, resource);
  }

  async createApiToken(
    principal: Principal,
    name: string,
    roles: string[] | undefined,
    expiresInS: number | undefined,
  ): Promise<{ record: ApiTokenRecord; token: string }> {
    const owned = roleClosure(this.parts.cache.roleTable(), principal.roles);
    const wanted = roles ?? [...principal.roles];
    const extra = wanted.filter((role) => !owned.has(role));
    if (extra.length > 0) {
      throw new ForbiddenError(`Cannot grant roles you do not hold: ${extra.join(", ")}`);
    }
    const existing = await this.parts.tokens.listOf(principal.userId);
    if (existing.length >= API_TOKENS_PER_USER_MAX) {
      throw new ValidationError(`At most ${API_TOKENS_PER_USER_MAX} API tokens per user`);
    }
    const ttlMs = expiresInS === undefined ? 90 * 86_400_000 : expiresInS * 1000;
    if (ttlMs > API_TOKEN_TTL_MAX_MS) {
      throw new ValidationError("expires_in must be at most 366 days");
    }
    return await this.parts.tokens.create(
      principal.userId,
      name,
      wanted,
      this.parts.clock.nowMs() + ttlMs,
    );
  }

  async revokeApiToken(principal: Principal, id: string): Promise<void> {
    await this.parts.tokens.revoke(principal.userId, id);
    this.parts.cache.revokeLocal("t", id);
    this.parts.cache.forgetApiToken(id);
  }

  listApiTokens(principal: Principal): Promise<ApiTokenRecord[]> {
    return this.parts.tokens.listOf(principal.userId);
  }

  async requireRoles(roles: string[]): Promise<void> {
    await this.parts.cache.fresh();
    const unknown = roles.filter((role) => !this.parts.cache.roleTable().has(role));
    if (unknown.length > 0) throw new ValidationError(`Unknown role: ${unknown.join(", ")}`);
  }

  close(): void {
    this.parts.pool.close();
  }
}

function checkUsername(username: string): void {
  if (!USERNAME.test(username)) {
    const message = "Username must be 3-64 characters: letters, digits, and _ . @ - (not first)";
    throw new ValidationError(message, [{ path: "body.username", message }]);
  }
}
