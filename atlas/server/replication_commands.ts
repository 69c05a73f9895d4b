/**
 * Replication and topology commands: WAIT and ROLE, and the Redis Cluster commands a client may
 * probe with (CLUSTER, READONLY, READWRITE, ASKING), which answer as a Redis without cluster
 * support does — a Helios cluster is Raft-replicated, not sharded, so cluster-aware clients use
 * it as one node.
 *
 * REPLCONF, SYNC and PSYNC serve `redis-cli --rdb` an RDB file of the keyspace (rdb_sync.ts);
 * Redis replicas are refused (atlasd replicates with Raft).
 *
 * WAIT counts the replicas holding every write acknowledged before it: with a Raft cluster
 * (ReplicationHooks) the followers whose log matches the commit index seen at the call; a
 * standalone server has no replicas, so like a Redis master without replicas it answers 0 at
 * once for WAIT 0 and after the timeout otherwise.
 */
import { parseInt64 } from "../store/numbers.ts";
import { array, bulk, error, integer, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { replconf, sync } from "./rdb_sync.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";
import { Blocked, type HandlerResult } from "./types.ts";

/** How often a waiting WAIT looks at the replicas' progress again. */
const WAIT_POLL_MS = 5;
const NO_CLUSTER = "ERR This instance has cluster support disabled";

/**
 * Parses WAIT's arguments like Redis 7: both strict int64s ("01", "-0" or " 1" are not
 * integers), the count first; a negative count is fine, a negative timeout is not.
 */
function parseWait(argv: string[]): { replicas: number; timeoutMs: number } | Reply {
  const replicas = parseInt64(argv[1]);
  if (replicas === null) return error("ERR value is not an integer or out of range");
  const timeout = parseInt64(argv[2]);
  if (timeout === null) return error("ERR timeout is not an integer or out of range");
  if (timeout < 0) return error("ERR timeout is negative");
  // Beyond 2^53 a count no cluster reaches and a timeout that never comes: Number() keeps both so.
  return { replicas: Number(replicas), timeoutMs: Number(timeout) };
}

function wait(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const parsed = parseWait(argv);
  if (!("replicas" in parsed)) return parsed;
  const hooks = ctx.replication;
  const offset = hooks?.offset() ?? 0;
  const acknowledged = () => hooks?.replicasAt(offset) ?? 0;
  const now = acknowledged();
  // Inside EXEC WAIT never blocks (Redis: the count as it is).
  if (now >= parsed.replicas || client.inExec) return integer(now);
  return new Blocked(
    new Promise<Reply>((resolve) => {
      const deadlineMs = parsed.timeoutMs === 0 ? Infinity : Date.now() + parsed.timeoutMs;
      const finish = () => {
        clearInterval(poll);
        client.unblock = null;
        resolve(integer(acknowledged()));
      };
      const poll = setInterval(() => {
        if (acknowledged() >= parsed.replicas || Date.now() >= deadlineMs) finish();
      }, Math.min(WAIT_POLL_MS, Math.max(parsed.timeoutMs, 1)));
      // A disconnect (or server shutdown) ends the wait without a reply; CLIENT UNBLOCK with one.
      client.unblock = (how) => {
        clearInterval(poll);
        client.unblock = null;
        if (how !== undefined) resolve(how === "timeout" ? integer(acknowledged()) : how);
      };
    }),
  );
}

function role(ctx: ServerContext): Reply {
  return array([bulk("master"), integer(ctx.replication?.offset() ?? 0), array([])]);
}

/**
 * REPLICAOF / SLAVEOF: NO ONE is answered OK (this node is a master, as ROLE says); a Redis
 * primary to replicate from is refused after Redis's port check: ATLAS replicates through Raft.
 */
function replicaof(_ctx: ServerContext, _client: Client, argv: string[]): Reply {
  if (argv[1].toLowerCase() === "no" && argv[2].toLowerCase() === "one") return simple("OK");
  if (!/^(0|[1-9]\d{0,4})$/.test(argv[2]) || Number(argv[2]) > 65535) {
    return error("ERR Invalid master port");
  }
  return error(
    "ERR atlasd does not replicate from a Redis primary: grow a Raft cluster instead " +
      "(docs/cluster.md)",
  );
}

const INT64_RE = /^(0|-?[1-9]\d{0,18})$/;

/**
 * FAILOVER with Redis 7.0's checks in its order (ABORT alone, then the arguments), ending where
 * a Redis master without replicas ends: atlasd has no Redis replicas to hand the role to (a Raft
 * cluster moves leadership itself: HELIOS.CLUSTER, docs/cluster.md).
 */
function failover(_ctx: ServerContext, _client: Client, argv: string[]): Reply {
  if (argv.length === 2 && argv[1].toLowerCase() === "abort") {
    return error("ERR No failover in progress.");
  }
  let timeout = false;
  let target = false;
  let force = false;
  for (let j = 1; j < argv.length; j++) {
    const word = argv[j].toLowerCase();
    if (word === "timeout" && j + 1 < argv.length && !timeout) {
      if (!INT64_RE.test(argv[j + 1]) || parseInt64(argv[j + 1]) === null) return NOT_AN_INTEGER;
      if (Number(argv[j + 1]) <= 0) return error("ERR FAILOVER timeout must be greater than 0");
      timeout = true;
      j++;
    } else if (word === "to" && j + 2 < argv.length && !target) {
      if (!INT64_RE.test(argv[j + 2]) || parseInt64(argv[j + 2]) === null) return NOT_AN_INTEGER;
      target = true;
      j += 2;
    } else if (word === "force" && !force) {
      force = true;
    } else return error("ERR syntax error");
  }
  return error("ERR FAILOVER requires connected replicas.");
}

const NOT_AN_INTEGER = error("ERR value is not an integer or out of range");

function noCluster(): Reply {
  return error(NO_CLUSTER);
}

const generic = keylessCommands("generic");
const server = keylessCommands("server");
const cluster = keylessCommands("cluster");

export const REPLICATION_COMMANDS: ServerCommand[] = [
  generic("wait", 3, "noscript", wait),
  server("role", 1, "noscript loading stale fast", role),
  server("replicaof", 3, "admin noscript stale no-async-loading", replicaof),
  server("failover", -1, "admin noscript stale", failover),
  server("slaveof", 3, "admin noscript stale no-async-loading", replicaof),
  // For redis-cli --rdb (rdb_sync.ts): an RDB of the keyspace, then the connection closes.
  server("replconf", -1, "admin noscript loading stale allow-busy", replconf),
  server("sync", 1, "admin noscript no-async-loading no-multi", sync),
  server("psync", -3, "admin noscript no-async-loading no-multi", sync),
  cluster("cluster", -2, "", noCluster),
  cluster("readonly", 1, "loading stale fast", noCluster),
  cluster("readwrite", 1, "loading stale fast", noCluster),
  cluster("asking", 1, "fast", noCluster),
];
