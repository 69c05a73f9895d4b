/** The admin API contract: users (list, get, disable, delete, roles), roles CRUD, key rotation. */
import { z } from "@hono/zod-openapi";
import { UserSchema } from "./auth.ts";
import { jsonBody, jsonResponse } from "./bodies.ts";
import { problemResponse } from "./problem.ts";
import { secureRoute } from "./secure_route.ts";

const userId = z.object({ id: z.string().min(1).max(64) });
const roleName = z.object({ name: z.string().min(1).max(64) });
const notFound = problemResponse("No such user or role");
const invalid = problemResponse("Invalid request");

export const RoleSchema = z.object({
  name: z.string(),
  description: z.string(),
  rules: z.array(z.string()).openapi({
    example: ["kv:read", "kv:write:orders/*", "!kv:write:orders/archive/*"],
  }),
  inherits: z.array(z.string()),
  builtin: z.boolean(),
}).openapi("Role");

export const listUsersRoute = secureRoute({
  method: "get",
  operationId: "listUsers",
  path: "/api/v1/admin/users",
  permission: "admin:read:users",
  tags: ["admin"],
  summary: "List users (sorted by username)",
  request: {
    query: z.object({
      offset: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ users: z.array(UserSchema), total: z.number().int() }), "Users"),
    400: invalid,
  },
});

export const getUserRoute = secureRoute({
  method: "get",
  operationId: "getUser",
  path: "/api/v1/admin/users/{id}",
  permission: "admin:read:users",
  tags: ["admin"],
  summary: "One user",
  request: { params: userId },
  responses: { 200: jsonResponse(UserSchema, "The user"), 404: notFound },
});

export const patchUserRoute = secureRoute({
  method: "patch",
  operationId: "updateUser",
  path: "/api/v1/admin/users/{id}",
  permission: "admin:write:users",
  tags: ["admin"],
  summary: "Disable or enable a user (disabling ends their sessions)",
  request: {
    params: userId,
    body: jsonBody(z.object({ disabled: z.boolean() }).openapi("UserPatch"), { disabled: true }),
  },
  responses: { 200: jsonResponse(UserSchema, "The user"), 400: invalid, 404: notFound },
});

export const deleteUserRoute = secureRoute({
  method: "delete",
  operationId: "deleteUser",
  path: "/api/v1/admin/users/{id}",
  permission: "admin:write:users",
  tags: ["admin"],
  summary: "Delete a user, their sessions and API tokens",
  request: { params: userId },
  responses: { 204: { description: "Deleted" }, 404: notFound },
});

export const assignRoleRoute = secureRoute({
  method: "post",
  operationId: "assignRole",
  path: "/api/v1/admin/users/{id}/roles",
  permission: "admin:write:users",
  tags: ["admin"],
  summary: "Assign a role to a user (only a role the caller holds, unless the caller has `*`)",
  request: {
    params: userId,
    body: jsonBody(z.object({ role: z.string().min(1).max(64) }).openapi("RoleAssignment"), {
      role: "readonly",
    }),
  },
  responses: { 200: jsonResponse(UserSchema, "The user"), 400: invalid, 404: notFound },
});

export const removeRoleRoute = secureRoute({
  method: "delete",
  operationId: "removeRole",
  path: "/api/v1/admin/users/{id}/roles/{role}",
  permission: "admin:write:users",
  tags: ["admin"],
  summary: "Remove a role from a user",
  request: { params: z.object({ id: z.string().min(1).max(64), role: z.string().min(1).max(64) }) },
  responses: { 200: jsonResponse(UserSchema, "The user"), 404: notFound },
});

export const listRolesRoute = secureRoute({
  method: "get",
  operationId: "listRoles",
  path: "/api/v1/admin/roles",
  permission: "admin:read:roles",
  tags: ["admin"],
  summary: "Every role, built-in and custom",
  responses: { 200: jsonResponse(z.object({ roles: z.array(RoleSchema) }), "Roles") },
});

export const getRoleRoute = secureRoute({
  method: "get",
  operationId: "getRole",
  path: "/api/v1/admin/roles/{name}",
  permission: "admin:read:roles",
  tags: ["admin"],
  summary: "One role",
  request: { params: roleName },
  responses: { 200: jsonResponse(RoleSchema, "The role"), 404: notFound },
});

export const putRoleRoute = secureRoute({
  method: "put",
  operationId: "putRole",
  path: "/api/v1/admin/roles/{name}",
  permission: "admin:write:roles",
  tags: ["admin"],
  summary: "Create or replace a custom role (graph must stay acyclic, depth ≤ 8)",
  request: {
    params: roleName,
    body: jsonBody(
      z.object({
        description: z.string().max(500).default(""),
        rules: z.array(z.string().min(1).max(512)).max(256),
        inherits: z.array(z.string().min(1).max(64)).max(16).default([]),
      }).openapi("RoleWrite"),
      {
        description: "Order fulfilment",
        rules: ["kv:read:orders/*", "kv:write:orders/*", "jobs:enqueue"],
        inherits: ["readonly"],
      },
    ),
  },
  responses: {
    200: jsonResponse(RoleSchema, "The role"),
    400: invalid,
    409: problemResponse("Built-in role or too many roles"),
  },
});

export const deleteRoleRoute = secureRoute({
  method: "delete",
  operationId: "deleteRole",
  path: "/api/v1/admin/roles/{name}",
  permission: "admin:write:roles",
  tags: ["admin"],
  summary: "Delete a custom role (not while another role inherits it)",
  request: { params: roleName },
  responses: {
    204: { description: "Deleted" },
    404: notFound,
    409: problemResponse("Built-in or inherited role"),
  },
});

export const rotateKeysRoute = secureRoute({
  method: "post",
  operationId: "rotateSigningKeys",
  path: "/api/v1/admin/keys/rotate",
  permission: "admin:write:keys",
  tags: ["admin"],
  summary: "Start signing with a new JWT key; the old one verifies until its tokens expire",
  responses: {
    200: jsonResponse(z.object({ kid: z.string() }), "The new key id"),
    409: problemResponse("HS256 mode: rotate by changing gateway.jwt_secret"),
  },
});
