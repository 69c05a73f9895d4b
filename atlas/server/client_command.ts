/** CLIENT subcommands used by redis-cli, ioredis and node-redis. */
import type { AclUser } from "./acl_users.ts";
import { parseInt64 } from "../store/numbers.ts";
import { bulkOrNil, error, integer, type Reply, simple, verbatimText } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { argvBytes, clientMemoryBytes, queuedCommandBytes } from "./client_memory.ts";
import { clientPause } from "./client_pause.ts";
import { clientReply } from "./client_reply.ts";
import {
  clientCaching,
  clientGetredir,
  clientTracking,
  clientTrackinginfo,
} from "./client_tracking.ts";
import { checkClientName } from "./connection_commands.ts";
import type { ServerContext } from "./context.ts";
import { helpReply, subcommandSyntaxError } from "./subcommands.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import type { ServerCommand } from "./table.ts";

const OK = simple("OK");

/** `cmd=`: Redis's full name of the client's last command (`container|subcommand`), or NULL. */
function lastCommandName(client: Client): string {
  if (client.execQueue !== null) return "exec"; // its queued commands run under EXEC's name
  const entry = client.shownEntry;
  if (entry === null) return "NULL";
  const argv = client.shownArgv;
  return argv.length > 1 && CONTAINER_COMMANDS.has(entry.name)
    ? `${entry.name}|${argv[1].toLowerCase()}`
    : entry.name;
}

const EXEC_ARGV: readonly string[] = Object.freeze(["EXEC"]);

/** Redis's reply buffer (c->buf): pending output beyond it is counted in oll/omem. */
const REPLY_BUFFER_BYTES = 16 * 1024;

/** Bytes of `argv` as a RESP multibulk request. */
function requestBytes(argv: readonly string[]): number {
  let n = 3 + String(argv.length).length;
  for (const arg of argv) n += 5 + String(arg.length).length + arg.length;
  return n;
}

/** What Redis counts for MULTI's queue (mstate.argv_len_sums, with a pointer per argument). */
function multiBytes(queue: readonly (readonly string[])[]): number {
  let n = 0;
  for (const argv of queue) n += queuedCommandBytes(argv);
  return n;
}

/**
 * One CLIENT LIST / CLIENT INFO line (Redis 7 field order). `running` is the argv of the command
 * asking, on the asker's own line. The figures Redis derives from its own state are kept where
 * atlasd has the same state: qbuf (the running command's request, as a multibulk, plus what is
 * read but not yet parsed; Redis also counts commands of the same read before it), argv-mem (the
 * running or blocked command's argument bytes), multi-mem, obl/oll/omem (pending replies, the
 * first 16 KiB as Redis's reply buffer), tot-mem (what client eviction counts: client_memory.ts).
 * fd, qbuf-free, rbs and rbp describe Redis's allocations and have no counterpart here.
 */
export function clientInfoLine(
  ctx: ServerContext,
  client: Client,
  nowMs: number,
  running: readonly string[] | null = null,
): string {
  // Redis subtracts whole Unix seconds (its cached server.unixtime): a client that connected at
  // 12.6 s is 1 second old at 13.1 s.
  const nowS = Math.floor(nowMs / 1000);
  const age = nowS - Math.floor(client.createdMs / 1000);
  const idle = nowS - Math.floor(client.lastInteractionMs / 1000);
  // Inside EXEC the queue is still the client's (Redis's stays in MULTI state until EXEC ends),
  // and the command running is EXEC.
  const queue = client.multi ?? client.execQueue;
  const multi = queue === null ? -1 : queue.length;
  const asking = running !== null && client.execQueue !== null ? EXEC_ARGV : running;
  const current = asking ?? (client.unblock !== null ? client.shownArgv : null);
  const qbuf = client.parser.bufferedBytes + (asking === null ? 0 : requestBytes(asking));
  const pending = client.output.pendingBytes;
  const obl = Math.min(pending, REPLY_BUFFER_BYTES);
  const omem = pending - obl;
  const flags = client.infoFlags(ctx.monitors.has(client));
  return `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=-1 name=${client.name} ` +
    `age=${age} idle=${idle} flags=${flags} db=${client.db} sub=${client.channels.size} ` +
    `psub=${client.patterns.size} ssub=${client.shardChannels.size} multi=${multi} ` +
    `qbuf=${qbuf} qbuf-free=0 argv-mem=${current === null ? 0 : argvBytes(current)} ` +
    `multi-mem=${queue === null ? 0 : multiBytes(queue)} ` +
    `rbs=${client.parser.capacityBytes} rbp=0 obl=${obl} ` +
    `oll=${Math.ceil(omem / REPLY_BUFFER_BYTES)} omem=${omem} ` +
    `tot-mem=${clientMemoryBytes(client)} ` +
    `events=r cmd=${lastCommandName(client)} user=${client.user.name} redir=${
      client.tracking?.redirect ?? -1
    } ` +
    `resp=${client.proto} ` +
    `lib-name=${client.libName} lib-ver=${client.libVersion}`;
}

function clientCommand(ctx: ServerContext, client: Client, argv: string[]): Reply | Promise<Reply> {
  const sub = argv[1].toLowerCase();
  const argc = argv.length;
  const wrongArity = () => error(`ERR wrong number of arguments for 'client|${sub}' command`);
  switch (sub) {
    case "id":
      return argc === 2 ? integer(client.id) : wrongArity();
    case "getname":
      return argc === 2 ? bulkOrNil(client.name === "" ? null : client.name) : wrongArity();
    case "setname": {
      if (argc !== 3) return wrongArity();
      const bad = checkClientName(argv[2]);
      if (bad !== null) return bad;
      client.name = argv[2];
      return OK;
    }
    case "info":
      return argc === 2
        ? verbatimText(clientInfoLine(ctx, client, Date.now(), argv) + "\n")
        : wrongArity();
    case "list":
      return clientList(ctx, client, argv);
    case "kill":
      return clientKill(ctx, client, argv);
    case "setinfo":
      return clientSetinfo(client, argv);
    case "no-evict":
    case "no-touch": {
      if (argc !== 3) return wrongArity();
      const on = argv[2].toLowerCase();
      if (on !== "on" && on !== "off") return error("ERR syntax error");
      if (sub === "no-evict") client.noEvict = on === "on";
      return OK;
    }
    case "reply":
      return argc === 3 ? clientReply(client, argv[2]) : wrongArity();
    case "pause":
      return argc >= 3 ? clientPause(ctx, argv) : wrongArity();
    case "unpause":
      if (argc !== 2) return wrongArity();
      ctx.pause.unpause();
      return OK;
    case "unblock":
      return argc >= 3 ? clientUnblock(ctx, argv) : wrongArity();
    case "tracking":
      if (argc < 3) return wrongArity();
      return clientTracking(ctx, client, argv);
    case "caching":
      return argc === 3 ? clientCaching(client, argv[2]) : wrongArity();
    case "getredir":
      return argc === 2 ? clientGetredir(client) : wrongArity();
    case "trackinginfo":
      return argc === 2 ? clientTrackinginfo(client) : wrongArity();
    case "help":
      return argc === 2 ? helpReply(CLIENT_HELP) : wrongArity();
    default:
      return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try CLIENT HELP.`);
  }
}

/**
 * CLIENT HELP in ATLAS's words, for what atlasd does: Redis 7.0's subcommands and syntax lines,
 * with SETINFO, NO-TOUCH and the ID filters of KILL and LIST (Redis 7.2 lists them too).
 */
const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    For the next command only: track the keys it reads (YES, in OPTIN mode) or",
  "    leave them untracked (NO, in OPTOUT mode).",
  "GETREDIR",
  "    The ID of the client that gets this connection's invalidations: 0 when they",
  "    come here, -1 when tracking is off.",
  "GETNAME",
  "    This connection's name, or nil if it has none.",
  "ID",
  "    This connection's ID, a number no other connection gets.",
  "INFO",
  "    This connection's line of CLIENT LIST.",
  "KILL <ip:port>",
  "    Close the connection whose client address is <ip:port> (an error if none).",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Close the connections that match every filter given; replies how many. Filters:",
  "    * ID <client-id>",
  "      The connection with that ID.",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Connections whose client address is that one.",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Connections made to that server address.",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Connections of that type (only NORMAL and PUBSUB connections exist here).",
  "    * USER <username>",
  "      Connections of that user: 'default' is the only one, so every connection.",
  "    * SKIPME (YES|NO)",
  "      YES (the default) spares the connection that sends the KILL; NO does not.",
  "LIST [options ...]",
  "    A line of fields (id, addr, name, age, idle, flags...) per connection. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Only the connections of that type.",
  "    * ID <client-id> [<client-id> ...]",
  "      Only the connections with those IDs.",
  "UNPAUSE",
  "    End a CLIENT PAUSE now; the commands it held then run.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Hold commands for <timeout> milliseconds: all of them (ALL, the default), or",
  "    only those that may write (WRITE). They run once the pause ends.",
  "REPLY (ON|OFF|SKIP)",
  "    Whether this connection gets replies: ON, OFF (none until ON), or SKIP (none",
  "    for the next command).",
  "SETNAME <name>",
  "    Give this connection a name (no spaces or special characters; '' removes it).",
  "SETINFO <option> <value>",
  "    Record the library this connection uses, as CLIENT LIST shows it. Options are:",
  "    * LIB-NAME: the library's name (lib-name).",
  "    * LIB-VER: its version (lib-ver).",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    End that client's blocking command (BLPOP, XREAD BLOCK, WAIT...) as its timeout",
  "    would (TIMEOUT, the default) or with an UNBLOCKED error (ERROR); replies 1 or 0.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Turn on or off the invalidation messages sent when keys this connection read",
  "    (with BCAST: any key under the given prefixes) are changed.",
  "TRACKINGINFO",
  "    This connection's tracking state: its flags, redirect ID and prefixes.",
  "NO-EVICT (ON|OFF)",
  "    Only marks this connection (flag e in CLIENT LIST): atlasd never evicts",
  "    connections.",
  "NO-TOUCH (ON|OFF)",
  "    Replies OK and changes nothing: this connection's reads still count as accesses",
  "    for the LRU policies.",
  "HELP",
  "    Prints this help.",
];

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a blocking command (blocking pops, XREAD(GROUP) BLOCK,
 * WAIT) as its timeout would, or with an UNBLOCKED error. A client held by CLIENT PAUSE is not
 * "blocked" here: Redis 7.0.15 crashes on that case, atlasd answers 0.
 */
function clientUnblock(ctx: ServerContext, argv: string[]): Reply {
  if (argv.length > 4) return subcommandSyntaxError("client", argv);
  let asError = false;
  if (argv.length === 4) {
    const how = argv[3].toLowerCase();
    if (how === "error") asError = true;
    else if (how !== "timeout") {
      return error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  // A strict int64, as Redis reads it: "01", "-0" or " 1" are not integers.
  const id = parseInt64(argv[2]);
  if (id === null) return error("ERR value is not an integer or out of range");
  const target = typeof id === "number" ? ctx.clients.get(id) : undefined;
  if (target === undefined || target.unblock === null || ctx.pause.isHeld(target)) {
    return integer(0);
  }
  target.unblock(asError ? UNBLOCKED : "timeout");
  return integer(1);
}

const UNBLOCKED = error("UNBLOCKED client unblocked via CLIENT UNBLOCK");

/**
 * CLIENT LIST [TYPE type | ID id ...]: as Redis 7.0 parses it, TYPE only as the sole filter and
 * IDs as strict int64s (0 and negatives match nobody; "01" or 2^63 are invalid). With IDs, the
 * lines come in the order the IDs are given, a repeated ID as often as it is named.
 */
function clientList(ctx: ServerContext, self: Client, argv: string[]): Reply {
  let clients = [...ctx.clients.values()];
  const opt = argv[2]?.toLowerCase();
  if (argv.length === 4 && opt === "type") {
    const type = argv[3].toLowerCase();
    if (!["normal", "pubsub", "master", "replica", "slave"].includes(type)) {
      return error(`ERR Unknown client type '${argv[3]}'`);
    }
    clients = clients.filter((c) => clientType(c) === type);
  } else if (argv.length > 3 && opt === "id") {
    clients = [];
    for (let i = 3; i < argv.length; i++) {
      const id = parseInt64(argv[i]);
      if (id === null) return error("ERR Invalid client ID");
      // A bigint is above any client id.
      const c = typeof id === "number" ? ctx.clients.get(id) : undefined;
      if (c !== undefined) clients.push(c);
    }
  } else if (argv.length !== 2) return error("ERR syntax error");
  const now = Date.now();
  return verbatimText(
    clients.map((c) => clientInfoLine(ctx, c, now, c === self ? argv : null) + "\n").join(""),
  );
}

/**
 * CLIENT KILL addr:port (the old form: OK or an error), or CLIENT KILL <filter value> ...: the
 * number of clients closed. Filters as Redis 7.0 parses them (ID, TYPE, USER, ADDR, LADDR,
 * SKIPME), all checked before anyone is closed; the caller is skipped unless SKIPME no.
 */
function clientKill(ctx: ServerContext, self: Client, argv: string[]): Reply | Promise<Reply> {
  // Redis's arity for CLIENT KILL is -3: without a filter it refuses rather than kill everyone.
  if (argv.length < 3) return error("ERR wrong number of arguments for 'client|kill' command");
  if (argv.length === 3) {
    const target = [...ctx.clients.values()].find((c) => c.addr === argv[2]);
    if (target === undefined) return error("ERR No such client");
    kill(ctx, self, target);
    return afterVictimsClosed(self, [target], OK);
  }
  let id: number | null = null;
  let type: string | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: AclUser | null = null;
  let skipMe = true;
  for (let i = 2; i < argv.length; i += 2) {
    const filter = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) return error("ERR syntax error");
    if (filter === "id") {
      if (!/^\d{1,19}$/.test(value) || Number(value) < 1) {
        return error("ERR client-id should be greater than 0");
      }
      id = Number(value);
    } else if (filter === "type") {
      type = value.toLowerCase();
      if (type === "slave") type = "replica";
      if (!["normal", "pubsub", "master", "replica"].includes(type)) {
        return error(`ERR Unknown client type '${value}'`);
      }
    } else if (filter === "addr") addr = value;
    else if (filter === "laddr") laddr = value;
    else if (filter === "user") {
      user = ctx.users.get(value) ?? null;
      if (user === null) return error(`ERR No such user '${value}'`);
    } else if (filter === "skipme") {
      const answer = value.toLowerCase();
      if (answer !== "yes" && answer !== "no") return error("ERR syntax error");
      skipMe = answer === "yes";
    } else return error("ERR syntax error");
  }
  const victims: Client[] = [];
  for (const c of [...ctx.clients.values()]) {
    if (id !== null && c.id !== id) continue;
    if (type !== null && clientType(c) !== type) continue;
    if (addr !== null && c.addr !== addr) continue;
    if (laddr !== null && c.laddr !== laddr) continue;
    if (user !== null && c.user !== user) continue;
    if (c === self && skipMe) continue;
    kill(ctx, self, c);
    victims.push(c);
  }
  return afterVictimsClosed(self, victims, integer(victims.length));
}

/** How long CLIENT KILL waits for its victims' sockets to close before replying anyway. */
const KILL_CLOSE_WAIT_MS = 100;

/**
 * `reply` once the other killed clients' connections have ended. Redis frees them before it
 * replies, so a caller that kills a connection and then uses it finds it closed (phpredis, told
 * :1, reconnects on its next command instead of writing to the dead socket and waiting out its
 * read timeout). Deno closes a socket only once its pending read is cancelled, a turn of the
 * event loop later. Bounded: a victim whose socket a write to a peer that does not read holds
 * open must not hold the reply.
 */
function afterVictimsClosed(
  self: Client,
  victims: Client[],
  reply: Reply,
): Reply | Promise<Reply> {
  const others = victims.filter((victim) => victim !== self);
  if (others.length === 0) return reply;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => timer = setTimeout(resolve, KILL_CLOSE_WAIT_MS));
  return Promise.race([Promise.all(others.map((victim) => victim.ended)), bound]).then(() => {
    clearTimeout(timer);
    return reply;
  });
}

/** A client's type for TYPE filters: `pubsub` while subscribed, else `normal` (no replicas). */
function clientType(c: Client): string {
  return c.subscriptionCount > 0 ? "pubsub" : "normal";
}

function kill(ctx: ServerContext, self: Client, target: Client): void {
  if (target === self) target.closeAfterFlush = true;
  else ctx.disconnect(target);
}

function clientSetinfo(client: Client, argv: string[]): Reply {
  if (argv.length !== 4) return error("ERR wrong number of arguments for 'client|setinfo' command");
  const attr = argv[2].toLowerCase();
  if (/[\s]/.test(argv[3])) {
    return error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  }
  if (attr === "lib-name") client.libName = argv[3];
  else if (attr === "lib-ver") client.libVersion = argv[3];
  else return error(`ERR Unrecognized option '${argv[2]}'`);
  return OK;
}

export const CLIENT_COMMANDS: ServerCommand[] = [{
  name: "client",
  arity: -2,
  flags: [],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "connection",
  handler: clientCommand,
  since: "2.4.0",
}];
