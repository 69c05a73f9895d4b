/**
 * What a script may call back into (redis.call / redis.pcall from EVAL and FCALL): the store's
 * commands, a few server commands answered here, and Redis's refusals of everything else.
 */
import { array, bulk, error, type Reply, simple } from "../store/reply.ts";
import type { ExecContext } from "../store/keyspace.ts";
import type { Store } from "../store/store.ts";

const NOT_FROM_SCRIPTS = new Set(
  ("subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe multi exec discard " +
    "watch unwatch blpop brpop brpoplpush blmove blmpop bzpopmin bzpopmax bzmpop wait monitor " +
    "sync psync replconf auth hello client reset quit shutdown save bgsave bgrewriteaof debug " +
    "fcall fcall_ro function readonly readwrite failover slaveof replicaof").split(" "),
);

/** Server commands scripts may call that the store lacks: answered here, as the server would. */
const SERVER_COMMAND_ARITY: Record<string, number> = { ping: -1, echo: 2, time: 1 };

export function serverCommand(cmd: string[], ctx: ExecContext): Reply | null {
  switch (cmd[0].toLowerCase()) {
    case "ping":
      if (cmd.length > 2) return error("ERR wrong number of arguments for 'ping' command");
      return cmd.length === 2 ? bulk(cmd[1]) : simple("PONG");
    case "echo":
      return bulk(cmd[1]);
    case "time": {
      const micros = Math.floor(ctx.nowMs * 1000);
      return array([bulk(String(Math.floor(micros / 1e6))), bulk(String(micros % 1e6))]);
    }
    default:
      return null;
  }
}

/** Why a script may not run this command (Redis's texts), or null. */
export function refusal(store: Store, cmd: string[], readOnly: boolean): Reply | null {
  const name = cmd[0].toLowerCase();
  const serverArity = SERVER_COMMAND_ARITY[name];
  if (serverArity !== undefined) {
    const ok = serverArity > 0 ? cmd.length === serverArity : cmd.length >= -serverArity;
    return ok ? null : error("ERR Wrong number of args calling Redis command from script");
  }
  const found = store.commands.get(name);
  if (found === undefined) {
    return NOT_FROM_SCRIPTS.has(name)
      ? error("ERR This Redis command is not allowed from script")
      : error("ERR Unknown Redis command called from script");
  }
  if (found.flags.includes("noscript")) {
    return error("ERR This Redis command is not allowed from script");
  }
  if (found.arity > 0 ? cmd.length !== found.arity : cmd.length < -found.arity) {
    return error("ERR Wrong number of args calling Redis command from script");
  }
  if (readOnly && found.flags.includes("write")) {
    return error("ERR Write commands are not allowed from read-only scripts.");
  }
  // A script cannot wait: Redis refuses XREAD/XREADGROUP BLOCK inside one.
  if ((name === "xread" || name === "xreadgroup") && cmd.some((a) => a.toLowerCase() === "block")) {
    return error(`ERR ${name} command is not allowed with BLOCK option from scripts`);
  }
  return null;
}

/**
 * The host a script's VM calls: runs each allowed command on `store` under `ctx` and collects
 * the log of the writes into `log` (a script is logged as the commands it ran).
 */
export function scriptHost(
  store: Store,
  ctx: ExecContext,
  readOnly: boolean,
  log: string[][],
): { call(cmd: string[]): Reply } {
  return {
    call: (cmd: string[]): Reply => {
      const refused = refusal(store, cmd, readOnly);
      if (refused !== null) return refused;
      const local = serverCommand(cmd, ctx);
      if (local !== null) return local;
      const r = store.execute(cmd, ctx);
      if (r.log !== null) log.push(...r.log);
      return r.reply;
    },
  };
}
