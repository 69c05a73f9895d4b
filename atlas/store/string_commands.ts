/** String commands: GET SET (all options) INCR* APPEND GETRANGE SETRANGE GETEX LCS ... */
import { bytesToBinary } from "./binary.ts";
import { type BuiltinCommand, command } from "./command_table.ts";
import {
  ERR_NAN_INF,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
  wrongArity,
  WRONGTYPE,
} from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import {
  addInt64,
  addLongDouble,
  formatLongDoubleHuman,
  type Int64,
  int64ToString,
  isLongDoubleSpecial,
  negateInt64,
  parseInt64,
  parseStrtold,
} from "./numbers.ts";
import { array, bulk, error, integer, NIL, OK, type Reply } from "./reply.ts";
import { cWord, deadlineMs, invalidExpire, lower, parseInt64Arg, parseIntArg } from "./util.ts";

const S = "string";
const EMPTY_BULK = bulk("");

function get(ks: Keyspace, argv: string[]): Reply {
  const v = ks.lookup(argv[1]);
  if (v === undefined) return NIL;
  if (typeof v !== "string") return WRONGTYPE;
  return bulk(v);
}

interface SetOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  /** The EX/PX/EXAT/PXAT word (lower case) and its argument, validated later like Redis. */
  unit: string | null;
  time: string;
}

/** Parses SET's (or GETEX's) option words from argv[from]; ERR syntax error as a Reply. */
function parseSetOptions(argv: string[], from: number, name: string): SetOptions | Reply {
  const o: SetOptions = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    persist: false,
    unit: null,
    time: "",
  };
  for (let i = from; i < argv.length; i++) {
    const opt = cWord(argv[i]); // Redis compares C strings: "NX\0junk" is NX
    if (opt === "nx" && name === "set" && !o.xx) o.nx = true;
    else if (opt === "xx" && name === "set" && !o.nx) o.xx = true;
    else if (opt === "get" && name === "set") o.get = true;
    else if (opt === "keepttl" && name === "set" && o.unit === null) o.keepTtl = true;
    else if (opt === "persist" && name === "getex" && o.unit === null) o.persist = true;
    else if (
      (opt === "ex" || opt === "px" || opt === "exat" || opt === "pxat") &&
      !o.keepTtl && !o.persist && (o.unit === null || o.unit === opt) && i + 1 < argv.length
    ) {
      // Redis 7.0 lets one unit repeat (SET k v EX 1 EX 2: the last wins, and only its value is
      // validated) but refuses two different ones.
      o.unit = opt;
      o.time = argv[++i];
    } else return ERR_SYNTAX;
  }
  return o;
}

/** The absolute deadline (ms) of EX/PX/EXAT/PXAT, or an error Reply (Redis texts). */
function resolveExpire(ks: Keyspace, o: SetOptions, name: string): number | Reply {
  const time = parseInt64Arg(o.time);
  if (time === null) return ERR_NOT_INTEGER;
  if (time <= 0) return invalidExpire(name);
  const unit = o.unit === "ex" || o.unit === "exat" ? "s" : "ms";
  const relative = o.unit === "ex" || o.unit === "px";
  return deadlineMs(time, unit, relative ? ks.nowMs : 0) ?? invalidExpire(name);
}

function set(ks: Keyspace, argv: string[]): Reply {
  const [, key, value] = argv;
  if (argv.length === 3) {
    ks.touchForOverwrite(key);
    ks.setValue(key, value);
    ks.notify(EventClass.String, "set", key);
    ks.emit(argv);
    return OK;
  }
  const o = parseSetOptions(argv, 3, "set");
  if ("kind" in o) return o;
  let atMs = -1;
  if (o.unit !== null) {
    const r = resolveExpire(ks, o, "set");
    if (typeof r !== "number") return r;
    atMs = r;
  }
  let reply: Reply = OK;
  if (o.get || o.nx || o.xx) {
    const old = o.get ? ks.lookupRead(key) : ks.lookup(key); // GET: a read lookup, as Redis
    if (o.get) {
      if (old !== undefined && typeof old !== "string") return WRONGTYPE;
      reply = old === undefined ? NIL : bulk(old);
    }
    if ((o.nx && old !== undefined) || (o.xx && old === undefined)) return o.get ? reply : NIL;
  } else ks.touchForOverwrite(key);
  ks.setValue(key, value, o.keepTtl);
  ks.notify(EventClass.String, "set", key);
  if (atMs >= 0) {
    ks.setExpire(key, atMs);
    ks.notify(EventClass.Generic, "expire", key);
    ks.emit(["SET", key, value, "PXAT", String(atMs)]);
  } else {
    ks.emit(o.keepTtl ? ["SET", key, value, "KEEPTTL"] : ["SET", key, value]);
  }
  return reply;
}

function setnx(ks: Keyspace, argv: string[]): Reply {
  if (ks.lookup(argv[1]) !== undefined) return integer(0);
  ks.setValue(argv[1], argv[2]);
  ks.notify(EventClass.String, "set", argv[1]);
  ks.emit(["SET", argv[1], argv[2]]);
  return integer(1);
}

function setex(ks: Keyspace, argv: string[], unitMs: number): Reply {
  const [name, key, ttlText, value] = argv;
  const time = parseInt64Arg(ttlText);
  if (time === null) return ERR_NOT_INTEGER;
  if (time <= 0) return invalidExpire(name.toLowerCase());
  const ms = deadlineMs(time, unitMs === 1000 ? "s" : "ms", ks.nowMs);
  if (ms === null) return invalidExpire(name.toLowerCase());
  ks.touchForOverwrite(key);
  ks.setValue(key, value);
  ks.notify(EventClass.String, "set", key);
  ks.setExpire(key, ms);
  ks.notify(EventClass.Generic, "expire", key);
  ks.emit(["SET", key, value, "PXAT", String(ms)]);
  return OK;
}

function mget(ks: Keyspace, argv: string[]): Reply {
  const out: Reply[] = new Array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = ks.lookup(argv[i]);
    out[i - 1] = typeof v === "string" ? bulk(v) : NIL;
  }
  return array(out);
}

function mset(ks: Keyspace, argv: string[], nx: boolean): Reply {
  if (argv.length % 2 === 0) return wrongArity(nx ? "msetnx" : "mset");
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (ks.lookup(argv[i]) !== undefined) return integer(0);
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    if (!nx) ks.touchForOverwrite(argv[i]);
    ks.setValue(argv[i], argv[i + 1]);
    ks.notify(EventClass.String, "set", argv[i]);
  }
  ks.emit(nx ? ["MSET", ...argv.slice(1)] : argv);
  return nx ? integer(1) : OK;
}

/** INCR/DECR/INCRBY/DECRBY: int64 with overflow errors; the TTL is kept. */
function incrBy(ks: Keyspace, argv: string[], by: Int64 | null): Reply {
  const key = argv[1];
  if (by === null) {
    const parsed = parseInt64(argv[2]);
    if (parsed === null) return ERR_NOT_INTEGER;
    if (lower(argv[0]) === "decrby") {
      const neg = negateInt64(parsed);
      if (neg === null) return error("ERR decrement would overflow");
      by = neg;
    } else by = parsed;
  }
  const old = ks.lookup(key);
  let current: Int64 = 0;
  if (old !== undefined) {
    if (typeof old !== "string") return WRONGTYPE;
    const parsed = parseInt64(old);
    if (parsed === null) return ERR_NOT_INTEGER;
    current = parsed;
  }
  const next = addInt64(current, by);
  if (next === null) return ERR_OVERFLOW;
  ks.setValue(key, int64ToString(next), true);
  ks.notify(EventClass.String, "incrby", key);
  ks.emit(argv);
  return integer(next);
}

function incrByFloat(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const old = ks.lookup(key);
  if (old !== undefined && typeof old !== "string") return WRONGTYPE;
  const current = parseStrtold(old ?? "0");
  const by = parseStrtold(argv[2]);
  if (current === null || by === null) return ERR_NOT_FLOAT;
  const sum = addLongDouble(current, by);
  if (isLongDoubleSpecial(sum)) return ERR_NAN_INF;
  const text = formatLongDoubleHuman(sum);
  ks.setValue(key, text, true);
  ks.notify(EventClass.String, "incrbyfloat", key);
  ks.emit(["SET", key, text, "KEEPTTL"]);
  return bulk(text);
}

function append(ks: Keyspace, argv: string[]): Reply {
  const [, key, suffix] = argv;
  const old = ks.lookup(key);
  if (old !== undefined && typeof old !== "string") return WRONGTYPE;
  const length = (old?.length ?? 0) + suffix.length;
  if (length > ks.limits.valueBytesMax) return ERR_STRING_TOO_LONG;
  ks.setValue(key, old === undefined ? suffix : old + suffix, true);
  if (old !== undefined) ks.markRaw(key); // Redis: grown in place (a new key is just SET)
  ks.notify(EventClass.String, "append", key);
  ks.emit(argv);
  return integer(length);
}

function strlen(ks: Keyspace, argv: string[]): Reply {
  const v = ks.lookup(argv[1]);
  if (v === undefined) return integer(0);
  if (typeof v !== "string") return WRONGTYPE;
  return integer(v.length);
}

function getrange(ks: Keyspace, argv: string[]): Reply {
  let start = parseIntArg(argv[2]);
  let end = parseIntArg(argv[3]);
  if (start === null || end === null) return ERR_NOT_INTEGER;
  const v = ks.lookup(argv[1]);
  if (v === undefined) return EMPTY_BULK;
  if (typeof v !== "string") return WRONGTYPE;
  const len = v.length;
  if (start < 0 && end < 0 && start > end) return EMPTY_BULK;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return EMPTY_BULK;
  return bulk(v.slice(start, end + 1));
}

function setrange(ks: Keyspace, argv: string[]): Reply {
  const [, key, offsetText, value] = argv;
  const offset = parseIntArg(offsetText);
  if (offset === null) return ERR_NOT_INTEGER;
  if (offset < 0) return error("ERR offset is out of range");
  const old = ks.lookup(key);
  if (old !== undefined && typeof old !== "string") return WRONGTYPE;
  const current = old ?? "";
  if (value.length === 0) return integer(current.length);
  if (offset + value.length > ks.limits.valueBytesMax) return ERR_STRING_TOO_LONG;
  // join() builds one flat string: concatenating slices would keep every older version alive.
  const next = current.length <= offset
    ? [current, "\0".repeat(offset - current.length), value].join("")
    : [current.slice(0, offset), value, current.slice(offset + value.length)].join("");
  ks.setValue(key, next, true);
  ks.markRaw(key);
  ks.notify(EventClass.String, "setrange", key);
  ks.emit(argv);
  return integer(next.length);
}

function getdel(ks: Keyspace, argv: string[]): Reply {
  const v = ks.lookupRead(argv[1]);
  if (v === undefined) return NIL;
  if (typeof v !== "string") return WRONGTYPE;
  ks.deleteKey(argv[1]);
  ks.notify(EventClass.Generic, "del", argv[1]);
  ks.emit(["DEL", argv[1]]);
  return bulk(v);
}

function getex(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const o = parseSetOptions(argv, 2, "getex");
  if ("kind" in o) return o;
  const v = ks.lookupRead(key);
  if (v === undefined) return NIL;
  if (typeof v !== "string") return WRONGTYPE;
  if (o.persist) {
    if (ks.persist(key)) {
      ks.notify(EventClass.Generic, "persist", key);
      ks.emit(["PERSIST", key]);
    }
  } else if (o.unit !== null) {
    const atMs = resolveExpire(ks, o, "getex");
    if (typeof atMs !== "number") return atMs;
    if (atMs <= ks.nowMs && !ks.replaying) {
      ks.deleteKey(key);
      ks.notify(EventClass.Generic, "del", key);
      ks.emit(["DEL", key]);
    } else {
      ks.setExpire(key, atMs);
      ks.notify(EventClass.Generic, "expire", key);
      ks.emit(["PEXPIREAT", key, String(atMs)]);
    }
  }
  return bulk(v);
}

function getset(ks: Keyspace, argv: string[]): Reply {
  const [, key, value] = argv;
  const old = ks.lookupRead(key);
  if (old !== undefined && typeof old !== "string") return WRONGTYPE;
  ks.setValue(key, value);
  ks.notify(EventClass.String, "set", key);
  ks.emit(["SET", key, value]);
  return old === undefined ? NIL : bulk(old);
}

/**
 * LCS builds the whole dynamic-programming table, (len1+1)*(len2+1) cells, because the walk back
 * needs it. Redis refuses when the table (4-byte cells) would exceed proto-max-bulk-len (512 MB,
 * i.e. 2^27 cells). ATLAS refuses above 2^26 cells: with 2-byte cells (an LCS of such strings is
 * at most 8191, and below 65536 whenever the table fits) that is at most 128 MiB of transient
 * memory and about 0.2 s of CPU, e.g. two strings of 8191 bytes each.
 */
export const LCS_CELLS_MAX = 2 ** 26;

const ERR_LCS_TYPE = error("ERR The specified keys must contain string values");
const ERR_LCS_BOTH = error("ERR If you want both the length and indexes, please just use IDX.");

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], as Redis 7.0's lcsCommand. */
function lcs(ks: Keyspace, argv: string[]): Reply {
  const va = ks.lookup(argv[1]);
  const vb = ks.lookup(argv[2]);
  if (
    (va !== undefined && typeof va !== "string") || (vb !== undefined && typeof vb !== "string")
  ) {
    return ERR_LCS_TYPE;
  }
  const a = va ?? "";
  const b = vb ?? "";
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = cWord(argv[i]); // strcasecmp: up to a NUL byte
    if (opt === "idx") getIdx = true;
    else if (opt === "len") getLen = true;
    else if (opt === "withmatchlen") withMatchLen = true;
    else if (opt === "minmatchlen" && i + 1 < argv.length) {
      const n = parseIntArg(argv[++i]);
      if (n === null) return ERR_NOT_INTEGER;
      minMatchLen = n < 0 ? 0 : n;
    } else return ERR_SYNTAX;
  }
  if (getIdx && getLen) return ERR_LCS_BOTH;

  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  const cells = (alen + 1) * w;
  if (cells > LCS_CELLS_MAX) {
    return error(
      `ERR Insufficient memory, transient memory for LCS exceeds the limit of ${LCS_CELLS_MAX} ` +
        `table cells ((len1+1)*(len2+1) = ${cells})`,
    );
  }
  let t: Uint16Array | Uint32Array;
  try {
    t = Math.min(alen, blen) < 0xffff ? new Uint16Array(cells) : new Uint32Array(cells);
  } catch {
    return error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  // t[i*w + j] = LCS length of a[0..i) and b[0..j); row 0 and column 0 stay 0.
  const bc = new Uint8Array(blen);
  for (let j = 0; j < blen; j++) bc[j] = b.charCodeAt(j);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === bc[j - 1]) t[row + j] = t[prev + j - 1] + 1;
      else {
        const up = t[prev + j];
        const left = t[row + j - 1];
        t[row + j] = up > left ? up : left;
      }
    }
  }
  const length = t[alen * w + blen];
  if (getLen) return integer(length);

  // Walk back from the end exactly as Redis does (same tie-breaking: move in `a` only when the
  // cell above is strictly larger), so the string and the ranges are the same as Redis's.
  const out = new Uint8Array(length);
  const matches: Reply[] = [];
  let idx = length;
  let i = alen;
  let j = blen;
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    const c = a.charCodeAt(i - 1);
    if (c === bc[j - 1]) {
      out[idx - 1] = c;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j] > t[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
        const range: Reply[] = [
          array([integer(aStart), integer(aEnd)]),
          array([integer(bStart), integer(bEnd)]),
        ];
        if (withMatchLen) range.push(integer(matchLen));
        matches.push(array(range));
      }
      aStart = alen;
    }
  }
  if (!getIdx) return bulk(bytesToBinary(out));
  // RESP3 map, RESP2 flat ["matches", [...], "len", n], as Redis's addReplyMapLen.
  return {
    kind: "map",
    value: [[bulk("matches"), array(matches)], [bulk("len"), integer(length)]],
  };
}

const W = "write denyoom";
const WF = "write denyoom fast";

export const STRING_COMMANDS: readonly BuiltinCommand[] = [
  command("get", 2, "readonly fast", [1, 1, 1], S, get),
  command("set", -3, W, [1, 1, 1], S, set),
  command("setnx", 3, WF, [1, 1, 1], S, setnx),
  command("setex", 4, W, [1, 1, 1], S, (ks, a) => setex(ks, a, 1000)),
  command("psetex", 4, W, [1, 1, 1], S, (ks, a) => setex(ks, a, 1)),
  command("mget", -2, "readonly fast", [1, -1, 1], S, mget),
  command("mset", -3, W, [1, -1, 2], S, (ks, a) => mset(ks, a, false)),
  command("msetnx", -3, W, [1, -1, 2], S, (ks, a) => mset(ks, a, true)),
  command("incr", 2, WF, [1, 1, 1], S, (ks, a) => incrBy(ks, a, 1)),
  command("decr", 2, WF, [1, 1, 1], S, (ks, a) => incrBy(ks, a, -1)),
  command("incrby", 3, WF, [1, 1, 1], S, (ks, a) => incrBy(ks, a, null)),
  command("decrby", 3, WF, [1, 1, 1], S, (ks, a) => incrBy(ks, a, null)),
  command("incrbyfloat", 3, WF, [1, 1, 1], S, incrByFloat),
  command("append", 3, WF, [1, 1, 1], S, append),
  command("strlen", 2, "readonly fast", [1, 1, 1], S, strlen),
  command("getrange", 4, "readonly", [1, 1, 1], S, getrange),
  command("substr", 4, "readonly", [1, 1, 1], S, getrange),
  command("setrange", 4, W, [1, 1, 1], S, setrange),
  command("getdel", 2, "write fast", [1, 1, 1], S, getdel),
  command("getex", -2, "write fast", [1, 1, 1], S, getex),
  command("getset", 3, WF, [1, 1, 1], S, getset),
  command("lcs", -3, "readonly", [1, 2, 1], S, lcs),
];
