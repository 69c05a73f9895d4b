/**
 * MOVE key db and SWAPDB index1 index2 with ATLAS's single database: they answer what
 * redis-server 7.0 started with `--databases 1` answers. MOVE never succeeds (db 0 is the source:
 * "source and destination objects are the same"; any other index is out of range) and looks at no
 * key; SWAPDB 0 0 is a no-op that answers OK (and is not logged). Indexes are parsed as Redis's
 * int arguments: int64 text first, then the int32 range.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER } from "./errors.ts";
import { parseInt64 } from "./numbers.ts";
import { error, OK, type Reply } from "./reply.ts";

const ERR_DB_RANGE = error("ERR DB index is out of range");
const ERR_SAME = error("ERR source and destination objects are the same");
export const ERR_INT32_RANGE = error(
  "ERR value is out of range, value must between -2147483648 and 2147483647",
);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** An int32 argument; null when it is not an int64, "range" when it is outside int32. */
export function parseInt32(text: string): number | null | "range" {
  const v = parseInt64(text);
  if (v === null) return null;
  if (typeof v !== "number" || v < INT32_MIN || v > INT32_MAX) return "range";
  return v;
}

function move(_ks: unknown, argv: string[]): Reply {
  const db = parseInt32(argv[2]);
  if (db === null) return ERR_NOT_INTEGER;
  if (db === "range") return ERR_INT32_RANGE;
  return db === 0 ? ERR_SAME : ERR_DB_RANGE;
}

function swapdb(_ks: unknown, argv: string[]): Reply {
  const first = parseInt32(argv[1]);
  if (typeof first !== "number") return error("ERR invalid first DB index");
  const second = parseInt32(argv[2]);
  if (typeof second !== "number") return error("ERR invalid second DB index");
  return first === 0 && second === 0 ? OK : ERR_DB_RANGE;
}

export const DB_COMMANDS: readonly BuiltinCommand[] = [
  command("move", 3, "write fast", [1, 1, 1], "generic", move),
  command("swapdb", 3, "write fast", [0, 0, 0], "server", swapdb),
];
