/**
 * What a script may call back into (redis.call / redis.pcall from EVAL and FCALL): the store's
 * commands, PING / ECHO / TIME answered here, the server's commands Redis lets scripts run
 * (through the store's scriptServerHook), and Redis's refusals of everything else.
 */
import { array, bulk, error, integer, OK, type Reply, simple } from "../store/reply.ts";
import { parseDbIndex } from "../store/db_commands.ts";
import { ERR_OOM } from "../store/errors.ts";
import type { ExecContext } from "../store/keyspace.ts";
import { parseInt64 } from "../store/numbers.ts";
import { parseMpop, parseTimeoutMs } from "../store/util.ts";
import type { Store } from "../store/store.ts";
import type { ScriptHost } from "./lua_vm.ts";

/**
 * Redis 7.0.15's commands that scripts may not run (flag noscript), by arity, for when no server
 * says what it has (a store alone) and for the ones atlasd lacks (MODULE, FAILOVER, REPLICAOF):
 * Redis checks the arity first ("Wrong number of args"), then the flag.
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
  failover: -1,
  slaveof: 3,
  replicaof: 3,
  role: 1,
};

/**
 * Redis 7.0.15's subcommands of the containers whose subcommands the server may not list (ACL's
 * and MODULE's that atlasd lacks, CLUSTER's, which atlasd answers as a Redis without cluster
 * support), as [arity, noscript]: Redis looks the subcommand up first (an unknown one is an
 * unknown command), then checks its arity, then its flag. A subcommand that is not noscript runs
 * on the server (CLUSTER INFO answers "cluster support disabled"), when there is one.
 */
const REDIS_SUBCOMMANDS: Readonly<Record<string, Readonly<Record<string, [number, boolean]>>>> = {
  acl: subcommands(
    "cat -2 deluser -3 dryrun -4 genpass -2 getuser 3 list 2 load 2 log -2 save 2 setuser -3 " +
      "users 2 whoami 2",
  ),
  client: subcommands(
    "caching 3 getname 2 getredir 2 id 2 info 2 kill -3 list -2 no-evict 3 pause -3 reply 3 " +
      "setname 3 tracking -3 trackinginfo 2 unblock -3 unpause 2",
  ),
  config: subcommands("get -3 resetstat 2 rewrite 2 set -4"),
  latency: subcommands("doctor 2 graph 3 histogram -2 history 3 latest 2 reset -2"),
  module: subcommands("list 2 load -3 loadex -3 unload 3"),
  cluster: subcommands(
    "reset -2 | addslots -3 addslotsrange -4 bumpepoch 2 count-failure-reports 3 " +
      "countkeysinslot 3 delslots -3 delslotsrange -4 failover -2 flushslots 2 forget 3 " +
      "getkeysinslot 4 help 2 info 2 keyslot 3 links 2 meet -4 myid 2 nodes 2 replicas 3 " +
      "replicate 3 saveconfig 2 set-config-epoch 3 setslot -4 shards 2 slaves 3 slots 2",
  ),
};

/** "name arity ..." pairs, noscript before a "|" and allowed after it. */
function subcommands(text: string): Record<string, [number, boolean]> {
  const out: Record<string, [number, boolean]> = {};
  const words = text.split(/\s+/);
  let noscript = true;
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "|") noscript = false;
    else out[words[i]] = [Number(words[++i]), noscript];
  }
  return out;
}

/** Redis's may-replicate commands scripts may call: read-only scripts refuse them as writes. */
const MAY_REPLICATE: ReadonlySet<string> = new Set(["publish", "spublish", "pfcount"]);

const WRONG_ARGS = "ERR Wrong number of args calling Redis command from script";
const NOT_ALLOWED = "ERR This Redis command is not allowed from script";
const UNKNOWN = "ERR Unknown Redis command called from script";
const ZERO = integer(0);

/** Server commands scripts may call that are answered here, as the server would. */
const SERVER_COMMAND_ARITY: Record<string, number> = { ping: -1, echo: 2, time: 1, select: 2 };

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

/** Where a command a script calls runs: answered here, by the store, or by the server. */
type Runner = "here" | "store" | "server";

/** A command as a script's call sees it: Redis's arity and flags, and where it runs. */
interface Found {
  readonly arity: number;
  readonly flags: readonly string[];
  readonly runner: Runner;
}

const NOSCRIPT_FLAGS = ["noscript"];
const NO_FLAGS: readonly string[] = [];
const WRITE_FLAGS = ["write"];

/**
 * Redis's lookupCommand for a script's call: the command (a container's subcommand when `cmd`
 * has one) with its arity and flags, or null for an unknown one. With a server (its
 * scriptServerHook) its table answers, subcommands included; a store alone knows its own
 * commands and Redis's refusals.
 */
function lookup(store: Store, cmd: string[]): Found | null {
  const name = cmd[0].toLowerCase();
  const here = own(SERVER_COMMAND_ARITY, name);
  if (here !== undefined) return { arity: here, flags: NO_FLAGS, runner: "here" };
  if (name === "blmpop" || name === "bzmpop") {
    return { arity: -5, flags: WRITE_FLAGS, runner: "store" };
  }
  const server = store.scriptServerHook;
  const spec = store.commands.get(name);
  if (server !== null) {
    const found = server.lookup(cmd);
    if (found !== null) {
      return { arity: found.arity, flags: found.flags, runner: spec ? "store" : "server" };
    }
  } else if (spec !== undefined) {
    return { arity: spec.arity, flags: spec.flags, runner: "store" };
  }
  const subs = own(REDIS_SUBCOMMANDS, name);
  if (subs !== undefined && cmd.length > 1) {
    const sub = own(subs, cmd[1].toLowerCase());
    if (sub === undefined || (!sub[1] && server === null)) return null;
    return { arity: sub[0], flags: sub[1] ? NOSCRIPT_FLAGS : NO_FLAGS, runner: "server" };
  }
  if (subs !== undefined) return { arity: -2, flags: NO_FLAGS, runner: "server" };
  const arity = own(NOT_FROM_SCRIPTS, name);
  return arity === undefined ? null : { arity, flags: NOSCRIPT_FLAGS, runner: "server" };
}

/** `table[name]` when the table itself has it (not "constructor" from its prototype). */
function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * Why a script may not run this command (Redis's texts, in scriptCall's order: unknown, arity,
 * noscript, a write or may-replicate command in a read-only script), or null.
 */
function refusal(
  found: Found | null,
  cmd: string[],
  readOnly: boolean,
  denyDisabled: boolean,
): Reply | null {
  if (found === null) return error(UNKNOWN);
  const arity = found.arity;
  if (arity > 0 ? cmd.length !== arity : cmd.length < -arity) return error(WRONG_ARGS);
  if (found.flags.includes("noscript") && !denyDisabled) return error(NOT_ALLOWED);
  if (
    readOnly && (found.flags.includes("write") || MAY_REPLICATE.has(cmd[0].toLowerCase()))
  ) {
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
 * scriptCommandHook, timed when it asks (the server's slow log and command statistics). Server
 * commands (PUBLISH, INFO, PUBSUB...) run on the server through the store's scriptServerHook;
 * they log nothing. While replaying a log (AOF load) a PUBLISH or SPUBLISH publishes nothing and
 * answers 0: its messages went out when the script first ran. `oomAtStart`: memory was over
 * maxmemory as the script started and it may not ignore that (no allow-oom flag).
 */
export function scriptHost(
  store: Store,
  ctx: ExecContext,
  readOnly: boolean,
  log: string[][],
  oomAtStart = false,
): ScriptHost & { wrote(): boolean } {
  const inScript: ExecContext = { ...ctx, fromScript: true };
  let calledWrite = false;
  /**
   * The refusals that come from the server's state, in Redis's scriptCall order (none while
   * replaying a log, which holds only what ran): min-replicas-to-write without the replicas
   * (scriptVerifyWriteCommandAllow), then scriptVerifyOOM — over maxmemory when the script started
   * (and no allow-oom), a denyoom command is refused only until the script called its first write
   * command (even one that changed nothing); from then on it cannot stop half-way, so the rest
   * runs whatever memory it takes.
   */
  const stateRefusal = (flags: readonly string[]): Reply | null => {
    if (flags.includes("write") && store.writeRefusal !== null) return store.writeRefusal;
    return oomAtStart && !calledWrite && flags.includes("denyoom") ? ERR_OOM : null;
  };
  const run = (cmd: string[], runner: Runner): Reply => {
    const name = cmd[0].toLowerCase();
    if (name === "select") {
      // The script's own database from here on; the caller's stays (Redis 7).
      const db = parseDbIndex(cmd[1], store.databases);
      if (typeof db !== "number") return db;
      inScript.db = db;
      return OK;
    }
    if (runner === "here") return serverCommand(cmd, ctx) as Reply;
    if (runner === "server") {
      const server = store.scriptServerHook;
      if (server === null) return error(UNKNOWN);
      if (ctx.replaying === true && (name === "publish" || name === "spublish")) return ZERO;
      return server.call(cmd, inScript);
    }
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
      const replaying = ctx.replaying === true;
      const hook = replaying ? null : store.scriptCommandHook;
      const found = lookup(store, cmd);
      const refused = refusal(found, cmd, readOnly, store.scriptDenyDisabled) ??
        hook?.refuse?.(cmd) ??
        (replaying ? null : stateRefusal((found as Found).flags));
      if (refused !== null) {
        hook?.rejected?.(cmd, refused);
        return refused;
      }
      const runner = (found as Found).runner;
      if ((found as Found).flags.includes("write")) calledWrite = true;
      if (hook === null) return run(cmd, runner);
      const t0 = hook.timed ? performance.now() : 0;
      const reply = run(cmd, runner);
      // The database after the command, as Redis's MONITOR shows it (a SELECT: the one it chose).
      hook.ran(cmd, hook.timed ? (performance.now() - t0) * 1000 : -1, reply, inScript.db ?? 0);
      return reply;
    },
    /** Whether the script called a write command (Redis's SCRIPT_WRITE_DIRTY), even a no-op. */
    wrote: () => calledWrite,
    aclCheck: (cmd: string[]): boolean | null => {
      if (lookup(store, cmd) === null) return null;
      // Replaying a log runs as nobody: the check was the caller's, when the script first ran.
      const hook = ctx.replaying === true ? null : store.scriptCommandHook;
      return hook?.permits?.(cmd) ?? true;
    },
  };
}
