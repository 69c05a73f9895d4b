import assert from "node:assert/strict";
import { fillPermission, globMatch, parsePermission } from "./permission.ts";
import { can, requiredPermission } from "./policy.ts";
import {
  builtinRoleTable,
  expandRoles,
  ROLE_DEPTH_MAX,
  type RoleDefinition,
  validateRoleGraph,
} from "./roles.ts";

const role = (name: string, inherits: string[] = [], rules: string[] = []): RoleDefinition => ({
  name,
  description: "",
  rules,
  inherits,
  builtin: false,
});

Deno.test("permission strings parse as resource:action[:scope]; scopes keep colons", () => {
  assert.deepEqual(parsePermission("kv:read"), { resource: "kv", action: "read" });
  assert.deepEqual(parsePermission("kv:write:a:b/c"), {
    resource: "kv",
    action: "write",
    scope: "a:b/c",
  });
  assert.deepEqual(parsePermission("*"), { resource: "*", action: "*" });
  for (const bad of ["", "kv", "KV:read", "kv::x", "kv:read:", ":read", "x".repeat(600)]) {
    assert.equal(parsePermission(bad), null, bad);
  }
});

Deno.test("globs: * spans any characters; everything else is literal", () => {
  assert.ok(globMatch("orders/*", "orders/2024/1"));
  assert.ok(globMatch("*", ""));
  assert.ok(globMatch("a*b*c", "aXXbYYc"));
  assert.ok(!globMatch("orders/*", "orders"));
  assert.ok(!globMatch("a?c", "abc"));
  assert.ok(globMatch("a*".repeat(20), "a".repeat(40)));
});

Deno.test("deny by default; malformed or wildcard requests are denied", () => {
  assert.deepEqual(can({ rules: [] }, "read", "kv"), { allowed: false, matchedRule: null });
  assert.equal(can({ rules: ["*"] }, "read", "").allowed, false);
  assert.equal(requiredPermission("*", "kv"), null);
  assert.equal(can({ rules: ["kv:read:orders/*"] }, "read", "kv").allowed, false);
  assert.equal(can({ rules: ["kv:read:*"] }, "read", "kv").allowed, true);
});

Deno.test("route templates fill from path params", () => {
  assert.equal(fillPermission("kv:write:{key}", { key: "orders/42" }), "kv:write:orders/42");
  assert.throws(() => fillPermission("jobs:enqueue:{queue}", {}), /no such param/);
});

Deno.test("role graphs: cycles, unknown parents, depth and bad rules are rejected", () => {
  const table = builtinRoleTable();
  table.set("a", role("a", ["b"]));
  table.set("b", role("b", ["a"]));
  assert.ok(validateRoleGraph(table).some((p) => p.includes("cycle")));
  const deep = builtinRoleTable();
  for (let i = 0; i <= ROLE_DEPTH_MAX + 1; i++) {
    deep.set(`r${i}`, role(`r${i}`, i === 0 ? [] : [`r${i - 1}`]));
  }
  assert.ok(validateRoleGraph(deep).some((p) => p.includes("levels deep")));
  const bad = builtinRoleTable();
  bad.set("x", role("x", ["missing"], ["not a rule"]));
  const problems = validateRoleGraph(bad);
  assert.ok(problems.some((p) => p.includes("unknown role")));
  assert.ok(problems.some((p) => p.includes("invalid rule")));
  assert.deepEqual(validateRoleGraph(builtinRoleTable()), []);
});

Deno.test("expandRoles follows inheritance and survives a cyclic table", () => {
  const table = builtinRoleTable();
  assert.ok(expandRoles(table, ["user"]).includes("kv:list"));
  table.set("a", role("a", ["b"], ["x:a"]));
  table.set("b", role("b", ["a"], ["x:b"]));
  assert.deepEqual(expandRoles(table, ["a"]).sort(), ["x:a", "x:b"]);
});
