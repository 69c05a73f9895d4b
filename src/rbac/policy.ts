/**
 * The RBAC decision: pure, deterministic, deny by default.
 *
 * `can(principal, action, resource)` asks "may this principal do `action` on `resource`?", where
 * `resource` is the resource type optionally followed by `:scope` — so the required permission
 * is `type:action[:scope]`: `can(p, "write", "kv:orders/42")` needs `kv:write:orders/42`.
 * The principal carries its effective rules (roles already expanded by `expandRoles`), so the
 * decision needs no store and no clock.
 */
import { parsePermission, type Permission, ruleCovers } from "./permission.ts";

export type PrincipalKind = "user" | "api_token";

export interface Principal {
  kind: PrincipalKind;
  /** The user id (for API tokens: the owning user's id). */
  userId: string;
  username: string;
  /** Role names as assigned (before inheritance). */
  roles: readonly string[];
  /** Effective rules after inheritance, e.g. ["kv:*", "!kv:write:secrets/*"]. */
  rules: readonly string[];
  /** Session id (`sid` claim) of a JWT principal. */
  sessionId?: string;
  /** API token id of an api_token principal. */
  tokenId?: string;
}

export interface Decision {
  allowed: boolean;
  /** The rule that decided: the matching deny, else the first matching allow; null = default deny. */
  matchedRule: string | null;
}

const DEFAULT_DENY: Decision = { allowed: false, matchedRule: null };

/** The pure decision function; malformed input is denied, never thrown. */
export function can(
  principal: Pick<Principal, "rules">,
  action: string,
  resource: string,
): Decision {
  const required = requiredPermission(action, resource);
  if (required === null) return DEFAULT_DENY;
  return decide(principal.rules, required);
}

/** `("write", "kv:orders/42")` → kv:write:orders/42, or null when malformed. */
export function requiredPermission(action: string, resource: string): Permission | null {
  const colon = resource.indexOf(":");
  const type = colon < 0 ? resource : resource.slice(0, colon);
  const text = colon < 0 ? `${type}:${action}` : `${type}:${action}${resource.slice(colon)}`;
  const parsed = parsePermission(text);
  // A requirement is concrete: wildcards in it would let a caller ask a broader question.
  if (parsed === null || parsed.resource === "*" || parsed.action === "*") return null;
  return parsed;
}

/** Deny rules first (any match denies), then the first allow rule in order. */
export function decide(rules: readonly string[], required: Permission): Decision {
  for (const rule of rules) {
    if (!rule.startsWith("!")) continue;
    const parsed = parsePermission(rule.slice(1));
    if (parsed && ruleCovers(parsed, required)) return { allowed: false, matchedRule: rule };
  }
  for (const rule of rules) {
    if (rule.startsWith("!")) continue;
    const parsed = parsePermission(rule);
    if (parsed && ruleCovers(parsed, required)) return { allowed: true, matchedRule: rule };
  }
  return DEFAULT_DENY;
}
