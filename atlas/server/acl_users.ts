/**
 * ACL users as Redis 7 keeps them: what each may run, touch and use, how ACL SETUSER's rules
 * change that, and the server's registry of users. The check a command goes through is
 * acl_check.ts's.
 *
 * A user is a set of rules: on/off, passwords (kept as SHA-256 hex, as ACL LIST shows them),
 * command rules (`+get`, `-@dangerous`, `+client|id`) applied in order over a base of `+@all` or
 * `-@all`, key patterns (`~k*`, `%R~r*`, `%W~w*`) and channel patterns (`&news.*`). Unlike
 * Redis 7.0, which rebuilds the command rules it shows from a bitmap (categories first, then
 * single commands in hash order), the rules are kept as given, a later rule replacing an earlier
 * one on the same target: what ACL LIST shows is what was set (as Redis 7.2 does).
 *
 * Selectors (Redis 7: `(~k* +get)`) are further permission sets (AclSelector; the user itself is
 * its root one): a command runs when one of them allows it whole (acl_check.ts). Key permissions
 * are read from the command's flags: a write command needs W on each key, any other R (Redis
 * reads them per key spec). Users live in memory unless an ACL file keeps them (acl_file.ts).
 */
import { createHash } from "node:crypto";
import { globMatch } from "../store/glob.ts";
import { aclCategories, CATEGORY_ORDER, subcommandCategories } from "./command_info.ts";
import type { CommandTable } from "./table.ts";
import type { CommandEntry } from "./types.ts";

export const DEFAULT_USER = "default";

/** Key permission bits of a pattern (`~`: both). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
const KEY_ALL = KEY_READ | KEY_WRITE;

export interface KeyPattern {
  readonly pattern: string;
  readonly perm: number;
}

/** The sha256 of a password as ACL LIST / GETUSER show it (lower-case hex of its bytes). */
export function passwordHash(password: string): string {
  return createHash("sha256").update(Uint8Array.from(password, (c) => c.charCodeAt(0)))
    .digest("hex");
}

/**
 * One set of permissions: commands (rules over a `+@all` / `-@all` base), keys and channels. A
 * user has its root selector and may have more (`(~k* +get)`, Redis 7): a command runs when one
 * of them allows its command, keys and channels together.
 */
export class AclSelector {
  /** The base the command rules apply to: `+@all` (true) or `-@all`. */
  allCommands = false;
  /** `+name`, `-name`, `+name|sub`, `+name|firstarg`, `+@category`, `-@category`, in order. */
  rules: string[] = [];
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];
  /** The command rules' answer per full command name, kept until the rules change. */
  #verdicts = new Map<string, boolean>();

  /** May run every command on every key and channel (a user: dispatch checks nothing for it). */
  get unrestricted(): boolean {
    return this.allCommands && this.rules.length === 0 && this.allKeys && this.allChannels;
  }

  cloneSelector(): AclSelector {
    const copy = new AclSelector();
    copy.copyPermissions(this);
    return copy;
  }

  protected copyPermissions(other: AclSelector): void {
    this.allCommands = other.allCommands;
    this.rules = [...other.rules];
    this.allKeys = other.allKeys;
    this.keys = [...other.keys];
    this.allChannels = other.allChannels;
    this.channels = [...other.channels];
    this.#verdicts.clear();
  }

  /** Drops the remembered answers of the command rules (after the rules changed). */
  forgetVerdicts(): void {
    this.#verdicts.clear();
  }

  /**
   * Whether the command rules let it run `fullName` (`get`, `client|id`) with `firstArg` (its
   * first argument, for a first-arg rule such as `+select|0`; undefined when it has none).
   */
  mayRun(
    fullName: string,
    categories: () => readonly string[],
    firstArg: string | undefined,
  ): boolean {
    let verdict = this.#verdicts.get(fullName);
    if (verdict !== undefined) return verdict;
    verdict = this.allCommands;
    const bar = fullName.indexOf("|");
    const container = bar < 0 ? fullName : fullName.slice(0, bar);
    const argRule = bar < 0 && firstArg !== undefined
      ? `${fullName}|${firstArg.toLowerCase()}`
      : "";
    let cats: readonly string[] | null = null;
    let byFirstArg = false;
    for (const rule of this.rules) {
      const target = rule.slice(1);
      if (target[0] === "@") {
        cats ??= categories();
        if (cats.includes(target)) verdict = rule[0] === "+";
      } else if (target === fullName || target === container) verdict = rule[0] === "+";
      else if (bar < 0 && target.startsWith(`${fullName}|`)) {
        byFirstArg = true; // a first-arg rule: the answer depends on the argument
        if (target === argRule) verdict = true;
      }
    }
    if (!byFirstArg) this.#verdicts.set(fullName, verdict);
    return verdict;
  }

  /** Whether a pattern grants `perm` (KEY_READ / KEY_WRITE bits) on `key`. */
  mayAccessKey(key: string, perm: number): boolean {
    if (this.allKeys) return true;
    for (const p of this.keys) {
      if ((p.perm & perm) === perm && globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  /**
   * Whether the selector may use `channel`; a `pattern` (PSUBSCRIBE's) must be one of its patterns
   * as written, as Redis checks it (a pattern matching more could leak other channels).
   */
  mayUseChannel(channel: string, pattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const allowed of this.channels) {
      if (pattern ? allowed === channel : globMatch(allowed, channel)) return true;
    }
    return false;
  }

  /** Keys, channels and commands as ACL LIST shows them (a selector's inside its parentheses). */
  describePermissions(): string {
    const parts: string[] = [];
    const keys = this.keysText();
    if (keys !== "") parts.push(keys);
    // Redis lists channel patterns after a `resetchannels` (they replace the default's `&*`).
    parts.push(
      this.allChannels ? "&*" : ["resetchannels", ...this.channels.map((c) => `&${c}`)].join(" "),
    );
    parts.push(this.commandsText());
    return parts.join(" ");
  }

  commandsText(): string {
    return [this.allCommands ? "+@all" : "-@all", ...this.rules].join(" ");
  }

  keysText(): string {
    if (this.allKeys) return "~*";
    return this.keys.map((p) =>
      `${p.perm === KEY_ALL ? "" : p.perm === KEY_READ ? "%R" : "%W"}~${p.pattern}`
    ).join(" ");
  }

  channelsText(): string {
    return this.allChannels ? "&*" : this.channels.map((c) => `&${c}`).join(" ");
  }
}

/** A user: its flags and passwords, its root selector (itself) and its other selectors. */
export class AclUser extends AclSelector {
  enabled = false;
  nopass = false;
  /** "", "sanitize-payload" or "skip-sanitize-payload": shown only (RESTORE always checks). */
  sanitize = "";
  /** SHA-256 hex of each password, in the order added. */
  passwords: string[] = [];
  /** Selectors besides the root one, in the order added. */
  selectors: AclSelector[] = [];
  /** Whether `reset` gives every channel (acl-pubsub-default `allchannels` when it applies). */
  channelsOnReset = false;

  constructor(readonly name: string) {
    super();
  }

  clone(): AclUser {
    const copy = new AclUser(this.name);
    copy.assign(this);
    copy.passwords = [...this.passwords];
    return copy;
  }

  /** Takes over `other`'s flags, passwords and selectors (a SETUSER applied to a copy). */
  assign(other: AclUser): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.channelsOnReset = other.channelsOnReset;
    this.sanitize = other.sanitize;
    this.passwords = other.passwords;
    this.copyPermissions(other);
    this.selectors = other.selectors.map((selector) => selector.cloneSelector());
  }

  /** Whether `password` opens this user (enabled, and nopass or one of its passwords). */
  accepts(password: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const hash = passwordHash(password);
    let found = false;
    // Every hash compared in full, whichever matches: no timing oracle.
    for (const known of this.passwords) found = sameText(known, hash) || found;
    return found;
  }

  /** ACL LIST's line: `user <name> <flags> <#hashes> <keys> <channels> <commands> (<selector>)...`. */
  describe(): string {
    const parts = ["user", this.name, ...this.flags()];
    for (const hash of this.passwords) parts.push(`#${hash}`);
    parts.push(this.describePermissions());
    for (const selector of this.selectors) parts.push(`(${selector.describePermissions()})`);
    return parts.join(" ");
  }

  flags(): string[] {
    const flags = [this.enabled ? "on" : "off"];
    if (this.nopass) flags.push("nopass");
    if (this.sanitize !== "") flags.push(this.sanitize);
    return flags;
  }
}

function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/** A rule SETUSER could not apply: Redis's `Error in ACL SETUSER modifier '<op>': <why>`. */
export class AclRuleError extends Error {
  constructor(readonly op: string, readonly why: string) {
    super(`Error in ACL SETUSER modifier '${op}': ${why}`);
  }
}

const SYNTAX = "Syntax error";
const UNKNOWN_NAME = "Unknown command or category name in ACL";
const HASH_FORMAT =
  "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
const NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist";

/**
 * Applies one SETUSER rule to `user` (a copy: SETUSER commits only when every rule applied), or
 * throws AclRuleError. `table` tells which commands and subcommands exist. A selector arrives
 * whole (`(~k* +get)`: see mergeSelectorArgs).
 */
export function applyRule(user: AclUser, op: string, table: CommandTable): void {
  const lower = op.toLowerCase();
  switch (lower) {
    case "on":
      user.enabled = true;
      return;
    case "off":
      user.enabled = false;
      return;
    case "nopass":
      user.nopass = true;
      user.passwords = [];
      return;
    case "resetpass":
      user.nopass = false;
      user.passwords = [];
      return;
    case "skip-sanitize-payload":
    case "sanitize-payload":
      user.sanitize = lower;
      return;
    case "clearselectors":
      user.selectors = [];
      return;
    case "reset":
      for (const step of ["resetpass", "resetkeys", "resetchannels", "off", "clearselectors"]) {
        applyRule(user, step, table);
      }
      if (user.channelsOnReset) applyRule(user, "allchannels", table);
      applyRule(user, "nocommands", table);
      user.sanitize = "sanitize-payload";
      return;
  }
  switch (op[0]) {
    case ">":
      addPassword(user, passwordHash(op.slice(1)));
      return;
    case "#":
      if (!/^[0-9a-f]{64}$/.test(op.slice(1))) throw new AclRuleError(op, HASH_FORMAT);
      addPassword(user, op.slice(1));
      return;
    case "<":
    case "!": {
      const hash = op[0] === "<" ? passwordHash(op.slice(1)) : op.slice(1);
      if (op[0] === "!" && !/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(op, HASH_FORMAT);
      const at = user.passwords.indexOf(hash);
      if (at < 0) throw new AclRuleError(op, NO_SUCH_PASSWORD);
      user.passwords.splice(at, 1);
      return;
    }
    case "(": {
      if (!op.endsWith(")")) throw new AclRuleError(op, SYNTAX);
      // A new selector: no commands, keys or channels but what its own rules give.
      const selector = new AclSelector();
      for (const inner of op.slice(1, -1).split(/\s+/)) {
        if (inner === "") continue;
        try {
          applySelectorRule(selector, inner, table);
        } catch (error) {
          // Reported in the selector's context, as Redis does: the whole selector is the op.
          if (error instanceof AclRuleError) throw new AclRuleError(op, error.why);
          throw error;
        }
      }
      selector.forgetVerdicts();
      user.selectors.push(selector);
      return;
    }
  }
  applySelectorRule(user, op, table);
}

/** A rule on a selector's permissions: keys, channels, commands (the root's or a selector's). */
function applySelectorRule(selector: AclSelector, op: string, table: CommandTable): void {
  switch (op.toLowerCase()) {
    case "~*": // the same as allkeys, as in Redis (no error when it already is)
    case "allkeys":
      selector.allKeys = true;
      selector.keys = [];
      return;
    case "resetkeys":
      selector.allKeys = false;
      selector.keys = [];
      return;
    case "&*": // the same as allchannels
    case "allchannels":
      selector.allChannels = true;
      selector.channels = [];
      return;
    case "resetchannels":
      selector.allChannels = false;
      selector.channels = [];
      return;
    case "allcommands":
      selector.allCommands = true;
      selector.rules = [];
      return;
    case "nocommands":
      selector.allCommands = false;
      selector.rules = [];
      return;
  }
  switch (op[0]) {
    case "~":
      addKeyPattern(selector, op, op.slice(1), KEY_ALL);
      return;
    case "%": {
      if (selector.allKeys) addKeyPattern(selector, op, "", KEY_ALL); // Redis's error comes first
      const tilde = op.indexOf("~");
      const letters = tilde < 0 ? "" : op.slice(1, tilde).toUpperCase();
      if (letters === "" || !/^[RW]+$/.test(letters)) throw new AclRuleError(op, SYNTAX);
      const perm = (letters.includes("R") ? KEY_READ : 0) | (letters.includes("W") ? KEY_WRITE : 0);
      addKeyPattern(selector, op, op.slice(tilde + 1), perm);
      return;
    }
    case "&":
      if (selector.allChannels) {
        throw new AclRuleError(
          op,
          "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
        );
      }
      if (!selector.channels.includes(op.slice(1))) selector.channels.push(op.slice(1));
      return;
    case "+":
    case "-":
      addCommandRule(selector, op, table);
      return;
  }
  throw new AclRuleError(op, SYNTAX);
}

/**
 * SETUSER's arguments with each selector in one piece: Redis lets one span several arguments
 * (`(~k*` `+get)`), joined with spaces up to the one that ends it. A string is the error text of
 * one that never ends (Redis's "Unmatched parenthesis ...").
 */
export function mergeSelectorArgs(ops: readonly string[]): string[] | string {
  const out: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op[0] !== "(" || op.endsWith(")")) {
      out.push(op);
      continue;
    }
    let merged = op;
    let j = i + 1;
    for (; j < ops.length && !merged.endsWith(")"); j++) merged += ` ${ops[j]}`;
    if (!merged.endsWith(")")) {
      return `Unmatched parenthesis in acl selector starting at '${op}'.`;
    }
    out.push(merged);
    i = j - 1;
  }
  return out;
}

function addPassword(user: AclUser, hash: string): void {
  user.nopass = false;
  if (!user.passwords.includes(hash)) user.passwords.push(hash);
}

function addKeyPattern(user: AclSelector, op: string, pattern: string, perm: number): void {
  if (user.allKeys) {
    throw new AclRuleError(
      op,
      "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
    );
  }
  if (pattern === "*" && perm === KEY_ALL) {
    user.allKeys = true;
    user.keys = [];
    return;
  }
  const same = user.keys.findIndex((p) => p.pattern === pattern);
  if (same >= 0) {
    user.keys[same] = { pattern, perm: user.keys[same].perm | perm };
  } else user.keys.push({ pattern, perm });
}

/**
 * `+name`, `-name`, `+name|sub`, `+@category`, `-@category` (and `+@all` / `-@all`, which reset
 * the rules to a new base). A rule replaces earlier ones on the same target; a whole command's
 * rule also replaces the earlier rules on its subcommands.
 */
function addCommandRule(user: AclSelector, op: string, table: CommandTable): void {
  const target = op.slice(1).toLowerCase();
  const allow = op[0] === "+";
  if (target === "@all") {
    user.allCommands = allow;
    user.rules = [];
    return;
  }
  if (target[0] === "@") {
    if (!CATEGORY_ORDER.includes(target)) throw new AclRuleError(op, UNKNOWN_NAME);
  } else checkCommandTarget(op, target, allow, table);
  // A rule that changes nothing is not kept (`+@all +client|id` stays `+@all`), as Redis 7.0's
  // rules, rebuilt from what the user may run, never show one.
  const covered = commandsCovered(target, table);
  if (covered !== null) {
    // Any rule on a command resets its first-arg rules, as Redis's ACLChangeSelectorPerm does,
    // even one that changes nothing else.
    const names = new Set(covered.map(([name]) => name.split("|")[0]));
    user.rules = user.rules.filter((rule) => {
      const old = rule.slice(1);
      const bar = old.lastIndexOf("|");
      if (bar < 0 || old[0] === "@") return true;
      const command = old.slice(0, bar);
      return table.get(command)?.subcommands !== null || !names.has(command);
    });
  }
  user.forgetVerdicts();
  if (
    covered !== null &&
    covered.every(([name, cats]) => user.mayRun(name, cats, undefined) === allow)
  ) {
    return;
  }
  if (covered === null) {
    // A first-arg rule for a command that runs anyway changes nothing either.
    const command = target.slice(0, target.lastIndexOf("|"));
    const entry = table.get(command)!;
    if (user.mayRun(command, categoriesOf(entry, command), undefined)) return;
  }
  const whole = target.includes("|") ? null : `${target}|`;
  user.rules = user.rules.filter((rule) => {
    const old = rule.slice(1);
    return old !== target && (whole === null || !old.startsWith(whole));
  });
  user.rules.push(`${allow ? "+" : "-"}${target}`);
  dropShadowedRules(user, table);
}

/**
 * Drops the earlier rules the new one made pointless (`+get` once `+@read` follows), so the rules
 * shown are the ones that matter, as Redis's rebuilt ones are: a rule goes when no command it
 * covers would run differently without it; a first-arg rule when its command runs anyway.
 */
function dropShadowedRules(selector: AclSelector, table: CommandTable): void {
  for (let i = selector.rules.length - 2; i >= 0; i--) {
    const target = selector.rules[i].slice(1);
    const covered = commandsCovered(target, table);
    const kept = selector.rules;
    if (covered === null) {
      // A first-arg rule: a later rule on its command (by name or category) resets it, as Redis
      // resets a command's first args when its permission changes; and so does the command
      // running anyway.
      const command = target.slice(0, target.lastIndexOf("|"));
      const entry = table.get(command)!;
      const cats = categoriesOf(entry, command);
      const reset = kept.slice(i + 1).some((rule) => {
        const later = rule.slice(1);
        return later === command || (later[0] === "@" && cats().includes(later));
      });
      selector.forgetVerdicts();
      if (reset || selector.mayRun(command, cats, undefined)) {
        selector.rules = kept.filter((_, j) => j !== i);
      }
      continue;
    }
    const verdicts = () => {
      selector.forgetVerdicts();
      return covered.map(([name, cats]) => selector.mayRun(name, cats, undefined)).join();
    };
    const withRule = verdicts();
    selector.rules = kept.filter((_, j) => j !== i);
    if (verdicts() !== withRule) selector.rules = kept;
  }
  selector.forgetVerdicts();
}

/**
 * The commands a rule's target covers, each with its categories (a container's subcommands one
 * by one); null for a first-arg rule (`+select|0`), which covers part of a command's calls.
 */
function commandsCovered(
  target: string,
  table: CommandTable,
): [string, () => readonly string[]][] | null {
  const out: [string, () => readonly string[]][] = [];
  const add = (entry: CommandEntry) => {
    if (entry.subcommands === null) out.push([entry.name, categoriesOf(entry, entry.name)]);
    else {
      for (const sub of entry.subcommands.values()) {
        out.push([sub.name, categoriesOf(entry, sub.name)]);
      }
    }
  };
  if (target[0] === "@") {
    for (const entry of table.entries()) add(entry);
    return out.filter(([, cats]) => cats().includes(target));
  }
  const bar = target.indexOf("|");
  const entry = table.get(bar < 0 ? target : target.slice(0, bar))!;
  if (bar < 0) add(entry);
  else if (entry.subcommands === null) return null;
  else out.push([target, categoriesOf(entry, target)]);
  return out;
}

/**
 * What a command rule may name, as Redis 7.0 checks it: a command, a container's subcommand
 * (`config|get`), or — allowing only — a plain command's first argument (`+select|0`, Redis's
 * deprecated first-arg rule); a subcommand's first argument is refused.
 */
function checkCommandTarget(op: string, target: string, allow: boolean, table: CommandTable) {
  const last = target.lastIndexOf("|");
  if (last < 0) {
    if (table.get(target) === undefined) throw new AclRuleError(op, UNKNOWN_NAME);
    return;
  }
  const head = target.slice(0, last);
  const tail = target.slice(last + 1);
  const bar = head.indexOf("|");
  const entry = table.get(bar < 0 ? head : head.slice(0, bar));
  if (entry === undefined) throw new AclRuleError(op, UNKNOWN_NAME);
  if (bar >= 0) {
    // name|sub|arg: a first argument of a subcommand.
    const sub = entry.subcommands?.has(head.slice(bar + 1)) === true &&
      !head.slice(bar + 1).includes("|");
    if (!sub) throw new AclRuleError(op, UNKNOWN_NAME);
    if (allow) throw new AclRuleError(op, "Allowing first-arg of a subcommand is not supported");
    throw new AclRuleError(op, UNKNOWN_NAME);
  }
  if (entry.subcommands !== null) {
    if (!entry.subcommands.has(tail)) throw new AclRuleError(op, UNKNOWN_NAME);
    return;
  }
  if (!allow) throw new AclRuleError(op, UNKNOWN_NAME);
  if (tail === "") throw new AclRuleError(op, SYNTAX);
}

/** Categories of the command `fullName` names (a subcommand's own, as Redis has them). */
export function categoriesOf(entry: CommandEntry, fullName: string): () => readonly string[] {
  return fullName.includes("|") ? () => subcommandCategories(fullName) : () => aclCategories(entry);
}

/** `default` as a server starts it: on, nopass, every command, key and channel. */
function openDefaultUser(): AclUser {
  const user = new AclUser(DEFAULT_USER);
  user.enabled = true;
  user.nopass = true;
  user.allCommands = true;
  user.allKeys = true;
  user.allChannels = true;
  return user;
}

/** The server's users, `default` first created and never removed. */
export class AclUsers {
  #users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  /** The ACL file (Redis's `aclfile`) ACL LOAD reads and ACL SAVE writes; null: none. */
  file: string | null = null;
  /**
   * Redis's acl-pubsub-default: whether a new user (and `reset`) starts with every channel
   * (`allchannels`) or none (`resetchannels`, Redis 7's default).
   */
  allChannelsByDefault = false;

  /** `requirepass` as Redis applies it to `default` (nopass when empty). */
  constructor(requirepass: string) {
    this.defaultUser = openDefaultUser();
    this.#users.set(DEFAULT_USER, this.defaultUser);
    this.setRequirepass(requirepass);
  }

  /**
   * ACL LOAD: `loaded` replaces every user. `default` keeps its object (its connections stay),
   * taking the loaded rules, or a fresh server's (`on nopass ~* &* +@all`) when the file has none,
   * as Redis does. Returns the users replaced: their connections are to be closed.
   */
  replaceAll(loaded: ReadonlyMap<string, AclUser>): AclUser[] {
    const replaced = [...this.#users.values()].filter((user) => user !== this.defaultUser);
    this.defaultUser.assign(loaded.get(DEFAULT_USER) ?? openDefaultUser());
    this.#users = new Map([[DEFAULT_USER, this.defaultUser]]);
    for (const [name, user] of loaded) if (name !== DEFAULT_USER) this.#users.set(name, user);
    return replaced;
  }

  /** CONFIG SET requirepass: `resetpass` then `>pass`, or `nopass` for an empty one (as Redis). */
  setRequirepass(password: string): void {
    const user = this.defaultUser;
    user.passwords = password === "" ? [] : [passwordHash(password)];
    user.nopass = password === "";
  }

  /** Whether a new connection starts authenticated (as `default`): on, and no password needed. */
  get openByDefault(): boolean {
    return this.defaultUser.enabled && this.defaultUser.nopass;
  }

  get(name: string): AclUser | undefined {
    return this.#users.get(name);
  }

  /** A user as SETUSER or an ACL file line starts it: off, no password, no keys, `-@all`. */
  newUser(name: string): AclUser {
    const user = new AclUser(name);
    user.allChannels = this.allChannelsByDefault;
    user.channelsOnReset = this.allChannelsByDefault;
    return user;
  }

  /** Names in byte order, as Redis's ACL USERS and ACL LIST list them. */
  names(): string[] {
    return [...this.#users.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * ACL SETUSER: applies every rule to a copy (a new user starts `off`, no passwords, no keys, no
   * channels, `-@all`) and commits it only when all applied; the error text of the first that
   * did not, otherwise.
   */
  setUser(name: string, ops: readonly string[], table: CommandTable): string | null {
    const existing = this.#users.get(name);
    const draft = existing?.clone() ?? this.newUser(name);
    draft.channelsOnReset = this.allChannelsByDefault; // `reset` follows today's setting
    const merged = mergeSelectorArgs(ops);
    if (typeof merged === "string") return merged;
    try {
      for (const op of merged) applyRule(draft, op, table);
    } catch (error) {
      if (error instanceof AclRuleError) return error.message;
      throw error;
    }
    draft.forgetVerdicts(); // answers remembered while its rules were being applied
    if (existing !== undefined) existing.assign(draft);
    else this.#users.set(name, draft);
    return null;
  }

  /** Removes a user (never `default`); true when it existed. */
  delete(name: string): AclUser | undefined {
    const user = this.#users.get(name);
    if (user === undefined || user === this.defaultUser) return undefined;
    this.#users.delete(name);
    return user;
  }
}
