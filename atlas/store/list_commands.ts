/** List commands (non-blocking cores): LPUSH RPOP LRANGE LREM LTRIM LINSERT LPOS LMOVE ... */
import { type BuiltinCommand, command } from "./command_table.ts";
import {
  ERR_INDEX_RANGE,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_OUT_OF_RANGE_POSITIVE,
  ERR_SYNTAX,
  wrongArity,
  WRONGTYPE,
} from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { ListValue } from "./list_value.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  type Reply,
} from "./reply.ts";
import { clampRange, exceedsLength, lookupAs, lower, parseIntArg, parseMpop } from "./util.ts";

const L = "list";

function push(ks: Keyspace, argv: string[], left: boolean, onlyIfExists: boolean): Reply {
  const key = argv[1];
  let list = lookupAs(ks, key, ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) {
    if (onlyIfExists) return integer(0);
    const tooLong = exceedsLength(ks, 0, argv.length - 2);
    if (tooLong !== null) return tooLong;
    list = ks.createCollection(key, new ListValue(argv.length - 2));
  } else {
    const tooLong = exceedsLength(ks, list.length, argv.length - 2);
    if (tooLong !== null) return tooLong;
  }
  const before = ks.beginMutation(key, list);
  for (let i = 2; i < argv.length; i++) {
    if (left) list.pushFront(argv[i]);
    else list.pushBack(argv[i]);
  }
  ks.endMutation(key, list, before);
  ks.notify(EventClass.List, left ? "lpush" : "rpush", key);
  ks.emit(argv);
  return integer(list.length);
}

/** LPOP/RPOP key [count]. */
function pop(ks: Keyspace, argv: string[], left: boolean): Reply {
  // Redis 7.0 answers a second count with its arity error (the table's arity is -2).
  if (argv.length > 3) return wrongArity(left ? "lpop" : "rpop");
  const key = argv[1];
  let count = 1;
  const withCount = argv.length === 3;
  if (withCount) {
    const n = parseIntArg(argv[2]);
    if (n === null || n < 0) return ERR_OUT_OF_RANGE_POSITIVE;
    count = n;
  }
  const list = lookupAs(ks, key, ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return withCount ? NIL_ARRAY : NIL;
  if (withCount && count === 0) return EMPTY_ARRAY;
  const before = ks.beginMutation(key, list);
  const out: Reply[] = [];
  for (let i = 0; i < count && list.length > 0; i++) {
    out.push(bulk((left ? list.popFront() : list.popBack()) as string));
  }
  const deleted = ks.endMutation(key, list, before);
  ks.notify(EventClass.List, left ? "lpop" : "rpop", key);
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(argv);
  return withCount ? array(out) : out[0];
}

function llen(ks: Keyspace, argv: string[]): Reply {
  const list = lookupAs(ks, argv[1], ListValue);
  if (list === null) return WRONGTYPE;
  return integer(list?.length ?? 0);
}

function lrange(ks: Keyspace, argv: string[]): Reply {
  const start = parseIntArg(argv[2]);
  const stop = parseIntArg(argv[3]);
  if (start === null || stop === null) return ERR_NOT_INTEGER;
  const list = lookupAs(ks, argv[1], ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return EMPTY_ARRAY;
  const range = clampRange(start, stop, list.length);
  if (range === null) return EMPTY_ARRAY;
  const out: Reply[] = new Array(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) out[i - range[0]] = bulk(list.get(i));
  return array(out);
}

function lindex(ks: Keyspace, argv: string[]): Reply {
  const list = lookupAs(ks, argv[1], ListValue);
  if (list === undefined) return NIL;
  if (list === null) return WRONGTYPE;
  const index = parseIntArg(argv[2]);
  if (index === null) return ERR_NOT_INTEGER;
  const i = index < 0 ? list.length + index : index;
  return i < 0 || i >= list.length ? NIL : bulk(list.get(i));
}

function lset(ks: Keyspace, argv: string[]): Reply {
  const [, key, indexText, value] = argv;
  const list = lookupAs(ks, key, ListValue);
  if (list === undefined) return ERR_NO_SUCH_KEY;
  if (list === null) return WRONGTYPE;
  const index = parseIntArg(indexText);
  if (index === null) return ERR_NOT_INTEGER;
  const i = index < 0 ? list.length + index : index;
  if (i < 0 || i >= list.length) return ERR_INDEX_RANGE;
  const before = ks.beginMutation(key, list);
  list.set(i, value);
  ks.endMutation(key, list, before);
  ks.notify(EventClass.List, "lset", key);
  ks.emit(argv);
  return OK;
}

function lrem(ks: Keyspace, argv: string[]): Reply {
  const [, key, countText, element] = argv;
  const count = parseIntArg(countText);
  if (count === null) return ERR_NOT_INTEGER;
  const list = lookupAs(ks, key, ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return integer(0);
  const items = list.toArray();
  const limit = count === 0 ? Infinity : Math.abs(count);
  const drop = new Set<number>(); // indexes to remove: from the head (count >= 0) or the tail
  const step = count >= 0 ? 1 : -1;
  for (let i = step > 0 ? 0 : items.length - 1; i >= 0 && i < items.length; i += step) {
    if (drop.size >= limit) break;
    if (items[i] === element) drop.add(i);
  }
  const removed = drop.size;
  if (removed === 0) return integer(0);
  const before = ks.beginMutation(key, list);
  list.replaceAll(items.filter((_, i) => !drop.has(i)));
  const deleted = ks.endMutation(key, list, before);
  ks.notify(EventClass.List, "lrem", key);
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(argv);
  return integer(removed);
}

function ltrim(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  let start = parseIntArg(argv[2]);
  let end = parseIntArg(argv[3]);
  if (start === null || end === null) return ERR_NOT_INTEGER;
  const list = lookupAs(ks, key, ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return OK;
  const len = list.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  let from = 0;
  let to = 0; // keep [from, to)
  if (!(start > end || start >= len)) {
    if (end >= len) end = len - 1;
    from = start;
    to = end + 1;
  }
  // Redis reports "ltrim" and signals the key (WATCH, tracking) even when nothing was trimmed
  // (but logs nothing then).
  if (from === 0 && to === len) {
    ks.beforeChange(key);
    ks.notify(EventClass.List, "ltrim", key);
    return OK;
  }
  const before = ks.beginMutation(key, list);
  // O(what goes): pop from the ends, unless most goes (then copying what stays is cheaper).
  if (len - (to - from) > to - from) list.replaceAll(list.slice(from, to));
  else {
    while (list.length > to) list.popBack();
    for (let i = 0; i < from; i++) list.popFront();
  }
  const deleted = ks.endMutation(key, list, before);
  ks.notify(EventClass.List, "ltrim", key);
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(argv);
  return OK;
}

function linsert(ks: Keyspace, argv: string[]): Reply {
  const [, key, whereText, pivot, element] = argv;
  const where = lower(whereText);
  if (where !== "before" && where !== "after") return ERR_SYNTAX;
  const list = lookupAs(ks, key, ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return integer(0);
  const items = list.toArray();
  const at = items.indexOf(pivot);
  if (at < 0) return integer(-1);
  const tooLong = exceedsLength(ks, list.length, 1);
  if (tooLong !== null) return tooLong;
  items.splice(where === "before" ? at : at + 1, 0, element);
  const before = ks.beginMutation(key, list);
  list.replaceAll(items);
  ks.endMutation(key, list, before);
  ks.notify(EventClass.List, "linsert", key);
  ks.emit(argv);
  return integer(list.length);
}

/** LPOS key element [RANK rank] [COUNT num] [MAXLEN len]. */
function lpos(ks: Keyspace, argv: string[]): Reply {
  let rank = 1;
  let count = -1; // -1: no COUNT given
  let maxlen = 0;
  // RANK LONG_MIN: Redis's -rank overflows and stays negative, so every match counts from the
  // tail (the first one answers) and its COUNT test never stops the scan (all matches answer).
  let rankLongMin = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = lower(argv[i]);
    // The option name is checked before its value, as Redis does (LPOS l a FOO x: syntax error).
    if (opt !== "rank" && opt !== "count" && opt !== "maxlen") return ERR_SYNTAX;
    if (i + 1 >= argv.length) return ERR_SYNTAX;
    const n = parseIntArg(argv[++i]);
    if (n === null && opt === "count") return error("ERR COUNT can't be negative");
    if (n === null && opt === "maxlen") return error("ERR MAXLEN can't be negative");
    if (n === null) return ERR_NOT_INTEGER;
    if (opt === "rank") {
      if (n === 0) {
        return error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
      }
      rank = n;
      rankLongMin = argv[i] === "-9223372036854775808";
    } else if (opt === "count") {
      if (n < 0) return error("ERR COUNT can't be negative");
      count = n;
    } else {
      if (n < 0) return error("ERR MAXLEN can't be negative");
      maxlen = n;
    }
  }
  const list = lookupAs(ks, argv[1], ListValue);
  if (list === null) return WRONGTYPE;
  if (list === undefined) return count >= 0 ? EMPTY_ARRAY : NIL;
  const element = argv[2];
  const len = list.length;
  const matches: Reply[] = [];
  let toSkip = rankLongMin ? 0 : Math.abs(rank) - 1;
  const want = count === 0 || (rankLongMin && count > 0) ? Infinity : count < 0 ? 1 : count;
  for (let scanned = 0; scanned < len && (maxlen === 0 || scanned < maxlen); scanned++) {
    const i = rank > 0 ? scanned : len - 1 - scanned;
    if (list.get(i) !== element) continue;
    if (toSkip > 0) {
      toSkip--;
      continue;
    }
    matches.push(integer(i));
    if (matches.length >= want) break;
  }
  if (count < 0) return matches.length > 0 ? matches[0] : NIL;
  return array(matches);
}

/** LMOVE src dst LEFT|RIGHT LEFT|RIGHT (RPOPLPUSH = RIGHT LEFT). */
export function lmoveCore(
  ks: Keyspace,
  src: string,
  dst: string,
  fromLeft: boolean,
  toLeft: boolean,
): Reply {
  const source = lookupAs(ks, src, ListValue);
  if (source === null) return WRONGTYPE;
  if (source === undefined) return NIL;
  let target = lookupAs(ks, dst, ListValue);
  if (target === null) return WRONGTYPE;
  if (target !== undefined && target !== source) {
    const tooLong = exceedsLength(ks, target.length, 1);
    if (tooLong !== null) return tooLong;
  }
  const pushEvent = toLeft ? "lpush" : "rpush";
  const popEvent = fromLeft ? "lpop" : "rpop";
  if (target === source) {
    // A rotation: the list never becomes empty in between (Redis pops and pushes one object).
    const before = ks.beginMutation(src, source);
    const value = (fromLeft ? source.popFront() : source.popBack()) as string;
    if (toLeft) source.pushFront(value);
    else source.pushBack(value);
    ks.endMutation(src, source, before);
    ks.notify(EventClass.List, pushEvent, dst);
    ks.notify(EventClass.List, popEvent, src);
    return bulk(value);
  }
  const before = ks.beginMutation(src, source);
  const value = (fromLeft ? source.popFront() : source.popBack()) as string;
  const srcDeleted = ks.endMutation(src, source, before);
  if (target === undefined) target = ks.createCollection(dst, new ListValue());
  const beforeDst = ks.beginMutation(dst, target);
  if (toLeft) target.pushFront(value);
  else target.pushBack(value);
  ks.endMutation(dst, target, beforeDst);
  // Redis's order: the push on dst, then the pop on src and its deletion.
  ks.notify(EventClass.List, pushEvent, dst);
  ks.notify(EventClass.List, popEvent, src);
  if (srcDeleted) ks.notify(EventClass.Generic, "del", src);
  return bulk(value);
}

function lmove(ks: Keyspace, argv: string[]): Reply {
  const from = lower(argv[3]);
  const to = lower(argv[4]);
  if ((from !== "left" && from !== "right") || (to !== "left" && to !== "right")) {
    return ERR_SYNTAX;
  }
  const reply = lmoveCore(ks, argv[1], argv[2], from === "left", to === "left");
  if (reply.kind === "bulk") ks.emit(argv);
  return reply;
}

function rpoplpush(ks: Keyspace, argv: string[]): Reply {
  const reply = lmoveCore(ks, argv[1], argv[2], false, true);
  if (reply.kind === "bulk") ks.emit(argv);
  return reply;
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT n]: pops from the first non-empty list. */
function lmpop(ks: Keyspace, argv: string[]): Reply {
  const a = parseMpop(argv, ["left", "right"]);
  if (!("keys" in a)) return a;
  for (const key of a.keys) {
    const list = lookupAs(ks, key, ListValue);
    if (list === undefined) continue;
    if (list === null) return WRONGTYPE;
    const before = ks.beginMutation(key, list);
    const out: Reply[] = [];
    for (let i = 0; i < a.count && list.length > 0; i++) {
      out.push(bulk((a.first ? list.popFront() : list.popBack()) as string));
    }
    const deleted = ks.endMutation(key, list, before);
    ks.notify(EventClass.List, a.first ? "lpop" : "rpop", key);
    if (deleted) ks.notify(EventClass.Generic, "del", key);
    ks.emit([a.first ? "LPOP" : "RPOP", key, String(out.length)]);
    return array([bulk(key), array(out)]);
  }
  return NIL_ARRAY;
}

const WF = "write denyoom fast";
const K: [number, number, number] = [1, 1, 1];

export const LIST_COMMANDS: readonly BuiltinCommand[] = [
  command("lpush", -3, WF, K, L, (ks, a) => push(ks, a, true, false)),
  command("rpush", -3, WF, K, L, (ks, a) => push(ks, a, false, false)),
  command("lpushx", -3, WF, K, L, (ks, a) => push(ks, a, true, true)),
  command("rpushx", -3, WF, K, L, (ks, a) => push(ks, a, false, true)),
  command("lpop", -2, "write fast", K, L, (ks, a) => pop(ks, a, true)),
  command("rpop", -2, "write fast", K, L, (ks, a) => pop(ks, a, false)),
  command("llen", 2, "readonly fast", K, L, llen),
  command("lrange", 4, "readonly", K, L, lrange),
  command("lindex", 3, "readonly", K, L, lindex),
  command("lset", 4, "write denyoom", K, L, lset),
  command("lrem", 4, "write", K, L, lrem),
  command("ltrim", 4, "write", K, L, ltrim),
  command("linsert", 5, "write denyoom", K, L, linsert),
  command("lpos", -3, "readonly", K, L, lpos),
  command("lmove", 5, "write denyoom", [1, 2, 1], L, lmove),
  command("lmpop", -4, "write movablekeys", [0, 0, 0], L, lmpop),
  command("rpoplpush", 3, "write denyoom", [1, 2, 1], L, rpoplpush),
];
