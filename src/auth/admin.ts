/** User administration: list, disable/enable, delete, assign and remove roles. */
import { ConflictError, ForbiddenError } from "../errors/app_error.ts";
import { type Principal, roleClosure } from "../rbac/mod.ts";
import type { AuthServices } from "./service.ts";
import type { UserRecord } from "./records.ts";

export interface UserView {
  user_id: string;
  username: string;
  roles: string[];
  disabled: boolean;
  created_at: string;
}

export function userView(user: UserRecord): UserView {
  return {
    user_id: user.id,
    username: user.username,
    roles: user.roles,
    disabled: user.disabled,
    created_at: new Date(user.createdMs).toISOString(),
  };
}

export class UserAdmin {
  constructor(private readonly auth: AuthServices) {}

  private get parts() {
    return this.auth.parts;
  }

  async list(offset: number, limit: number): Promise<{ users: UserView[]; total: number }> {
    const { users, total } = await this.parts.users.list(offset, limit);
    return { users: users.map(userView), total };
  }

  async get(id: string): Promise<UserView> {
    return userView(await this.parts.users.require(id));
  }

  /** Disabling also ends every session, so refresh tokens die with the access tokens. */
  async setDisabled(id: string, disabled: boolean): Promise<UserView> {
    const user = await this.parts.users.require(id);
    await this.parts.users.update(id, { disabled });
    this.parts.cache.forgetUser(id);
    if (disabled) await this.auth.endSessions(id, await this.parts.sessions.listOf(id));
    return userView({ ...user, disabled });
  }

  async delete(id: string): Promise<void> {
    const user = await this.parts.users.require(id);
    await this.auth.endSessions(id, await this.parts.sessions.listOf(id));
    for (const token of await this.parts.tokens.listOf(id)) {
      await this.parts.tokens.revoke(id, token.id);
      this.parts.cache.revokeLocal("t", token.id);
    }
    await this.parts.users.delete(user);
    this.parts.cache.forgetUser(id);
  }

  /**
   * Assigns a role. No escalation: the caller must hold the role (directly or inherited) or
   * hold the `*` rule — `admin:write:users` alone cannot hand out `admin`.
   */
  async assignRole(caller: Principal, id: string, role: string): Promise<UserView> {
    const user = await this.parts.users.require(id);
    await this.auth.requireRoles([role]);
    const held = roleClosure(this.parts.cache.roleTable(), caller.roles);
    if (!caller.rules.includes("*") && !held.has(role)) {
      throw new ForbiddenError(
        `Cannot assign role "${role}": you do not hold it`,
        "role_escalation",
      );
    }
    if (user.roles.includes(role)) return userView(user);
    if (user.roles.length >= 32) {
      throw new ConflictError("A user may hold at most 32 roles", "too_many_roles");
    }
    const roles = [...user.roles, role];
    await this.parts.users.update(id, { roles });
    this.parts.cache.forgetUser(id);
    return userView({ ...user, roles });
  }

  async removeRole(id: string, role: string): Promise<UserView> {
    const user = await this.parts.users.require(id);
    const roles = user.roles.filter((r) => r !== role);
    await this.parts.users.update(id, { roles });
    this.parts.cache.forgetUser(id);
    return userView({ ...user, roles });
  }
}
