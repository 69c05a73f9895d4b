/**
 * What the per-request path needs, cached so a request costs no store read: revoked sessions
 * and API tokens, the role table, and user/API-token records (bounded LRU).
 *
 * Freshness: every change other nodes must see bumps `helios:auth:version` in the same ATLAS
 * transaction. A node re-reads that one counter at most every `refreshMs` (lazily, on a request;
 * single-flight) and, when it moved, reloads revocations and roles and empties its record
 * caches. Changes made by this node apply locally at once (`revokeLocal`, `forgetUser`, ...).
 * So a logout is effective here immediately and on other nodes within refreshMs.
 */
import type { AtlasClient } from "../storage/atlas_client.ts";
import type { Clock } from "../lib/clock.ts";
import { builtinRoleTable, expandRoles, type RoleDefinition } from "../rbac/mod.ts";
import { hgetall, ok } from "./atlas_util.ts";
import { type ApiTokenRecord, keys, parseApiToken, parseUser, type UserRecord } from "./records.ts";

export const RECORD_CACHE_MAX = 10_000;
/** Distinct role sets whose expanded rules are kept. */
export const RULES_CACHE_MAX = 1_000;

/**
 * A bounded map evicting the least recently used entry, approximately: a hit moves its entry to
 * the young end only when at least max/2 inserts happened since its last move (a hit on a hot
 * entry is then a plain lookup, not a delete and re-insert per request). An entry used at least
 * once every max/2 inserts is never evicted.
 */
class Lru<V> {
  private readonly map = new Map<string, { value: V; movedAt: number }>();
  private inserts = 0;
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.inserts - entry.movedAt >= this.max >> 1) {
      this.map.delete(key);
      this.map.set(key, entry);
      entry.movedAt = this.inserts;
    }
    return entry.value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, movedAt: ++this.inserts });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

export class AuthCache {
  private revoked = new Set<string>();
  private roles = builtinRoleTable();
  private readonly users = new Lru<UserRecord | null>(RECORD_CACHE_MAX);
  private readonly tokens = new Lru<ApiTokenRecord | null>(RECORD_CACHE_MAX);
  private version: string | null = null;
  private checkedMs = -Infinity;
  private inflight: Promise<void> | null = null;
  private rulesTable: ReadonlyMap<string, RoleDefinition> | null = null;
  private readonly rulesByRoles = new Map<string, readonly string[]>();

  constructor(
    private readonly atlas: AtlasClient,
    private readonly clock: Clock,
    private readonly refreshMs: number,
  ) {}

  /** Whether the caches are at most refreshMs stale (else `fresh()` must run first). */
  isFresh(): boolean {
    return this.clock.nowMs() - this.checkedMs < this.refreshMs;
  }

  /** Makes sure the caches are at most refreshMs stale. */
  async fresh(): Promise<void> {
    if (this.isFresh()) return;
    this.inflight ??= this.check().finally(() => (this.inflight = null));
    await this.inflight;
  }

  /** Forces a reload at the next fresh() (tests, and after this node's own changes). */
  async reload(): Promise<void> {
    this.checkedMs = -Infinity;
    this.version = null;
    await this.fresh();
  }

  isRevoked(kind: "s" | "t", id: string): boolean {
    return this.revoked.has(`${kind}:${id}`);
  }

  revokeLocal(kind: "s" | "t", id: string): void {
    this.revoked.add(`${kind}:${id}`);
  }

  roleTable(): ReadonlyMap<string, RoleDefinition> {
    return this.roles;
  }

  /**
   * The effective rules of these roles under the current role table (expandRoles), shared and
   * frozen: the table is replaced, never mutated, on every change, so a result stays right for
   * as long as its table is current. Bounded; emptied with each new table.
   */
  rulesFor(roles: readonly string[]): readonly string[] {
    if (this.rulesTable !== this.roles) {
      this.rulesTable = this.roles;
      this.rulesByRoles.clear();
    }
    for (const role of roles) {
      if (role.includes("\n")) return expandRoles(this.roles, roles); // no unambiguous key
    }
    const key = roles.join("\n");
    let rules = this.rulesByRoles.get(key);
    if (rules === undefined) {
      rules = Object.freeze(expandRoles(this.roles, roles));
      if (this.rulesByRoles.size >= RULES_CACHE_MAX) this.rulesByRoles.clear();
      this.rulesByRoles.set(key, rules);
    }
    return rules;
  }

  /** A user record if it is cached (null: known not to exist), else undefined. */
  cachedUser(uid: string): UserRecord | null | undefined {
    return this.users.get(uid);
  }

  async user(uid: string): Promise<UserRecord | null> {
    const cached = this.users.get(uid);
    if (cached !== undefined) return cached;
    const user = parseUser(await hgetall(this.atlas, keys.user(uid)));
    this.users.set(uid, user);
    return user;
  }

  forgetUser(uid: string): void {
    this.users.delete(uid);
  }

  /** An API token record if it is cached (null: known not to exist), else undefined. */
  cachedApiToken(id: string): ApiTokenRecord | null | undefined {
    return this.tokens.get(id);
  }

  async apiToken(id: string): Promise<ApiTokenRecord | null> {
    const cached = this.tokens.get(id);
    if (cached !== undefined) return cached;
    const token = parseApiToken(await hgetall(this.atlas, keys.apiToken(id)));
    this.tokens.set(id, token);
    return token;
  }

  forgetApiToken(id: string): void {
    this.tokens.delete(id);
  }

  private async check(): Promise<void> {
    const version = ok(await this.atlas.call("GET", keys.version()), "GET");
    const text = version === null ? "0" : String(version);
    this.checkedMs = this.clock.nowMs();
    if (text === this.version) return;
    await this.loadRevocations();
    await this.loadRoles();
    this.users.clear();
    this.tokens.clear();
    this.version = text;
  }

  private async loadRevocations(): Promise<void> {
    const members = ok(
      await this.atlas.call("ZRANGEBYSCORE", keys.revoked(), "-inf", "+inf"),
      "ZRANGEBYSCORE",
    );
    this.revoked = new Set(Array.isArray(members) ? members.map(String) : []);
  }

  private async loadRoles(): Promise<void> {
    const table = builtinRoleTable();
    for (const [name, json] of Object.entries(await hgetall(this.atlas, keys.roles()))) {
      if (table.get(name)?.builtin) continue;
      try {
        table.set(name, { ...(JSON.parse(json) as RoleDefinition), name, builtin: false });
      } catch (_error) {
        continue; // A corrupt role grants nothing; the admin API shows and can rewrite it.
      }
    }
    this.roles = table;
  }

  /** Replaces the role table after this node changed a role. */
  setRoles(table: Map<string, RoleDefinition>): void {
    this.roles = table;
  }
}
