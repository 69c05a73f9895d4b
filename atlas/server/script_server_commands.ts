/**
 * The server's side of a script's redis.call (Store.setScriptServerHook): the command table as
 * Redis's script dispatch looks commands up (a container's subcommand with its own arity and
 * flags), and the server commands Redis 7.0 lets scripts run that the store lacks: PUBLISH,
 * SPUBLISH, PUBSUB, INFO, SELECT, COMMAND, LASTSAVE, SLOWLOG, CLUSTER, READONLY, READWRITE,
 * ASKING and the HELP of ACL, CLIENT, CONFIG and LATENCY. Each runs its usual handler as Redis's
 * script client runs it: not a connection of its own, so nothing here reads the client.
 *
 * A script's PUBLISH reaches this node's subscribers as it runs, between the keyspace events of
 * the script's writes, before the EVAL's reply. In a Raft cluster every node re-runs the script
 * as it applies the entry, so each node's subscribers get the message once, from their own node;
 * the receiver count the script sees is then 0 on every node, as counts differ between nodes and
 * a script that branched on one would make the replicas diverge (docs/atlas_store.md
 * "Scripting"). A client's PUBLISH in a cluster (HELIOS.PUBLISH entries) is delivered here too.
 * INFO, SLOWLOG, LASTSAVE, PUBSUB... answer what this node knows, as in Redis.
 */
import type { ExecContext } from "../store/keyspace.ts";
import { error, integer, type Reply } from "../store/reply.ts";
import type { ScriptCommandInfo, ScriptServerHook } from "../store/store.ts";
import type { Client } from "./client.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import type { ServerContext } from "./context.ts";
import { SUBCOMMAND_INFO } from "./subcommand_info.ts";
import { publishHere } from "./publish.ts";

/**
 * What the handlers get as their client: Redis runs a script's commands on a client of its own,
 * and the handlers scripts reach (those without the noscript flag) do not read theirs.
 */
const SCRIPT_CLIENT = Object.freeze({ id: 0, name: "", addr: "?:0" }) as unknown as Client;

const ZERO = integer(0);

export function scriptServerHook(ctx: ServerContext): ScriptServerHook {
  return {
    lookup(argv: readonly string[]): ScriptCommandInfo | null {
      const entry = ctx.table.get(argv[0]);
      if (entry === undefined) return null;
      if (argv.length > 1 && CONTAINER_COMMANDS.has(entry.name)) {
        const full = `${entry.name}|${argv[1].toLowerCase()}`;
        return Object.hasOwn(SUBCOMMAND_INFO, full) ? SUBCOMMAND_INFO[full] : null;
      }
      return entry;
    },
    call(argv: string[], _script: ExecContext): Reply {
      const entry = ctx.table.get(argv[0]);
      if (entry === undefined || entry.handler === null) {
        return error("ERR Unknown Redis command called from script");
      }
      const name = entry.name;
      if (name === "lastsave") return integer(lastSaveSeconds(ctx));
      if (name === "publish" || name === "spublish") {
        const receivers = publishHere(ctx, name, argv[1], argv[2]);
        // Under Raft every node runs the script: the count must not depend on the node.
        return ctx.executor.publish !== undefined ? ZERO : integer(receivers);
      }
      const result = entry.handler(ctx, SCRIPT_CLIENT, argv);
      if (!isReply(result)) return error("ERR This Redis command is not allowed from script");
      return result;
    },
  };
}

function isReply(result: unknown): result is Reply {
  return typeof result === "object" && result !== null && "kind" in result;
}

/**
 * LASTSAVE as a script sees it: what INFO persistence shows as rdb_last_save_time (the engine
 * answers a client's LASTSAVE itself, asynchronously, which a script cannot wait for).
 */
function lastSaveSeconds(ctx: ServerContext): number {
  const p = ctx.persistence;
  if (p.lastSaveMs !== undefined) return Math.floor(p.lastSaveMs() / 1000);
  const saved = Number(p.info?.().rdb_last_save_time ?? 0);
  return saved > 0 ? saved : Math.floor(ctx.startedMs / 1000);
}
