/** Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET, and ACL (acl_commands.ts). */
import { parseDbIndex } from "../store/db_commands.ts";
import { parseInt64 } from "../store/numbers.ts";
import { array, bulk, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { resetReplyMode } from "./client_reply.ts";
import { acl, recordAclEvent } from "./acl_commands.ts";
import type { ServerContext } from "./context.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";

export const REDIS_COMPAT_VERSION = "7.0.15";

const OK = simple("OK");
const PONG = simple("PONG");
const WRONGPASS = error(
  "WRONGPASS invalid username-password pair or user is disabled.",
);

function ping(_ctx: ServerContext, client: Client, argv: string[]): Reply {
  if (argv.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  if (client.proto === 2 && client.subscriptionCount > 0) {
    return array([bulk("pong"), bulk(argv.length === 2 ? argv[1] : "")]);
  }
  return argv.length === 2 ? bulk(argv[1]) : PONG;
}

/**
 * Checks a user's password (any works for a `nopass` user; none for one that is `off`); on
 * success the client acts as that user. null on success; a failure is recorded in ACL LOG, with
 * the command (`argv`: AUTH or HELLO) as its object.
 */
function authenticate(
  ctx: ServerContext,
  client: Client,
  argv: readonly string[],
  name: string,
  pass: string,
): Reply | null {
  const user = ctx.users.get(name);
  if (user === undefined || !user.accepts(pass)) {
    recordAclEvent(ctx, client, argv, "auth", argv[0], name);
    return WRONGPASS;
  }
  client.user = user;
  client.authenticated = true;
  return null;
}

function auth(ctx: ServerContext, client: Client, argv: string[]): Reply {
  if (argv.length > 3) return error("ERR syntax error");
  if (argv.length === 2 && ctx.users.defaultUser.nopass) {
    return error(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
  }
  const user = argv.length === 3 ? argv[1] : "default";
  const failed = authenticate(ctx, client, argv, user, argv[argv.length - 1]);
  return failed ?? OK;
}

function hello(ctx: ServerContext, client: Client, argv: string[]): Reply {
  let proto: 2 | 3 = client.proto;
  let i = 1;
  if (argv.length >= 2) {
    // Redis reads it as a strict int64 (string2ll): "03", "-0" or 2^63 are not integers.
    const v = parseInt64(argv[1]);
    if (v === null) return error("ERR Protocol version is not an integer or out of range");
    if (v !== 2 && v !== 3) return error("NOPROTO unsupported protocol version");
    proto = v;
    i = 2;
  }
  let name: string | null = null;
  for (; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    const left = argv.length - i - 1;
    if (opt === "auth" && left >= 2) {
      const failed = authenticate(ctx, client, argv, argv[i + 1], argv[i + 2]);
      if (failed !== null) return failed;
      i += 2;
    } else if (opt === "setname" && left >= 1) {
      name = argv[++i];
      const bad = checkClientName(name);
      if (bad !== null) return bad;
    } else return error(`ERR Syntax error in HELLO option '${argv[i]}'`);
  }
  if (!client.authenticated) {
    return error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (name !== null) client.name = name;
  client.proto = proto;
  return {
    kind: "map",
    value: [
      [bulk("server"), bulk("redis")],
      [bulk("version"), bulk(REDIS_COMPAT_VERSION)],
      [bulk("proto"), integer(proto)],
      [bulk("id"), integer(client.id)],
      [bulk("mode"), bulk("standalone")],
      [bulk("role"), bulk("master")],
      [bulk("modules"), array([])],
    ],
  };
}

/** Redis rejects names with spaces, newlines or other non-printable chars. */
export function checkClientName(name: string): Reply | null {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) {
      return error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
  }
  return null;
}

/**
 * Redis reads the index as an int argument: a strict int64 first ("00", "-0" and 2^63 are not
 * integers), then the int32 range, and only then the database count (`databases`).
 */
function select(ctx: ServerContext, client: Client, argv: string[]): Reply {
  const db = parseDbIndex(argv[1], ctx.databases);
  if (typeof db !== "number") return db;
  client.db = db;
  return OK;
}

function quit(_ctx: ServerContext, client: Client): Reply {
  client.closeAfterFlush = true;
  return OK;
}

/**
 * What Redis 7.0's clearClientConnectionState observably resets. Not CLIENT NO-EVICT: 7.0.15
 * keeps it (and atlasd keeps no such state anyway).
 */
function reset(ctx: ServerContext, client: Client): Reply {
  client.multi = null;
  client.multiAborted = false;
  ctx.watches.unwatchAll(client);
  ctx.pubsub.removeClient(client);
  ctx.monitors.remove(client);
  ctx.tracking.disable(client);
  resetReplyMode(client);
  client.proto = 2;
  client.name = "";
  client.db = 0;
  client.user = ctx.users.defaultUser;
  client.authenticated = ctx.users.openByDefault;
  return simple("RESET");
}

function echo(_ctx: ServerContext, _client: Client, argv: string[]): Reply {
  return bulk(argv[1]);
}

const conn = keylessCommands("connection");

export const CONNECTION_COMMANDS: ServerCommand[] = [
  conn("ping", -1, "fast", ping),
  conn("echo", 2, "loading stale fast", echo),
  conn("auth", -2, "noscript loading stale fast no-auth allow-busy", auth),
  conn("hello", -1, "noscript loading stale fast no-auth allow-busy", hello),
  conn("select", 2, "loading stale fast", select),
  conn("quit", -1, "noscript loading stale fast no-auth allow-busy", quit),
  conn("reset", 1, "noscript loading stale fast no-auth allow-busy", reset),
  conn("acl", -2, "", acl),
];
