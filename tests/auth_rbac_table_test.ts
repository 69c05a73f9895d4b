/**
 * The golden RBAC decision table: subjects (role sets) × requests (action, resource) → allow or
 * deny and the rule that decided. The expected table is src/rbac/testdata/decisions.golden;
 * regenerate it after an intended policy change with UPDATE_GOLDEN=1 and review the diff.
 */
import assert from "node:assert/strict";
import {
  builtinRoleTable,
  can,
  expandRoles,
  type RoleDefinition,
  validateRoleGraph,
} from "../src/rbac/mod.ts";

const GOLDEN = new URL("../src/rbac/testdata/decisions.golden", import.meta.url);

const custom: RoleDefinition[] = [
  {
    name: "orders-writer",
    description: "",
    rules: ["kv:write:orders/*", "kv:delete:orders/*", "!kv:write:orders/archive/*"],
    inherits: ["readonly"],
    builtin: false,
  },
  { name: "mailer", description: "", rules: ["jobs:enqueue:emails"], inherits: [], builtin: false },
  {
    name: "ops",
    description: "",
    rules: ["admin:read:*"],
    inherits: ["orders-writer", "mailer"],
    builtin: false,
  },
];

const subjects: [string, string[]][] = [
  ["admin", ["admin"]],
  ["user", ["user"]],
  ["readonly", ["readonly"]],
  ["worker", ["worker"]],
  ["orders-writer", ["orders-writer"]],
  ["ops", ["ops"]],
  ["mailer+readonly", ["mailer", "readonly"]],
  ["nobody", []],
  ["unknown-role", ["no-such-role"]],
];

const requests: [string, string][] = [
  ["read", "kv"],
  ["read", "kv:orders/42"],
  ["list", "kv"],
  ["write", "kv:orders/42"],
  ["write", "kv:orders/archive/2024"],
  ["write", "kv:users/7"],
  ["delete", "kv:orders/42"],
  ["enqueue", "jobs:emails"],
  ["enqueue", "jobs:reports"],
  ["claim", "jobs:emails"],
  ["read", "admin:users"],
  ["write", "admin:roles"],
  ["check", "authz"],
  ["read", "account"],
  ["tokens", "account"],
  ["session", "account"],
  ["*", "kv"],
  ["read", "*"],
];

function table(): string {
  const roles = builtinRoleTable();
  for (const role of custom) roles.set(role.name, role);
  assert.deepEqual(validateRoleGraph(roles), []);
  const lines = ["# subject | action | resource | decision | matched rule"];
  for (const [subject, assigned] of subjects) {
    const principal = { rules: expandRoles(roles, assigned) };
    for (const [action, resource] of requests) {
      const decision = can(principal, action, resource);
      lines.push(
        [
          subject,
          action,
          resource,
          decision.allowed ? "allow" : "deny",
          decision.matchedRule ?? "-",
        ].join(" | "),
      );
    }
  }
  return lines.join("\n") + "\n";
}

Deno.test("RBAC decisions match the golden table", async () => {
  const actual = table();
  if (Deno.env.get("UPDATE_GOLDEN") === "1") await Deno.writeTextFile(GOLDEN, actual);
  const expected = await Deno.readTextFile(GOLDEN);
  assert.equal(actual, expected);
});
