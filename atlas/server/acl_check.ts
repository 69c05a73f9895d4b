/**
 * The ACL check of one command line for a restricted user, in Redis's order (ACLCheckAllPerm):
 * the command (unless it needs no authentication: AUTH, HELLO...), then its keys, then its
 * channels. Dispatch answers a denial with NOPERM, a script's call with the script's text, ACL
 * DRYRUN with its own; each is logged in ACL LOG by the caller.
 */
import { error, type Reply } from "../store/reply.ts";
import { recordAclEvent } from "./acl_commands.ts";
import { type AclSelector, type AclUser, categoriesOf, KEY_READ, KEY_WRITE } from "./acl_users.ts";
import { commandKeyFlags } from "./key_specs.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { statsOf } from "./table.ts";
import type { CommandEntry } from "./types.ts";

export interface AclDenial {
  readonly reason: "command" | "key" | "channel";
  /** The command's full name (`client|id`), the key or the channel. */
  readonly object: string;
}

/** Where a command names channels: from argument 1 on (PUBLISH's one), and whether patterns. */
const CHANNEL_ARGS: Readonly<Record<string, { all: boolean; patterns: boolean }>> = {
  publish: { all: false, patterns: false },
  spublish: { all: false, patterns: false },
  subscribe: { all: true, patterns: false },
  ssubscribe: { all: true, patterns: false },
  psubscribe: { all: true, patterns: true },
};

/**
 * Why `user` may not run `argv`, or null when it may: its root selector or one of its other
 * selectors must allow the command, its keys and its channels together. When none does, the
 * denial told is Redis's "most relevant" one: a channel over a key over the command, and between
 * two of a kind the one found further along the arguments.
 */
export function aclDenial(
  user: AclUser,
  entry: CommandEntry,
  argv: readonly string[],
): AclDenial | null {
  const fullName = statsOf(entry, argv).name;
  const keys = user.allKeys && user.selectors.length === 0
    ? NO_KEYS
    : keyAccess(entry, fullName, argv);
  let relevant = selectorDenial(user, entry, argv, fullName, keys);
  if (relevant === null) return null;
  for (const selector of user.selectors) {
    const denial = selectorDenial(selector, entry, argv, fullName, keys);
    if (denial === null) return null;
    const [rank, was] = [RANK[denial.reason], RANK[relevant.reason]];
    if (rank > was || (rank === was && denial.at > relevant.at)) relevant = denial;
  }
  return relevant;
}

/** A key of the command line and what the command does to it (KEY_READ / KEY_WRITE bits). */
interface KeyAccess {
  readonly key: string;
  readonly perm: number;
  /** Its argument index: Redis's tie-break between selectors' denials. */
  readonly at: number;
}

const NO_KEYS: readonly KeyAccess[] = [];

/**
 * The command's keys and the access each needs, as Redis reads it from the key flags: ACCESS (the
 * command returns the key's data) needs read, INSERT / DELETE / UPDATE need write, neither
 * (EXISTS, TYPE...) only a matching pattern. The flags are commandKeyFlags's (key_specs.ts).
 */
function keyAccess(
  entry: CommandEntry,
  fullName: string,
  argv: readonly string[],
): readonly KeyAccess[] {
  const keys = commandKeyFlags(entry, fullName, argv);
  if (typeof keys === "string") return NO_KEYS;
  return keys.map(({ key, flags, at }) => ({ key, perm: permOf(flags), at }));
}

/**
 * Dispatch's ACL step for a restricted user's command: the NOPERM reply of a denial (logged in ACL
 * LOG), or SORT's refusal of BY / GET patterns; null when the command may run.
 */
export function aclRefusal(
  ctx: ServerContext,
  client: Client,
  entry: CommandEntry,
  argv: readonly string[],
): Reply | null {
  const denial = aclDenial(client.user, entry, argv);
  if (denial !== null) {
    recordAclEvent(ctx, client, argv, denial.reason, denial.object, client.user.name);
    return error(noPermText(denial));
  }
  if (entry.name !== "sort" && entry.name !== "sort_ro") return null;
  const sortRefused = sortPatternRefusal(client.user, argv);
  return sortRefused === null ? null : error(sortRefused);
}

/**
 * SORT's BY and GET patterns read keys named by the data, which no key check can see: as Redis
 * does, a user needs to read every key (allkeys, or `%R~*` in some selector) to use them (a BY
 * without `*` sorts by nothing and is allowed). The error Redis gives, or null.
 */
function sortPatternRefusal(user: AclUser, argv: readonly string[]): string | null {
  const readsAll = (selector: AclSelector) =>
    selector.allKeys || selector.keys.some((p) => p.pattern === "*" && (p.perm & KEY_READ) !== 0);
  if (readsAll(user) || user.selectors.some(readsAll)) return null;
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i].toLowerCase();
    const more = i + 1 < argv.length;
    if (word === "by" && more) {
      if (argv[++i].includes("*")) {
        return "ERR BY option of SORT denied due to insufficient ACL permissions.";
      }
    } else if (word === "get" && more) {
      return "ERR GET option of SORT denied due to insufficient ACL permissions.";
    } else if (word === "limit") i += 2;
    else if (word === "store") i++;
  }
  return null;
}

function permOf(flags: string): number {
  let perm = 0;
  if (flags.includes("ACCESS")) perm |= KEY_READ;
  if (flags.includes("INSERT") || flags.includes("DELETE") || flags.includes("UPDATE")) {
    perm |= KEY_WRITE;
  }
  return perm;
}

/** Redis's order of relevance (ACL_DENIED_CMD < ACL_DENIED_KEY < ACL_DENIED_CHANNEL). */
const RANK: Readonly<Record<AclDenial["reason"], number>> = { command: 1, key: 2, channel: 4 };

function selectorDenial(
  selector: AclSelector,
  entry: CommandEntry,
  argv: readonly string[],
  fullName: string,
  keys: readonly KeyAccess[],
): (AclDenial & { at: number }) | null {
  if (!entry.noAuth && !selector.mayRun(fullName, categoriesOf(entry, fullName), argv[1])) {
    return { reason: "command", object: fullName, at: 0 };
  }
  if (!selector.allKeys) {
    for (const { key, perm, at } of keys) {
      if (!selector.mayAccessKey(key, perm)) return { reason: "key", object: key, at };
    }
  }
  const channels = selector.allChannels ? undefined : CHANNEL_ARGS[entry.name];
  if (channels !== undefined) {
    const last = channels.all ? argv.length : Math.min(2, argv.length);
    for (let i = 1; i < last; i++) {
      if (!selector.mayUseChannel(argv[i], channels.patterns)) {
        return { reason: "channel", object: argv[i], at: i };
      }
    }
  }
  return null;
}

/** The reply dispatch gives a denied command (Redis 7.0's NOPERM texts). */
function noPermText(denial: AclDenial): string {
  switch (denial.reason) {
    case "command":
      return `NOPERM this user has no permissions to run the '${denial.object}' command`;
    case "key":
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case "channel":
      return "NOPERM this user has no permissions to access one of the channels used as arguments";
  }
}

/** ACL DRYRUN's answer for a denial. */
export function dryRunText(denial: AclDenial): string {
  switch (denial.reason) {
    case "command":
      return `This user has no permissions to run the '${denial.object}' command`;
    case "key":
      return `This user has no permissions to access the '${denial.object}' key`;
    case "channel":
      return `This user has no permissions to access the '${denial.object}' channel`;
  }
}

/** The error a script's redis.call / pcall gets for a denial (Redis's scriptCall texts). */
export function scriptDenialText(denial: AclDenial): string {
  switch (denial.reason) {
    case "command":
      return "ERR The user executing the script can't run this command or subcommand";
    case "key":
      return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
    case "channel":
      return "ERR The user executing the script can't publish to the channel mentioned in the command";
  }
}

/**
 * The script host's ACL check (ScriptCommandHook.refuse): each call of a script that a restricted
 * user's command runs (ctx.scriptCaller) is checked against that user and logged in context `lua`.
 */
export function scriptAclRefusal(ctx: ServerContext): (argv: readonly string[]) => Reply | null {
  return (argv) => {
    const client = ctx.scriptCaller;
    if (client === null) return null;
    const entry = ctx.table.lookup(argv[0]);
    if (entry === undefined) return null;
    const denial = aclDenial(client.user, entry, argv);
    if (denial === null) return null;
    recordAclEvent(ctx, client, argv, denial.reason, denial.object, client.user.name, true);
    return error(scriptDenialText(denial));
  };
}

/**
 * The script host's answer to redis.acl_check_cmd (ScriptCommandHook.permits): whether the user
 * running the script may run `argv`, by the same rules as its calls; nothing is logged.
 */
export function scriptAclPermits(ctx: ServerContext): (argv: readonly string[]) => boolean {
  return (argv) => {
    const client = ctx.scriptCaller;
    if (client === null) return true;
    const entry = ctx.table.lookup(argv[0]);
    return entry === undefined || aclDenial(client.user, entry, argv) === null;
  };
}

/** Why a queued command may no longer run (EXEC's re-check), in Redis 7.0's words. */
const EXEC_REASONS: Readonly<Record<AclDenial["reason"], string>> = {
  command: "no permission to execute the command or subcommand",
  key: "no permission to touch the specified keys",
  channel: "no permission to access one of the channels used as arguments",
};

/**
 * EXEC checks each queued command again, as Redis does (the user's rules may have changed since
 * it was queued): a denied one answers its NOPERM in the array, logged in context `multi`; the
 * others run.
 */
export function execDenial(
  ctx: ServerContext,
  client: Client,
  entry: CommandEntry,
  argv: readonly string[],
): Reply | null {
  const denial = aclDenial(client.user, entry, argv);
  if (denial === null) return null;
  recordAclEvent(ctx, client, argv, denial.reason, denial.object, client.user.name);
  return error(
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " +
      EXEC_REASONS[denial.reason],
  );
}
