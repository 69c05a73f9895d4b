/** COMMAND DOCS: the set commands (see types.ts). */
import { type CommandDoc, doc, int, key, pattern, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  sadd: doc(
    "Put members into a set, creating it when missing; replies with how many were new",
    "1.0.0",
    "set",
    "O(N) where N is the number of members given",
    [key("key"), str("member", { multiple: true })],
  ),
  scard: doc("Count the members of a set", "1.0.0", "set", "O(1)", [key("key")]),
  sdiff: doc(
    "List the members of the first set that are in none of the other sets",
    "1.0.0",
    "set",
    "O(N) where N is the total size of the sets read",
    [key("key", { multiple: true })],
  ),
  sdiffstore: doc(
    "Save the members of the first set found in none of the others into a key",
    "1.0.0",
    "set",
    "O(N) where N is the total size of the sets read",
    [
      key("destination"),
      key("key", { multiple: true }),
    ],
  ),
  sinter: doc(
    "List the members present in every one of the given sets",
    "1.0.0",
    "set",
    "O(N*K) where N is the size of the smallest set and K the number of sets",
    [key("key", { multiple: true })],
  ),
  sintercard: doc(
    "Count the members shared by all the given sets, optionally capped by LIMIT",
    "7.0.0",
    "set",
    "O(N*K) where N is the size of the smallest set and K the number of sets",
    [
      int("numkeys"),
      key("key", { multiple: true }),
      int("limit", { token: "LIMIT", optional: true }),
    ],
  ),
  sinterstore: doc(
    "Save the members present in every given set into a destination key",
    "1.0.0",
    "set",
    "O(N*K) where N is the size of the smallest set and K the number of sets",
    [
      key("destination"),
      key("key", { multiple: true }),
    ],
  ),
  sismember: doc("Tell whether a value belongs to a set (1) or not (0)", "1.0.0", "set", "O(1)", [
    key("key"),
    str("member"),
  ]),
  smembers: doc(
    "Reply with every member of a set",
    "1.0.0",
    "set",
    "O(N) where N is the set's size",
    [key("key")],
  ),
  smismember: doc(
    "Tell, for each value given, whether it belongs to a set",
    "6.2.0",
    "set",
    "O(N) where N is the number of values given",
    [key("key"), str("member", { multiple: true })],
  ),
  smove: doc("Transfer one member from a source set to a destination set", "1.0.0", "set", "O(1)", [
    key("source"),
    key("destination"),
    str("member"),
  ]),
  spop: doc(
    "Take one or more members chosen at random out of a set and reply with them",
    "1.0.0",
    "set",
    "O(N + M) where N is the set's size and M the count",
    [
      key("key"),
      int("count", { since: "3.2.0", optional: true }),
    ],
  ),
  srandmember: doc(
    "Reply with random members of a set without changing it (repeats if count < 0)",
    "1.0.0",
    "set",
    "O(N + M) where N is the set's size and M the absolute count",
    [
      key("key"),
      int("count", { since: "2.6.0", optional: true }),
    ],
  ),
  srem: doc(
    "Delete members from a set; replies with how many were there",
    "1.0.0",
    "set",
    "O(N) where N is the number of members given",
    [key("key"), str("member", { multiple: true })],
  ),
  sscan: doc(
    "Walk a set's members a batch at a time with a cursor",
    "2.8.0",
    "set",
    "O(1) per call, O(N) for a complete walk of N members",
    [
      key("key"),
      int("cursor"),
      pattern("pattern", { token: "MATCH", optional: true }),
      int("count", { token: "COUNT", optional: true }),
    ],
  ),
  sunion: doc(
    "List the members found in any of the given sets",
    "1.0.0",
    "set",
    "O(N) where N is the total size of the sets read",
    [key("key", { multiple: true })],
  ),
  sunionstore: doc(
    "Save the members found in any of the given sets into a destination key",
    "1.0.0",
    "set",
    "O(N) where N is the total size of the sets read",
    [
      key("destination"),
      key("key", { multiple: true }),
    ],
  ),
};
