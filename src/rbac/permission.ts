/**
 * Permission strings: `resource:action[:scope]`.
 *
 * - A required permission (what a route needs) names one resource type, one action and maybe a
 *   concrete scope: `kv:read`, `kv:write:orders/42`, `jobs:enqueue:emails`.
 * - A rule (what a role grants) may use `*` for the resource or action, and a glob scope where
 *   `*` matches any run of characters (slashes and colons included): `kv:write:orders/*`,
 *   `admin:*`, `*`. A rule with no scope covers every scope; a rule with a scope other than `*`
 *   does not cover an unscoped requirement (listing all keys is not "writing orders/*").
 * - A rule starting with `!` is a deny rule; a matching deny beats any allow.
 */

export interface Permission {
  resource: string;
  action: string;
  /** Absent for an unscoped permission. */
  scope?: string;
}

const WORD = /^(\*|[a-z][a-z0-9_-]{0,63})$/;
export const PERMISSION_TEXT_MAX = 512;

/** Parses `resource:action[:scope]` (or `*`); null when malformed. */
export function parsePermission(text: string): Permission | null {
  if (text.length === 0 || text.length > PERMISSION_TEXT_MAX) return null;
  if (text === "*") return { resource: "*", action: "*" };
  const first = text.indexOf(":");
  if (first < 0) return null;
  const second = text.indexOf(":", first + 1);
  const resource = text.slice(0, first);
  const action = second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  if (!WORD.test(resource) || !WORD.test(action)) return null;
  if (second < 0) return { resource, action };
  const scope = text.slice(second + 1);
  return scope.length === 0 ? null : { resource, action, scope };
}

export function formatPermission(p: Permission): string {
  return p.scope === undefined
    ? `${p.resource}:${p.action}`
    : `${p.resource}:${p.action}:${p.scope}`;
}

/** Whether a rule's scope pattern covers a required scope. */
function scopeCovers(pattern: string | undefined, scope: string | undefined): boolean {
  if (pattern === undefined || pattern === "*") return true;
  if (scope === undefined) return false;
  return globMatch(pattern, scope);
}

/** `*` matches any run of characters; everything else is literal. Linear-time, no regex. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0, t = 0, starP = -1, starT = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starT = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Whether the (allow) rule covers the required permission. */
export function ruleCovers(rule: Permission, required: Permission): boolean {
  return (rule.resource === "*" || rule.resource === required.resource) &&
    (rule.action === "*" || rule.action === required.action) &&
    scopeCovers(rule.scope, required.scope);
}

/** Validates a rule as stored in a role: an optional `!`, then a permission pattern. */
export function isValidRule(rule: string): boolean {
  return parsePermission(rule.startsWith("!") ? rule.slice(1) : rule) !== null;
}

/**
 * Fills `{name}` placeholders from path parameters: `kv:write:{key}` + {key:"orders/42"} →
 * `kv:write:orders/42`. A placeholder without a parameter is a programmer error.
 */
export function fillPermission(template: string, params: Record<string, string>): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`Permission "${template}" names {${name}} but the route has no such param`);
    }
    return value;
  });
}

/** Splits a required permission into the (action, resource) pair `can()` takes. */
export function toActionResource(permission: Permission): { action: string; resource: string } {
  return {
    action: permission.action,
    resource: permission.scope === undefined
      ? permission.resource
      : `${permission.resource}:${permission.scope}`,
  };
}
