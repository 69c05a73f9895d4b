/**
 * SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB; the shard channel commands are in
 * shard_pubsub_commands.ts.
 */
import { globMatch } from "../store/glob.ts";
import { array, bulk, integer, NIL, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { subscriptionReplies } from "./pubsub.ts";
import { publishEverywhere } from "./publish.ts";
import { SHARD_PUBSUB_COMMANDS } from "./shard_pubsub_commands.ts";
import { checkSubcommand, helpReply, subcommandSyntaxError } from "./subcommands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import { ReplyList } from "./types.ts";

function push(kind: string, name: Reply, count: number): Reply {
  return { kind: "push", value: [bulk(kind), name, integer(count)] };
}

/** What (P)SUBSCRIBE replies count: channels and patterns, not shard channels (as Redis 7.0). */
function channelsAndPatterns(client: Client): number {
  return client.channels.size + client.patterns.size;
}

function subscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    ctx.pubsub.subscribe(client, argv[i]);
    out.push(push("subscribe", bulk(argv[i]), channelsAndPatterns(client)));
  }
  return subscriptionReplies(client, out);
}

function psubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    ctx.pubsub.psubscribe(client, argv[i]);
    out.push(push("psubscribe", bulk(argv[i]), channelsAndPatterns(client)));
  }
  return subscriptionReplies(client, out);
}

function unsubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const names = argv.length > 1 ? argv.slice(1) : [...client.channels];
  if (names.length === 0) {
    return subscriptionReplies(client, [push("unsubscribe", NIL, channelsAndPatterns(client))]);
  }
  const out: Reply[] = [];
  for (const ch of names) {
    ctx.pubsub.unsubscribe(client, ch);
    out.push(push("unsubscribe", bulk(ch), channelsAndPatterns(client)));
  }
  return subscriptionReplies(client, out);
}

function punsubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const names = argv.length > 1 ? argv.slice(1) : [...client.patterns];
  if (names.length === 0) {
    return subscriptionReplies(client, [push("punsubscribe", NIL, channelsAndPatterns(client))]);
  }
  const out: Reply[] = [];
  for (const p of names) {
    ctx.pubsub.punsubscribe(client, p);
    out.push(push("punsubscribe", bulk(p), channelsAndPatterns(client)));
  }
  return subscriptionReplies(client, out);
}

function publish(ctx: ServerContext, _client: Client, argv: string[]): Reply | Promise<Reply> {
  return publishEverywhere(ctx, "publish", argv[1], argv[2]);
}

const PUBSUB_ARITY: Readonly<Record<string, number>> = {
  channels: -2,
  numsub: -2,
  numpat: 2,
  shardchannels: -2,
  shardnumsub: -2,
  help: 2,
};

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    The channels that have at least one subscriber; with <pattern>, only the names",
  "    that glob pattern matches.",
  "NUMPAT",
  "    How many distinct patterns clients are subscribed to (PSUBSCRIBE).",
  "NUMSUB [<channel> ...]",
  "    Each <channel> given, followed by its count of direct subscribers (clients that",
  "    only match it through a pattern are not counted). No channel given: empty list.",
  "SHARDCHANNELS [<pattern>]",
  "    As CHANNELS, for the shard channels (SSUBSCRIBE).",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    As NUMSUB, for the shard channels.",
  "HELP",
  "    Prints this help.",
];

/** CHANNELS / SHARDCHANNELS: the names with a subscriber, matching the optional pattern. */
function activeNames(names: Iterable<string>, pattern: string | undefined): Reply {
  const out: Reply[] = [];
  for (const name of names) {
    if (pattern === undefined || globMatch(pattern, name)) out.push(bulk(name));
  }
  return array(out);
}

/** NUMSUB / SHARDNUMSUB: each name asked for, then its subscriber count (flat, RESP3 too). */
function subscriberCounts(subscribers: Map<string, Set<Client>>, names: string[]): Reply {
  return array(names.flatMap((n) => [bulk(n), integer(subscribers.get(n)?.size ?? 0)]));
}

function pubsubCommand(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const rejected = checkSubcommand("pubsub", PUBSUB_ARITY, argv);
  if (rejected !== null) return rejected;
  const sub = argv[1].toLowerCase();
  switch (sub) {
    case "channels":
    case "shardchannels": {
      if (argv.length > 3) return subcommandSyntaxError("pubsub", argv);
      const names = sub === "channels" ? ctx.pubsub.channels : ctx.pubsub.shardChannels;
      return activeNames(names.keys(), argv[2]);
    }
    case "numsub":
      return subscriberCounts(ctx.pubsub.channels, argv.slice(2));
    case "shardnumsub":
      return subscriberCounts(ctx.pubsub.shardChannels, argv.slice(2));
    case "numpat":
      return integer(ctx.pubsub.patterns.size);
    default:
      return helpReply(PUBSUB_HELP);
  }
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
  ...SHARD_PUBSUB_COMMANDS,
];
