/** RBAC: permission strings, roles with inheritance, and the pure `can()` decision. */
export {
  fillPermission,
  formatPermission,
  globMatch,
  isValidRule,
  parsePermission,
  type Permission,
  toActionResource,
} from "./permission.ts";
export {
  can,
  decide,
  type Decision,
  type Principal,
  type PrincipalKind,
  requiredPermission,
} from "./policy.ts";
export {
  BUILTIN_ROLES,
  builtinRoleTable,
  expandRoles,
  ROLE_DEPTH_MAX,
  ROLE_NAME,
  roleClosure,
  type RoleDefinition,
  type RoleTable,
  validateRoleGraph,
} from "./roles.ts";
