/** Generic key commands: DEL EXISTS TYPE RENAME SCAN KEYS EXPIRE TTL PERSIST FLUSHALL ... */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NO_SUCH_KEY, ERR_SYNTAX, sanitize } from "./errors.ts";
import { parseDbIndex } from "./db_commands.ts";
import { globMatch } from "./glob.ts";
import { HashValue, listpackSized as hashListpackSized } from "./hash_value.ts";
import { type Keyspace, typeOf, type Value } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { lfuDecayed } from "./lfu.ts";
import { ListValue } from "./list_value.ts";
import { parseInt64 } from "./numbers.ts";
import { SetValue } from "./set_value.ts";
import { StreamValue } from "./stream_value.ts";
import { streamRaxNodes } from "./stream_info.ts";
import { listpackSized as zsetListpackSized } from "./zset_value.ts";
import { array, bulk, error, integer, NIL, OK, type Reply, simple } from "./reply.ts";
import { parseCursor } from "./scan.ts";
import { deserializeValue, serializeValue } from "./serialize.ts";
import {
  cWord,
  deadlineMs,
  ERR_INT,
  invalidExpire,
  lower,
  parseInt64Arg,
  parseIntArg,
} from "./util.ts";

const G = "generic";

/** An argument as C's "%s" prints it: up to its first NUL byte. */
function cText(text: string): string {
  const nul = text.indexOf("\0");
  return nul < 0 ? text : text.slice(0, nul);
}

function del(ks: Keyspace, argv: string[]): Reply {
  // UNLINK is DEL here (the garbage collector frees in the background anyway), but it counts
  // what Redis would have freed in its lazyfree thread.
  const unlink = argv[0].length === 6;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const v = ks.lookup(argv[i]);
    if (v === undefined) continue;
    if (unlink && freeEffort(ks, argv[i], v) > LAZYFREE_THRESHOLD) ks.lazyfreedObjects++;
    if (ks.deleteKey(argv[i])) {
      ks.notify(EventClass.Generic, "del", argv[i]);
      deleted++;
    }
  }
  if (deleted > 0) ks.emit(argv);
  return integer(deleted);
}

/** Redis frees a value in its lazyfree thread when that takes more allocations than this. */
const LAZYFREE_THRESHOLD = 64;
/** A quicklist node's listpack (list-max-listpack-size -2: 8 KiB). */
const LIST_NODE_BYTES = 8192;

/**
 * About how many 8 KiB listpack nodes Redis's quicklist would hold `list` in (an entry costs its
 * bytes plus ~2 of header), counted only up to just past the lazyfree threshold.
 */
function quicklistNodes(list: ListValue): number {
  const enough = (LAZYFREE_THRESHOLD + 1) * LIST_NODE_BYTES;
  let bytes = 0;
  for (let i = 0; i < list.length && bytes <= enough; i++) bytes += list.get(i).length + 2;
  return Math.ceil(bytes / LIST_NODE_BYTES);
}

/**
 * Redis's lazyfreeGetFreeEffort: about how many allocations freeing `v` takes — a quicklist's
 * nodes, a hashtable's or skiplist's entries, a stream's radix nodes plus its groups (each as
 * big as the first group's PEL); 1 for a string or a compact encoding.
 */
function freeEffort(ks: Keyspace, key: string, v: Value): number {
  if (typeof v === "string") return 1;
  if (v instanceof ListValue) return quicklistNodes(v);
  if (v instanceof StreamValue) {
    const first = v.groups.size === 0 ? undefined : v.sortedGroups()[0];
    return streamRaxNodes(v) + (first === undefined ? 0 : v.groups.size * (1 + first.pending.size));
  }
  const encoding = encodingOf(ks, key, v);
  return encoding === "hashtable" || encoding === "skiplist" ? v.size : 1;
}

function exists(ks: Keyspace, argv: string[]): Reply {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (ks.peekRead(argv[i]) !== undefined) count++;
  return integer(count);
}

function touch(ks: Keyspace, argv: string[]): Reply {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (ks.lookup(argv[i]) !== undefined) count++;
  return integer(count);
}

function type(ks: Keyspace, argv: string[]): Reply {
  const v = ks.peekRead(argv[1]);
  return simple(v === undefined ? "none" : typeOf(v));
}

function rename(ks: Keyspace, argv: string[], nx: boolean): Reply {
  const [, src, dst] = argv;
  const value = ks.lookup(src);
  if (value === undefined) return ERR_NO_SUCH_KEY;
  if (src === dst) return nx ? integer(0) : OK;
  if (nx && ks.lookup(dst) !== undefined) return integer(0);
  const at = ks.expires.get(src);
  const raw = ks.rawStrings.size !== 0 && ks.rawStrings.has(src);
  ks.deleteKey(src);
  ks.deleteKey(dst); // Redis deletes an existing dst, then adds it anew
  ks.setValue(dst, value);
  if (raw) ks.markRaw(dst); // the same object moves
  if (at !== undefined) ks.setExpire(dst, at);
  ks.notify(EventClass.Generic, "rename_from", src);
  ks.notify(EventClass.Generic, "rename_to", dst);
  ks.emit(argv);
  return nx ? integer(1) : OK;
}

/** SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. */
function scan(ks: Keyspace, argv: string[]): Reply {
  const cursor = parseCursor(argv[1]);
  if (cursor === null) return error("ERR invalid cursor");
  const opts = parseScanOptions(argv, 2, ks.limits.scanCountMax, true);
  if ("kind" in opts) return opts;
  const r = ks.scans.scan(ks.data, () => ks.data.keys(), cursor, opts.count);
  const out: Reply[] = [];
  for (const key of r.items) {
    // As Redis: the pattern first (a key it rejects is not even looked up), then TYPE's lookup,
    // which counts a keyspace hit or miss (a "keymiss" for an expired key), then expiry. Expired
    // keys are deleted, not returned; no LRU touch (Redis does not either).
    if (opts.pattern !== null && !globMatch(opts.pattern, key)) continue;
    const v = opts.type !== null ? ks.peekRead(key) : ks.peek(key);
    if (v === undefined) continue;
    if (opts.type !== null && typeOf(v) !== opts.type) continue;
    out.push(bulk(key));
  }
  return array([bulk(String(r.cursor)), array(out)]);
}

export interface ScanOptions {
  pattern: string | null;
  count: number;
  type: string | null;
  noValues: boolean;
}

export function parseScanOptions(
  argv: string[],
  from: number,
  countMax: number,
  allowType: boolean,
): ScanOptions | Reply {
  const opts: ScanOptions = { pattern: null, count: 10, type: null, noValues: false };
  for (let i = from; i < argv.length; i++) {
    const opt = cWord(argv[i]); // strcasecmp: "COUNT\0x" is COUNT
    const more = i + 1 < argv.length;
    if (opt === "count" && more) {
      const n = parseIntArg(argv[++i]);
      if (n === null) return ERR_INT;
      if (n < 1) return ERR_SYNTAX;
      opts.count = Math.min(n, countMax);
    } else if (opt === "match" && more) {
      opts.pattern = argv[++i];
      if (opts.pattern === "*") opts.pattern = null;
    } else if (opt === "type" && more && allowType) {
      opts.type = cWord(argv[++i]); // compared with strcasecmp too
    } else {
      return ERR_SYNTAX;
    }
  }
  return opts;
}

function keys(ks: Keyspace, argv: string[]): Reply {
  const pattern = argv[1];
  const all = pattern === "*";
  const out: Reply[] = [];
  for (const key of ks.data.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    const at = ks.expires.size === 0 ? undefined : ks.expires.get(key);
    if (at !== undefined && at <= ks.nowMs) continue; // skipped, not deleted (as Redis)
    out.push(bulk(key));
  }
  return array(out);
}

/**
 * A key at a random position; no hit counted, no LRU touch (Redis). Redis deletes an expired key it
 * picks and picks again until it finds a live one, so RANDOMKEY answers nil only for an empty
 * keyspace however many keys have expired. Picking again would walk the Map once per expired key;
 * instead the walk goes on from the pick (wrapping round once), deleting the expired keys it
 * passes, so one call stays O(n).
 */
function randomKey(ks: Keyspace): Reply {
  if (ks.data.size === 0) return NIL;
  const index = Math.floor(ks.ctx.random() * ks.data.size);
  let i = 0;
  for (const key of ks.data.keys()) {
    if (i++ >= index && ks.peek(key) !== undefined) return bulk(key);
  }
  // The keys before the pick (deleting keys after it shifted none of them).
  i = 0;
  for (const key of ks.data.keys()) {
    if (i++ >= index) break;
    if (ks.peek(key) !== undefined) return bulk(key);
  }
  return NIL;
}

type Unit = "s" | "ms";

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT], logged as PEXPIREAT or DEL. */
function expire(ks: Keyspace, argv: string[], unit: Unit, relative: boolean): Reply {
  const key = argv[1];
  let nx = false, xx = false, gt = false, lt = false;
  for (let i = 3; i < argv.length; i++) {
    // Redis compares C strings: "NX\0junk" is NX, and its error quotes the option up to a NUL.
    const opt = cWord(argv[i]);
    if (opt === "nx") nx = true;
    else if (opt === "xx") xx = true;
    else if (opt === "gt") gt = true;
    else if (opt === "lt") lt = true;
    else return error(sanitize(`ERR Unsupported option ${cText(argv[i])}`));
  }
  if (nx && (xx || gt || lt)) {
    return error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return error("ERR GT and LT options at the same time are not compatible");
  const n = parseInt64Arg(argv[2]);
  if (n === null) return ERR_INT;
  const when = deadlineMs(n, unit, relative ? ks.nowMs : 0);
  if (when === null) return invalidExpire(argv[0].toLowerCase());
  if (ks.lookup(key) === undefined) return integer(0);
  const current = ks.expires.get(key);
  if (nx && current !== undefined) return integer(0);
  if (xx && current === undefined) return integer(0);
  if (gt && (current === undefined || when <= current)) return integer(0);
  if (lt && current !== undefined && when >= current) return integer(0);
  if (when <= ks.nowMs && !ks.replaying) {
    ks.deleteKey(key);
    ks.notify(EventClass.Generic, "del", key);
    ks.emit(["DEL", key]);
    return integer(1);
  }
  ks.setExpire(key, when);
  ks.notify(EventClass.Generic, "expire", key);
  ks.emit(["PEXPIREAT", key, String(when)]);
  return integer(1);
}

// TTL and EXPIRETIME read without touching the key's access time (Redis's LOOKUP_NOTOUCH).
function ttl(ks: Keyspace, argv: string[], ms: boolean): Reply {
  if (ks.peekRead(argv[1]) === undefined) return integer(-2);
  const at = ks.expires.get(argv[1]);
  if (at === undefined) return integer(-1);
  const left = Math.max(0, at - ks.nowMs);
  return integer(ms ? left : Math.floor((left + 500) / 1000));
}

function expireTime(ks: Keyspace, argv: string[], ms: boolean): Reply {
  if (ks.peekRead(argv[1]) === undefined) return integer(-2);
  const at = ks.expires.get(argv[1]);
  if (at === undefined) return integer(-1);
  // Redis rounds to the nearest second, as TTL does (C division: towards zero).
  return integer(ms ? at : Math.trunc((at + 500) / 1000));
}

function persist(ks: Keyspace, argv: string[]): Reply {
  if (ks.lookup(argv[1]) === undefined || !ks.persist(argv[1])) return integer(0);
  ks.notify(EventClass.Generic, "persist", argv[1]);
  ks.emit(argv);
  return integer(1);
}

/** FLUSHDB (the selected database) and FLUSHALL (every one) [ASYNC|SYNC]. */
function flush(ks: Keyspace, argv: string[]): Reply {
  if (argv.length > 2) return ERR_SYNTAX;
  if (argv.length === 2) {
    const mode = cWord(argv[1]); // strcasecmp: "SYNC\0x" is SYNC
    if (mode !== "sync" && mode !== "async") return ERR_SYNTAX;
  }
  const all = argv[0].length === 8; // FLUSHALL (the table routes only the two names here)
  // ASYNC: Redis frees the old keyspace in its lazyfree thread and counts every key.
  if (argv.length === 2 && cWord(argv[1]) === "async") {
    ks.lazyfreedObjects += all ? ks.totalKeys() : ks.data.size;
  }
  if (!all) {
    ks.flush();
    ks.emit(["FLUSHDB"]);
    return OK;
  }
  ks.flushAll();
  ks.emit(["FLUSHALL"]);
  return OK;
}

/** COPY source destination [DB db] [REPLACE]: a deep copy with the TTL, into `db` if given. */
function copy(ks: Keyspace, argv: string[]): Reply {
  const [, src, dst] = argv;
  let replace = false;
  const home = ks.dbIndex;
  let target = home;
  for (let i = 3; i < argv.length; i++) {
    const opt = cWord(argv[i]); // strcasecmp: "REPLACE\0x" is REPLACE
    if (opt === "replace") replace = true;
    else if (opt === "db" && i + 1 < argv.length) {
      // An int argument, as Redis's getIntFromObjectOrReply: int64 text, then the int32 range.
      const db = parseDbIndex(argv[++i], ks.databases.length);
      if (typeof db !== "number") return db;
      target = db;
    } else return ERR_SYNTAX;
  }
  if (src === dst && target === home) {
    return error("ERR source and destination objects are the same");
  }
  const value = ks.lookupRead(src);
  if (value === undefined) return integer(0);
  const at = ks.expires.get(src);
  const raw = ks.rawStrings.size !== 0 && ks.rawStrings.has(src);
  if (target !== home) ks.select(target);
  try {
    if (ks.lookup(dst) !== undefined && !replace) return integer(0);
    ks.deleteKey(dst); // REPLACE: Redis deletes dst, then adds it anew
    ks.setValue(dst, typeof value === "string" ? value : deserializeValue(serializeValue(value)));
    if (raw) ks.markRaw(dst); // a copy keeps "raw"
    if (at !== undefined) ks.setExpire(dst, at);
    ks.notify(EventClass.Generic, "copy_to", dst);
  } finally {
    if (target !== home) ks.select(home);
  }
  ks.emit(argv);
  return integer(1);
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    The name Redis 7.0 would give the representation of the value at <key>",
  "    (embstr, int, raw, listpack, quicklist, intset, hashtable, skiplist, stream).",
  "FREQ <key>",
  "    The logarithmic access frequency counter of <key>; kept only under",
  "    maxmemory-policy allkeys-lfu or volatile-lfu (an error otherwise).",
  "IDLETIME <key>",
  "    Seconds since <key> was last accessed; not kept under maxmemory-policy",
  "    allkeys-lfu or volatile-lfu (an error then).",
  "REFCOUNT <key>",
  "    1; or 2147483647 for a string holding an integer from 0 to 9999 (a shared value)",
  "    while no LRU or LFU policy is active.",
  "HELP",
  "    Prints this help.",
].map((line) => simple(line));

/** Redis's refcount of a shared object: it is never freed. */
const SHARED_REFCOUNT = 2147483647;
/** Redis shares the integers 0-9999 as values (OBJ_SHARED_INTEGERS) unless an LRU policy runs. */
const SHARED_INTEGER_RE = /^(0|[1-9]\d{0,3})$/;

const ERR_NO_LFU = error(
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that " +
    "when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
const ERR_LFU_NO_IDLETIME = error(
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when " +
    "switching between policies at runtime LRU and LFU data will take some time to adjust.",
);

function objectCommand(ks: Keyspace, argv: string[]): Reply {
  const sub = lower(argv[1]);
  if (sub === "help") {
    return argv.length === 2
      ? array(OBJECT_HELP)
      : error("ERR wrong number of arguments for 'object|help' command");
  }
  if (sub !== "encoding" && sub !== "refcount" && sub !== "freq" && sub !== "idletime") {
    // Quoted as Redis's "%.128s" does: up to a NUL byte, at most 128 bytes.
    return error(
      sanitize(`ERR unknown subcommand '${cText(argv[1]).slice(0, 128)}'. Try OBJECT HELP.`),
    );
  }
  if (argv.length !== 3) {
    return error(`ERR wrong number of arguments for 'object|${sub}' command`);
  }
  // Like Redis, OBJECT looks the key up without counting as an access to it (no LRU touch, no
  // "keymiss"; a hit or miss is counted).
  const v = ks.peekRead(argv[2], false);
  if (v === undefined) return NIL;
  switch (sub) {
    case "encoding":
      return bulk(encodingOf(ks, argv[2], v));
    case "refcount": {
      // A string changed in place (SETRANGE, APPEND...: "raw") is its own object, never shared.
      const shared = typeof v === "string" && !ks.lruOrdered && ks.lfu === null &&
        SHARED_INTEGER_RE.test(v) &&
        !(ks.rawStrings.size !== 0 && ks.rawStrings.has(argv[2]));
      return integer(shared ? SHARED_REFCOUNT : 1);
    }
    case "freq": {
      const packed = ks.lfu?.get(argv[2]);
      if (packed === undefined) return ERR_NO_LFU;
      return integer(lfuDecayed(packed, ks.nowMs, ks.lfuSettings));
    }
    default: {
      if (ks.lfu !== null) return ERR_LFU_NO_IDLETIME;
      const accessedAt = ks.lru?.get(argv[2]) ?? ks.lruClock();
      return integer(Math.max(0, ks.lruClock() - accessedAt));
    }
  }
}

const INT_RE = /^-?[1-9]\d{0,18}$|^0$/;

/**
 * What Redis 7.0 would report under the thresholds in ks.encoding (CONFIG SET
 * hash-max-listpack-entries and the like; Redis's defaults: hashes listpack up to 512 entries,
 * zsets up to 128, of at most 64 bytes, intset up to 512 integers). Strings: "int" for an integer
 * Redis would store as a long, "raw" when longer than 44 bytes or changed in place (APPEND,
 * SETRANGE, SETBIT, BITFIELD, BITOP, PFADD: ks.rawStrings), else "embstr". ATLAS has one
 * representation per type; this only keeps OBJECT ENCODING answers familiar. Like Redis, a set,
 * hash or sorted set that outgrew its compact encoding keeps the large one when it shrinks
 * (judged by its peak against the thresholds now; Redis's by those when it grew).
 */
export function encodingOf(ks: Keyspace, key: string, v: Value): string {
  if (typeof v === "string") {
    if (ks.rawStrings.size !== 0 && ks.rawStrings.has(key)) return "raw";
    if (v.length <= 20 && INT_RE.test(v) && parseInt64(v) !== null) return "int";
    return v.length <= 44 ? "embstr" : "raw";
  }
  if (v instanceof ListValue) return "quicklist";
  if (v instanceof StreamValue) return "stream";
  const limits = ks.encoding;
  if (v instanceof SetValue) {
    return v.isIntset(limits.setMaxIntsetEntries) ? "intset" : "hashtable";
  }
  if (v instanceof HashValue) return hashListpackSized(v, limits) ? "listpack" : "hashtable";
  return zsetListpackSized(v, limits) ? "listpack" : "skiplist";
}

export const KEY_COMMANDS: readonly BuiltinCommand[] = [
  command("del", -2, "write", [1, -1, 1], G, del),
  command("unlink", -2, "write fast", [1, -1, 1], G, del),
  command("exists", -2, "readonly fast", [1, -1, 1], G, exists),
  command("type", 2, "readonly fast", [1, 1, 1], G, type),
  command("rename", 3, "write", [1, 2, 1], G, (ks, a) => rename(ks, a, false)),
  command("renamenx", 3, "write fast", [1, 2, 1], G, (ks, a) => rename(ks, a, true)),
  command("scan", -2, "readonly random", [0, 0, 0], G, scan),
  command("keys", 2, "readonly", [0, 0, 0], G, keys),
  command("randomkey", 1, "readonly random", [0, 0, 0], G, randomKey),
  command("expire", -3, "write fast", [1, 1, 1], G, (ks, a) => expire(ks, a, "s", true)),
  command("pexpire", -3, "write fast", [1, 1, 1], G, (ks, a) => expire(ks, a, "ms", true)),
  command("expireat", -3, "write fast", [1, 1, 1], G, (ks, a) => expire(ks, a, "s", false)),
  command("pexpireat", -3, "write fast", [1, 1, 1], G, (ks, a) => expire(ks, a, "ms", false)),
  command("ttl", 2, "readonly fast", [1, 1, 1], G, (ks, a) => ttl(ks, a, false)),
  command("pttl", 2, "readonly fast", [1, 1, 1], G, (ks, a) => ttl(ks, a, true)),
  command("expiretime", 2, "readonly fast", [1, 1, 1], G, (ks, a) => expireTime(ks, a, false)),
  command("pexpiretime", 2, "readonly fast", [1, 1, 1], G, (ks, a) => expireTime(ks, a, true)),
  command("persist", 2, "write fast", [1, 1, 1], G, persist),
  command("touch", -2, "readonly fast", [1, -1, 1], G, touch),
  command("dbsize", 1, "readonly fast", [0, 0, 0], "server", (ks) => integer(ks.data.size)),
  command("flushdb", -1, "write", [0, 0, 0], "server", flush),
  command("flushall", -1, "write", [0, 0, 0], "server", flush),
  command("object", -2, "readonly", [2, 2, 1], G, objectCommand),
  command("copy", -3, "write denyoom", [1, 2, 1], G, copy),
];
