/**
 * COMMAND INFO of the container subcommands atlasd implements (`client|list`, `config|get`...):
 * Redis 7.0.15's arity, flags (as COMMAND shows them), legacy key positions and ACL categories.
 * COMMAND INFO shows them nested under their container, COMMAND INFO client|list on its own, and
 * COMMAND LIST names them; tests/atlasd_command_info_diff_test.ts compares them with Redis's.
 * The subcommands listed are exactly those with a COMMAND DOCS record (command_docs/).
 */

export interface SubcommandInfo {
  readonly arity: number;
  /** Flags as COMMAND shows them (`no_auth`, not the table's `no-auth`), in Redis's order. */
  readonly flags: readonly string[];
  /** First key, last key, step (0, 0, 0: no keys). */
  readonly keys: readonly [number, number, number];
  readonly categories: readonly string[];
}

function sub(
  arity: number,
  flags: string,
  keys: readonly [number, number, number],
  categories: string,
): SubcommandInfo {
  return {
    arity,
    flags: flags === "" ? [] : flags.split(" "),
    keys,
    categories: categories === "" ? [] : categories.split(" "),
  };
}

/** Full name (`container|sub`) -> entry. */
export const SUBCOMMAND_INFO: Readonly<Record<string, SubcommandInfo>> = {
  "acl|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "acl|whoami": sub(2, "noscript loading stale", [0, 0, 0], "@slow"),
  "acl|users": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|cat": sub(-2, "noscript loading stale", [0, 0, 0], "@slow"),
  "acl|list": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|getuser": sub(3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|log": sub(-2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|dryrun": sub(-4, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|genpass": sub(-2, "noscript loading stale", [0, 0, 0], "@slow"),
  "acl|setuser": sub(-3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|deluser": sub(-3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|load": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "acl|save": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "client|help": sub(2, "loading stale", [0, 0, 0], "@slow @connection"),
  "client|getname": sub(2, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|reply": sub(3, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|unpause": sub(
    2,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "client|getredir": sub(2, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|kill": sub(
    -3,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "client|caching": sub(3, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|pause": sub(
    -3,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "client|info": sub(2, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|id": sub(2, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|unblock": sub(
    -3,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "client|tracking": sub(-3, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|setname": sub(3, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|list": sub(
    -2,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "client|trackinginfo": sub(2, "noscript loading stale", [0, 0, 0], "@slow @connection"),
  "client|no-evict": sub(
    3,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous @connection",
  ),
  "command|info": sub(-2, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|help": sub(2, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|count": sub(2, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|docs": sub(-2, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|getkeys": sub(-4, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|getkeysandflags": sub(-4, "loading stale", [0, 0, 0], "@slow @connection"),
  "command|list": sub(-2, "loading stale", [0, 0, 0], "@slow @connection"),
  "config|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "config|resetstat": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "config|get": sub(-3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "config|rewrite": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "config|set": sub(-4, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "function|dump": sub(2, "noscript", [0, 0, 0], "@slow @scripting"),
  "function|help": sub(2, "loading stale", [0, 0, 0], "@slow @scripting"),
  "function|restore": sub(-3, "write denyoom noscript", [0, 0, 0], "@write @slow @scripting"),
  "function|delete": sub(3, "write noscript", [0, 0, 0], "@write @slow @scripting"),
  "function|kill": sub(2, "noscript allow_busy", [0, 0, 0], "@slow @scripting"),
  "function|load": sub(-3, "write denyoom noscript", [0, 0, 0], "@write @slow @scripting"),
  "function|flush": sub(-2, "write noscript", [0, 0, 0], "@write @slow @scripting"),
  "function|list": sub(-2, "noscript", [0, 0, 0], "@slow @scripting"),
  "function|stats": sub(2, "noscript allow_busy", [0, 0, 0], "@slow @scripting"),
  "latency|doctor": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "latency|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "latency|histogram": sub(
    -2,
    "admin noscript loading stale",
    [0, 0, 0],
    "@admin @slow @dangerous",
  ),
  "latency|latest": sub(2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "latency|history": sub(3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "latency|graph": sub(3, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "latency|reset": sub(-2, "admin noscript loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "memory|purge": sub(2, "", [0, 0, 0], "@slow"),
  "memory|malloc-stats": sub(2, "", [0, 0, 0], "@slow"),
  "memory|doctor": sub(2, "", [0, 0, 0], "@slow"),
  "memory|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "memory|stats": sub(2, "", [0, 0, 0], "@slow"),
  "memory|usage": sub(-3, "readonly", [2, 2, 1], "@read @slow"),
  "module|list": sub(2, "admin noscript", [0, 0, 0], "@admin @slow @dangerous"),
  "module|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "module|load": sub(-3, "admin noscript no_async_loading", [0, 0, 0], "@admin @slow @dangerous"),
  "module|loadex": sub(
    -3,
    "admin noscript no_async_loading",
    [0, 0, 0],
    "@admin @slow @dangerous",
  ),
  "module|unload": sub(3, "admin noscript no_async_loading", [0, 0, 0], "@admin @slow @dangerous"),
  "object|help": sub(2, "loading stale", [0, 0, 0], "@keyspace @slow"),
  "object|encoding": sub(3, "readonly", [2, 2, 1], "@keyspace @read @slow"),
  "object|idletime": sub(3, "readonly", [2, 2, 1], "@keyspace @read @slow"),
  "object|freq": sub(3, "readonly", [2, 2, 1], "@keyspace @read @slow"),
  "object|refcount": sub(3, "readonly", [2, 2, 1], "@keyspace @read @slow"),
  "pubsub|numsub": sub(-2, "pubsub loading stale", [0, 0, 0], "@pubsub @slow"),
  "pubsub|channels": sub(-2, "pubsub loading stale", [0, 0, 0], "@pubsub @slow"),
  "pubsub|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "pubsub|shardchannels": sub(-2, "pubsub loading stale", [0, 0, 0], "@pubsub @slow"),
  "pubsub|numpat": sub(2, "pubsub loading stale", [0, 0, 0], "@pubsub @slow"),
  "pubsub|shardnumsub": sub(-2, "pubsub loading stale", [0, 0, 0], "@pubsub @slow"),
  "script|flush": sub(-2, "noscript", [0, 0, 0], "@slow @scripting"),
  "script|debug": sub(3, "noscript", [0, 0, 0], "@slow @scripting"),
  "script|exists": sub(-3, "noscript", [0, 0, 0], "@slow @scripting"),
  "script|help": sub(2, "loading stale", [0, 0, 0], "@slow @scripting"),
  "script|kill": sub(2, "noscript allow_busy", [0, 0, 0], "@slow @scripting"),
  "script|load": sub(3, "noscript stale", [0, 0, 0], "@slow @scripting"),
  "slowlog|len": sub(2, "admin loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "slowlog|help": sub(2, "loading stale", [0, 0, 0], "@slow"),
  "slowlog|get": sub(-2, "admin loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "slowlog|reset": sub(2, "admin loading stale", [0, 0, 0], "@admin @slow @dangerous"),
  "xgroup|destroy": sub(4, "write", [2, 2, 1], "@write @stream @slow"),
  "xgroup|delconsumer": sub(5, "write", [2, 2, 1], "@write @stream @slow"),
  "xgroup|create": sub(-5, "write denyoom", [2, 2, 1], "@write @stream @slow"),
  "xgroup|help": sub(2, "loading stale", [0, 0, 0], "@stream @slow"),
  "xgroup|setid": sub(-5, "write", [2, 2, 1], "@write @stream @slow"),
  "xgroup|createconsumer": sub(5, "write denyoom", [2, 2, 1], "@write @stream @slow"),
  "xinfo|help": sub(2, "loading stale", [0, 0, 0], "@stream @slow"),
  "xinfo|stream": sub(-3, "readonly", [2, 2, 1], "@read @stream @slow"),
  "xinfo|groups": sub(3, "readonly", [2, 2, 1], "@read @stream @slow"),
  "xinfo|consumers": sub(4, "readonly", [2, 2, 1], "@read @stream @slow"),
};
