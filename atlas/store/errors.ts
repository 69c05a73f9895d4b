/** Redis 7 error replies the store answers with (texts match redis-server 7.0). */
import { error, type Reply } from "./reply.ts";

export const WRONGTYPE: Reply = Object.freeze(
  error("WRONGTYPE Operation against a key holding the wrong kind of value"),
);
export const ERR_SYNTAX: Reply = Object.freeze(error("ERR syntax error"));
export const ERR_NOT_INTEGER: Reply = Object.freeze(
  error("ERR value is not an integer or out of range"),
);
export const ERR_NOT_FLOAT: Reply = Object.freeze(error("ERR value is not a valid float"));
export const ERR_OVERFLOW: Reply = Object.freeze(
  error("ERR increment or decrement would overflow"),
);
export const ERR_NO_SUCH_KEY: Reply = Object.freeze(error("ERR no such key"));
export const ERR_INDEX_RANGE: Reply = Object.freeze(error("ERR index out of range"));
export const ERR_NAN_INF: Reply = Object.freeze(
  error("ERR increment would produce NaN or Infinity"),
);
export const ERR_OOM: Reply = Object.freeze(
  error("OOM command not allowed when used memory > 'maxmemory'."),
);
/** Redis's answer while a script runs past busy-reply-threshold: which KILL stops it. */
const BUSY_EVAL: Reply = Object.freeze(
  error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
);
const BUSY_FUNCTION: Reply = Object.freeze(
  error(
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
  ),
);
export function busyReply(kind: "eval" | "function"): Reply {
  return kind === "eval" ? BUSY_EVAL : BUSY_FUNCTION;
}
export const ERR_OUT_OF_RANGE_POSITIVE: Reply = Object.freeze(
  error("ERR value is out of range, must be positive"),
);
export const ERR_STRING_TOO_LONG: Reply = Object.freeze(
  error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
);

/** "ERR wrong number of arguments for 'get' command". */
export function wrongArity(name: string): Reply {
  return error(`ERR wrong number of arguments for '${name}' command`);
}

/** Replaces CR/LF so user bytes cannot break the error line (Redis does the same). */
export function sanitize(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/** Redis 7: "ERR unknown command 'foo', with args beginning with: 'a' 'b' ". */
export function unknownCommand(argv: string[]): Reply {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i].slice(0, 128 - args.length)}' `;
  }
  return error(
    sanitize(`ERR unknown command '${argv[0].slice(0, 128)}', with args beginning with: ${args}`),
  );
}
