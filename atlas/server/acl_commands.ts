/**
 * ACL for the one user atlasd has, `default` (its password is requirepass, docs/atlasd.md): the
 * read side as Redis 7.0.15 answers it for that user (LIST, GETUSER, USERS, WHOAMI, CAT, DRYRUN,
 * GENPASS, LOG of failed AUTH / HELLO AUTH), and the writing side refused as Redis refuses what
 * cannot be done (DELUSER default, LOAD / SAVE without an ACL file) or, for SETUSER, plainly.
 */
import { createHash } from "node:crypto";
import { parseInt64 } from "../store/numbers.ts";
import { array, bulk, error, integer, NIL, OK, type Reply } from "../store/reply.ts";
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

const USER = "default";
const NO_ACL_FILE = error(
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
);
const NOT_INTEGER = error("ERR value is not an integer or out of range");

/** Error texts quote user input on one line, as Redis's addReplyErrorFormat does. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/** The sha256 of the password as ACL LIST / GETUSER show it (lower-case hex). */
function passwordHash(password: string): string {
  return createHash("sha256").update(Uint8Array.from(password, (c) => c.charCodeAt(0)))
    .digest("hex");
}

/** ACL LIST's line for `default`: `nopass` without requirepass, else the password's hash. */
function userLine(ctx: ServerContext): string {
  const pass = ctx.settings.requirepass;
  return `user ${USER} on ${pass === "" ? "nopass" : `#${passwordHash(pass)}`} ~* &* +@all`;
}

/** ACL GETUSER default: a map (a flat array in RESP2), flags a set, the rest as Redis 7.0's. */
function getUser(ctx: ServerContext, name: string): Reply {
  if (name !== USER) return NIL;
  const pass = ctx.settings.requirepass;
  const field = (key: string, value: Reply) => [bulk(key), value] as const;
  return {
    kind: "map",
    value: [
      field("flags", {
        kind: "set",
        value: pass === "" ? [bulk("on"), bulk("nopass")] : [bulk("on")],
      }),
      field("passwords", array(pass === "" ? [] : [bulk(passwordHash(pass))])),
      field("commands", bulk("+@all")),
      field("keys", bulk("~*")),
      field("channels", bulk("&*")),
      field("selectors", array([])),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// ACL LOG: failed AUTH / HELLO AUTH, as Redis 7.0 records them (acl.c addACLLogEntry). The default
// user may run every command, so Redis's other reasons (command, key, channel) never occur.

/** Redis's acllog-max-len default. */
const LOG_MAX_LEN = 128;
/** Redis groups an event with an equal one at most this far apart (ACL_LOG_GROUPING_MAX_TIME_DELTA). */
const GROUPING_MS = 60_000;
/** Redis looks for an equal entry among the newest ten only. */
const GROUPING_SCAN = 10;

interface LogEntry {
  count: number;
  readonly reason: "auth";
  readonly context: "toplevel" | "multi";
  readonly object: string;
  readonly username: string;
  createdMs: number;
  clientInfo: string;
}

/** Each server's log, newest first (a WeakMap: ServerContext is built elsewhere). */
const LOGS = new WeakMap<ServerContext, LogEntry[]>();

function logOf(ctx: ServerContext): LogEntry[] {
  let log = LOGS.get(ctx);
  if (log === undefined) LOGS.set(ctx, log = []);
  return log;
}

/**
 * Records a failed authentication of `username` by the command `argv` (AUTH or HELLO: its name as
 * the client spelled it is the entry's object). An equal entry among the newest ten, less than a
 * minute apart, is counted again and moved first, with this attempt's time and client.
 */
export function recordAuthFailure(
  ctx: ServerContext,
  client: Client,
  argv: readonly string[],
  username: string,
): void {
  const log = logOf(ctx);
  const now = Date.now();
  const context = client.multi !== null || client.execQueue !== null ? "multi" : "toplevel";
  const clientInfo = clientInfoLine(ctx, client, now, argv);
  const object = argv[0];
  for (let i = 0; i < Math.min(GROUPING_SCAN, log.length); i++) {
    const e = log[i];
    if (
      e.context === context && Math.abs(e.createdMs - now) <= GROUPING_MS &&
      e.object === object && e.username === username
    ) {
      log.splice(i, 1);
      log.unshift(e);
      e.count++;
      e.createdMs = now;
      e.clientInfo = clientInfo;
      return;
    }
  }
  log.unshift({ count: 1, reason: "auth", context, object, username, createdMs: now, clientInfo });
  if (log.length > LOG_MAX_LEN) log.length = LOG_MAX_LEN;
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
 * ACL DRYRUN user command [arg ...]: `default` may run every command, so this answers whether the
 * command exists and its argument count fits, with Redis's texts.
 */
function dryRun(ctx: ServerContext, argv: readonly string[]): Reply {
  if (argv[2] !== USER) return error(oneLine(`ERR User '${argv[2]}' not found`));
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
    return OK;
  }
  if (entry.arity > 0 ? command.length !== entry.arity : command.length < -entry.arity) {
    return error(`ERR wrong number of arguments for '${entry.name}' command`);
  }
  return OK;
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

/** ACL DELUSER name ...: only `default` exists, and Redis never removes it. */
function delUser(argv: readonly string[]): Reply {
  for (const name of argv.slice(2)) {
    if (name === USER) return error("ERR The 'default' user cannot be removed");
  }
  return integer(0);
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
  "    Refused: there is no ACL file.",
  "LOG [<count> | RESET]",
  "    The latest failed authentications (10 by default), or RESET to clear them.",
  "SAVE",
  "    Refused: there is no ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Refused: the only user is 'default', whose password is requirepass.",
  "USERS",
  "    The user names there are: only 'default'.",
  "WHOAMI",
  "    The user this connection acts as: always 'default'.",
  "HELP",
  "    Prints this help.",
];

/** ACL: the subcommand's name and argument count were checked by dispatch (subcommands.ts). */
export function acl(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  const rejection = subcommandRejection("acl", argv);
  if (rejection !== null) return rejection;
  switch (sub) {
    case "whoami":
      return bulk(USER);
    case "users":
      return array([bulk(USER)]);
    case "list":
      return array([bulk(userLine(ctx))]);
    case "getuser":
      return getUser(ctx, argv[2]);
    case "cat":
      return argv.length <= 3 ? aclCat(ctx, argv[2]) : subcommandSyntaxError("acl", argv);
    case "log":
      return argv.length <= 3 ? aclLog(ctx, argv) : subcommandSyntaxError("acl", argv);
    case "genpass":
      return argv.length <= 3 ? genPass(argv) : subcommandSyntaxError("acl", argv);
    case "dryrun":
      return dryRun(ctx, argv);
    case "deluser":
      return delUser(argv);
    case "load":
    case "save":
      return NO_ACL_FILE;
    case "setuser":
      return error(
        "ERR ACL SETUSER is not supported: atlasd has one user, 'default', whose password is requirepass (CONFIG SET requirepass)",
      );
    default: // help
      return helpReply(ACL_HELP);
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
