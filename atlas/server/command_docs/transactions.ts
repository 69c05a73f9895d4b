/** COMMAND DOCS: the transactions commands (see types.ts). */
import { type CommandDoc, doc, key } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  discard: doc(
    "Throws away the commands queued since MULTI and leaves the transaction",
    "2.0.0",
    "transactions",
    "O(N) where N is the number of commands queued",
  ),
  exec: doc(
    "Runs every command queued since MULTI as one uninterrupted block",
    "1.2.0",
    "transactions",
    "The sum of the complexities of the queued commands",
  ),
  multi: doc(
    "Opens a transaction: what follows is queued until EXEC or DISCARD",
    "1.2.0",
    "transactions",
    "O(1)",
  ),
  unwatch: doc(
    "Drops every key this connection is watching",
    "2.2.0",
    "transactions",
    "O(N) where N is the number of keys watched",
  ),
  watch: doc(
    "Makes this connection's next EXEC abort if any of these keys changes first",
    "2.2.0",
    "transactions",
    "O(1) per key",
    [key("key", { multiple: true })],
  ),
};
