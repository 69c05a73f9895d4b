/**
 * What a script may call back into (redis.call / redis.pcall from EVAL and FCALL): the store's
 * commands, a few server commands answered here, and Redis's refusals of everything else.
 */
import { array, bulk, error, type Reply, simple } from "../store/reply.ts";
import type { ExecContext } from "../store/keyspace.ts";
import { parseInt64 } from "../store/numbers.ts";
import { parseMpop, parseTimeoutMs } from "../store/util.ts";
import type { Store } from "../store/store.ts";

/**
 * Server commands the store lacks that Redis refuses in scripts (flag noscript), by arity: Redis
 * checks the arity first ("Wrong number of args"), then the flag. BLMPOP and BZMPOP are not
 * noscript in Redis (they run without blocking), but atlasd cannot run them from a script.
 */
const NOT_FROM_SCRIPTS: Readonly<Record<string, number>> = {
  subscribe: -2,
  psubscribe: -2,
  ssubscribe: -2,
  unsubscribe: -1,
  punsubscribe: -1,
  sunsubscribe: -1,
  multi: 1,
  exec: 1,
  discard: 1,
  watch: -2,
  unwatch: 1,
  blpop: -3,
  brpop: -3,
  brpoplpush: 4,
  blmove: 6,
  bzpopmin: -3,
  bzpopmax: -3,
  wait: 3,
  monitor: 1,
  sync: 1,
  psync: -3,
  replconf: -1,
  auth: -2,
  hello: -1,
  reset: 1,
  quit: -1,
  shutdown: -1,
  save: 1,
  bgsave: -1,
  bgrewriteaof: 1,
  debug: -2,
  fcall: -3,
  fcall_ro: -3,
  function: -2,
  readonly: 1,
  readwrite: 1,
  failover: -1,
  slaveof: 3,
  replicaof: 3,
  role: 1,
  client: -2,
  config: -2,
  acl: -2,
  latency: -2,
  module: -2,
};

/**
 * The noscript containers' subcommands: Redis looks the subcommand up first, so an unknown one is
 * an unknown command ("client nosuch"), a known one is refused (its own arity is not checked).
 */
const NOSCRIPT_SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  client: ("caching getname getredir id info kill list no-evict pause reply setname tracking " +
    "trackinginfo unblock unpause help").split(" "),
  config: ["get", "set", "resetstat", "rewrite", "help"],
  acl: ("cat deluser dryrun genpass getuser list load log save setuser users whoami help")
    .split(" "),
  latency: ["doctor", "graph", "histogram", "history", "latest", "reset", "help"],
  module: ["list", "load", "loadex", "unload", "help"],
};

const WRONG_ARGS = "ERR Wrong number of args calling Redis command from script";
const NOT_ALLOWED = "ERR This Redis command is not allowed from script";
const UNKNOWN = "ERR Unknown Redis command called from script";

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

/**
 * The command a script runs for `cmd`: itself, except BLMPOP / BZMPOP, which never block inside a
 * script (Redis 7.0 lets scripts call them): their arguments are checked in Redis's order
 * (numkeys, direction, COUNT, then the timeout) and LMPOP / ZMPOP without the timeout answers.
 */
function nonBlockingForm(cmd: string[]): string[] | Reply {
  const name = cmd[0].toLowerCase();
  if (name !== "blmpop" && name !== "bzmpop") return cmd;
  const list = name === "blmpop";
  const parsed = parseMpop(cmd.slice(1), list ? ["left", "right"] : ["min", "max"]);
  if (!("keys" in parsed)) return parsed;
  const timeout = parseTimeoutMs(cmd[1]);
  if (typeof timeout !== "number") return timeout;
  return [list ? "LMPOP" : "ZMPOP", ...cmd.slice(2)];
}

/** Why a script may not run this command (Redis's texts and order), or null. */
export function refusal(store: Store, cmd: string[], readOnly: boolean): Reply | null {
  const name = cmd[0].toLowerCase();
  const arityOk = (arity: number) => arity > 0 ? cmd.length === arity : cmd.length >= -arity;
  const serverArity = SERVER_COMMAND_ARITY[name];
  if (serverArity !== undefined) return arityOk(serverArity) ? null : error(WRONG_ARGS);
  if (name === "blmpop" || name === "bzmpop") {
    if (!arityOk(-5)) return error(WRONG_ARGS);
    if (readOnly) return error("ERR Write commands are not allowed from read-only scripts.");
    return null;
  }
  const found = store.commands.get(name);
  if (found === undefined) {
    const arity = NOT_FROM_SCRIPTS[name];
    if (arity === undefined) return error(UNKNOWN);
    const subs = NOSCRIPT_SUBCOMMANDS[name];
    if (subs !== undefined && cmd.length > 1 && !subs.includes(cmd[1].toLowerCase())) {
      return error(UNKNOWN);
    }
    return error(arityOk(arity) ? NOT_ALLOWED : WRONG_ARGS);
  }
  if (!arityOk(found.arity)) return error(WRONG_ARGS);
  if (found.flags.includes("noscript")) return error(NOT_ALLOWED);
  // PFCOUNT may write its cache in Redis (flag may-replicate), so read-only scripts refuse it.
  if (readOnly && (found.flags.includes("write") || name === "pfcount")) {
    return error("ERR Write commands are not allowed from read-only scripts.");
  }
  return null;
}

/**
 * A script cannot wait: Redis refuses XREAD/XREADGROUP's BLOCK option inside one when its option
 * loop reaches it (a BLOCK with a value, before STREAMS; an earlier bad COUNT or unknown word
 * answers its own error first, which the store's parser gives), naming the command as typed.
 */
function blockRefusal(cmd: string[]): Reply | null {
  for (let i = 1; i < cmd.length; i++) {
    const word = cmd[i].toLowerCase();
    const more = i + 1 < cmd.length;
    if (word === "streams") return null;
    if (word === "block" && more) {
      return error(`ERR ${cmd[0]} command is not allowed with BLOCK option from scripts`);
    }
    if (word === "count" && more && parseInt64(cmd[i + 1]) !== null) i++;
    else if (word === "group" && i + 2 < cmd.length) i += 2;
    else if (word !== "noack") return null;
  }
  return null;
}

/**
 * The host a script's VM calls: runs each allowed command on `store` under `ctx` and collects
 * the log of the writes into `log` (a script is logged as the commands it ran). Each command that
 * ran (refusals excepted, as Redis refuses them before its call()) is told to the store's
 * scriptCommandHook, timed when it asks (the server's slow log and command statistics).
 */
export function scriptHost(
  store: Store,
  ctx: ExecContext,
  readOnly: boolean,
  log: string[][],
): { call(cmd: string[]): Reply } {
  const inScript: ExecContext = { ...ctx, fromScript: true };
  const run = (cmd: string[]): Reply => {
    const local = serverCommand(cmd, ctx);
    if (local !== null) return local;
    const name = cmd[0].toLowerCase();
    if (name === "xread" || name === "xreadgroup") {
      const blocking = blockRefusal(cmd);
      if (blocking !== null) return blocking;
    }
    const plain = nonBlockingForm(cmd);
    if (!Array.isArray(plain)) return plain;
    const r = store.execute(plain, inScript);
    if (r.log !== null) log.push(...r.log);
    return r.reply;
  };
  return {
    call: (cmd: string[]): Reply => {
      const refused = refusal(store, cmd, readOnly);
      if (refused !== null) return refused;
      const hook = ctx.replaying === true ? null : store.scriptCommandHook;
      if (hook === null) return run(cmd);
      const t0 = hook.timed ? performance.now() : 0;
      const reply = run(cmd);
      hook.ran(cmd, hook.timed ? (performance.now() - t0) * 1000 : -1, reply);
      return reply;
    },
  };
}
