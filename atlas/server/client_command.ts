/** CLIENT subcommands used by redis-cli, ioredis and node-redis. */
import { bulk, bulkOrNil, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { checkClientName } from "./connection_commands.ts";
import type { ServerContext } from "./context.ts";
import type { ServerCommand } from "./table.ts";

const OK = simple("OK");

/** One CLIENT LIST / CLIENT INFO line (Redis 7 field order). */
export function clientInfoLine(client: Client, nowMs: number): string {
  const age = Math.floor((nowMs - client.createdMs) / 1000);
  const idle = Math.floor((nowMs - client.lastInteractionMs) / 1000);
  const multi = client.multi === null ? -1 : client.multi.length;
  return `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=-1 name=${client.name} ` +
    `age=${age} idle=${idle} flags=${client.flags} db=0 sub=${client.channels.size} ` +
    `psub=${client.patterns.size} ssub=${client.shardChannels.size} multi=${multi} ` +
    `qbuf=${client.parser.bufferedBytes} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=${client.parser.capacityBytes} rbp=0 obl=0 ` +
    `oll=0 omem=${client.output.pendingBytes} tot-mem=${client.parser.capacityBytes} ` +
    `events=r cmd=${client.lastCommand} user=default redir=-1 resp=${client.proto} ` +
    `lib-name=${client.libName} lib-ver=${client.libVersion}`;
}

function clientCommand(ctx: ServerContext, client: Client, argv: string[]): Reply {
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
      return argc === 2 ? bulk(clientInfoLine(client, Date.now()) + "\n") : wrongArity();
    case "list":
      return clientList(ctx, argv);
    case "kill":
      return clientKill(ctx, client, argv);
    case "setinfo":
      return clientSetinfo(client, argv);
    case "no-evict":
    case "no-touch":
      if (argc !== 3) return wrongArity();
      if (!/^(on|off)$/i.test(argv[2])) return error("ERR syntax error");
      return OK;
    case "reply":
      if (argc !== 3) return wrongArity();
      return /^on$/i.test(argv[2]) ? OK : error("ERR CLIENT REPLY OFF|SKIP is not supported");
    case "help":
      return {
        kind: "array",
        value: [
          "CLIENT <subcommand> [<arg> ...]. Subcommands are:",
          "ID, GETNAME, SETNAME <name>, INFO, LIST [TYPE normal|pubsub] [ID id ...],",
          "KILL ID <id> | ADDR <ip:port> | <ip:port>, SETINFO LIB-NAME|LIB-VER <value>,",
          "NO-EVICT on|off, NO-TOUCH on|off, REPLY ON",
        ].map((t) => simple(t)),
      };
    default:
      return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try CLIENT HELP.`);
  }
}

function clientList(ctx: ServerContext, argv: string[]): Reply {
  let clients = [...ctx.clients.values()];
  for (let i = 2; i < argv.length; i++) {
    const opt = argv[i].toLowerCase();
    if (opt === "type" && i + 1 < argv.length) {
      const type = argv[++i].toLowerCase();
      if (!["normal", "pubsub", "master", "replica"].includes(type)) {
        return error(`ERR Unknown client type '${argv[i]}'`);
      }
      clients = clients.filter((c) =>
        type === "pubsub" ? c.subscriptionCount > 0 : type === "normal" && c.subscriptionCount === 0
      );
    } else if (opt === "id" && i + 1 < argv.length) {
      const ids = new Set<number>();
      for (i++; i < argv.length; i++) {
        if (!/^\d+$/.test(argv[i])) return error("ERR Invalid client ID");
        ids.add(Number(argv[i]));
      }
      clients = clients.filter((c) => ids.has(c.id));
    } else return error("ERR syntax error");
  }
  const now = Date.now();
  return bulk(clients.map((c) => clientInfoLine(c, now) + "\n").join(""));
}

function clientKill(ctx: ServerContext, self: Client, argv: string[]): Reply {
  if (argv.length === 3) {
    const target = [...ctx.clients.values()].find((c) => c.addr === argv[2]);
    if (target === undefined) return error("ERR No such client");
    kill(ctx, self, target);
    return OK;
  }
  if ((argv.length - 2) % 2 !== 0) return error("ERR syntax error");
  let killed = 0;
  const filters: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) filters.push([argv[i].toLowerCase(), argv[i + 1]]);
  for (const c of [...ctx.clients.values()]) {
    const match = filters.every(([k, v]) => {
      if (k === "id") return String(c.id) === v;
      if (k === "addr") return c.addr === v;
      if (k === "laddr") return c.laddr === v;
      if (k === "skipme") return !(v.toLowerCase() === "yes" && c === self);
      if (k === "user") return v === "default";
      return false;
    });
    if (match) {
      kill(ctx, self, c);
      killed++;
    }
  }
  return integer(killed);
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
}];
