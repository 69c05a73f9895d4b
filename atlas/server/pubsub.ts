/**
 * Channels, patterns and shard channels -> subscribers; PUBLISH and SPUBLISH encode pushes
 * straight into their outputs. Shard channels (SSUBSCRIBE) are a namespace of their own, as in a
 * Redis that is not a cluster: PUBLISH never reaches them and patterns never match them.
 */
import { globMatch } from "../store/glob.ts";
import type { Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { ReplyList } from "./types.ts";
import { type OutputLimits, outputOverflows } from "./output_limits.ts";

const NOTHING = new ReplyList([]);

/**
 * The confirmations of (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE. Redis sends them as pushes, which CLIENT
 * REPLY OFF / SKIP do not silence (unlike the command replies the connection's gate drops): then
 * they go straight to the output, and the command answers nothing more.
 */
export function subscriptionReplies(client: Client, replies: Reply[]): ReplyList {
  if (!client.replyOff && !client.replySkip) return new ReplyList(replies);
  const w = client.output.writer;
  for (const r of replies) w.reply(r, client.proto);
  return NOTHING;
}

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Called for a subscriber over the pubsub class's output limits (the server closes it). */
  onOverflow: (client: Client) => void = () => {};

  constructor(private readonly limits: OutputLimits) {}

  subscribe(client: Client, channel: string): void {
    if (client.channels.has(channel)) return;
    client.channels.add(channel);
    addTo(this.channels, channel, client);
  }

  unsubscribe(client: Client, channel: string): void {
    if (!client.channels.delete(channel)) return;
    removeFrom(this.channels, channel, client);
  }

  psubscribe(client: Client, pattern: string): void {
    if (client.patterns.has(pattern)) return;
    client.patterns.add(pattern);
    addTo(this.patterns, pattern, client);
  }

  punsubscribe(client: Client, pattern: string): void {
    if (!client.patterns.delete(pattern)) return;
    removeFrom(this.patterns, pattern, client);
  }

  ssubscribe(client: Client, channel: string): void {
    if (client.shardChannels.has(channel)) return;
    client.shardChannels.add(channel);
    addTo(this.shardChannels, channel, client);
  }

  sunsubscribe(client: Client, channel: string): void {
    if (!client.shardChannels.delete(channel)) return;
    removeFrom(this.shardChannels, channel, client);
  }

  removeClient(client: Client): void {
    for (const ch of [...client.channels]) this.unsubscribe(client, ch);
    for (const p of [...client.patterns]) this.punsubscribe(client, p);
    for (const ch of [...client.shardChannels]) this.sunsubscribe(client, ch);
  }

  /** Delivers to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = this.#toSubscribers(this.channels.get(channel), "message", channel, message);
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const client of clients) {
        const w = client.output.writer;
        w.arrayHeader(4, client.proto === 3 ? ">" : "*");
        w.bulk("pmessage");
        w.bulk(pattern);
        w.bulk(channel);
        w.bulk(message);
        this.#deliver(client);
        receivers++;
      }
    }
    return receivers;
  }

  /** How many of this node's clients a PUBLISH to `channel` reaches (channel and patterns). */
  receivers(channel: string): number {
    let count = this.channels.get(channel)?.size ?? 0;
    for (const [pattern, clients] of this.patterns) {
      if (globMatch(pattern, channel)) count += clients.size;
    }
    return count;
  }

  /** How many of this node's clients an SPUBLISH to `channel` reaches. */
  shardReceivers(channel: string): number {
    return this.shardChannels.get(channel)?.size ?? 0;
  }

  /** SPUBLISH: delivers to the shard channel's subscribers only; returns how many. */
  spublish(channel: string, message: string): number {
    return this.#toSubscribers(this.shardChannels.get(channel), "smessage", channel, message);
  }

  #toSubscribers(
    clients: Set<Client> | undefined,
    kind: "message" | "smessage",
    channel: string,
    message: string,
  ): number {
    if (clients === undefined) return 0;
    let receivers = 0; // counted as they go: an overflowing one leaves the set mid-loop
    for (const client of clients) {
      const w = client.output.writer;
      w.arrayHeader(3, client.proto === 3 ? ">" : "*");
      w.bulk(kind);
      w.bulk(channel);
      w.bulk(message);
      this.#deliver(client);
      receivers++;
    }
    return receivers;
  }

  #deliver(client: Client): void {
    if (outputOverflows(this.limits.pubsub, client, client.output.unsentBytes)) {
      this.onOverflow(client);
      return;
    }
    void client.output.flush();
  }
}

function addTo(map: Map<string, Set<Client>>, name: string, client: Client): void {
  let set = map.get(name);
  if (set === undefined) map.set(name, set = new Set());
  set.add(client);
}

function removeFrom(map: Map<string, Set<Client>>, name: string, client: Client): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(client);
  if (set.size === 0) map.delete(name);
}
