/** COMMAND DOCS: the hyperloglog commands (see types.ts). */
import { type CommandDoc, doc, key, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  pfadd: doc(
    "Feeds elements into a HyperLogLog (made if missing); 1 if its registers changed",
    "2.8.9",
    "hyperloglog",
    "O(1) per element",
    [
      key("key"),
      str("element", { optional: true, multiple: true }),
    ],
  ),
  pfcount: doc(
    "Estimates the distinct elements seen by one HyperLogLog, or by several merged",
    "2.8.9",
    "hyperloglog",
    "O(1) for one key, O(N) for N keys (their union is computed)",
    [key("key", { multiple: true })],
  ),
  pfmerge: doc(
    "Sets destkey to the union of the HyperLogLogs given, its own value included",
    "2.8.9",
    "hyperloglog",
    "O(N) where N is the number of HyperLogLogs merged",
    [
      key("destkey"),
      key("sourcekey", { multiple: true }),
    ],
  ),
  pfdebug: doc(
    "Inspects or converts one HyperLogLog: GETREG, DECODE, ENCODING, TODENSE",
    "2.8.9",
    "hyperloglog",
    "N/A",
    [str("subcommand"), key("key")],
    { docFlags: ["syscmd"] },
  ),
  pfselftest: doc(
    "Checks the HyperLogLog register layout and estimator; OK when they work",
    "2.8.9",
    "hyperloglog",
    "N/A",
    undefined,
    { docFlags: ["syscmd"] },
  ),
};
