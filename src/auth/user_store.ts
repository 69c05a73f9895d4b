/** Users in ATLAS: unique usernames (SET NX), a hash per user, a set of all ids. */
import { ConflictError, NotFoundError } from "../errors/app_error.ts";
import type { Clock } from "../lib/clock.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import { allOk, hgetall, ok, randomToken, smembers } from "./atlas_util.ts";
import { keys, parseUser, userFields, type UserRecord } from "./records.ts";

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$/;
export const USERS_LIST_MAX = 1000;

export class UserStore {
  constructor(private readonly atlas: AtlasClient, private readonly clock: Clock) {}

  async create(username: string, passwordHash: string, roles: string[]): Promise<UserRecord> {
    const user: UserRecord = {
      id: `u_${randomToken(12)}`,
      username,
      passwordHash,
      roles,
      disabled: false,
      createdMs: this.clock.nowMs(),
    };
    const claimed = ok(await this.atlas.call("SET", keys.username(username), user.id, "NX"), "SET");
    if (claimed === null) {
      throw new ConflictError(`Username "${username}" is already taken`, "username_taken");
    }
    allOk(
      await this.atlas.transaction([
        ["HSET", keys.user(user.id), ...userFields(user)],
        ["SADD", keys.users(), user.id],
      ]),
      "create user",
    );
    return user;
  }

  async idOf(username: string): Promise<string | null> {
    const id = ok(await this.atlas.call("GET", keys.username(username)), "GET");
    return typeof id === "string" ? id : null;
  }

  async get(id: string): Promise<UserRecord | null> {
    return parseUser(await hgetall(this.atlas, keys.user(id)));
  }

  async require(id: string): Promise<UserRecord> {
    const user = await this.get(id);
    if (!user) throw new NotFoundError(`User "${id}" does not exist`, "user_not_found");
    return user;
  }

  async byUsername(username: string): Promise<UserRecord | null> {
    const id = await this.idOf(username);
    return id === null ? null : await this.get(id);
  }

  async count(): Promise<number> {
    return (await smembers(this.atlas, keys.users())).length;
  }

  /** Users sorted by username, at most `limit` from `offset`. */
  async list(offset: number, limit: number): Promise<{ users: UserRecord[]; total: number }> {
    const ids = await smembers(this.atlas, keys.users());
    const users: UserRecord[] = [];
    for (const id of ids) {
      const user = await this.get(id);
      if (user) users.push(user);
    }
    users.sort((a, b) => a.username.localeCompare(b.username));
    return {
      users: users.slice(offset, offset + Math.min(limit, USERS_LIST_MAX)),
      total: users.length,
    };
  }

  /** Updates fields of an existing user and bumps the auth version (caches reload). */
  async update(
    id: string,
    fields: Partial<Pick<UserRecord, "passwordHash" | "roles" | "disabled">>,
  ) {
    const args: (string | number)[] = [];
    if (fields.passwordHash !== undefined) args.push("password_hash", fields.passwordHash);
    if (fields.roles !== undefined) args.push("roles", JSON.stringify(fields.roles));
    if (fields.disabled !== undefined) args.push("disabled", fields.disabled ? "1" : "0");
    allOk(
      await this.atlas.transaction([["HSET", keys.user(id), ...args], ["INCR", keys.version()]]),
      "update user",
    );
  }

  async delete(user: UserRecord): Promise<void> {
    allOk(
      await this.atlas.transaction([
        ["DEL", keys.user(user.id), keys.username(user.username)],
        ["SREM", keys.users(), user.id],
        ["INCR", keys.version()],
      ]),
      "delete user",
    );
  }
}
