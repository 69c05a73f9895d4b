/**
 * The commands that reach across numbered databases: MOVE key db, SWAPDB index1 index2, and the
 * index parsing SELECT, COPY ... DB and scripts share. Indexes are parsed as Redis's int
 * arguments: int64 text first, then the int32 range, then the database count.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { parseInt64 } from "./numbers.ts";
import { error, integer, OK, type Reply } from "./reply.ts";

export const ERR_DB_RANGE = error("ERR DB index is out of range");
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

/**
 * A database index argument (SELECT, MOVE, COPY ... DB) checked against `databases`: the index,
 * or Redis's error for it (not an integer, outside int32, out of range).
 */
export function parseDbIndex(text: string, databases: number): number | Reply {
  const db = parseInt32(text);
  if (db === null) return ERR_NOT_INTEGER;
  if (db === "range") return ERR_INT32_RANGE;
  return db >= 0 && db < databases ? db : ERR_DB_RANGE;
}

/**
 * MOVE key db: the key with its TTL (and its LRU/LFU state, "raw" encoding) into database `db`,
 * unless the key is absent or `db` already has it (0). Events move_from (source) then move_to.
 * Logged as itself: it replays in the source database.
 */
function move(ks: Keyspace, argv: string[]): Reply {
  const [, key] = argv;
  const dst = parseDbIndex(argv[2], ks.databases.length);
  if (typeof dst !== "number") return dst;
  const src = ks.dbIndex;
  if (dst === src) return ERR_SAME;
  const value = ks.lookup(key);
  if (value === undefined) return integer(0);
  const at = ks.expires.get(key);
  const raw = ks.rawStrings.size !== 0 && ks.rawStrings.has(key);
  const lru = ks.lru?.get(key);
  const lfu = ks.lfu?.get(key);
  ks.select(dst);
  try {
    if (ks.lookup(key) !== undefined) return integer(0);
    ks.setValue(key, value);
    if (at !== undefined) ks.setExpire(key, at);
    if (raw) ks.markRaw(key);
    if (lru !== undefined) ks.lru?.set(key, lru);
    if (lfu !== undefined) ks.lfu?.set(key, lfu);
  } finally {
    ks.select(src);
  }
  ks.deleteKey(key);
  ks.notify(EventClass.Generic, "move_from", key);
  ks.select(dst);
  ks.notify(EventClass.Generic, "move_to", key);
  ks.select(src);
  ks.emit(argv);
  return integer(1);
}

/**
 * SWAPDB index1 index2: the two databases trade contents. Clients stay in their database (they
 * see the other contents from now on), as in Redis: watchers of a key present in either become
 * dirty, and blocked clients of both look again.
 */
function swapdb(ks: Keyspace, argv: string[]): Reply {
  const first = parseInt32(argv[1]);
  if (typeof first !== "number") return error("ERR invalid first DB index");
  const second = parseInt32(argv[2]);
  if (typeof second !== "number") return error("ERR invalid second DB index");
  const count = ks.databases.length;
  if (first < 0 || first >= count || second < 0 || second >= count) return ERR_DB_RANGE;
  if (first === second) return OK; // nothing changes: nothing to log
  ks.swapDatabases(first, second);
  ks.emit(argv);
  return OK;
}

export const DB_COMMANDS: readonly BuiltinCommand[] = [
  command("move", 3, "write fast", [1, 1, 1], "generic", move),
  command("swapdb", 3, "write fast", [0, 0, 0], "server", swapdb),
];
