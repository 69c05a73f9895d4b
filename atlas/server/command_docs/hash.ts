/** COMMAND DOCS: the hash commands (see types.ts). */
import { block, type CommandDoc, dbl, doc, int, key, pattern, pure, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  hdel: doc(
    "Remove fields from a hash, deleting the key once it is empty",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields given",
    [key("key"), str("field", { multiple: true })],
  ),
  hexists: doc("Tell whether a field is present in a hash", "2.0.0", "hash", "O(1)", [
    key("key"),
    str("field"),
  ]),
  hget: doc("Read the value of one field of a hash", "2.0.0", "hash", "O(1)", [
    key("key"),
    str("field"),
  ]),
  hgetall: doc(
    "Read every field of a hash together with its value",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields in the hash",
    [key("key")],
  ),
  hincrby: doc(
    "Add an integer amount to the integer held by a field of a hash",
    "2.0.0",
    "hash",
    "O(1)",
    [key("key"), str("field"), int("increment")],
  ),
  hincrbyfloat: doc(
    "Add a floating point amount to the number held by a field of a hash",
    "2.6.0",
    "hash",
    "O(1)",
    [key("key"), str("field"), dbl("increment")],
  ),
  hkeys: doc(
    "List the field names of a hash",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields in the hash",
    [key("key")],
  ),
  hlen: doc("Return how many fields a hash holds", "2.0.0", "hash", "O(1)", [key("key")]),
  hmget: doc(
    "Read the values of several fields of a hash at once",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields given",
    [key("key"), str("field", { multiple: true })],
  ),
  hmset: doc(
    "Set several fields of a hash at once, replying OK",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields set",
    [
      key("key"),
      block("field_value", [str("field"), str("value")], { multiple: true }),
    ],
    {
      docFlags: ["deprecated"],
      deprecatedSince: "4.0.0",
      replacedBy: "HSET, which takes several fields too",
    },
  ),
  hrandfield: doc(
    "Pick one or more random fields of a hash, optionally with their values",
    "6.2.0",
    "hash",
    "O(N+M) where N is the size of the hash and M the number of fields returned",
    [
      key("key"),
      block("options", [int("count"), pure("withvalues", "WITHVALUES", { optional: true })], {
        optional: true,
      }),
    ],
  ),
  hscan: doc(
    "Walk the fields and values of a hash a batch at a time with a cursor",
    "2.8.0",
    "hash",
    "O(1) per call, O(N) for a full walk where N is the number of fields",
    [
      key("key"),
      int("cursor"),
      pattern("pattern", { token: "MATCH", optional: true }),
      int("count", { token: "COUNT", optional: true }),
    ],
  ),
  hset: doc(
    "Set one or more fields of a hash, creating the hash if needed",
    "2.0.0",
    "hash",
    "O(1) per field set",
    [
      key("key"),
      block("field_value", [str("field"), str("value")], { multiple: true }),
    ],
  ),
  hsetnx: doc(
    "Set a field of a hash only when the field is not there yet",
    "2.0.0",
    "hash",
    "O(1)",
    [key("key"), str("field"), str("value")],
  ),
  hstrlen: doc(
    "Return the length in bytes of the value of a field of a hash",
    "3.2.0",
    "hash",
    "O(1)",
    [key("key"), str("field")],
  ),
  hvals: doc(
    "List the values held by the fields of a hash",
    "2.0.0",
    "hash",
    "O(N) where N is the number of fields in the hash",
    [key("key")],
  ),
};
