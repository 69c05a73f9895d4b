/**
 * Custom roles in ATLAS (`helios:auth:roles`, name → JSON). Built-in roles are code and cannot
 * be changed or deleted. A write is validated against the whole resulting graph (acyclic,
 * bounded depth, known parents, valid rules) before it is stored.
 */
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from "../errors/app_error.ts";
import type { AtlasClient } from "../storage/atlas_client.ts";
import {
  type Principal,
  ROLE_NAME,
  roleClosure,
  type RoleDefinition,
  validateRoleGraph,
} from "../rbac/mod.ts";
import { allOk } from "./atlas_util.ts";
import type { AuthCache } from "./auth_cache.ts";
import { keys } from "./records.ts";

export const CUSTOM_ROLES_MAX = 1000;

export class RoleStore {
  constructor(private readonly atlas: AtlasClient, private readonly cache: AuthCache) {}

  async list(): Promise<RoleDefinition[]> {
    await this.cache.reload();
    return [...this.cache.roleTable().values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<RoleDefinition> {
    await this.cache.fresh();
    const role = this.cache.roleTable().get(name);
    if (!role) throw new NotFoundError(`Role "${name}" does not exist`, "role_not_found");
    return role;
  }

  /**
   * No escalation through role edits: a caller without the `*` rule may not change or delete a
   * role it holds (directly or inherited) — it could otherwise grant itself anything.
   */
  checkNotOwnRole(caller: Principal | undefined, name: string): void {
    if (!caller || caller.rules.includes("*")) return;
    if (roleClosure(this.cache.roleTable(), caller.roles).has(name)) {
      throw new ForbiddenError(`Cannot change role "${name}": you hold it`, "role_escalation");
    }
  }

  async put(role: Omit<RoleDefinition, "builtin">, caller?: Principal): Promise<RoleDefinition> {
    await this.cache.reload();
    this.checkNotOwnRole(caller, role.name);
    const current = this.cache.roleTable();
    if (!ROLE_NAME.test(role.name)) {
      throw new ValidationError(`Role name "${role.name}" is invalid`, [{
        path: "params.name",
        message: "must match [a-z][a-z0-9_-]{0,63}",
      }]);
    }
    if (current.get(role.name)?.builtin) {
      throw new ConflictError(
        `Role "${role.name}" is built in and cannot be changed`,
        "role_builtin",
      );
    }
    if (!current.has(role.name) && current.size >= CUSTOM_ROLES_MAX) {
      throw new ConflictError(`At most ${CUSTOM_ROLES_MAX} roles may exist`, "too_many_roles");
    }
    const stored: RoleDefinition = { ...role, builtin: false };
    const next = new Map(current);
    next.set(role.name, stored);
    const problems = validateRoleGraph(next);
    if (problems.length > 0) {
      throw new ValidationError(
        problems[0],
        problems.map((message) => ({ path: "body", message })),
      );
    }
    allOk(
      await this.atlas.transaction([
        ["HSET", keys.roles(), role.name, JSON.stringify(stored)],
        ["INCR", keys.version()],
      ]),
      "put role",
    );
    this.cache.setRoles(next);
    return stored;
  }

  async delete(name: string, caller?: Principal): Promise<void> {
    const role = await this.get(name);
    this.checkNotOwnRole(caller, name);
    if (role.builtin) {
      throw new ConflictError(`Role "${name}" is built in and cannot be deleted`, "role_builtin");
    }
    const next = new Map(this.cache.roleTable());
    next.delete(name);
    const dependants = [...next.values()].filter((r) => r.inherits.includes(name)).map((r) =>
      r.name
    );
    if (dependants.length > 0) {
      throw new ConflictError(
        `Role "${name}" is inherited by ${dependants.join(", ")}`,
        "role_in_use",
      );
    }
    allOk(
      await this.atlas.transaction([["HDEL", keys.roles(), name], ["INCR", keys.version()]]),
      "delete role",
    );
    this.cache.setRoles(next);
  }
}
