/**
 * Redis 7.0's container commands: their subcommands are commands of their own in Redis (CLIENT
 * LIST shows `cmd=client|info`; COMMAND INFO shows the container without flags or keys).
 */
export const CONTAINER_COMMANDS: ReadonlySet<string> = new Set([
  "acl",
  "client",
  "cluster",
  "command",
  "config",
  "function",
  "latency",
  "memory",
  "module",
  "object",
  "pubsub",
  "script",
  "slowlog",
  "xgroup",
  "xinfo",
]);
