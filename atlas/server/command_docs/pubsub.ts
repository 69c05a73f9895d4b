/** COMMAND DOCS: the pubsub commands (see types.ts). */
import { block, type CommandDoc, doc, pattern, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  psubscribe: doc(
    "Subscribe the connection to every channel whose name matches one of the glob patterns",
    "2.0.0",
    "pubsub",
    "O(N) where N is the number of patterns given",
    [
      block("pattern", [pattern("pattern")], { multiple: true }),
    ],
  ),
  publish: doc(
    "Deliver a message to a channel's subscribers, returning how many received it",
    "2.0.0",
    "pubsub",
    "O(N+M) where N is the channel's subscriber count and M the number of subscribed patterns",
    [str("channel"), str("message")],
  ),
  pubsub: doc(
    "Groups the PUBSUB subcommands, which inspect channels and subscriptions",
    "2.8.0",
    "pubsub",
    "Depends on the subcommand",
  ),
  "pubsub|numsub": doc(
    "Give the subscriber count of each channel named, pattern subscribers not included",
    "2.8.0",
    "pubsub",
    "O(N) where N is the number of channels given",
    [
      str("channel", { optional: true, multiple: true }),
    ],
  ),
  "pubsub|channels": doc(
    "List the channels that have subscribers, optionally only those matching a pattern",
    "2.8.0",
    "pubsub",
    "O(N) where N is the number of channels with subscribers",
    [
      pattern("pattern", { optional: true }),
    ],
  ),
  "pubsub|help": doc("Describe the PUBSUB subcommands", "6.2.0", "pubsub", "O(1)"),
  "pubsub|shardchannels": doc(
    "List the shard channels having subscribers, optionally only those matching a pattern",
    "7.0.0",
    "pubsub",
    "O(N) where N is the number of shard channels with subscribers",
    [
      pattern("pattern", { optional: true }),
    ],
  ),
  "pubsub|numpat": doc(
    "Count the distinct patterns clients are subscribed to",
    "2.8.0",
    "pubsub",
    "O(1)",
  ),
  "pubsub|shardnumsub": doc(
    "Give the subscriber count of each shard channel named",
    "7.0.0",
    "pubsub",
    "O(N) where N is the number of shard channels given",
    [
      str("shardchannel", { optional: true, multiple: true }),
    ],
  ),
  punsubscribe: doc(
    "Drop the connection's pattern subscriptions: those named, or all of them",
    "2.0.0",
    "pubsub",
    "O(N) where N is the number of patterns dropped",
    [
      pattern("pattern", { optional: true, multiple: true }),
    ],
  ),
  spublish: doc(
    "Deliver a message to a shard channel's subscribers, returning how many received it",
    "7.0.0",
    "pubsub",
    "O(N) where N is the shard channel's subscriber count",
    [str("shardchannel"), str("message")],
  ),
  ssubscribe: doc(
    "Subscribe the connection to the given shard channels",
    "7.0.0",
    "pubsub",
    "O(N) where N is the number of shard channels given",
    [str("shardchannel", { multiple: true })],
  ),
  subscribe: doc(
    "Subscribe the connection to the given channels to receive what is published there",
    "2.0.0",
    "pubsub",
    "O(N) where N is the number of channels given",
    [str("channel", { multiple: true })],
  ),
  sunsubscribe: doc(
    "Drop the connection's shard channel subscriptions: those named, or all of them",
    "7.0.0",
    "pubsub",
    "O(N) where N is the number of shard channels dropped",
    [
      str("shardchannel", { optional: true, multiple: true }),
    ],
  ),
  unsubscribe: doc(
    "Drop the connection's channel subscriptions: those named, or all of them",
    "2.0.0",
    "pubsub",
    "O(N) where N is the number of channels dropped",
    [
      str("channel", { optional: true, multiple: true }),
    ],
  ),
};
