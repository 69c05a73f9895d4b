/** SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB. */
import { globMatch } from "../store/glob.ts";
import { array, bulk, error, integer, NIL, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import { ReplyList } from "./types.ts";

function push(kind: string, name: Reply, count: number): Reply {
  return { kind: "push", value: [bulk(kind), name, integer(count)] };
}

function subscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    ctx.pubsub.subscribe(client, argv[i]);
    out.push(push("subscribe", bulk(argv[i]), client.subscriptionCount));
  }
  return new ReplyList(out);
}

function psubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    ctx.pubsub.psubscribe(client, argv[i]);
    out.push(push("psubscribe", bulk(argv[i]), client.subscriptionCount));
  }
  return new ReplyList(out);
}

function unsubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const names = argv.length > 1 ? argv.slice(1) : [...client.channels];
  if (names.length === 0) {
    return new ReplyList([push("unsubscribe", NIL, client.subscriptionCount)]);
  }
  const out: Reply[] = [];
  for (const ch of names) {
    ctx.pubsub.unsubscribe(client, ch);
    out.push(push("unsubscribe", bulk(ch), client.subscriptionCount));
  }
  return new ReplyList(out);
}

function punsubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const names = argv.length > 1 ? argv.slice(1) : [...client.patterns];
  if (names.length === 0) {
    return new ReplyList([push("punsubscribe", NIL, client.subscriptionCount)]);
  }
  const out: Reply[] = [];
  for (const p of names) {
    ctx.pubsub.punsubscribe(client, p);
    out.push(push("punsubscribe", bulk(p), client.subscriptionCount));
  }
  return new ReplyList(out);
}

function publish(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  ctx.stats.pubsubMessages++;
  return integer(ctx.pubsub.publish(argv[1], argv[2]));
}

function pubsubCommand(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const sub = argv[1].toLowerCase();
  if (sub === "channels" && argv.length <= 3) {
    const names = [...ctx.pubsub.channels.keys()];
    const pattern = argv[2];
    return array(
      names.filter((n) => pattern === undefined || globMatch(pattern, n)).map((n) => bulk(n)),
    );
  }
  if (sub === "numsub") {
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) {
      out.push(bulk(argv[i]), integer(ctx.pubsub.channels.get(argv[i])?.size ?? 0));
    }
    return array(out);
  }
  if (sub === "numpat" && argv.length === 2) return integer(ctx.pubsub.patterns.size);
  if (sub === "shardchannels" && argv.length <= 3) return array([]);
  if (sub === "shardnumsub") {
    return array(argv.slice(2).flatMap((n) => [bulk(n), integer(0)]));
  }
  if (["channels", "numpat", "shardchannels"].includes(sub)) {
    return error(`ERR wrong number of arguments for 'pubsub|${sub}' command`);
  }
  return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try PUBSUB HELP.`);
}

const pubsub = keylessCommands("pubsub");
const ps = (name: string, arity: number, flags: string[], handler: ServerCommand["handler"]) =>
  pubsub(name, arity, ["pubsub", ...flags], handler);

export const PUBSUB_COMMANDS: ServerCommand[] = [
  ps("subscribe", -2, ["noscript", "loading", "stale"], subscribe),
  ps("unsubscribe", -1, ["noscript", "loading", "stale"], unsubscribe),
  ps("psubscribe", -2, ["noscript", "loading", "stale"], psubscribe),
  ps("punsubscribe", -1, ["noscript", "loading", "stale"], punsubscribe),
  ps("publish", 3, ["loading", "stale", "fast", "may-replicate"], publish),
  ps("pubsub", -2, ["loading", "stale"], pubsubCommand),
];
