/** BLPOP BRPOP BLMOVE BRPOPLPUSH: argument checks, then Blocking (or one try inside EXEC). */
import { error, NIL, NIL_ARRAY, type Reply } from "../store/reply.ts";
import type { BlockOp } from "./blocking.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import type { ServerCommand } from "./table.ts";
import { Blocked, type HandlerResult } from "./types.ts";

/** Redis getTimeoutFromObjectOrReply: seconds as a float, >= 0; 0 = forever. */
export function parseTimeoutMs(text: string): number | Reply {
  const value = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) return error("ERR timeout is not a float or out of range");
  if (value < 0) return error("ERR timeout is negative");
  const ms = Math.ceil(value * 1000);
  if (ms > Number.MAX_SAFE_INTEGER) return error("ERR timeout is out of range");
  return ms;
}

function block(
  ctx: ServerContext,
  client: Client,
  keys: string[],
  op: BlockOp,
  timeoutText: string,
  timeoutReply: Reply,
): HandlerResult {
  const timeoutMs = parseTimeoutMs(timeoutText);
  if (typeof timeoutMs !== "number") return timeoutMs;
  if (client.inExec) {
    // Inside MULTI/EXEC a blocking command never blocks: it behaves like its non-blocking form.
    const now = ctx.blocking.tryNow(keys, op);
    return now instanceof Promise ? now.then((r) => r ?? timeoutReply) : now ?? timeoutReply;
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
  return block(ctx, client, [argv[1]], { kind: "move", dst: argv[2], from, to }, argv[5], NIL);
}

function brpoplpush(ctx: ServerContext, client: Client, argv: string[]): HandlerResult {
  const op: BlockOp = { kind: "move", dst: argv[2], from: "RIGHT", to: "LEFT" };
  return block(ctx, client, [argv[1]], op, argv[3], NIL);
}

const b = (
  name: string,
  arity: number,
  keys: [number, number, number],
  handler: ServerCommand["handler"],
): ServerCommand => ({
  name,
  arity,
  flags: ["write", "noscript", "blocking"],
  firstKey: keys[0],
  lastKey: keys[1],
  step: keys[2],
  group: "list",
  handler,
});

export const BLOCKING_COMMANDS: ServerCommand[] = [
  b("blpop", -3, [1, -2, 1], blpop),
  b("brpop", -3, [1, -2, 1], brpop),
  b("blmove", 6, [1, 2, 1], blmove),
  b("brpoplpush", 4, [1, 2, 1], brpoplpush),
];
