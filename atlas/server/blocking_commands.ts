/**
 * BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP: argument checks, then Blocking
 * (or one try inside EXEC).
 */
import { error, NIL, NIL_ARRAY, type Reply } from "../store/reply.ts";
import { parseMpop, parseTimeoutMs } from "../store/util.ts";
import type { BlockOp } from "./blocking.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import type { ServerCommand } from "./table.ts";
import { Blocked, type HandlerResult } from "./types.ts";

function block(
  ctx: ServerContext,
  client: Client,
  keys: string[],
  op: BlockOp,
  timeoutText: string,
  timeoutReply: Reply,
  /** The answer inside EXEC when there is nothing to pop (Redis 7: BLMOVE's differs). */
  emptyReply: Reply = timeoutReply,
): HandlerResult {
  const timeoutMs = parseTimeoutMs(timeoutText);
  if (typeof timeoutMs !== "number") return timeoutMs;
  if (client.inExec) {
    // Inside MULTI/EXEC a blocking command never blocks: it behaves like its non-blocking form.
    const now = ctx.blocking.tryNow(keys, op, client.db);
    return now instanceof Promise ? now.then((r) => r ?? emptyReply) : now ?? emptyReply;
  }
  return new Blocked(ctx.blocking.wait(client, keys, op, timeoutMs, timeoutReply));
}

function blpop(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const keys = argv.slice(1, -1);
  return block(ctx, client, keys, { kind: "pop", left: true }, argv[argv.length - 1], NIL_ARRAY);
}

function brpop(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const keys = argv.slice(1, -1);
  return block(ctx, client, keys, { kind: "pop", left: false }, argv[argv.length - 1], NIL_ARRAY);
}

function side(text: string): string | null {
  const s = text.toUpperCase();
  return s === "LEFT" || s === "RIGHT" ? s : null;
}

function blmove(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const from = side(argv[3]);
  const to = side(argv[4]);
  if (from === null || to === null) return error("ERR syntax error");
  const op: BlockOp = { kind: "move", dst: argv[2], from, to };
  // Redis 7 times a blocked BLMOVE out with a nil array (`*-1`), like every blocked list pop,
  // but answers a nil bulk (`$-1`) inside EXEC.
  return block(ctx, client, [argv[1]], op, argv[5], NIL_ARRAY, NIL);
}

function brpoplpush(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const op: BlockOp = { kind: "move", dst: argv[2], from: "RIGHT", to: "LEFT" };
  return block(ctx, client, [argv[1]], op, argv[3], NIL_ARRAY, NIL);
}

function bzpop(ctx: ServerContext, client: Client, argv: string[], min: boolean): HandlerResult {
  const keys = argv.slice(1, -1);
  return block(ctx, client, keys, { kind: "zpop", min }, argv[argv.length - 1], NIL_ARRAY);
}

/**
 * BLMPOP / BZMPOP timeout numkeys key [key ...] WHERE [COUNT count]. Redis checks numkeys, the
 * direction and COUNT before the timeout; each key is then tried as `LMPOP|ZMPOP 1 key ...`.
 */
function bmpop(
  ctx: ServerContext,
  client: Client,
  argv: string[],
  command: "LMPOP" | "ZMPOP",
): HandlerResult {
  // Without the timeout, the arguments are LMPOP's / ZMPOP's (argv[1] takes the name's place).
  const rest = argv.slice(1);
  const [first, second] = command === "LMPOP"
    ? ["LEFT", "RIGHT"] as const
    : ["MIN", "MAX"] as const;
  const a = parseMpop(rest, [first.toLowerCase(), second.toLowerCase()]);
  if (!("keys" in a)) return a;
  const countAt = 4 + a.keys.length; // COUNT's value in `rest`, when given
  const op: BlockOp = {
    kind: "mpop",
    command,
    where: a.first ? first : second,
    count: countAt < rest.length ? rest[countAt] : "1",
  };
  return block(ctx, client, a.keys, op, argv[1], NIL_ARRAY);
}

const b = (
  name: string,
  arity: number,
  keys: [number, number, number],
  handler: ServerCommand["handler"],
  more: Partial<ServerCommand> = {},
): ServerCommand => ({
  name,
  arity,
  flags: ["write", "noscript", "blocking"],
  firstKey: keys[0],
  lastKey: keys[1],
  step: keys[2],
  group: "list",
  handler,
  ...more,
});

const BZPOP_FLAGS = ["write", "noscript", "blocking", "fast"];
// The moving pops add to their destination: refused under maxmemory like LMOVE.
const DENYOOM_BLOCKING_FLAGS = ["write", "denyoom", "noscript", "blocking"];
// Redis 7 allows BLMPOP / BZMPOP in scripts (no "noscript"); their keys follow numkeys.
const BMPOP_FLAGS = ["write", "blocking", "movablekeys"];

export const BLOCKING_COMMANDS: ServerCommand[] = [
  b("blpop", -3, [1, -2, 1], blpop),
  b("brpop", -3, [1, -2, 1], brpop),
  b("blmove", 6, [1, 2, 1], blmove, { flags: DENYOOM_BLOCKING_FLAGS }),
  b("brpoplpush", 4, [1, 2, 1], brpoplpush, { flags: DENYOOM_BLOCKING_FLAGS }),
  // Keys counted by numkeys: key spec [0, 0, 0], like LMPOP / ZMPOP in the store's table.
  b("blmpop", -5, [0, 0, 0], (ctx, client, argv) => bmpop(ctx, client, argv, "LMPOP"), {
    flags: BMPOP_FLAGS,
    since: "7.0.0",
  }),
  b("bzpopmin", -3, [1, -2, 1], (ctx, client, argv) => bzpop(ctx, client, argv, true), {
    flags: BZPOP_FLAGS,
    group: "sorted-set",
    since: "5.0.0",
  }),
  b("bzpopmax", -3, [1, -2, 1], (ctx, client, argv) => bzpop(ctx, client, argv, false), {
    flags: BZPOP_FLAGS,
    group: "sorted-set",
    since: "5.0.0",
  }),
  b("bzmpop", -5, [0, 0, 0], (ctx, client, argv) => bmpop(ctx, client, argv, "ZMPOP"), {
    flags: BMPOP_FLAGS,
    group: "sorted-set",
    since: "7.0.0",
  }),
];
