/**
 * Roles: named rule sets with inheritance. The graph must be acyclic and no deeper than
 * ROLE_DEPTH_MAX; `validateRoleGraph` enforces both when a role is written, and `expandRoles`
 * re-checks (bounded walk) so a bad graph read from storage cannot loop.
 */
import { isValidRule } from "./permission.ts";

export interface RoleDefinition {
  name: string;
  description: string;
  rules: readonly string[];
  inherits: readonly string[];
  builtin: boolean;
}

export const ROLE_DEPTH_MAX = 8;
export const ROLE_RULES_MAX = 256;
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export type RoleTable = ReadonlyMap<string, RoleDefinition>;

/**
 * The built-in roles. Permission names used by the gateway's routes:
 * account:read|session|tokens (the caller's own account), kv:read|write|delete[:key],
 * jobs:enqueue|read|claim|ack|...[:queue], admin:read|write:users|roles|keys, authz:check.
 */
export const BUILTIN_ROLES: readonly RoleDefinition[] = [
  {
    name: "admin",
    description: "Everything, including user and role administration",
    rules: ["*"],
    inherits: [],
    builtin: true,
  },
  {
    name: "readonly",
    description: "Read keys and jobs; manage one's own session",
    rules: ["kv:read", "kv:list", "jobs:read", "account:read", "account:session"],
    inherits: [],
    builtin: true,
  },
  {
    name: "user",
    description: "Read and write keys, enqueue jobs, manage one's own account and API tokens",
    rules: ["kv:*", "jobs:enqueue", "account:*"],
    inherits: ["readonly"],
    builtin: true,
  },
  {
    name: "worker",
    description: "Claim, ack and enqueue jobs (machines running job handlers)",
    rules: ["jobs:*", "account:read"],
    inherits: [],
    builtin: true,
  },
];

export function builtinRoleTable(): Map<string, RoleDefinition> {
  return new Map(BUILTIN_ROLES.map((role) => [role.name, role]));
}

/** Problems with a role table (unknown parents, cycles, depth, bad rules); empty when fine. */
export function validateRoleGraph(table: RoleTable): string[] {
  const problems: string[] = [];
  for (const role of table.values()) {
    if (!ROLE_NAME.test(role.name)) problems.push(`Role name "${role.name}" is invalid`);
    if (role.rules.length > ROLE_RULES_MAX) {
      problems.push(`Role "${role.name}" has more than ${ROLE_RULES_MAX} rules`);
    }
    for (const rule of role.rules) {
      if (!isValidRule(rule)) problems.push(`Role "${role.name}" has invalid rule "${rule}"`);
    }
    for (const parent of role.inherits) {
      if (!table.has(parent)) {
        problems.push(`Role "${role.name}" inherits unknown role "${parent}"`);
      }
    }
    const depth = depthOf(table, role.name, []);
    if (depth === "cycle") problems.push(`Role "${role.name}" is part of an inheritance cycle`);
    else if (depth > ROLE_DEPTH_MAX) {
      problems.push(`Role "${role.name}" inherits more than ${ROLE_DEPTH_MAX} levels deep`);
    }
  }
  return problems;
}

function depthOf(table: RoleTable, name: string, path: string[]): number | "cycle" {
  if (path.includes(name)) return "cycle";
  if (path.length > ROLE_DEPTH_MAX + 1) return path.length;
  const role = table.get(name);
  if (!role) return 0;
  let deepest = 0;
  for (const parent of role.inherits) {
    const depth = depthOf(table, parent, [...path, name]);
    if (depth === "cycle") return "cycle";
    deepest = Math.max(deepest, depth);
  }
  return deepest + 1;
}

/** The effective rules of a set of roles: their own plus inherited, unknown roles ignored. */
export function expandRoles(table: RoleTable, roles: readonly string[]): string[] {
  const seen = new Set<string>();
  const rules: string[] = [];
  const visit = (name: string, depth: number) => {
    if (seen.has(name) || depth > ROLE_DEPTH_MAX) return;
    seen.add(name);
    const role = table.get(name);
    if (!role) return;
    for (const rule of role.rules) if (!rules.includes(rule)) rules.push(rule);
    for (const parent of role.inherits) visit(parent, depth + 1);
  };
  for (const role of roles) visit(role, 0);
  return rules;
}

/** Every role name reachable from `roles` through inheritance (the roles themselves included). */
export function roleClosure(table: RoleTable, roles: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string, depth: number) => {
    if (seen.has(name) || depth > ROLE_DEPTH_MAX) return;
    seen.add(name);
    for (const parent of table.get(name)?.inherits ?? []) visit(parent, depth + 1);
  };
  for (const role of roles) visit(role, 0);
  return seen;
}
