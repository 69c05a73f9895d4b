/**
 * Sessions and refresh-token families. A login opens a session (sid); its refresh token is
 * `{sid}.{secret}` and the session stores only sha256(secret). Refreshing rotates: the presented
 * secret must be the current one; it moves to the session's used set and a new pair is issued.
 *
 * Concurrency: the rotation's linearization point is `SET grace:{sid}:{hash} <pair> NX PX grace`.
 * Exactly one refresher of a given token wins and updates the session; the others (same node or
 * another, within the grace window) read the winner's pair and return it unchanged. A presented
 * secret that is in the used set with no grace entry left is a reuse: the whole session (family)
 * is revoked. An unknown secret is just invalid (401) — a guessed `{sid}.junk` must not let
 * anyone revoke somebody else's session.
 */
import { UnauthorizedError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { allOk, hgetall, ok, randomToken, sha256Hex, smembers } from "./atlas_util.ts";
import { keys, parseSession, type SessionRecord, type TokenPair } from "./records.ts";

export interface SessionOptions {
  refreshTtlMs: number;
  graceMs: number;
  /** Revocation entries are kept this long (access-token lifetime + skew + margin). */
  revocationKeepMs: number;
}

export type RotateOutcome =
  | { kind: "rotated"; pair: TokenPair }
  | { kind: "reuse"; userId: string; sessionId: string };

const SID = /^[A-Za-z0-9_-]{16,64}$/;
/** Live sessions per user; logging in beyond it ends the oldest. */
export const SESSIONS_PER_USER_MAX = 100;

export class SessionStore {
  constructor(
    private readonly atlas: AtlasClient,
    private readonly clock: Clock,
    private readonly options: SessionOptions,
  ) {}

  /** Opens a session; returns its id and the first refresh token. */
  async open(userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const sid = randomToken(18);
    const secret = randomToken(32);
    const now = this.clock.nowMs();
    const expiresMs = now + this.options.refreshTtlMs;
    allOk(
      await this.atlas.transaction([
        [
          "HSET",
          keys.session(sid),
          "user_id",
          userId,
          "current",
          await sha256Hex(secret),
          "created_ms",
          now,
          "expires_ms",
          expiresMs,
        ],
        ["PEXPIREAT", keys.session(sid), expiresMs],
        ["SADD", keys.userSessions(userId), sid],
      ]),
      "open session",
    );
    await this.enforceCap(userId);
    return { sessionId: sid, refreshToken: `${sid}.${secret}` };
  }

  /**
   * Bounds the sessions of one user: expired ones leave the user's set, and past
   * SESSIONS_PER_USER_MAX live ones the oldest are ended.
   */
  private async enforceCap(userId: string): Promise<void> {
    const count = ok(await this.atlas.call("SCARD", keys.userSessions(userId)), "SCARD");
    if (typeof count !== "number" || count <= SESSIONS_PER_USER_MAX) return;
    const live: { sid: string; createdMs: number }[] = [];
    const stale: string[] = [];
    for (const sid of await this.listOf(userId)) {
      const created = ok(await this.atlas.call("HGET", keys.session(sid), "created_ms"), "HGET");
      if (created === null) stale.push(sid);
      else live.push({ sid, createdMs: Number(created) });
    }
    if (stale.length > 0) await this.atlas.call("SREM", keys.userSessions(userId), ...stale);
    live.sort((a, b) => a.createdMs - b.createdMs);
    const excess = live.slice(0, Math.max(0, live.length - SESSIONS_PER_USER_MAX));
    await this.revoke(userId, excess.map((s) => s.sid));
  }

  async get(sid: string): Promise<SessionRecord | null> {
    if (!SID.test(sid)) return null;
    const session = parseSession(sid, await hgetall(this.atlas, keys.session(sid)));
    return session && session.expiresMs > this.clock.nowMs() ? session : null;
  }

  /**
   * Rotates `refreshToken`. `issue(userId, sid, newRefreshToken)` builds the new pair (signing
   * the access token); it runs before the NX so the winner can publish the pair atomically.
   */
  async rotate(
    refreshToken: string,
    issue: (userId: string, sid: string, refreshToken: string) => Promise<TokenPair>,
  ): Promise<RotateOutcome> {
    const dot = refreshToken.indexOf(".");
    const sid = refreshToken.slice(0, dot);
    const secret = refreshToken.slice(dot + 1);
    if (dot < 0 || secret.length === 0 || secret.length > 128) throw invalidRefresh();
    const session = await this.get(sid);
    if (!session) throw invalidRefresh();
    const hash = await sha256Hex(secret);
    const graceKey = keys.grace(sid, hash);
    if (hash === session.currentHash) {
      const newSecret = randomToken(32);
      const pair = await issue(session.userId, sid, `${sid}.${newSecret}`);
      const won = ok(
        await this.atlas.call(
          "SET",
          graceKey,
          JSON.stringify(pair),
          "NX",
          "PX",
          this.options.graceMs,
        ),
        "SET",
      );
      if (won !== null) {
        await this.commitRotation(session, hash, await sha256Hex(newSecret));
        return { kind: "rotated", pair };
      }
    }
    const earlier = ok(await this.atlas.call("GET", graceKey), "GET");
    if (typeof earlier === "string") return { kind: "rotated", pair: JSON.parse(earlier) };
    const used = ok(await this.atlas.call("SISMEMBER", keys.sessionUsed(sid), hash), "SISMEMBER");
    if (used === 1) return { kind: "reuse", userId: session.userId, sessionId: sid };
    throw invalidRefresh();
  }

  private async commitRotation(session: SessionRecord, oldHash: string, newHash: string) {
    allOk(
      await this.atlas.transaction([
        ["HSET", keys.session(session.id), "current", newHash, "rotated_ms", this.clock.nowMs()],
        // Re-arm the expiry: if a logout deleted the session meanwhile, the HSET above recreated
        // a stub (no user_id, so never valid) that must not outlive the session.
        ["PEXPIREAT", keys.session(session.id), session.expiresMs],
        ["SADD", keys.sessionUsed(session.id), oldHash],
        ["PEXPIREAT", keys.sessionUsed(session.id), session.expiresMs],
      ]),
      "rotate session",
    );
  }

  /** Ends sessions: deletes them and publishes their revocation (bumps the version). */
  async revoke(userId: string, sids: string[]): Promise<void> {
    if (sids.length === 0) return;
    const now = this.clock.nowMs();
    const commands: (string | number)[][] = [];
    for (const sid of sids) {
      commands.push(
        ["DEL", keys.session(sid), keys.sessionUsed(sid)],
        ["SREM", keys.userSessions(userId), sid],
        ["ZADD", keys.revoked(), now, `s:${sid}`],
      );
    }
    commands.push(
      ["ZREMRANGEBYSCORE", keys.revoked(), "-inf", now - this.options.revocationKeepMs],
      ["INCR", keys.version()],
    );
    allOk(await this.atlas.transaction(commands), "revoke sessions");
  }

  async listOf(userId: string): Promise<string[]> {
    return await smembers(this.atlas, keys.userSessions(userId));
  }
}

function invalidRefresh(): UnauthorizedError {
  return new UnauthorizedError("Invalid or expired refresh token", "invalid_refresh_token");
}
