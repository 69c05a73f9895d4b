/** /api/v1/admin/*: user and role administration, key rotation. Thin handlers over src/auth. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  assignRoleRoute,
  deleteRoleRoute,
  deleteUserRoute,
  getRoleRoute,
  getUserRoute,
  listRolesRoute,
  listUsersRoute,
  patchUserRoute,
  putRoleRoute,
  removeRoleRoute,
  rotateKeysRoute,
} from "../openapi/admin.ts";
import { type AuthServices, UserAdmin } from "../src/auth/mod.ts";
import { ConflictError } from "../src/errors/app_error.ts";
import type { RoleDefinition } from "../src/rbac/mod.ts";
import type { GatewayEnv } from "./env.ts";
import { mountRoute } from "./mount.ts";

const roleView = (role: RoleDefinition) => ({
  name: role.name,
  description: role.description,
  rules: [...role.rules],
  inherits: [...role.inherits],
  builtin: role.builtin,
});

export function mountAdminRoutes(app: OpenAPIHono<GatewayEnv>, auth: AuthServices): void {
  const users = new UserAdmin(auth);
  mountRoute(app, listUsersRoute, async (c) => {
    const { offset, limit } = c.req.valid("query");
    return c.json(await users.list(offset, limit), 200);
  });
  mountRoute(app, getUserRoute, async (c) => c.json(await users.get(c.req.valid("param").id), 200));
  mountRoute(app, patchUserRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await users.setDisabled(id, c.req.valid("json").disabled), 200);
  });
  mountRoute(app, deleteUserRoute, async (c) => {
    await users.delete(c.req.valid("param").id);
    return c.body(null, 204);
  });
  mountRoute(app, assignRoleRoute, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await users.assignRole(c.get("principal"), id, c.req.valid("json").role), 200);
  });
  mountRoute(app, removeRoleRoute, async (c) => {
    const { id, role } = c.req.valid("param");
    return c.json(await users.removeRole(id, role), 200);
  });
  mountRoleRoutes(app, auth);
  mountRoute(app, rotateKeysRoute, async (c) => {
    if (auth.keyRing.algorithm === "HS256") {
      throw new ConflictError("HS256 keys rotate by changing gateway.jwt_secret", "hs256_rotation");
    }
    return c.json({ kid: await auth.keyRing.rotate() }, 200);
  });
}

function mountRoleRoutes(app: OpenAPIHono<GatewayEnv>, auth: AuthServices): void {
  mountRoute(app, listRolesRoute, async (c) => {
    return c.json({ roles: (await auth.roles.list()).map(roleView) }, 200);
  });
  mountRoute(app, getRoleRoute, async (c) => {
    return c.json(roleView(await auth.roles.get(c.req.valid("param").name)), 200);
  });
  mountRoute(app, putRoleRoute, async (c) => {
    const { name } = c.req.valid("param");
    const { description, rules, inherits } = c.req.valid("json");
    const role = await auth.roles.put({ name, description, rules, inherits }, c.get("principal"));
    return c.json(roleView(role), 200);
  });
  mountRoute(app, deleteRoleRoute, async (c) => {
    await auth.roles.delete(c.req.valid("param").name, c.get("principal"));
    return c.body(null, 204);
  });
}
