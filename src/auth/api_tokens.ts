/**
 * API tokens for machines: `hlt_{id}_{secret}`. Shown once at creation; ATLAS keeps only
 * sha256(secret) — right for 256-bit random secrets, which need no slow hash — with the owner,
 * name, roles and expiry. Verification goes through AuthCache (no store read per request).
 */
import { NotFoundError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { allOk, hgetall, randomToken, sha256Hex, smembers } from "./atlas_util.ts";
import { apiTokenFields, type ApiTokenRecord, keys, parseApiToken } from "./records.ts";

export const API_TOKEN_PREFIX = "hlt_";
export const API_TOKENS_PER_USER_MAX = 100;
const FORMAT = /^hlt_([A-Za-z0-9-]{16})_([A-Za-z0-9_-]{43})$/;

export function parseApiTokenText(text: string): { id: string; secret: string } | null {
  const match = FORMAT.exec(text);
  return match ? { id: match[1], secret: match[2] } : null;
}

export class ApiTokenStore {
  constructor(
    private readonly atlas: AtlasClient,
    private readonly clock: Clock,
    private readonly revocationKeepMs: number,
  ) {}

  async create(
    userId: string,
    name: string,
    roles: string[],
    expiresMs: number,
  ): Promise<{ record: ApiTokenRecord; token: string }> {
    const id = randomToken(12).replace(/_/g, "-");
    const secret = randomToken(32);
    const record: ApiTokenRecord = {
      id,
      userId,
      name,
      roles,
      secretSha256: await sha256Hex(secret),
      createdMs: this.clock.nowMs(),
      expiresMs,
    };
    const commands: (string | number)[][] = [
      ["HSET", keys.apiToken(id), ...apiTokenFields(record)],
      ["SADD", keys.userTokens(userId), id],
    ];
    if (expiresMs > 0) commands.push(["PEXPIREAT", keys.apiToken(id), expiresMs]);
    allOk(await this.atlas.transaction(commands), "create API token");
    return { record, token: `${API_TOKEN_PREFIX}${id}_${secret}` };
  }

  async listOf(userId: string): Promise<ApiTokenRecord[]> {
    const out: ApiTokenRecord[] = [];
    for (const id of await smembers(this.atlas, keys.userTokens(userId))) {
      const record = parseApiToken(await hgetall(this.atlas, keys.apiToken(id)));
      if (record) out.push(record);
    }
    return out.sort((a, b) => a.createdMs - b.createdMs);
  }

  async revoke(userId: string, id: string): Promise<void> {
    const record = parseApiToken(await hgetall(this.atlas, keys.apiToken(id)));
    if (!record || record.userId !== userId) {
      throw new NotFoundError(`API token "${id}" does not exist`, "token_not_found");
    }
    const now = this.clock.nowMs();
    allOk(
      await this.atlas.transaction([
        ["DEL", keys.apiToken(id)],
        ["SREM", keys.userTokens(userId), id],
        ["ZADD", keys.revoked(), now, `t:${id}`],
        ["ZREMRANGEBYSCORE", keys.revoked(), "-inf", now - this.revocationKeepMs],
        ["INCR", keys.version()],
      ]),
      "revoke API token",
    );
  }
}
