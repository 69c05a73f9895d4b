/**
 * ACL: users (acl_users.ts) set with SETUSER, removed with DELUSER, listed with LIST / USERS /
 * GETUSER, tried with DRYRUN; WHOAMI, CAT, GENPASS; LOG of failed authentications and denied
 * commands, keys and channels; LOAD / SAVE of the ACL file (acl_file.ts), refused as Redis refuses
 * them when there is none.
 */
import { parseInt64 } from "../store/numbers.ts";
import { array, bulk, error, integer, NIL, OK, type Reply } from "../store/reply.ts";
import { aclDenial, dryRunText } from "./acl_check.ts";
import { aclFileText, readAclFile, writeAclFile } from "./acl_file.ts";
import { type AclUser, DEFAULT_USER } from "./acl_users.ts";
import type { Client } from "./client.ts";
import { clientInfoLine } from "./client_command.ts";
import {
  aclCategories,
  CATEGORY_ORDER,
  subcommandCategories,
  subcommandsOf,
} from "./command_info.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import type { ServerContext } from "./context.ts";
import { helpReply, subcommandRejection, subcommandSyntaxError } from "./subcommands.ts";

const NO_ACL_FILE = error(
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
);
const NOT_INTEGER = error("ERR value is not an integer or out of range");

/** Error texts quote user input on one line, as Redis's addReplyErrorFormat does. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/** ACL GETUSER: a map (a flat array in RESP2), flags a set, the rest as Redis 7.0's. */
function getUser(user: AclUser | undefined): Reply {
  if (user === undefined) return NIL;
  const field = (key: string, value: Reply) => [bulk(key), value] as const;
  return {
    kind: "map",
    value: [
      field("flags", { kind: "set", value: user.flags().map((flag) => bulk(flag)) }),
      field("passwords", array(user.passwords.map((hash) => bulk(hash)))),
      field("commands", bulk(user.commandsText())),
      field("keys", bulk(user.keysText())),
      field("channels", bulk(user.channelsText())),
      field(
        "selectors",
        array(user.selectors.map((selector) => ({
          kind: "map",
          value: [
            field("commands", bulk(selector.commandsText())),
            field("keys", bulk(selector.keysText())),
            field("channels", bulk(selector.channelsText())),
          ],
        }))),
      ),
    ],
  };
}

/**
 * ACL SETUSER name [rule ...]: every rule applies, or none (the first bad one's error). As Redis
 * 7.0 does, a connection of the user subscribed to a channel or pattern the new rules no longer
 * allow is closed (it would otherwise keep receiving what it may no longer subscribe to).
 */
function setUser(ctx: ServerContext, self: Client, argv: readonly string[]): Reply {
  const name = argv[2];
  if (/[\s\0]/.test(name)) return error("ERR Usernames can't contain spaces or null characters");
  const failed = ctx.users.setUser(name, argv.slice(3), ctx.table);
  if (failed !== null) return error(oneLine(`ERR ${failed}`));
  const user = ctx.users.get(name)!;
  if (!user.allChannels) {
    for (const client of [...ctx.clients.values()]) {
      if (client.user !== user || client.subscriptionCount === 0) continue;
      if (lostChannel(user, client)) closeClient(ctx, self, client);
    }
  }
  return OK;
}

/** Whether one of the client's subscriptions is allowed by none of `user`'s selectors. */
function lostChannel(user: AclUser, client: Client): boolean {
  const allowed = (channel: string, pattern: boolean) =>
    user.mayUseChannel(channel, pattern) ||
    user.selectors.some((selector) => selector.mayUseChannel(channel, pattern));
  for (const pattern of client.patterns) if (!allowed(pattern, true)) return true;
  for (const channel of client.channels) if (!allowed(channel, false)) return true;
  for (const channel of client.shardChannels) if (!allowed(channel, false)) return true;
  return false;
}

/** Closes a connection: at once, or the caller's own after its reply. */
function closeClient(ctx: ServerContext, self: Client, client: Client): void {
  if (client === self) client.closeAfterFlush = true;
  else ctx.disconnect(client);
}

/**
 * ACL DELUSER name ...: removes the users there are (never `default`) and closes the connections
 * acting as them, as Redis does; the count removed.
 */
function delUser(ctx: ServerContext, self: Client, argv: readonly string[]): Reply {
  if (argv.slice(2).includes(DEFAULT_USER)) {
    return error("ERR The 'default' user cannot be removed");
  }
  let removed = 0;
  for (const name of argv.slice(2)) {
    const user = ctx.users.delete(name);
    if (user === undefined) continue;
    removed++;
    for (const client of [...ctx.clients.values()]) {
      if (client.user === user) closeClient(ctx, self, client);
    }
  }
  return integer(removed);
}

// ---------------------------------------------------------------------------------------------
// ACL LOG: failed AUTH / HELLO AUTH and denied commands, keys and channels, as Redis 7.0 records
// them (acl.c addACLLogEntry).

/** Redis's acllog-max-len default (CONFIG SET acllog-max-len changes it). */
const LOG_MAX_LEN = 128;
/** Redis groups an event with an equal one at most this far apart (ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const GROUPING_MS = 60_000;
/** Redis looks for an equal entry among the newest ten only. */
const GROUPING_SCAN = 10;

interface LogEntry {
  count: number;
  readonly reason: "auth" | "command" | "key" | "channel";
  readonly context: "toplevel" | "multi" | "lua";
  readonly object: string;
  readonly username: string;
  createdMs: number;
  clientInfo: string;
}

/** Each server's log, newest first (a WeakMap: ServerContext is built elsewhere). */
const LOGS = new WeakMap<ServerContext, LogEntry[]>();
/** Each server's acllog-max-len, when set. */
const LOG_LIMITS = new WeakMap<ServerContext, number>();

export function aclLogMaxLen(ctx: ServerContext): number {
  return LOG_LIMITS.get(ctx) ?? LOG_MAX_LEN;
}

/** CONFIG SET acllog-max-len: the log keeps that many entries from its next one on (as Redis). */
export function setAclLogMaxLen(ctx: ServerContext, entries: number): void {
  LOG_LIMITS.set(ctx, entries);
}

function logOf(ctx: ServerContext): LogEntry[] {
  let log = LOGS.get(ctx);
  if (log === undefined) LOGS.set(ctx, log = []);
  return log;
}

/**
 * Records an event: a failed authentication of `username` (reason `auth`, the command as the
 * client spelled it as `object`), or a denied command (its full name), key or channel. An equal
 * entry among the newest ten, less than a minute apart, is counted again and moved first, with
 * this event's time and client. A script's denials are in context `lua`.
 */
export function recordAclEvent(
  ctx: ServerContext,
  client: Client,
  argv: readonly string[],
  reason: LogEntry["reason"],
  object: string,
  username: string,
  inScript = false,
): void {
  const log = logOf(ctx);
  const now = Date.now();
  const context = inScript
    ? "lua"
    : client.multi !== null || client.execQueue !== null
    ? "multi"
    : "toplevel";
  const clientInfo = clientInfoLine(ctx, client, now, argv);
  for (let i = 0; i < Math.min(GROUPING_SCAN, log.length); i++) {
    const e = log[i];
    if (
      e.reason === reason && e.context === context &&
      Math.abs(e.createdMs - now) <= GROUPING_MS && e.object === object && e.username === username
    ) {
      log.splice(i, 1);
      log.unshift(e);
      e.count++;
      e.createdMs = now;
      e.clientInfo = clientInfo;
      return;
    }
  }
  log.unshift({ count: 1, reason, context, object, username, createdMs: now, clientInfo });
  const max = aclLogMaxLen(ctx);
  if (log.length > max) log.length = max;
}

/** ACL LOG [count | RESET]: the newest `count` entries (10 by default) as maps. */
function aclLog(ctx: ServerContext, argv: readonly string[]): Reply {
  const log = logOf(ctx);
  let count = 10;
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === "reset") {
      log.length = 0;
      return OK;
    }
    const n = parseInt64(argv[2]);
    if (n === null) return NOT_INTEGER;
    count = n < 0 ? 0 : Number(n > log.length ? log.length : n);
  }
  const now = Date.now();
  return array(
    log.slice(0, count).map((e) => ({
      kind: "map",
      value: [
        [bulk("count"), integer(e.count)],
        [bulk("reason"), bulk(e.reason)],
        [bulk("context"), bulk(e.context)],
        [bulk("object"), bulk(e.object)],
        [bulk("username"), bulk(e.username)],
        [bulk("age-seconds"), { kind: "double", value: (now - e.createdMs) / 1000 }],
        [bulk("client-info"), bulk(e.clientInfo)],
      ],
    })),
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * ACL DRYRUN user command [arg ...]: whether the user may run it — OK, or why not (Redis's
 * texts) — after checking the command exists and its argument count fits.
 */
function dryRun(ctx: ServerContext, argv: readonly string[]): Reply {
  const user = ctx.users.get(argv[2]);
  if (user === undefined) return error(oneLine(`ERR User '${argv[2]}' not found`));
  const notFound = error(oneLine(`ERR Command '${argv[3]}' not found`));
  const entry = ctx.table.get(argv[3]);
  if (entry === undefined) return notFound;
  const command = argv.slice(3);
  if (command.length >= 2 && CONTAINER_COMMANDS.has(entry.name)) {
    // Redis looks the subcommand up as a command of its own: unknown, it is no command at all.
    const rejection = subcommandRejection(entry.name, command);
    if (rejection !== null) {
      const text = (rejection as { value: string }).value;
      return text.startsWith("ERR unknown subcommand '") ? notFound : rejection;
    }
  } else if (entry.arity > 0 ? command.length !== entry.arity : command.length < -entry.arity) {
    return error(`ERR wrong number of arguments for '${entry.name}' command`);
  }
  const denial = aclDenial(user, entry, command);
  return denial === null ? OK : bulk(dryRunText(denial));
}

/** ACL GENPASS [bits]: `bits` (256 by default) random bits as hex, rounded up to a digit. */
function genPass(argv: readonly string[]): Reply {
  let bits = 256;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null) return NOT_INTEGER;
    if (n <= 0 || n > 4096) {
      return error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
      );
    }
    bits = Number(n);
  }
  const chars = Math.floor((bits + 3) / 4);
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return bulk(hex.slice(0, chars));
}

const ACL_HELP = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    The names of the commands in <category>; without one, the category names.",
  "DELUSER <username> [<username> ...]",
  "    Removes users: there are none but 'default', which cannot be removed.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Whether the user may run the command ('default' may run every command).",
  "GETUSER <username>",
  "    The user's flags, password hashes and permissions.",
  "GENPASS [<bits>]",
  "    A random password of <bits> bits (256 by default), as hex digits.",
  "LIST",
  "    The users as ACL rule lines.",
  "LOAD",
  "    Replaces the users with the ACL file's (aclfile), all or none.",
  "LOG [<count> | RESET]",
  "    The latest failed authentications and denials (10 by default), or RESET to clear them.",
  "SAVE",
  "    Writes the users to the ACL file (aclfile).",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Creates or changes a user: on/off, >password, nopass, ~keys, &channels, +command, -@category...",
  "USERS",
  "    The user names there are.",
  "WHOAMI",
  "    The user this connection acts as.",
  "HELP",
  "    Prints this help.",
];

/** ACL: the subcommand's name and argument count were checked by dispatch (subcommands.ts). */
export function acl(
  ctx: ServerContext,
  client: Client,
  argv: string[],
): Reply | Promise<Reply> {
  const sub = argv[1].toLowerCase();
  const rejection = subcommandRejection("acl", argv);
  if (rejection !== null) return rejection;
  switch (sub) {
    case "whoami":
      return bulk(client.user.name);
    case "users":
      return array(ctx.users.names().map((name) => bulk(name)));
    case "list":
      return array(ctx.users.names().map((name) => bulk(ctx.users.get(name)!.describe())));
    case "getuser":
      return getUser(ctx.users.get(argv[2]));
    case "setuser":
      return setUser(ctx, client, argv);
    case "cat":
      return argv.length <= 3 ? aclCat(ctx, argv[2]) : subcommandSyntaxError("acl", argv);
    case "log":
      return argv.length <= 3 ? aclLog(ctx, argv) : subcommandSyntaxError("acl", argv);
    case "genpass":
      return argv.length <= 3 ? genPass(argv) : subcommandSyntaxError("acl", argv);
    case "dryrun":
      return dryRun(ctx, argv);
    case "deluser":
      return delUser(ctx, client, argv);
    case "load":
      return loadUsers(ctx, client);
    case "save":
      return saveUsers(ctx);
    default: // help
      return helpReply(ACL_HELP);
  }
}

/**
 * ACL LOAD: the ACL file's users replace the ones there are, all or none (every error reported,
 * as Redis does); connections acting as a replaced user (any but `default`) are closed.
 */
function loadUsers(ctx: ServerContext, self: Client): Reply {
  const path = ctx.users.file;
  if (path === null) return NO_ACL_FILE;
  const loaded = readAclFile(path, ctx.table, (name) => ctx.users.newUser(name));
  if (typeof loaded === "string") return error(oneLine(`ERR ${loaded}`));
  const replaced = new Set(ctx.users.replaceAll(loaded));
  for (const client of [...ctx.clients.values()]) {
    if (replaced.has(client.user)) closeClient(ctx, self, client);
  }
  return OK;
}

/** ACL SAVE: writes every user to the ACL file (durably: see writeAclFile). */
async function saveUsers(ctx: ServerContext): Promise<Reply> {
  const path = ctx.users.file;
  if (path === null) return NO_ACL_FILE;
  const users = ctx.users.names().map((name) => ctx.users.get(name)!);
  try {
    await writeAclFile(path, aclFileText(users));
    return OK;
  } catch (err) {
    ctx.logger.error("ACL SAVE failed", { path, error: String(err) });
    return error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
    );
  }
}

/** ACL CAT [category]: the categories, or the commands in one (COMMAND INFO's categories). */
function aclCat(ctx: ServerContext, category: string | undefined): Reply {
  if (category === undefined) return array(CATEGORY_ORDER.map((c) => bulk(c.slice(1))));
  const wanted = `@${category.toLowerCase()}`;
  if (!CATEGORY_ORDER.includes(wanted)) {
    return error(`ERR Unknown category '${category.slice(0, 128)}'`);
  }
  const names: Reply[] = [];
  for (const entry of ctx.table.entries()) {
    if (aclCategories(entry).includes(wanted)) names.push(bulk(entry.name));
    for (const sub of subcommandsOf(entry.name)) {
      if (subcommandCategories(sub).includes(wanted)) names.push(bulk(sub));
    }
  }
  return array(names);
}
