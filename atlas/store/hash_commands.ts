/** Hash commands: HSET HGET HDEL HGETALL HINCRBY HINCRBYFLOAT HSCAN HRANDFIELD ... */
import { type BuiltinCommand, command } from "./command_table.ts";
import {
  ERR_NAN_INF,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  wrongArity,
  WRONGTYPE,
} from "./errors.ts";
import { HashValue, listpackSized } from "./hash_value.ts";
import { parseScanOptions } from "./keys_commands.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import {
  addInt64,
  addLongDouble,
  formatLongDoubleHuman,
  int64ToString,
  isLongDoubleSpecial,
  parseInt64,
  parseStrtold,
} from "./numbers.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  OK,
  pairsArray,
  type Reply,
} from "./reply.ts";
import { globMatch } from "./glob.ts";
import { parseCursor } from "./scan.ts";
import {
  cWord,
  exceedsLength,
  lookupAs,
  nth,
  pairedCountOutOfRange,
  parseRandomCount,
  randomCountTooLarge,
  randomIndexes,
} from "./util.ts";

const H = "hash";

/** The hash at key for writing: created if absent; WRONGTYPE or a limit error as a Reply. */
function hashForWrite(ks: Keyspace, key: string, adding: number): HashValue | Reply {
  const h = lookupAs(ks, key, HashValue);
  if (h === null) return WRONGTYPE;
  const tooLong = exceedsLength(ks, h?.size ?? 0, adding);
  if (tooLong !== null) return tooLong;
  return h ?? ks.createCollection(key, new HashValue());
}

function hset(ks: Keyspace, argv: string[], multi: boolean): Reply {
  if (argv.length % 2 !== 0) return wrongArity(multi ? "hmset" : "hset");
  const key = argv[1];
  const h = hashForWrite(ks, key, (argv.length - 2) / 2);
  if (!(h instanceof HashValue)) return h;
  const before = ks.beginMutation(key, h);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i], argv[i + 1])) added++;
  ks.endMutation(key, h, before);
  ks.notify(EventClass.Hash, "hset", key);
  ks.emit(argv);
  return multi ? OK : integer(added);
}

function hsetnx(ks: Keyspace, argv: string[]): Reply {
  const [, key, field, value] = argv;
  const existing = lookupAs(ks, key, HashValue);
  if (existing === null) return WRONGTYPE;
  if (existing?.map.has(field)) return integer(0);
  const h = hashForWrite(ks, key, 1);
  if (!(h instanceof HashValue)) return h;
  const before = ks.beginMutation(key, h);
  h.set(field, value);
  ks.endMutation(key, h, before);
  ks.notify(EventClass.Hash, "hset", key);
  ks.emit(argv);
  return integer(1);
}

function hget(ks: Keyspace, argv: string[]): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  const v = h?.map.get(argv[2]);
  return v === undefined ? NIL : bulk(v);
}

function hmget(ks: Keyspace, argv: string[]): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  const out: Reply[] = [];
  for (let i = 2; i < argv.length; i++) {
    const v = h?.map.get(argv[i]);
    out.push(v === undefined ? NIL : bulk(v));
  }
  return array(out);
}

function hdel(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const h = lookupAs(ks, key, HashValue);
  if (h === null) return WRONGTYPE;
  if (h === undefined) return integer(0);
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    if (!h.map.has(argv[i])) continue;
    const before = ks.beginMutation(key, h);
    h.delete(argv[i]);
    removed++;
    ks.endMutation(key, h, before);
    if (h.size === 0) break;
  }
  if (removed > 0) {
    ks.notify(EventClass.Hash, "hdel", key);
    if (h.size === 0) ks.notify(EventClass.Generic, "del", key);
    ks.emit(argv);
  }
  return integer(removed);
}

function hgetall(ks: Keyspace, argv: string[], what: "all" | "keys" | "vals"): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  if (h === undefined) return what === "all" ? { kind: "map", value: [] } : EMPTY_ARRAY;
  if (what === "all") {
    const entries: [Reply, Reply][] = [];
    for (const [f, v] of h.map) entries.push([bulk(f), bulk(v)]);
    return { kind: "map", value: entries };
  }
  const out: Reply[] = [];
  for (const x of what === "keys" ? h.map.keys() : h.map.values()) out.push(bulk(x));
  return array(out);
}

function hlen(ks: Keyspace, argv: string[]): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  return integer(h?.size ?? 0);
}

function hexists(ks: Keyspace, argv: string[]): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  return integer(h?.map.has(argv[2]) ? 1 : 0);
}

function hstrlen(ks: Keyspace, argv: string[]): Reply {
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  return integer(h?.map.get(argv[2])?.length ?? 0);
}

function hincrby(ks: Keyspace, argv: string[]): Reply {
  const [, key, field, byText] = argv;
  const by = parseInt64(byText);
  if (by === null) return ERR_NOT_INTEGER;
  const existing = lookupAs(ks, key, HashValue);
  if (existing === null) return WRONGTYPE;
  const current = parseInt64(existing?.map.get(field) ?? "0");
  if (current === null) return error("ERR hash value is not an integer");
  const next = addInt64(current, by);
  if (next === null) return ERR_OVERFLOW;
  const h = hashForWrite(ks, key, 1);
  if (!(h instanceof HashValue)) return h;
  const before = ks.beginMutation(key, h);
  h.set(field, int64ToString(next));
  ks.endMutation(key, h, before);
  ks.notify(EventClass.Hash, "hincrby", key);
  ks.emit(argv);
  return integer(next);
}

function hincrbyfloat(ks: Keyspace, argv: string[]): Reply {
  const [, key, field, byText] = argv;
  const by = parseStrtold(byText);
  if (by === null) return ERR_NOT_FLOAT;
  if (isLongDoubleSpecial(by)) return error("ERR value is NaN or Infinity");
  const existing = lookupAs(ks, key, HashValue);
  if (existing === null) return WRONGTYPE;
  const current = parseStrtold(existing?.map.get(field) ?? "0");
  if (current === null) return error("ERR hash value is not a float");
  const sum = addLongDouble(current, by);
  if (isLongDoubleSpecial(sum)) return ERR_NAN_INF;
  const h = hashForWrite(ks, key, 1);
  if (!(h instanceof HashValue)) return h;
  const text = formatLongDoubleHuman(sum);
  const before = ks.beginMutation(key, h);
  h.set(field, text);
  ks.endMutation(key, h, before);
  ks.notify(EventClass.Hash, "hincrbyfloat", key);
  ks.emit(["HSET", key, field, text]);
  return bulk(text);
}

/**
 * Whether HSCAN answers the whole hash with cursor 0: Redis does for a listpack-encoded hash (up
 * to hash-max-listpack-entries fields, none longer than hash-max-listpack-value) only; a
 * hashtable, however small, is paged by COUNT.
 */
function scansWhole(ks: Keyspace, h: HashValue): boolean {
  return listpackSized(h, ks.encoding);
}

function hscan(ks: Keyspace, argv: string[]): Reply {
  const cursor = parseCursor(argv[2]);
  if (cursor === null) return error("ERR invalid cursor");
  // Redis looks the key up before it reads the options: a missing key answers an empty scan
  // whatever follows, a wrong type WRONGTYPE before any syntax error.
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  if (h === undefined) return array([bulk("0"), EMPTY_ARRAY]);
  const opts = parseScanOptions(argv, 3, ks.limits.scanCountMax, false);
  if ("kind" in opts) return opts;
  let next = 0;
  let items: [string, string][];
  if (scansWhole(ks, h)) items = [...h.map];
  else {
    const r = ks.scans.scan(h, () => h.map.entries(), cursor, opts.count);
    next = r.cursor;
    items = r.items;
  }
  const out: Reply[] = [];
  for (const [f, v] of items) {
    if (opts.pattern !== null && !globMatch(opts.pattern, f)) continue;
    out.push(bulk(f), bulk(v));
  }
  return array([bulk(String(next)), array(out)]);
}

function hrandfield(ks: Keyspace, argv: string[]): Reply {
  if (argv.length === 2) {
    const h = lookupAs(ks, argv[1], HashValue);
    if (h === null) return WRONGTYPE;
    if (h === undefined) return NIL;
    const [i] = randomIndexes(() => ks.ctx.random(), h.size, 1, false);
    return bulk(nth(h.map.keys(), i));
  }
  // Redis reads the count first, then the syntax, then the key (HRANDFIELD str x: not an integer).
  const count = parseRandomCount(argv[2]);
  if (typeof count !== "number") return count;
  if (argv.length > 4) return error("ERR syntax error");
  const withValues = argv.length === 4;
  if (withValues && cWord(argv[3]) !== "withvalues") return error("ERR syntax error");
  const outOfRange = withValues ? pairedCountOutOfRange(argv[2]) : null;
  if (outOfRange !== null) return outOfRange;
  const h = lookupAs(ks, argv[1], HashValue);
  if (h === null) return WRONGTYPE;
  const tooMany = randomCountTooLarge(ks, count);
  if (tooMany !== null) return tooMany;
  if (h === undefined || count === 0) return EMPTY_ARRAY;
  const entries = [...h.map];
  const picks = randomIndexes(() => ks.ctx.random(), entries.length, Math.abs(count), count > 0);
  const out: Reply[] = [];
  for (const i of picks) {
    out.push(bulk(entries[i][0]));
    if (withValues) out.push(bulk(entries[i][1]));
  }
  return withValues ? pairsArray(out) : array(out);
}

const WF = "write denyoom fast";
const RF = "readonly fast";
const K: [number, number, number] = [1, 1, 1];

export const HASH_COMMANDS: readonly BuiltinCommand[] = [
  command("hset", -4, WF, K, H, (ks, a) => hset(ks, a, false)),
  command("hmset", -4, WF, K, H, (ks, a) => hset(ks, a, true)),
  command("hsetnx", 4, WF, K, H, hsetnx),
  command("hget", 3, RF, K, H, hget),
  command("hmget", -3, RF, K, H, hmget),
  command("hdel", -3, "write fast", K, H, hdel),
  command("hgetall", 2, "readonly random", K, H, (ks, a) => hgetall(ks, a, "all")),
  command("hkeys", 2, "readonly random", K, H, (ks, a) => hgetall(ks, a, "keys")),
  command("hvals", 2, "readonly random", K, H, (ks, a) => hgetall(ks, a, "vals")),
  command("hlen", 2, RF, K, H, hlen),
  command("hexists", 3, RF, K, H, hexists),
  command("hstrlen", 3, RF, K, H, hstrlen),
  command("hincrby", 4, WF, K, H, hincrby),
  command("hincrbyfloat", 4, WF, K, H, hincrbyfloat),
  command("hscan", -3, "readonly random", K, H, hscan),
  command("hrandfield", -2, "readonly random", K, H, hrandfield),
];
