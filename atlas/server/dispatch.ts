/**
 * Per-command checks in Redis order (unknown command, arity, subcommand, protected command, auth,
 * RESP2 subscribed mode, MULTI queueing), then the server handler or the executor, with
 * per-command counters.
 */
import { busyReply, ERR_OOM } from "../store/errors.ts";
import { busyScriptCommand } from "./busy_script.ts";
import { aclRefusal } from "./acl_check.ts";
import { error, QUEUED, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { queuedCommandBytes } from "./client_memory.ts";
import type { ServerContext } from "./context.ts";
import { abortHttpRequest, isHttpRequestLine } from "./cross_protocol.ts";
import { countErrorReply } from "./info_stats.ts";
import { luaDebugReply } from "./lua_debug.ts";
import { moduleRejection } from "./module_commands.ts";
import { nestPairs, nestsPairs } from "./resp3_shape.ts";
import { subcommandRejection, subscribedModeError } from "./subcommands.ts";
import { flagsOf, statsOf } from "./table.ts";
import { Blocked, type CommandEntry, type HandlerResult } from "./types.ts";

/** Every call is timed until a command reached this many calls; later 1 call in 64, scaled. */
const DURATION_EXACT_CALLS = 1024;
const DURATION_SAMPLE_MASK = 63;
const NOAUTH: Reply = Object.freeze({ kind: "error", value: "NOAUTH Authentication required." });

export function dispatch(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const entry = ctx.table.lookup(argv[0]);
  if (entry === undefined) {
    if (isHttpRequestLine(argv[0])) return abortHttpRequest(ctx, client);
    flagMultiError(client);
    client.shownEntry = null;
    return rejected(ctx, error(unknownCommandText(argv)));
  }
  // Refused or not, CLIENT LIST shows a command that was found (Redis sets c->lastcmd first).
  client.shownEntry = entry;
  client.shownArgv = argv;
  // Redis's order: the command's arity, its subcommand (unknown, or the wrong argument count),
  // then authentication, then the client's state (subscribed, MULTI).
  if (entry.arity > 0 ? argv.length !== entry.arity : argv.length < -entry.arity) {
    flagMultiError(client);
    entry.rejectedCalls++; // a container without its subcommand counts as itself
    return refused(
      ctx,
      client,
      entry,
      error(`ERR wrong number of arguments for '${entry.name}' command`),
    );
  }
  const badSubcommand = subcommandRejection(entry.name, argv);
  if (badSubcommand !== null) {
    flagMultiError(client);
    // An unknown subcommand is no command to Redis: nothing counts its call, and CLIENT LIST
    // shows cmd=NULL. A known one with the wrong argument count counts as rejected.
    if ((badSubcommand as { value: string }).value.startsWith("ERR unknown subcommand '")) {
      client.shownEntry = null;
    } else statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, badSubcommand);
  }
  // MODULE LOAD / LOADEX / UNLOAD: Redis refuses its protected commands here, before auth.
  const notAllowed = entry.name === "module" ? moduleRejection(entry.name, argv) : null;
  if (notAllowed !== null) {
    flagMultiError(client);
    statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, notAllowed);
  }
  if (!client.authenticated && !entry.noAuth) {
    flagMultiError(client);
    statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, NOAUTH);
  }
  // ACL: right after authentication, as Redis's processCommand checks it.
  const aclRefused = client.user.unrestricted ? null : aclRefusal(ctx, client, entry, argv);
  if (aclRefused !== null) {
    flagMultiError(client);
    statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, aclRefused);
  }
  // maxmemory: evict before every command, a read too, as Redis's processCommand does: memory a
  // write left over the limit is reclaimed by the next command, whatever it is. Outside the
  // command, so a tracking client gets the evicted keys' invalidations before this reply.
  if ((ctx.store?.maxmemoryBytes ?? 0) > 0) ctx.persistence.evictToMaxmemory?.();
  if (client.proto === 2 && client.subscriptionCount > 0 && !entry.pubsubOk) {
    statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, subscribedModeError(entry.name, argv));
  }
  // min-replicas-to-write without the replicas (Redis's NOREPLICAS), before queueing too. Write
  // commands only (entry.write also holds for EVAL / FCALL, which check their own flags).
  const writeRefusal = ctx.store?.writeRefusal && flagsOf(entry, argv).includes("write")
    ? ctx.store.writeRefusal
    : undefined;
  if (writeRefusal) {
    flagMultiError(client);
    statsOf(entry, argv).rejectedCalls++;
    return refused(ctx, client, entry, writeRefusal);
  }
  // A script past busy-reply-threshold: Redis answers all but the allow-busy commands BUSY here
  // (refused in MULTI too: the EXEC then aborts), and serves SCRIPT KILL / FUNCTION KILL / FUNCTION
  // STATS from the running script's state.
  const busy = ctx.executor.busyScript ?? null;
  if (busy !== null) {
    const flags = flagsOf(entry, argv); // a subcommand's flags are spelled as COMMAND INFO's
    if (!flags.includes("allow-busy") && !flags.includes("allow_busy")) {
      flagMultiError(client);
      statsOf(entry, argv).rejectedCalls++;
      return refused(ctx, client, entry, busyReply(busy.kind)); // EXEC: EXECABORT ... BUSY
    }
    const answer = busyScriptCommand(ctx, busy, entry, argv);
    if (answer !== null) {
      statsOf(entry, argv).calls++;
      if (answer.kind === "error") {
        statsOf(entry, argv).failedCalls++;
        countErrorReply(ctx.stats, answer.value);
      }
      return answer;
    }
  }
  // CLIENT PAUSE holds the command here, as Redis does: after the checks above, before queueing.
  if (ctx.pause.type !== 0 && ctx.pause.holds(ctx, client, entry, argv)) {
    return ctx.pause.hold(client, () => dispatch(ctx, client, argv));
  }
  if (client.multi !== null && !entry.multiControl) {
    if (entry.noMulti) {
      flagMultiError(client);
      statsOf(entry, argv).rejectedCalls++;
      return rejected(ctx, error("ERR Command not allowed inside a transaction"));
    }
    // Redis refuses to queue while out of memory (a transaction's queue would grow unbounded), so
    // the EXEC aborts instead of running the block partly (the non-denyoom commands only).
    if (ctx.store?.outOfMemory?.() === true || ctx.executor.outOfMemory?.() === true) {
      flagMultiError(client);
      statsOf(entry, argv).rejectedCalls++;
      return rejected(ctx, ERR_OOM);
    }
    client.multi.push(argv);
    client.multiBytes += queuedCommandBytes(argv);
    return QUEUED;
  }
  return run(ctx, client, entry, argv);
}

/** Runs one checked command (also used by EXEC for its queued commands). */
export function run(
  ctx: ServerContext,
  client: Client,
  entry: CommandEntry,
  argv: string[],
): HandlerResult {
  // Durations are sampled once a command is busy (1 call in 64, scaled): performance.now() is an
  // op call (~100 ns), and even 1 call in 8 cost ~3% of a pipelined command's CPU. The first
  // calls are all timed, so rarely used commands report exact totals. The slow log times read
  // batches instead, and every call only where it must (command_timing.ts).
  const timing = ctx.timing;
  const stats = entry.subcommands === null ? entry : statsOf(entry, argv);
  const calls = stats.calls;
  const exact = calls < DURATION_EXACT_CALLS || timing.exactFor(client);
  const timed = exact || (calls & DURATION_SAMPLE_MASK) === 0;
  const t0 = timed ? performance.now() : 0;
  // Client tracking needs the running command's client (NOLOOP, own invalidations after the
  // reply); the outermost run owns it (EXEC runs its queue through here too).
  const tracking = ctx.tracking;
  const trackingOwner = tracking.count !== 0 && tracking.current === null;
  if (trackingOwner) tracking.current = client;
  // Set before running too, as Redis sets c->lastcmd: CLIENT INFO shows itself, not the command
  // before it. Set again below, so EXEC ends as the last command rather than its last queued one.
  client.lastEntry = entry;
  client.lastArgv = argv;
  client.shownEntry = entry;
  client.shownArgv = argv;
  // EVAL, FCALL...: shown before the commands their script runs, as Redis's feed themselves.
  const monitorFirst = ctx.monitors.size > 0 && entry.flags.includes("skip-monitor");
  if (monitorFirst) ctx.monitors.feed(client, entry, argv);
  let result: HandlerResult;
  // A script a restricted user runs checks each of its calls against that user's rules.
  const restricted = !client.user.unrestricted;
  if (restricted) ctx.scriptCaller = client;
  try {
    result = entry.handler !== null
      ? entry.handler(ctx, client, argv)
      : (entry.group === "scripting" ? luaDebugReply(client, entry, argv) : null) ??
        ctx.executor.execute(argv, client.db, client.execQueue === null ? true : "exec");
  } catch (err) {
    ctx.logger.error("Command failed", { command: entry.name, error: String(err) });
    result = error(`ERR internal error while running '${entry.name}'`);
  }
  if (restricted) ctx.scriptCaller = null;
  // A script that paused (busy-reply-threshold) holds its client as a blocking command does:
  // nothing more of its input runs until the script ends (Redis protects the client). It is timed
  // whole, when it ends (commandstats, the slow log), as Redis times the call.
  const busy = result instanceof Promise ? ctx.executor.busyScript ?? null : null;
  if (busy !== null) result = new Blocked(result as Promise<Reply>);

  // The store refused a denyoom command before running it: Redis refuses it in processCommand,
  // before call(), so it counts in rejected_calls, not as a call, and is neither timed nor shown.
  const refusedOom = result === ERR_OOM;
  const us = timed && !refusedOom ? (performance.now() - t0) * 1000 : -1;
  const weight = exact ? 1 : DURATION_SAMPLE_MASK + 1; // calls this timing stands for
  if (us >= 0 && busy === null) stats.durationUs += us * weight;
  if (refusedOom) stats.rejectedCalls++;
  else stats.calls++; // after running, like Redis: INFO does not count itself
  if (
    client.proto === 3 && (entry.group === "sorted-set" || entry.group === "hash") &&
    nestsPairs(entry.name, argv)
  ) {
    result = result instanceof Promise ? result.then(nestPairs) : nestPairs(result as Reply);
  }
  // A blocked command's error comes later (NOGROUP when XGROUP DESTROY wakes an XREADGROUP, a
  // key deleted under BLMOVE's target...): counted when it arrives, as Redis counts it (a
  // script's error raised by one of its commands was counted then).
  if (result instanceof Blocked) {
    const startMs = timed ? t0 : busy?.startedMs ?? 0;
    result = new Blocked(result.promise.then((reply) => {
      if (busy !== null) {
        const wholeUs = (performance.now() - startMs) * 1000;
        stats.durationUs += wholeUs;
        timing.record(client, entry, stats, argv, wholeUs, 1, reply);
      }
      if (reply.kind === "error") {
        stats.failedCalls++;
        if ((reply as { counted?: true }).counted !== true) countErrorReply(ctx.stats, reply.value);
      }
      return reply;
    }));
  }
  if (client.tracking !== null) tracking.remember(client, entry, argv);
  if (entry.write) client.needsSync = true;
  client.lastEntry = entry;
  client.lastArgv = argv;
  client.shownEntry = entry;
  client.shownArgv = argv;
  if ((result as Reply).kind === "error") {
    if (!refusedOom) stats.failedCalls++;
    const failure = result as { value: string; counted?: true };
    const text = failure.value;
    // A script's error that one of its commands raised was counted when that command failed.
    if (failure.counted !== true) countErrorReply(ctx.stats, text);
    // Redis finds no command for a container's unknown subcommand: CLIENT LIST shows NULL.
    if (text.startsWith("ERR unknown subcommand '")) client.shownEntry = null;
  }
  client.lastResult = result;
  client.lastTimed = timed || busy !== null;
  if (us >= 0 && busy === null) timing.record(client, entry, stats, argv, us, weight, result);
  if (ctx.monitors.size > 0 && !monitorFirst && !refusedOom) ctx.monitors.feed(client, entry, argv);
  // Last: the reply may gain the invalidations of the client's own changes (a ReplyList).
  return trackingOwner ? tracking.endCommand(client, entry, result) : result;
}

/**
 * A found command refused before running. A refused EXEC ends the transaction, as Redis's
 * rejectCommand does through execCommandAbort: the queued commands and WATCHes are dropped and
 * the error is wrapped ("EXECABORT Transaction discarded because of: wrong number of arguments
 * for 'exec' command"), in or out of MULTI. Anything else just answers the error.
 */
function refused(ctx: ServerContext, client: Client, entry: CommandEntry, reply: Reply): Reply {
  if (entry.name !== "exec") return rejected(ctx, reply);
  client.multi = null;
  client.multiAborted = false;
  ctx.watches.unwatchAll(client);
  return rejected(ctx, execAbort(reply));
}

/** EXEC refused whole for `reason` (Redis's execCommandAbort: the reason without "ERR "). */
export function execAbort(reason: Reply): Reply {
  const text = (reason as { value: string }).value.replace(/^ERR /, "");
  return error(`EXECABORT Transaction discarded because of: ${text}`);
}

/** A command refused before running: its error reply counts in INFO errorstats. */
function rejected(ctx: ServerContext, reply: Reply): Reply {
  countErrorReply(ctx.stats, (reply as { value: string }).value);
  return reply;
}

function flagMultiError(client: Client): void {
  if (client.multi !== null) client.multiAborted = true;
}

/** Redis 7: `ERR unknown command 'x', with args beginning with: 'a' 'b' ` (128-char budget). */
export function unknownCommandText(argv: string[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i].slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`;
}
