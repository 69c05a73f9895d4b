/**
 * Commands that never change data: the RESP client may resend them after a broken connection
 * without risking a double write. Anything not listed is treated as a write.
 */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  "GET",
  "MGET",
  "EXISTS",
  "TTL",
  "PTTL",
  "TYPE",
  "STRLEN",
  "SCAN",
  "HGET",
  "HGETALL",
  "HMGET",
  "HLEN",
  "HSCAN",
  "LRANGE",
  "LLEN",
  "SMEMBERS",
  "SISMEMBER",
  "SCARD",
  "ZRANGE",
  "ZSCORE",
  "ZCARD",
  "DBSIZE",
  "PING",
  "INFO",
  "ECHO",
  "KEYS",
  // The job queue's reads (src/queue/commands.ts, registered "readonly").
  "JOB.GET",
  "JOB.LIST",
  "JOB.QUEUES",
  "JOB.PEEK",
]);
