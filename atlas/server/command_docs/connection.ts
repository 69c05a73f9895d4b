/** COMMAND DOCS: the connection commands (see types.ts). */
import { block, type CommandDoc, doc, int, oneof, pure, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  auth: doc(
    "Authenticate the connection with a password, for the default user",
    "1.0.0",
    "connection",
    "O(N) where N is the length of the configured password",
    [
      str("username", { since: "6.0.0", optional: true }),
      str("password"),
    ],
  ),
  client: doc(
    "Groups the CLIENT subcommands, which inspect and control connections",
    "2.4.0",
    "connection",
    "Depends on the subcommand",
  ),
  "client|help": doc(
    "List the CLIENT subcommands with a short description of each",
    "5.0.0",
    "connection",
    "O(1)",
  ),
  "client|getname": doc(
    "Return the name of the current connection, or nil when it has none",
    "2.6.9",
    "connection",
    "O(1)",
  ),
  "client|reply": doc(
    "Turn replies to this connection off or back on, or drop the next one",
    "3.2.0",
    "connection",
    "O(1)",
    [
      oneof("on_off_skip", [pure("on", "ON"), pure("off", "OFF"), pure("skip", "SKIP")]),
    ],
  ),
  "client|unpause": doc(
    "End a CLIENT PAUSE in progress, letting the held clients go on",
    "6.2.0",
    "connection",
    "O(N) where N is the number of clients held",
  ),
  "client|getredir": doc(
    "Return the ID of the client receiving this connection's invalidations",
    "6.0.0",
    "connection",
    "O(1)",
  ),
  "client|kill": doc(
    "Close the connections matching an address or a set of filters",
    "2.4.0",
    "connection",
    "O(N) where N is the number of connections",
    [
      oneof("filter", [
        str("ip:port", { deprecatedSince: "2.8.12" }),
        oneof("new-format", [
          int("client-id", { token: "ID", since: "2.8.12", optional: true }),
          oneof("normal_master_slave_pubsub", [
            pure("normal", "NORMAL"),
            pure("master", "MASTER", { since: "3.2.0" }),
            pure("slave", "SLAVE"),
            pure("replica", "REPLICA", { since: "5.0.0" }),
            pure("pubsub", "PUBSUB"),
          ], { token: "TYPE", since: "2.8.12", optional: true }),
          str("username", { token: "USER", optional: true }),
          str("ip:port", { token: "ADDR", optional: true }),
          str("ip:port", { token: "LADDR", since: "6.2.0", optional: true }),
          str("yes/no", { token: "SKIPME", optional: true }),
        ], { multiple: true }),
      ]),
    ],
  ),
  "client|caching": doc(
    "Say whether the keys read by the next command are tracked (OPTIN/OPTOUT modes)",
    "6.0.0",
    "connection",
    "O(1)",
    [
      oneof("mode", [pure("yes", "YES"), pure("no", "NO")]),
    ],
  ),
  "client|pause": doc(
    "Hold all clients, or only their writes, for a number of milliseconds",
    "2.9.50",
    "connection",
    "O(1)",
    [
      int("timeout"),
      oneof("mode", [pure("write", "WRITE"), pure("all", "ALL")], {
        since: "6.2.0",
        optional: true,
      }),
    ],
  ),
  "client|info": doc(
    "Describe the current connection in the format of a CLIENT LIST line",
    "6.2.0",
    "connection",
    "O(1)",
  ),
  "client|id": doc(
    "Return the unique numeric ID of the current connection",
    "5.0.0",
    "connection",
    "O(1)",
  ),
  "client|unblock": doc(
    "Release a client blocked in a blocking command, as by timeout or with an error",
    "5.0.0",
    "connection",
    "O(1)",
    [
      int("client-id"),
      oneof("timeout_error", [pure("timeout", "TIMEOUT"), pure("error", "ERROR")], {
        optional: true,
      }),
    ],
  ),
  "client|tracking": doc(
    "Turn server-assisted client-side caching on or off for this connection",
    "6.0.0",
    "connection",
    "O(1), or O(N) where N is the number of prefixes given",
    [
      oneof("status", [pure("on", "ON"), pure("off", "OFF")]),
      int("client-id", { token: "REDIRECT", optional: true }),
      str("prefix", { token: "PREFIX", optional: true, multiple: true, multipleToken: true }),
      pure("bcast", "BCAST", { optional: true }),
      pure("optin", "OPTIN", { optional: true }),
      pure("optout", "OPTOUT", { optional: true }),
      pure("noloop", "NOLOOP", { optional: true }),
    ],
  ),
  "client|setname": doc(
    "Give the current connection a name, shown by CLIENT LIST",
    "2.6.9",
    "connection",
    "O(1)",
    [str("connection-name")],
  ),
  "client|list": doc(
    "Describe the open connections one per line, optionally only some types or IDs",
    "2.4.0",
    "connection",
    "O(N) where N is the number of connections",
    [
      oneof("normal_master_replica_pubsub", [
        pure("normal", "NORMAL"),
        pure("master", "MASTER"),
        pure("replica", "REPLICA"),
        pure("pubsub", "PUBSUB"),
      ], { token: "TYPE", since: "5.0.0", optional: true }),
      block("id", [int("client-id", { multiple: true })], {
        token: "ID",
        since: "6.2.0",
        optional: true,
      }),
    ],
  ),
  "client|trackinginfo": doc(
    "Report the client-side caching settings of the current connection",
    "6.2.0",
    "connection",
    "O(1)",
  ),
  "client|no-evict": doc(
    "Accept ON or OFF for eviction protection (ATLAS never evicts clients)",
    "7.0.0",
    "connection",
    "O(1)",
    [
      oneof("enabled", [pure("on", "ON"), pure("off", "OFF")]),
    ],
  ),
  echo: doc("Return the given message unchanged", "1.0.0", "connection", "O(1)", [str("message")]),
  hello: doc(
    "Choose RESP2 or RESP3, optionally authenticate and name the connection",
    "6.0.0",
    "connection",
    "O(1)",
    [
      block("arguments", [
        int("protover"),
        block("username_password", [str("username"), str("password")], {
          token: "AUTH",
          optional: true,
        }),
        str("clientname", { token: "SETNAME", optional: true }),
      ], { optional: true }),
    ],
  ),
  ping: doc(
    "Check that the server answers: PONG, or the message given",
    "1.0.0",
    "connection",
    "O(1)",
    [str("message", { optional: true })],
  ),
  quit: doc(
    "Close the connection once the replies already due are sent",
    "1.0.0",
    "connection",
    "O(1)",
  ),
  reset: doc(
    "Put the connection back in its initial state: no transaction, subscriptions or name",
    "6.2.0",
    "connection",
    "O(1)",
  ),
  select: doc(
    "Choose the numbered database this connection works in",
    "1.0.0",
    "connection",
    "O(1)",
    [int("index")],
  ),
};
