/**
 * Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID, and the list of every stream
 * command (XREAD in stream_read.ts, XINFO in stream_info.ts, groups in stream_group_commands.ts and
 * stream_readgroup.ts).
 * Replies and error texts follow Redis 7.0's t_stream.c.
 *
 * Determinism: XADD `*` / `ms-*` takes its time from the ExecContext (`ks.ctx.nowMs`), and the log
 * records the concrete ID it generated; `~` trimming is logged as the exact `=` form it amounted
 * to (MAXLEN = resulting length / MINID = resulting first ID), without LIMIT, as Redis propagates
 * them. Replaying the log therefore rebuilds the same entries, IDs and node boundaries.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NO_SUCH_KEY, ERR_NOT_INTEGER, ERR_SYNTAX, wrongArity, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { parseInt64 } from "./numbers.ts";
import { bulk, EMPTY_ARRAY, error, integer, NIL, NIL_ARRAY, OK, type Reply } from "./reply.ts";
import {
  ERR_INVALID_ID,
  formatId,
  ID_MAX,
  idMs,
  idSeq,
  makeId,
  nextId,
  parseIntervalId,
  parseStrictId,
  prevId,
  type StreamId,
  U64_MAX,
} from "./stream_id.ts";
import { STREAM_GROUP_COMMANDS, unsignalled } from "./stream_group_commands.ts";
import { XINFO_COMMAND } from "./stream_info.ts";
import { XREAD_COMMAND } from "./stream_read.ts";
import { entriesReply } from "./stream_reply.ts";
import { XREADGROUP_COMMAND } from "./stream_readgroup.ts";
import { type AddTrimArgs, parseAddTrimArgs } from "./stream_trim_args.ts";
import { type StreamEntry, StreamValue } from "./stream_value.ts";
import { exceedsLength, lookupAs, lower } from "./util.ts";

const S = "stream";

/** The trim part of a log form: `MAXLEN = n` / `MINID = id`, exact after `~` (Redis rewrites it). */
function trimLogArgs(s: StreamValue, a: AddTrimArgs): string[] {
  const st = a.strategy;
  if (st === null) return [];
  if (st.kind === "maxlen") return ["MAXLEN", "=", String(a.approx ? BigInt(s.length) : st.maxlen)];
  return ["MINID", "=", formatId(a.approx ? s.firstStoredId() : st.minid)];
}

/**
 * The ID XADD gives the entry (streamAppendItem), null when it would not exceed lastId, or
 * "exhausted" for `ms-*` when ms is the last ID's and its sequence is at its maximum.
 */
function newEntryId(ks: Keyspace, s: StreamValue, a: AddTrimArgs): StreamId | null | "exhausted" {
  let id: StreamId;
  if (!a.idGiven) {
    // streamNextID with the command's stamped time: never a clock read, so replay is exact.
    const ms = BigInt(Math.max(0, Math.floor(ks.ctx.nowMs)));
    id = ms > idMs(s.lastId) ? makeId(ms, 0n) : s.lastId + 1n;
  } else if (!a.seqGiven) {
    if (idMs(s.lastId) === idMs(a.id)) {
      if (idSeq(s.lastId) === U64_MAX) return "exhausted";
      id = s.lastId + 1n;
    } else id = a.id;
  } else id = a.id;
  return id > s.lastId ? id : null;
}

/**
 * parseAddTrimArgs with `~`'s default LIMIT (no LIMIT option given) taken from CONFIG's
 * stream-node-max-entries: 100 times it, as 64-bit arithmetic wraps it, then 10000 when not
 * positive and at most 1000000 (Redis 7.0 caps it both ways). A "limit" word before the ID can
 * only be the option.
 */
function addTrimArgs(ks: Keyspace, argv: string[], xadd: boolean): AddTrimArgs | Reply {
  const a = parseAddTrimArgs(argv, xadd);
  if ("kind" in a || !a.approx) return a;
  const entries = ks.encoding.streamNodeMaxEntries;
  if (entries === undefined) return a;
  for (let i = 2; i < a.idPos; i++) if (lower(argv[i]) === "limit") return a;
  const limit = BigInt.asIntN(64, 100n * entries);
  a.limit = limit <= 0n ? 10_000 : limit > 1_000_000n ? 1_000_000 : Number(limit);
  return a;
}

function xadd(ks: Keyspace, argv: string[]): Reply {
  const a = addTrimArgs(ks, argv, true);
  if ("kind" in a) return a;
  const fieldPos = a.idPos + 1;
  const n = argv.length - fieldPos;
  if (n < 2 || n % 2 === 1) return wrongArity("xadd");
  if (a.idGiven && a.seqGiven && a.id === 0n) {
    return error("ERR The ID specified in XADD must be greater than 0-0");
  }
  const key = argv[1];
  const existing = lookupAs(ks, key, StreamValue);
  if (existing === null) return WRONGTYPE;
  if (existing === undefined && a.noMkStream) return NIL;
  const tooLong = exceedsLength(ks, existing?.length ?? 0, 1);
  if (tooLong !== null) return tooLong;
  const s = existing ?? new StreamValue();
  if (s.lastId === ID_MAX) {
    return error("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  const id = newEntryId(ks, s, a);
  if (id === "exhausted") {
    // Redis 7.0.15 returns C_ERR here without setting errno, so xaddCommand, which tells EDOM
    // apart from everything else, answers with its other error text.
    return error("ERR Elements are too large to be stored");
  }
  if (id === null) {
    // A new stream cannot get here: its last ID is 0-0 and 0-0 itself was refused above.
    return error(
      "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
  }
  if (existing === undefined) ks.createCollection(key, s);
  const before = ks.beginMutation(key, s);
  const fields = argv.slice(fieldPos);
  s.append(id, fields, ks.encoding);
  ks.notify(EventClass.Stream, "xadd", key);
  if (a.strategy !== null && s.trim(a.strategy, a.approx, a.limit) > 0) {
    ks.notify(EventClass.Stream, "xtrim", key);
  }
  ks.endMutation(key, s, before);
  ks.signalReady(key);
  ks.emit([
    "XADD",
    key,
    ...(a.noMkStream ? ["NOMKSTREAM"] : []),
    ...trimLogArgs(s, a),
    formatId(id),
    ...fields,
  ]);
  return bulk(formatId(id));
}

function xlen(ks: Keyspace, argv: string[]): Reply {
  const s = lookupAs(ks, argv[1], StreamValue);
  if (s === null) return WRONGTYPE;
  return integer(s?.length ?? 0);
}

function xrange(ks: Keyspace, argv: string[], rev: boolean): Reply {
  const start = parseIntervalId(rev ? argv[3] : argv[2], 0n);
  if (start === null) return ERR_INVALID_ID;
  let startId: StreamId | null = start.id;
  if (start.exclusive && (startId = nextId(start.id)) === null) {
    return error("ERR invalid start ID for the interval");
  }
  const end = parseIntervalId(rev ? argv[2] : argv[3], U64_MAX);
  if (end === null) return ERR_INVALID_ID;
  let endId: StreamId | null = end.id;
  if (end.exclusive && (endId = prevId(end.id)) === null) {
    return error("ERR invalid end ID for the interval");
  }
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (lower(argv[j]) === "count" && j + 1 < argv.length) {
      const c = parseInt64(argv[++j]);
      if (c === null) return ERR_NOT_INTEGER;
      count = c < 0 ? 0 : Number(c);
    } else return ERR_SYNTAX;
  }
  const s = lookupAs(ks, argv[1], StreamValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return EMPTY_ARRAY;
  if (count === 0) return NIL_ARRAY;
  return entriesReply(s.range(startId, endId, count === -1 ? 0 : count, rev));
}

function xdel(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const s = lookupAs(ks, key, StreamValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return integer(0);
  // All IDs are checked first, so the command never applies partially.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = parseStrictId(argv[j]);
    if (id === null) return ERR_INVALID_ID;
    ids.push(id);
  }
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, s);
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (!s.delete(id)) continue;
    if (id === s.firstId) firstEntry = true;
    if (id > s.maxDeletedId) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = 0n;
    else if (firstEntry) s.firstId = (s.first() as StreamEntry)[0];
  }
  ks.endMutation(key, s, before);
  if (deleted > 0) {
    ks.notify(EventClass.Stream, "xdel", key);
    ks.emit(argv);
  } else unsignalled(ks, mark); // nothing deleted: Redis does not signal the key
  return integer(deleted);
}

function xtrim(ks: Keyspace, argv: string[]): Reply {
  const a = addTrimArgs(ks, argv, false);
  if ("kind" in a) return a;
  const key = argv[1];
  const s = lookupAs(ks, key, StreamValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return integer(0);
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, s);
  const deleted = s.trim(a.strategy!, a.approx, a.limit);
  ks.endMutation(key, s, before);
  if (deleted > 0) {
    ks.notify(EventClass.Stream, "xtrim", key);
    ks.emit(["XTRIM", key, ...trimLogArgs(s, a)]);
  } else unsignalled(ks, mark); // nothing trimmed: Redis does not signal the key
  return integer(deleted);
}

function xsetid(ks: Keyspace, argv: string[]): Reply {
  const id = parseStrictId(argv[2]);
  if (id === null) return ERR_INVALID_ID;
  let entriesAdded = -1n;
  let maxDeleted = 0n;
  for (let i = 3; i < argv.length; i += 2) {
    const opt = lower(argv[i]);
    const more = i + 1 < argv.length;
    if (opt === "entriesadded" && more) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 0) return error("ERR entries_added must be positive");
      entriesAdded = BigInt(n);
    } else if (opt === "maxdeletedid" && more) {
      const m = parseStrictId(argv[i + 1]);
      if (m === null) return ERR_INVALID_ID;
      if (id < m) {
        return error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
      }
      maxDeleted = m;
    } else return ERR_SYNTAX;
  }
  const key = argv[1];
  const s = lookupAs(ks, key, StreamValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return ERR_NO_SUCH_KEY;
  // Redis 7.0 does not compare the new ID with the current max-deleted-entry-id.
  if (s.length > 0) {
    if (id < s.lastValidId()) {
      return error("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      return error(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
    }
  }
  const mark = ks.touched.length;
  const before = ks.beginMutation(key, s);
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (maxDeleted !== 0n) s.maxDeletedId = maxDeleted;
  ks.endMutation(key, s, before);
  unsignalled(ks, mark); // Redis 7.0's XSETID does not signal the key (WATCH holds)
  ks.notify(EventClass.Stream, "xsetid", key);
  ks.emit(argv);
  return OK;
}

export const STREAM_COMMANDS: readonly BuiltinCommand[] = [
  command("xadd", -5, "write denyoom fast", [1, 1, 1], S, xadd),
  command("xlen", 2, "readonly fast", [1, 1, 1], S, xlen),
  command("xrange", -4, "readonly", [1, 1, 1], S, (ks, a) => xrange(ks, a, false)),
  command("xrevrange", -4, "readonly", [1, 1, 1], S, (ks, a) => xrange(ks, a, true)),
  command("xdel", -3, "write fast", [1, 1, 1], S, xdel),
  command("xtrim", -4, "write", [1, 1, 1], S, xtrim),
  XREAD_COMMAND,
  command("xsetid", -3, "write denyoom fast", [1, 1, 1], S, xsetid),
  XINFO_COMMAND,
  ...STREAM_GROUP_COMMANDS,
  XREADGROUP_COMMAND,
];
