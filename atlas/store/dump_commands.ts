/**
 * DUMP and RESTORE (and RESTORE-ASKING, the same command for cluster migrations) with Redis 7.0's
 * payload format, so values move between ATLAS and redis-server in both directions
 * (rdb_encode.ts, rdb_decode.ts).
 *
 * Checks run in Redis's order: options, then the key being busy, then the TTL, then the
 * payload's version and checksum, then its content. RESTORE is logged like Redis propagates it:
 * a relative TTL becomes the absolute deadline plus ABSTTL, so the AOF replays it on any clock.
 * IDLETIME sets the key's access time where an LRU policy keeps one, FREQ its access counter
 * under an LFU policy (as Redis's objectSetLRUOrLFU); elsewhere they are checked, then ignored.
 */
import { Buffer } from "node:buffer";
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_SYNTAX } from "./errors.ts";
import type { Keyspace, Value } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { parseInt64 } from "./numbers.ts";
import { decodeRdbValue } from "./rdb_decode.ts";
import { encodeDumpPayload } from "./rdb_encode.ts";
import { lfuWithCounter } from "./lfu.ts";
import { RdbFormatError, RdbLimitError } from "./rdb_reader.ts";
import { verifyDumpPayload } from "./rdb_types.ts";
import { bulk, error, NIL, OK, type Reply } from "./reply.ts";
import { DEADLINE_MS_MAX, ERR_INT, lower, parseIntArg } from "./util.ts";

const G = "generic";

const ERR_BUSYKEY = error("BUSYKEY Target key name already exists.");
const ERR_BAD_TTL = error("ERR Invalid TTL value, must be >= 0");
const ERR_BAD_PAYLOAD = error("ERR DUMP payload version or checksum are wrong");
const ERR_BAD_FORMAT = error("ERR Bad data format");
const ERR_BAD_IDLETIME = error("ERR Invalid IDLETIME value, must be >= 0");
const ERR_BAD_FREQ = error("ERR Invalid FREQ value, must be >= 0 and <= 255");
const INT64_MAX = (1n << 63n) - 1n;
const ERR_TOO_LARGE = error(
  "ERR value too large to DUMP: the payload would exceed the longest string",
);

function dump(ks: Keyspace, argv: string[]): Reply {
  const value = ks.lookup(argv[1]);
  if (value === undefined) return NIL;
  try {
    return bulk(encodeDumpPayload(value, ks.encoding));
  } catch (e) {
    // A value within a few bytes of the longest string V8 can build (or a collection that large)
    // has a payload that cannot be one string; Redis has no such bound.
    if (e instanceof RangeError) return ERR_TOO_LARGE;
    throw e;
  }
}

interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  idleSeconds?: number;
  freq?: number;
}

/** REPLACE, ABSTTL, IDLETIME s, FREQ f; IDLETIME and FREQ exclude each other (a syntax error). */
function parseOptions(argv: string[]): RestoreOptions | Reply {
  const o: RestoreOptions = { replace: false, absttl: false };
  let idle = false;
  let freq = false;
  for (let i = 4; i < argv.length; i++) {
    const opt = lower(argv[i]);
    const more = i + 1 < argv.length;
    if (opt === "replace") o.replace = true;
    else if (opt === "absttl") o.absttl = true;
    else if (opt === "idletime" && more && !freq) {
      const v = parseIntArg(argv[++i]);
      if (v === null) return ERR_INT;
      if (v < 0) return ERR_BAD_IDLETIME;
      o.idleSeconds = v;
      idle = true;
    } else if (opt === "freq" && more && !idle) {
      const v = parseIntArg(argv[++i]);
      if (v === null) return ERR_INT;
      if (v < 0 || v > 255) return ERR_BAD_FREQ;
      o.freq = v;
      freq = true;
    } else return ERR_SYNTAX;
  }
  return o;
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. */
function restore(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const o = parseOptions(argv);
  if ("kind" in o) return o;
  // Without REPLACE, a write lookup: an expired key is deleted here (and its DEL logged), so it
  // is not busy. With REPLACE Redis looks nothing up and deletes whatever is stored, expired or
  // not (no "expired" event).
  const exists = o.replace ? ks.data.has(key) : ks.lookup(key) !== undefined;
  if (exists && !o.replace) return ERR_BUSYKEY;
  const ttlArg = parseInt64(argv[2]);
  if (ttlArg === null) return ERR_INT;
  if (ttlArg < 0) return ERR_BAD_TTL;
  const bytes = Buffer.from(argv[3], "latin1");
  if (!verifyDumpPayload(bytes)) return ERR_BAD_PAYLOAD;
  let value: Value;
  try {
    value = decodeRdbValue(bytes, ks.limits);
  } catch (e) {
    if (e instanceof RdbFormatError) return ERR_BAD_FORMAT;
    if (e instanceof RdbLimitError) return error(e.message);
    throw e;
  }
  // Redis adds the clock to a relative TTL in int64 arithmetic: past INT64_MAX it wraps to a
  // negative deadline, which is already past.
  const relative = ttlArg !== 0 && !o.absttl;
  const wraps = relative && BigInt(ttlArg) + BigInt(ks.nowMs) > INT64_MAX;
  const ttl = Number(ttlArg);
  // Past 2^53 ms the nearest double is kept (util.ts deadlineMs), as EXPIRE keeps it.
  const deadline = wraps ? -1 : Math.min(relative ? ttl + ks.nowMs : ttl, DEADLINE_MS_MAX);
  // A deadline already past: nothing is created (a replaced key is only deleted), as in Redis.
  // Replay creates the key anyway, as EXPIRE does: the original run saw the deadline ahead, and
  // the DEL of its later expiry, if any, follows in the log. A wrapped deadline is past on any
  // clock.
  if (ttl !== 0 && deadline <= ks.nowMs && (!ks.replaying || wraps)) {
    if (exists && ks.deleteKey(key)) {
      ks.notify(EventClass.Generic, "del", key);
      ks.emit(["DEL", key]);
    }
    return OK;
  }
  if (exists) ks.deleteKey(key); // REPLACE: Redis deletes, then adds the key anew
  ks.setValue(key, value);
  if (o.freq !== undefined && ks.lfu !== null) ks.lfu.set(key, lfuWithCounter(ks.nowMs, o.freq));
  if (o.idleSeconds !== undefined && ks.lru !== null) {
    ks.lru.set(key, Math.max(0, ks.lruClock() - o.idleSeconds));
  }
  if (ttl !== 0) ks.setExpire(key, deadline);
  ks.notify(EventClass.Generic, "restore", key);
  const log = argv.slice();
  if (relative) {
    log[2] = String(deadline);
    log.push("ABSTTL");
  }
  ks.emit(log);
  return OK;
}

export const DUMP_COMMANDS: readonly BuiltinCommand[] = [
  command("dump", 2, "readonly", [1, 1, 1], G, dump),
  command("restore", -4, "write denyoom", [1, 1, 1], G, restore),
  command("restore-asking", -4, "write denyoom asking", [1, 1, 1], G, restore),
];
