/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH. Queued commands were checked when queued (unknown
 * command, arity, auth: a failure there makes EXEC answer EXECABORT). EXEC runs them back to back
 * with no await in between, so with a synchronous executor nothing interleaves — but for a script
 * in the block that runs past busy-reply-threshold: it pauses as a client's own script does
 * (every other client is answered BUSY, SCRIPT KILL can stop it), and the block goes on once it
 * ended. The engine writes the block's effects as one AOF record either way.
 */
import { execDenial } from "./acl_check.ts";
import { ERR_OOM } from "../store/errors.ts";
import { error, NIL_ARRAY, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { transactionDone, transactionStarting } from "./replication_feed.ts";
import { execAbort, run } from "./dispatch.ts";
import { flagsOf, type ServerCommand } from "./table.ts";
import { parseDbIndex } from "../store/db_commands.ts";
import { Blocked, type HandlerResult, ReplyList } from "./types.ts";

const OK = simple("OK");

function multi(_ctx: ServerContext, client: Client): Reply {
  if (client.multi !== null) return error("ERR MULTI calls can not be nested");
  client.multi = [];
  client.multiBytes = 0;
  client.multiAborted = false;
  return OK;
}

function endMulti(ctx: ServerContext, client: Client): void {
  client.multi = null;
  client.multiAborted = false;
  ctx.watches.unwatchAll(client);
}

function discard(ctx: ServerContext, client: Client): Reply {
  if (client.multi === null) return error("ERR DISCARD without MULTI");
  endMulti(ctx, client);
  return OK;
}

function exec(ctx: ServerContext, client: Client): HandlerResult {
  const queued = client.multi;
  if (queued === null) return error("ERR EXEC without MULTI");
  // On a replica, a write another node acknowledged before this EXEC may not be applied here
  // yet, and only once it is does it mark the watched keys: wait for that first. Blocked, so the
  // client's next commands wait too (they would otherwise see the transaction still open).
  const barrier = client.watched !== null && !client.multiAborted ? ctx.executor.barrier?.() : null;
  if (!barrier) return execQueued(ctx, client, queued, true);
  return new Blocked(barrier.then((failure) => {
    if (failure === null) return execQueued(ctx, client, queued, false) as Reply | Promise<Reply>;
    endMulti(ctx, client);
    return failure;
  }));
}

/** EXEC once the watched keys can be judged; `streamed`: may write replies as they come. */
function execQueued(
  ctx: ServerContext,
  client: Client,
  queued: string[][],
  streamed: boolean,
): Reply | Promise<Reply> | ReplyList {
  const aborted = client.multiAborted;
  // A watched key that expired since WATCH aborts too, even if nobody touched it (Redis 7).
  const dirty = client.watchDirty || Date.now() >= client.watchDeadlineMs;
  // For a replicated executor: the watched keys in their databases (`<db>:<key>`).
  const watched = client.watched === null ? undefined : [...client.watched];
  endMulti(ctx, client);
  // Redis's processCommand evicts before EXEC and, still over maxmemory, refuses a block holding
  // a denyoom command whole; a block it admits runs to its end whatever memory it takes. Here
  // the block's own writes evict (each logs its DELs), so what refuses it is memory over the
  // limit with nothing the policy may evict.
  const store = ctx.store;
  const outOfMemory = store?.outOfMemory?.() === true || ctx.executor.outOfMemory?.() === true;
  if (outOfMemory && queued.some((argv) => queuedHas(ctx, argv, "denyoom"))) {
    return execAbort(ERR_OOM);
  }
  // A write queued before min-replicas-to-write turned writes away aborts the block too.
  const writeRefusal = store?.writeRefusal;
  if (writeRefusal && queued.some((argv) => queuedHas(ctx, argv, "write"))) {
    return execAbort(writeRefusal);
  }
  if (aborted) {
    return error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (dirty) return NIL_ARRAY;
  // A replicated executor runs the block's data commands as one unit (one Raft entry).
  if (ctx.executor.executeTransaction) {
    const isData = (argv: string[]) => ctx.table.lookup(argv[0])!.handler === null;
    if (queued.every(isData)) {
      // The watched keys go along: the block applies later, at its place in the log, and aborts
      // there if one changed meanwhile (src/cluster/watch_guard.ts).
      const dbs = client.db === 0 ? undefined : queued.map(() => client.db);
      return ctx.executor.executeTransaction(queued, watched, dbs).then((value) =>
        value === null ? NIL_ARRAY : { kind: "array", value }
      );
    }
    if (queued.some(isData)) return execSplit(ctx, client, queued, watched, isData);
  }
  // The block's commands are not refused for memory, the rest of it after a paused script too.
  const admitted: Admitted = store?.withoutOomRefusal
    ? (body) => store.withoutOomRefusal!(body)
    : (body) => body();
  return admitted(() => {
    if (streamed && !client.replyOff && !client.replySkip && !client.output.repliesQueued) {
      return execStreamed(ctx, client, queued, admitted);
    }
    // CLIENT REPLY OFF/SKIP (the whole reply is dropped after) or replies still queued ahead of
    // this one: one array of every reply, encoded later.
    return runQueued(ctx, client, queued, admitted);
  });
}

/** Runs part of a block the way its start ran (Store.withoutOomRefusal, or as it is). */
type Admitted = <T>(body: () => T) => T;

/** Whether a queued command has `flag` (a container's subcommand by its own flags). */
function queuedHas(ctx: ServerContext, argv: string[], flag: string): boolean {
  const entry = ctx.table.lookup(argv[0]);
  return entry !== undefined && flagsOf(entry, argv).includes(flag);
}

/** The start of an EXEC's run of its queued commands (runQueued's and execStreamed's). */
function execStarting(ctx: ServerContext, client: Client, queued: string[][]): void {
  client.execQueue = queued;
  transactionStarting(ctx);
  ctx.persistence.beginTransaction?.();
}

/** The end of an EXEC's run of its queued commands (runQueued's and execStreamed's). */
function execDone(ctx: ServerContext, client: Client): void {
  client.execQueue = null;
  ctx.persistence.endTransaction?.();
  transactionDone(ctx);
  // The block ran on the time it started at (Redis's too); what follows, blocked clients served
  // by its writes included, reads the clock again: a DEBUG SLEEP in it may have moved it.
  ctx.persistence.clockMoved?.();
}

/**
 * Runs a block from its start: `runFrom(0)` runs queued commands until the end (null) or until a
 * script paused (a Promise of the rest). The block ends (execDone) once, when all of it ran.
 */
function runBlock(
  ctx: ServerContext,
  client: Client,
  runFrom: (from: number) => Promise<void> | null,
): Promise<void> | null {
  let rest: Promise<void> | null = null;
  try {
    rest = runFrom(0);
  } finally {
    if (rest === null) execDone(ctx, client);
  }
  return rest === null ? null : rest.finally(() => execDone(ctx, client));
}

/** Whether a queued command's result is a script paused past busy-reply-threshold. */
function pausedScript(ctx: ServerContext, result: HandlerResult): result is Blocked {
  return result instanceof Blocked && (ctx.executor.busyScript ?? null) !== null;
}

/** The rest of the block, run once the paused script's command answered (whatever it answered). */
function afterPause(
  paused: Blocked,
  admitted: Admitted,
  rest: () => Promise<void> | null,
): Promise<void> {
  const next = () => admitted(rest) ?? undefined;
  return paused.promise.then(next, next);
}

/**
 * Runs the queued commands in order and answers one array of their replies. `ranElsewhere` gives
 * the reply of a command that already ran (execSplit's data commands), or null to run it here.
 */
function runQueued(
  ctx: ServerContext,
  client: Client,
  queued: string[][],
  admitted: Admitted = (body) => body(),
  ranElsewhere: (argv: string[]) => Reply | null = () => null,
): Reply | Promise<Reply> {
  const results: (Reply | Promise<Reply>)[] = [];
  let async = false;
  execStarting(ctx, client, queued);
  const runFrom = (from: number): Promise<void> | null => {
    for (let i = from; i < queued.length; i++) {
      const argv = queued[i];
      const done = ranElsewhere(argv);
      if (done !== null) {
        results.push(done);
        continue;
      }
      const entry = ctx.table.lookup(argv[0])!;
      const denied = client.user.unrestricted ? null : execDenial(ctx, client, entry, argv);
      const r = denied ?? run(ctx, client, entry, argv);
      if (r instanceof Blocked) {
        results.push(r.promise);
        async = true;
        if (pausedScript(ctx, r)) return afterPause(r, admitted, () => runFrom(i + 1));
      } else if (r instanceof ReplyList) {
        results.push(...r.replies);
      } else {
        if (r instanceof Promise) async = true;
        results.push(r);
      }
    }
    return null;
  };
  const rest = runBlock(ctx, client, runFrom);
  if (rest === null && !async) return { kind: "array", value: results as Reply[] };
  return (rest ?? Promise.resolve()).then(() => Promise.all(results)).then((value) => ({
    kind: "array",
    value,
  }));
}

/**
 * A replicated executor and a block that mixes data commands with server ones (PUBLISH, CLIENT,
 * ...): the data commands still apply as one entry, atomically and with the WATCH check where it
 * applies; the server commands run here once it did, in their order, and not at all if the
 * transaction aborted. A subscriber of the block's PUBLISH so sees every write of the block, as
 * with Redis's atomic EXEC. (Run one by one, the writes were separate entries: a WATCH / MULTI /
 * SET / PUBLISH / EXEC loop on a cluster lost updates.)
 */
async function execSplit(
  ctx: ServerContext,
  client: Client,
  queued: string[][],
  watched: string[] | undefined,
  isData: (argv: string[]) => boolean,
): Promise<Reply> {
  const data = queued.filter(isData);
  const applied = await ctx.executor.executeTransaction!(
    data,
    watched,
    dataDatabases(ctx, client.db, queued, isData),
  );
  if (applied === null) return NIL_ARRAY;
  let next = 0;
  return await runQueued(
    ctx,
    client,
    queued,
    undefined,
    (argv) => isData(argv) ? applied[next++] : null,
  );
}

/**
 * The database each data command of a block runs in, as its SELECTs leave it when the block runs
 * in order (each SELECT that succeeds moves the ones after it); undefined when all run in 0.
 */
function dataDatabases(
  ctx: ServerContext,
  startDb: number,
  queued: string[][],
  isData: (argv: string[]) => boolean,
): number[] | undefined {
  let db = startDb;
  const dbs: number[] = [];
  for (const argv of queued) {
    if (isData(argv)) dbs.push(db);
    else if (argv[0].toLowerCase() === "select" && argv.length === 2) {
      const selected = parseDbIndex(argv[1], ctx.databases);
      if (typeof selected === "number") db = selected;
    }
  }
  return dbs.some((d) => d !== 0) ? dbs : undefined;
}

/**
 * EXEC as Redis sends it: the array header (one item per queued command) goes out first, then
 * each command's reply as soon as it ran. So pushes the commands cause for this very client
 * (a PUBLISH to a channel it is subscribed to, its keyspace events) land inside the array, just
 * before the reply of the command that caused them, and a command with several replies (SUBSCRIBE
 * a b) puts them all there, still counted as one item. Once a command answers asynchronously, it
 * and every later reply are awaited and sent in order after what was already written.
 */
function execStreamed(
  ctx: ServerContext,
  client: Client,
  queued: string[][],
  admitted: Admitted,
): ReplyList | Promise<Reply> {
  client.output.writer.arrayHeader(queued.length);
  let later: (Reply | Promise<Reply> | ReplyList)[] | null = null;
  // A queued CLIENT REPLY OFF silences the replies from there on (the header is out already); a
  // queued SKIP only its own reply: the reply it skips is the one after EXEC's.
  let skipping = false;
  execStarting(ctx, client, queued);
  const runFrom = (from: number): Promise<void> | null => {
    for (let i = from; i < queued.length; i++) {
      const argv = queued[i];
      const entry = ctx.table.lookup(argv[0])!;
      const denied = client.user.unrestricted ? null : execDenial(ctx, client, entry, argv);
      const r = denied ?? run(ctx, client, entry, argv);
      const silenced = client.replyOff || (client.replySkip && !skipping);
      skipping = client.replySkip;
      const rest = pausedScript(ctx, r) ? afterPause(r, admitted, () => runFrom(i + 1)) : null;
      if (!silenced) {
        const item = r instanceof Blocked ? r.promise : r;
        if (later === null && !(item instanceof Promise)) {
          // Read the writer anew each time: a flush may swap it.
          const w = client.output.writer;
          if (item instanceof ReplyList) {
            for (const one of item.replies) w.reply(one, client.proto);
          } else w.reply(item, client.proto);
        } else (later ??= []).push(item);
      }
      if (rest !== null) return rest;
    }
    return null;
  };
  const rest = runBlock(ctx, client, runFrom);
  if (rest === null && later === null) return new ReplyList([]);
  // The connection encodes a ReplyList a pending reply resolves to, item by item.
  return (rest ?? Promise.resolve()).then(() => Promise.all(later ?? [])).then((items) =>
    new ReplyList(items.flatMap((r) => r instanceof ReplyList ? r.replies : [r]))
  ) as unknown as Promise<Reply>;
}

function watch(ctx: ServerContext, client: Client, argv: string[]): Reply {
  if (client.multi !== null) return error("ERR WATCH inside MULTI is not allowed");
  const now = Date.now();
  for (let i = 1; i < argv.length; i++) {
    const deadline = ctx.store?.expireAtMs?.(argv[i], client.db) ?? null;
    // Held past its deadline: stale, its deletion is no change (watches.ts).
    const stale = deadline !== null && deadline <= now;
    ctx.watches.watch(client, argv[i], client.db, stale);
    if (deadline !== null && deadline > now && deadline < client.watchDeadlineMs) {
      client.watchDeadlineMs = deadline;
    }
  }
  return OK;
}

function unwatch(ctx: ServerContext, client: Client): Reply {
  ctx.watches.unwatchAll(client);
  return OK;
}

const tx = (
  name: string,
  arity: number,
  flags: string[],
  handler: ServerCommand["handler"],
  firstKey = 0,
): ServerCommand => ({
  name,
  arity,
  flags,
  firstKey,
  lastKey: firstKey === 0 ? 0 : -1,
  step: firstKey === 0 ? 0 : 1,
  group: "transactions",
  handler,
});

export const TRANSACTION_COMMANDS: ServerCommand[] = [
  tx("multi", 1, ["noscript", "loading", "stale", "fast", "allow-busy"], multi),
  tx("exec", 1, ["noscript", "loading", "stale", "skip-slowlog"], exec),
  tx("discard", 1, ["noscript", "loading", "stale", "fast", "allow-busy"], discard),
  tx("watch", -2, ["noscript", "loading", "stale", "fast", "allow-busy"], watch, 1),
  tx("unwatch", 1, ["noscript", "loading", "stale", "fast", "allow-busy"], unwatch),
];
