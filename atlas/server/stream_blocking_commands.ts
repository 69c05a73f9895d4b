/**
 * XREAD and XREADGROUP with BLOCK. Without BLOCK (or inside EXEC, where Redis never blocks) the store's XREAD
 * answers. With BLOCK: the store's XREAD runs first (it validates everything and serves at once
 * when it can); if nothing is there, an XINFO STREAM per key named with `$` fixes it to the
 * stream's last ID now (last-generated-id, 0-0 for a missing key), and the client waits in
 * Blocking (blocking.ts says which changes wake it), which serves it by running
 * `XREAD COUNT n STREAMS key id` — so the log and replicas only see plain reads. With an
 * asynchronous executor (a Raft cluster) the first try and the XINFO are two linearizable reads;
 * an entry added between them counts as added before this XREAD (which takes effect at the XINFO
 * read), as if that XADD had won the race on a single Redis; Blocking.wait tries once more
 * before waiting, so nothing after it is missed.
 * XREADGROUP blocks only when every ID is `>` (other IDs read history, always at once); a waiter
 * is served by `XREADGROUP GROUP g c COUNT n [NOACK] STREAMS key >`, the non-blocking form that
 * the store logs.
 */
import { NIL_ARRAY, type Reply } from "../store/reply.ts";
import { formatId, type StreamId } from "../store/stream_id.ts";
import { type BlockOp, lastGeneratedId } from "./blocking.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import type { ServerCommand } from "./table.ts";
import { Blocked, type HandlerResult } from "./types.ts";

interface BlockArgs {
  timeoutMs: number;
  count: string;
  streamsAt: number;
  group: string;
  consumer: string;
  noack: boolean;
}

/** BLOCK / COUNT / STREAMS positions, read as Redis's option loop does; null without BLOCK. */
function blockArgs(argv: string[]): BlockArgs | null {
  let timeout: string | null = null;
  let count = "0";
  let group = "";
  let consumer = "";
  let noack = false;
  for (let i = 1; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    const more = i + 1 < argv.length;
    if (o === "block" && more) timeout = argv[++i];
    else if (o === "count" && more) count = argv[++i];
    else if (o === "group" && i + 2 < argv.length) {
      group = argv[++i];
      consumer = argv[++i];
    } else if (o === "noack") noack = true;
    else if (o === "streams" && more) {
      if (timeout === null) return null;
      // The store validated these already: a negative COUNT means no limit, as in Redis.
      const timeoutMs = Number(timeout);
      count = count.startsWith("-") ? "0" : count;
      return { timeoutMs, count, streamsAt: i + 1, group, consumer, noack };
    } else return null;
  }
  return null;
}

/** Runs on the executor, then `next` on the reply, synchronously when the executor is. */
function then<T>(
  r: Reply | Promise<Reply>,
  next: (reply: Reply) => T | Promise<T>,
): T | Promise<T> {
  return r instanceof Promise ? r.then(next) : next(r);
}

/**
 * XINFO STREAM of each distinct key named with `$`, in order, then `done` with their last
 * generated IDs (null: no stream). Synchronous with a synchronous executor.
 */
function lastIds<T>(
  ctx: ServerContext,
  db: number,
  keys: readonly string[],
  done: (ids: Map<string, StreamId | null>) => T | Promise<T>,
): T | Promise<T> {
  const ids = new Map<string, StreamId | null>();
  const from = (i: number): T | Promise<T> => {
    for (; i < keys.length; i++) {
      if (ids.has(keys[i])) continue;
      const info = ctx.executor.execute(["XINFO", "STREAM", keys[i]], db);
      if (info instanceof Promise) {
        const at = i;
        return info.then((r) => {
          ids.set(keys[at], lastGeneratedId(r));
          return from(at + 1);
        });
      }
      ids.set(keys[i], lastGeneratedId(info));
    }
    return done(ids);
  };
  return from(0);
}

function block(ctx: ServerContext, client: Client, argv: string[], a: BlockArgs) {
  const n = (argv.length - a.streamsAt) / 2;
  const keys = argv.slice(a.streamsAt, a.streamsAt + n);
  const dollars = keys.filter((_, i) => argv[a.streamsAt + n + i] === "$");
  return lastIds(ctx, client.db, dollars, (last) => {
    const ids = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      const text = argv[a.streamsAt + n + i];
      if (ids.has(key)) continue; // a key named twice waits for its first ID, as in Redis
      // `$`: the last ID now (a missing key: 0-0, as Redis takes it).
      ids.set(key, text !== "$" ? text : formatId(last.get(key) ?? 0n));
    }
    const op: BlockOp = { kind: "xread", count: a.count, ids };
    return ctx.blocking.wait(client, [...ids.keys()], op, a.timeoutMs, NIL_ARRAY);
  });
}

function xread(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const a = blockArgs(argv);
  const first = ctx.executor.execute(argv, client.db);
  if (a === null || client.inExec) return first;
  const result = then(first, (r) => r.kind !== "nilArray" ? r : block(ctx, client, argv, a));
  return new Blocked(Promise.resolve(result));
}

/** A nil answer means every ID was `>` with nothing new: wait on all the keys. */
function xreadgroup(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const a = blockArgs(argv);
  const first = ctx.executor.execute(argv, client.db);
  if (a === null || client.inExec) return first;
  const keys = argv.slice(a.streamsAt, a.streamsAt + (argv.length - a.streamsAt) / 2);
  const op: BlockOp = {
    kind: "xreadgroup",
    group: a.group,
    consumer: a.consumer,
    count: a.count,
    noack: a.noack,
  };
  const wait = () => ctx.blocking.wait(client, keys, op, a.timeoutMs, NIL_ARRAY);
  const result = then(first, (r) => r.kind !== "nilArray" ? r : wait());
  return new Blocked(Promise.resolve(result));
}

export const STREAM_BLOCKING_COMMANDS: ServerCommand[] = [{
  name: "xread",
  arity: -4,
  flags: ["readonly", "blocking", "movablekeys"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "stream",
  handler: xread,
  since: "5.0.0",
}, {
  name: "xreadgroup",
  arity: -7,
  flags: ["write", "blocking", "movablekeys"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "stream",
  handler: xreadgroup,
  since: "5.0.0",
}];
