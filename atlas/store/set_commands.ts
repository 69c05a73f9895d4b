/** Set commands: SADD SREM SMEMBERS SPOP SRANDMEMBER SINTER/SUNION/SDIFF(+STORE) SMOVE SSCAN ... */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_OUT_OF_RANGE_POSITIVE, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import { globMatch } from "./glob.ts";
import { parseScanOptions } from "./keys_commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { array, bulk, EMPTY_ARRAY, error, integer, NIL, type Reply } from "./reply.ts";
import { parseCursor } from "./scan.ts";
import { intsetOrder, SetValue } from "./set_value.ts";
import {
  exceedsLength,
  lookupAs,
  lower,
  nth,
  parseIntArg,
  parseRandomCount,
  pickDistinct,
  randomCountTooLarge,
  randomIndexes,
} from "./util.ts";

const S = "set";
const EMPTY_SET: Reply = Object.freeze({ kind: "set", value: Object.freeze([]) }) as Reply;

function setReply(members: Iterable<string>): Reply {
  const out: Reply[] = [];
  for (const m of members) out.push(bulk(m));
  return { kind: "set", value: out };
}

/** The whole set in Redis's reply order (ascending numbers for an intset). */
function membersOf(ks: Keyspace, s: SetValue): Iterable<string> {
  return s.ordered(ks.encoding.setMaxIntsetEntries);
}

function sadd(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  let s = lookupAs(ks, key, SetValue);
  if (s === null) return WRONGTYPE;
  if (s !== undefined) {
    // Nothing new: no change at all (Redis signals the key only when a member was added, so a
    // WATCH on it still holds).
    let i = 2;
    while (i < argv.length && s.set.has(argv[i])) i++;
    if (i === argv.length) return integer(0);
  }
  const tooLong = exceedsLength(ks, s?.size ?? 0, argv.length - 2);
  if (tooLong !== null) return tooLong;
  if (s === undefined) s = ks.createCollection(key, new SetValue());
  const before = ks.beginMutation(key, s);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i])) added++;
  ks.endMutation(key, s, before);
  if (added > 0) {
    ks.notify(EventClass.Set, "sadd", key);
    ks.emit(argv);
  }
  return integer(added);
}

function srem(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const s = lookupAs(ks, key, SetValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return integer(0);
  let removed = 0;
  for (let i = 2; i < argv.length && s.size > 0; i++) {
    if (!s.set.has(argv[i])) continue;
    const before = ks.beginMutation(key, s);
    s.delete(argv[i]);
    ks.endMutation(key, s, before);
    removed++;
  }
  if (removed > 0) {
    ks.notify(EventClass.Set, "srem", key);
    if (s.size === 0) ks.notify(EventClass.Generic, "del", key);
    ks.emit(argv);
  }
  return integer(removed);
}

function smembers(ks: Keyspace, argv: string[]): Reply {
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  return s === undefined ? EMPTY_SET : setReply(membersOf(ks, s));
}

function sismember(ks: Keyspace, argv: string[]): Reply {
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  return integer(s?.set.has(argv[2]) ? 1 : 0);
}

function smismember(ks: Keyspace, argv: string[]): Reply {
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) out.push(integer(s?.set.has(argv[i]) ? 1 : 0));
  return array(out);
}

function scard(ks: Keyspace, argv: string[]): Reply {
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  return integer(s?.size ?? 0);
}

/** SPOP key [count]: logged as SREM of the chosen members (or DEL when all are popped). */
function spop(ks: Keyspace, argv: string[]): Reply {
  if (argv.length > 3) return ERR_SYNTAX;
  const key = argv[1];
  let count = 1;
  if (argv.length === 3) {
    const n = parseIntArg(argv[2]);
    if (n === null || n < 0) return ERR_OUT_OF_RANGE_POSITIVE;
    count = n;
  }
  const s = lookupAs(ks, key, SetValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return argv.length === 3 ? EMPTY_SET : NIL;
  if (count === 0) return EMPTY_SET;
  const all = count >= s.size;
  const intset = s.isIntset(ks.encoding.setMaxIntsetEntries);
  let chosen = all
    ? [...membersOf(ks, s)]
    : pickDistinct(s.set, s.size, count, () => ks.ctx.random());
  // Popping most of an intset (fewer than count / 5 members left), Redis keeps the rest in a new
  // set and replies the old one, so the popped members come in ascending order.
  if (!all && intset && (s.size - count) * 5 < count) {
    chosen = intsetOrder(chosen, chosen.length, ks.encoding.setMaxIntsetEntries) ?? chosen;
  }
  const before = ks.beginMutation(key, s);
  for (const m of chosen) s.delete(m);
  const deleted = ks.endMutation(key, s, before);
  ks.notify(EventClass.Set, "spop", key);
  if (deleted) ks.notify(EventClass.Generic, "del", key);
  ks.emit(all ? ["DEL", key] : ["SREM", key, ...chosen]);
  if (argv.length === 2) return bulk(chosen[0]);
  return setReply(chosen);
}

function srandmember(ks: Keyspace, argv: string[]): Reply {
  if (argv.length > 3) return ERR_SYNTAX;
  // Redis reads the count before the key (SRANDMEMBER str x: not an integer).
  const count = argv.length === 3 ? parseRandomCount(argv[2]) : 1;
  if (typeof count !== "number") return count;
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  if (argv.length === 2) {
    if (s === undefined) return NIL;
    const [i] = randomIndexes(() => ks.ctx.random(), s.size, 1, false);
    return bulk(nth(s.set, i));
  }
  const tooMany = randomCountTooLarge(ks, count);
  if (tooMany !== null) return tooMany;
  if (s === undefined || count === 0) return EMPTY_ARRAY;
  const random = () => ks.ctx.random();
  // The whole set (count >= size) comes in Redis's order: ascending for an intset.
  if (count >= s.size) return array([...membersOf(ks, s)].map(bulk));
  if (count > 0) return array(pickDistinct(s.set, s.size, count, random).map(bulk));
  const members = [...s.set];
  return array(randomIndexes(random, members.length, -count, false).map((i) => bulk(members[i])));
}

type SetOp = "inter" | "union" | "diff";

/** Computes an operation over the sets at keys; WRONGTYPE as a Reply. */
function compute(ks: Keyspace, keys: string[], op: SetOp): Set<string> | Reply {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    // Read lookups even in the STORE forms (counted as hits / misses, "keymiss"), as Redis's.
    const v = ks.lookupRead(key);
    const s = v === undefined ? undefined : v instanceof SetValue ? v : null;
    if (s === null) return WRONGTYPE;
    sets.push(s);
  }
  if (op === "union") {
    const out = new Set<string>();
    for (const s of sets) if (s !== undefined) { for (const m of s.set) out.add(m); }
    return out;
  }
  if (op === "diff") {
    const out = new Set<string>(sets[0]?.set ?? []);
    for (let i = 1; i < sets.length && out.size > 0; i++) {
      const s = sets[i];
      if (s !== undefined) { for (const m of s.set) out.delete(m); }
    }
    return out;
  }
  if (sets.some((s) => s === undefined)) return new Set();
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const out = new Set<string>();
  outer: for (const m of sorted[0].set) {
    for (let i = 1; i < sorted.length; i++) if (!sorted[i].set.has(m)) continue outer;
    out.add(m);
  }
  return out;
}

function setop(ks: Keyspace, argv: string[], op: SetOp): Reply {
  const r = compute(ks, argv.slice(1), op);
  if (!(r instanceof Set)) return r;
  // Redis builds the result as an intset while it can (SINTER walks the smallest set, an intset
  // when the result is one), so an all-integer result comes in ascending order.
  return setReply(intsetOrder(r, r.size, ks.encoding.setMaxIntsetEntries) ?? r);
}

function setopStore(ks: Keyspace, argv: string[], op: SetOp): Reply {
  const dst = argv[1];
  const r = compute(ks, argv.slice(2), op);
  if (!(r instanceof Set)) return r;
  const tooLong = exceedsLength(ks, 0, r.size);
  if (tooLong !== null) return tooLong;
  if (r.size === 0) {
    if (ks.deleteKey(dst)) {
      ks.notify(EventClass.Generic, "del", dst);
      ks.emit(["DEL", dst]);
    }
    return integer(0);
  }
  const s = new SetValue();
  for (const m of r) s.add(m);
  ks.setValue(dst, s);
  ks.notify(
    EventClass.Set,
    op === "inter" ? "sinterstore" : op === "union" ? "sunionstore" : "sdiffstore",
    dst,
  );
  ks.emit(argv);
  return integer(s.size);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit]. */
function sintercard(ks: Keyspace, argv: string[]): Reply {
  // Redis reads numkeys as a long in [1, LONG_MAX] with one error for every failure.
  const numkeys = parseIntArg(argv[1]);
  if (numkeys === null || numkeys <= 0) return error("ERR numkeys should be greater than 0");
  if (numkeys > argv.length - 2) {
    return error("ERR Number of keys can't be greater than number of args");
  }
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (lower(argv[i]) === "limit" && i + 1 < argv.length) {
      const n = parseIntArg(argv[++i]);
      if (n === null || n < 0) return error("ERR LIMIT can't be negative");
      limit = n;
    } else return ERR_SYNTAX;
  }
  const r = compute(ks, argv.slice(2, 2 + numkeys), "inter");
  if (!(r instanceof Set)) return r;
  return integer(limit > 0 ? Math.min(limit, r.size) : r.size);
}

function smove(ks: Keyspace, argv: string[]): Reply {
  const [, src, dst, member] = argv;
  const source = lookupAs(ks, src, SetValue);
  let target = lookupAs(ks, dst, SetValue);
  if (source === undefined) return integer(0);
  if (source === null || target === null) return WRONGTYPE;
  if (!source.set.has(member)) return integer(0);
  if (source === target) return integer(1);
  const tooLong = exceedsLength(ks, target?.size ?? 0, 1);
  if (tooLong !== null) return tooLong;
  const before = ks.beginMutation(src, source);
  source.delete(member);
  ks.notify(EventClass.Set, "srem", src);
  if (ks.endMutation(src, source, before)) ks.notify(EventClass.Generic, "del", src);
  // A destination that already holds the member is left alone (not signalled, as in Redis).
  if (target === undefined || !target.set.has(member)) {
    if (target === undefined) target = ks.createCollection(dst, new SetValue());
    const beforeDst = ks.beginMutation(dst, target);
    target.add(member);
    ks.endMutation(dst, target, beforeDst);
    ks.notify(EventClass.Set, "sadd", dst);
  }
  ks.emit(argv);
  return integer(1);
}

/**
 * Whether SSCAN answers the whole set with cursor 0: Redis does for an intset (up to
 * set-max-intset-entries members, all int64 in canonical form) only. Redis 7.0 holds any other
 * set, however small, in a hashtable, which SSCAN pages by COUNT (BullMQ pages a parent's
 * pending children so).
 */
function scansWhole(ks: Keyspace, s: SetValue): boolean {
  return s.isIntset(ks.encoding.setMaxIntsetEntries);
}

function sscan(ks: Keyspace, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  if (cursor === null) return error("ERR invalid cursor");
  // Redis looks the key up before it reads the options: a missing key answers an empty scan
  // whatever follows, a wrong type WRONGTYPE before any syntax error.
  const s = lookupAs(ks, argv[1], SetValue);
  if (s === null) return WRONGTYPE;
  if (s === undefined) return array([bulk("0"), EMPTY_ARRAY]);
  const opts = parseScanOptions(argv, 3, ks.limits.scanCountMax, false);
  if ("kind" in opts) return opts;
  let next = 0;
  let items: string[];
  if (scansWhole(ks, s)) items = [...membersOf(ks, s)];
  else {
    const r = ks.scans.scan(s, () => s.set.values(), cursor, opts.count);
    next = r.cursor;
    items = r.items;
  }
  const out: Reply[] = [];
  for (const m of items) {
    if (opts.pattern === null || globMatch(opts.pattern, m)) out.push(bulk(m));
  }
  return array([bulk(String(next)), array(out)]);
}

const WF = "write denyoom fast";
const K: [number, number, number] = [1, 1, 1];
const ALL: [number, number, number] = [1, -1, 1];
const STORE: [number, number, number] = [1, -1, 1];

export const SET_COMMANDS: readonly BuiltinCommand[] = [
  command("sadd", -3, WF, K, S, sadd),
  command("srem", -3, "write fast", K, S, srem),
  command("smembers", 2, "readonly", K, S, smembers),
  command("sismember", 3, "readonly fast", K, S, sismember),
  command("smismember", -3, "readonly fast", K, S, smismember),
  command("scard", 2, "readonly fast", K, S, scard),
  command("spop", -2, "write random fast", K, S, spop),
  command("srandmember", -2, "readonly random", K, S, srandmember),
  command("sinter", -2, "readonly", ALL, S, (ks, a) => setop(ks, a, "inter")),
  command("sunion", -2, "readonly", ALL, S, (ks, a) => setop(ks, a, "union")),
  command("sdiff", -2, "readonly", ALL, S, (ks, a) => setop(ks, a, "diff")),
  command("sinterstore", -3, "write denyoom", STORE, S, (ks, a) => setopStore(ks, a, "inter")),
  command("sunionstore", -3, "write denyoom", STORE, S, (ks, a) => setopStore(ks, a, "union")),
  command("sdiffstore", -3, "write denyoom", STORE, S, (ks, a) => setopStore(ks, a, "diff")),
  command("sintercard", -3, "readonly movablekeys", [0, 0, 0], S, sintercard),
  command("smove", 4, "write fast", [1, 2, 1], S, smove),
  command("sscan", -3, "readonly random", K, S, sscan),
];
