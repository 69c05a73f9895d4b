/**
 * Sharded pub/sub: SSUBSCRIBE SUNSUBSCRIBE SPUBLISH. Outside a Redis Cluster these are a channel
 * namespace of their own ("smessage" pushes, their own subscription count); as in Redis they
 * declare their channels as keys (first/last/step) so a cluster client can route them by slot.
 * Like PUBLISH, SPUBLISH reaches the subscribers of every node of a Raft cluster (publish.ts).
 */
import { bulk, error, integer, NIL, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { subscriptionReplies } from "./pubsub.ts";
import { publishEverywhere } from "./publish.ts";
import type { ServerCommand } from "./table.ts";
import { type Handler, ReplyList } from "./types.ts";

function push(kind: string, name: Reply, count: number): Reply {
  return { kind: "push", value: [bulk(kind), name, integer(count)] };
}

function ssubscribe(ctx: ServerContext, client: Client, argv: string[]): Reply | ReplyList {
  // Redis refuses it where a reply per command is expected (inside MULTI), unlike SUBSCRIBE.
  if (client.inExec) return error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  const out: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    ctx.pubsub.ssubscribe(client, argv[i]);
    out.push(push("ssubscribe", bulk(argv[i]), client.shardChannels.size));
  }
  return subscriptionReplies(client, out);
}

function sunsubscribe(ctx: ServerContext, client: Client, argv: string[]): ReplyList {
  const names = argv.length > 1 ? argv.slice(1) : [...client.shardChannels];
  if (names.length === 0) {
    return subscriptionReplies(client, [push("sunsubscribe", NIL, client.shardChannels.size)]);
  }
  const out: Reply[] = [];
  for (const name of names) {
    ctx.pubsub.sunsubscribe(client, name);
    out.push(push("sunsubscribe", bulk(name), client.shardChannels.size));
  }
  return subscriptionReplies(client, out);
}

function spublish(ctx: ServerContext, _client: Client, argv: string[]): Reply | Promise<Reply> {
  return publishEverywhere(ctx, "spublish", argv[1], argv[2]);
}

/** Channel arguments are declared as keys [first, last, step], as Redis's COMMAND INFO shows. */
const shard = (
  name: string,
  arity: number,
  flags: string,
  keys: readonly [number, number, number],
  handler: Handler,
): ServerCommand => ({
  name,
  arity,
  flags: flags.split(" "),
  firstKey: keys[0],
  lastKey: keys[1],
  step: keys[2],
  group: "pubsub",
  since: "7.0.0",
  handler,
});

export const SHARD_PUBSUB_COMMANDS: ServerCommand[] = [
  shard(
    "ssubscribe",
    -2,
    "pubsub noscript loading stale",
    [1, -1, 1],
    ssubscribe,
  ),
  shard(
    "sunsubscribe",
    -1,
    "pubsub noscript loading stale",
    [1, -1, 1],
    sunsubscribe,
  ),
  shard(
    "spublish",
    3,
    "pubsub loading stale fast",
    [1, 1, 1],
    spublish,
  ),
];

/** The shard commands' key specs are flagged "not_key": COMMAND GETKEYS finds no keys in them. */
export const CHANNEL_KEY_COMMANDS: ReadonlySet<string> = new Set(
  SHARD_PUBSUB_COMMANDS.map((c) => c.name),
);
