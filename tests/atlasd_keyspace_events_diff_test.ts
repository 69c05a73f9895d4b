/**
 * Keyspace notifications against a real redis-server 7.0: the same script (every command family,
 * lazy and active expiry, several notify-keyspace-events flag sets) on both servers, with a
 * `PSUBSCRIBE __key*__:*` subscriber; the messages it receives, in order, and the replies the
 * script gets must be identical. Set KSE_DEBUG=<dir> to write both event lists there.
 */
import assert from "node:assert/strict";
import { type RespValue, startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";
import { recordFrames } from "../atlas/testing/frame_recorder.ts";

type Conn = "sub" | "cmd" | "blk";
const CONNS: Conn[] = ["sub", "cmd", "blk"];

/** A command on a connection, or a pause of that many ms (time for expiry and blocked clients). */
type Step = [Conn, string[]] | number;

const flags = (f: string): Step => ["cmd", ["CONFIG", "SET", "notify-keyspace-events", f]];
const getFlags: Step = ["cmd", ["CONFIG", "GET", "notify-keyspace-events"]];

const STRINGS: Step[] = [
  ["cmd", ["SET", "s", "1"]],
  ["cmd", ["SET", "s", "2", "EX", "100"]],
  ["cmd", ["SET", "s", "3", "KEEPTTL"]],
  ["cmd", ["SET", "s", "4", "NX"]],
  ["cmd", ["SET", "s", "5", "XX", "GET"]],
  ["cmd", ["SET", "nx", "5", "XX"]],
  ["cmd", ["SET", "s2", "v", "PXAT", "1"]],
  250, // already past its deadline: expired by whichever of active or lazy expiry comes first
  ["cmd", ["GET", "s2"]],
  ["cmd", ["SETNX", "s", "x"]],
  ["cmd", ["SETNX", "s3", "x"]],
  ["cmd", ["SETEX", "s4", "100", "v"]],
  ["cmd", ["PSETEX", "s5", "100000", "v"]],
  ["cmd", ["MSET", "m1", "a", "m2", "b"]],
  ["cmd", ["MSETNX", "m1", "a", "m3", "b"]],
  ["cmd", ["MSETNX", "m3", "a", "m4", "b"]],
  ["cmd", ["INCR", "n"]],
  ["cmd", ["DECR", "n"]],
  ["cmd", ["INCRBY", "n", "5"]],
  ["cmd", ["DECRBY", "n", "2"]],
  ["cmd", ["INCRBY", "s", "x"]],
  ["cmd", ["INCRBYFLOAT", "f", "1.5"]],
  ["cmd", ["APPEND", "s", "xyz"]],
  ["cmd", ["APPEND", "ap", "new"]],
  ["cmd", ["SETRANGE", "s", "1", "QQ"]],
  ["cmd", ["SETRANGE", "s", "1", ""]],
  ["cmd", ["SETRANGE", "sr", "0", ""]],
  ["cmd", ["SETRANGE", "sr", "3", "x"]],
  ["cmd", ["GETSET", "s", "g"]],
  ["cmd", ["GETDEL", "s"]],
  ["cmd", ["GETDEL", "s"]],
  ["cmd", ["SET", "ge", "v"]],
  ["cmd", ["GETEX", "ge"]],
  ["cmd", ["GETEX", "ge", "EX", "100"]],
  ["cmd", ["GETEX", "ge", "PERSIST"]],
  ["cmd", ["GETEX", "ge", "PERSIST"]],
  ["cmd", ["GETEX", "ge", "PXAT", "1"]],
  ["cmd", ["GET", "m1"]],
  ["cmd", ["SETBIT", "b", "7", "1"]],
  ["cmd", ["SETBIT", "b", "7", "1"]],
  ["cmd", ["BITFIELD", "bf", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "1"]],
  ["cmd", ["BITFIELD", "bf", "GET", "u8", "0"]],
  ["cmd", [
    "BITFIELD",
    "bf2",
    "INCRBY",
    "u2",
    "0",
    "5",
    "OVERFLOW",
    "FAIL",
    "INCRBY",
    "u2",
    "0",
    "9",
  ]],
  ["cmd", ["BITOP", "OR", "bo", "b", "bf"]],
  ["cmd", ["BITOP", "AND", "bo", "nosuch1", "nosuch2"]],
  ["cmd", ["BITOP", "AND", "bo", "nosuch1", "nosuch2"]],
  ["cmd", ["PFADD", "hll", "a", "b"]],
  ["cmd", ["PFADD", "hll", "a"]],
  ["cmd", ["PFADD", "hll2"]],
  ["cmd", ["PFADD", "hll2"]],
  ["cmd", ["PFMERGE", "hll3", "hll", "hll2"]],
  ["cmd", ["PFMERGE", "hll3"]],
  ["cmd", ["PFCOUNT", "hll", "hll2"]],
];

const GENERIC: Step[] = [
  ["cmd", ["DEL", "m1", "nosuch", "m2"]],
  ["cmd", ["UNLINK", "m3", "m3"]],
  ["cmd", ["SET", "r1", "v"]],
  ["cmd", ["SET", "r2", "w"]],
  ["cmd", ["RENAME", "r1", "r2"]],
  ["cmd", ["RENAME", "r2", "r2"]],
  ["cmd", ["RENAME", "r2", "r3"]],
  ["cmd", ["RENAMENX", "r3", "m4"]],
  ["cmd", ["RENAMENX", "r3", "r4"]],
  ["cmd", ["RENAME", "nosuch", "r5"]],
  ["cmd", ["EXPIRE", "r4", "100"]],
  ["cmd", ["EXPIRE", "r4", "50", "GT"]],
  ["cmd", ["PEXPIRE", "r4", "100000", "XX"]],
  ["cmd", ["EXPIREAT", "r4", "99999999999"]],
  ["cmd", ["PEXPIREAT", "r4", "99999999999000"]],
  ["cmd", ["EXPIRE", "nosuch", "100"]],
  ["cmd", ["PERSIST", "r4"]],
  ["cmd", ["PERSIST", "r4"]],
  ["cmd", ["EXPIRE", "r4", "-1"]],
  ["cmd", ["SET", "c1", "v", "EX", "100"]],
  ["cmd", ["COPY", "c1", "c2"]],
  ["cmd", ["COPY", "c1", "c2"]],
  ["cmd", ["COPY", "c1", "c2", "REPLACE"]],
  ["cmd", ["COPY", "nosuch", "c3"]],
  ["cmd", ["RPUSH", "dl", "a", "b"]],
  ["cmd", ["COPY", "dl", "dl2", "DB", "0"]],
  ["cmd", ["RENAME", "dl2", "dl3"]],
  ["cmd", ["TOUCH", "c1", "nosuch"]],
  ["cmd", ["EXISTS", "c1"]],
  ["cmd", ["TYPE", "c1"]],
  ["cmd", ["MOVE", "c1", "0"]],
  ["cmd", ["SWAPDB", "0", "0"]],
];

const LISTS: Step[] = [
  ["cmd", ["LPUSH", "l", "a", "b"]],
  ["cmd", ["RPUSH", "l", "c"]],
  ["cmd", ["LPUSHX", "l", "d"]],
  ["cmd", ["RPUSHX", "l", "e"]],
  ["cmd", ["LPUSHX", "nol", "d"]],
  ["cmd", ["LINSERT", "l", "BEFORE", "c", "x"]],
  ["cmd", ["LINSERT", "l", "AFTER", "nope", "x"]],
  ["cmd", ["LSET", "l", "0", "z"]],
  ["cmd", ["LREM", "l", "0", "x"]],
  ["cmd", ["LREM", "l", "0", "nope"]],
  ["cmd", ["LTRIM", "l", "0", "-1"]],
  ["cmd", ["LTRIM", "l", "0", "3"]],
  ["cmd", ["LPOP", "l"]],
  ["cmd", ["RPOP", "l", "0"]],
  ["cmd", ["RPOP", "l", "1"]],
  ["cmd", ["LMOVE", "l", "l2", "LEFT", "RIGHT"]],
  ["cmd", ["RPOPLPUSH", "l", "l2"]],
  ["cmd", ["RPOPLPUSH", "l", "l2"]],
  ["cmd", ["RPUSH", "one", "x"]],
  ["cmd", ["LMOVE", "one", "one", "LEFT", "RIGHT"]],
  ["cmd", ["LMPOP", "2", "nol", "l2", "RIGHT", "COUNT", "1"]],
  ["cmd", ["LMPOP", "1", "l2", "LEFT", "COUNT", "9"]],
  ["cmd", ["RPUSH", "t", "a", "b", "c"]],
  ["cmd", ["LTRIM", "t", "5", "9"]],
  ["cmd", ["RPUSH", "r", "a", "a"]],
  ["cmd", ["LREM", "r", "0", "a"]],
  ["cmd", ["RPUSH", "ls", "a"]],
  ["cmd", ["LSET", "ls", "5", "x"]],
  ["cmd", ["LPOP", "ls"]],
  ["cmd", ["LPOP", "ls"]],
  ["blk", ["BLPOP", "bl", "0"]],
  50,
  ["cmd", ["RPUSH", "bl", "v1", "v2"]],
  50,
  ["blk", ["BLMOVE", "bl2", "bl3", "RIGHT", "LEFT", "0"]],
  50,
  ["cmd", ["LPUSH", "bl2", "w"]],
  50,
  ["blk", ["BRPOP", "bl", "0"]],
  50,
  ["blk", ["BLMPOP", "0", "1", "bl3", "LEFT"]],
  50,
];

const HASHES: Step[] = [
  ["cmd", ["HSET", "h", "a", "1", "b", "2"]],
  ["cmd", ["HSET", "h", "a", "1"]],
  ["cmd", ["HMSET", "h", "c", "3"]],
  ["cmd", ["HSETNX", "h", "a", "9"]],
  ["cmd", ["HSETNX", "h", "d", "4"]],
  ["cmd", ["HINCRBY", "h", "a", "2"]],
  ["cmd", ["HINCRBYFLOAT", "h", "f", "0.5"]],
  ["cmd", ["HDEL", "h", "nope"]],
  ["cmd", ["HDEL", "h", "a", "b", "nope"]],
  ["cmd", ["HDEL", "h", "c", "d", "f"]],
  ["cmd", ["HGET", "h", "a"]],
];

const SETS: Step[] = [
  ["cmd", ["SADD", "st", "a", "b", "c"]],
  ["cmd", ["SADD", "st", "a"]],
  ["cmd", ["SREM", "st", "nope"]],
  ["cmd", ["SREM", "st", "a"]],
  ["cmd", ["SADD", "st2", "b", "x"]],
  ["cmd", ["SINTERSTORE", "si", "st", "st2"]],
  ["cmd", ["SUNIONSTORE", "su", "st", "st2"]],
  ["cmd", ["SDIFFSTORE", "sd", "st", "st2"]],
  ["cmd", ["SINTERSTORE", "si", "st", "nosuch"]],
  ["cmd", ["SINTERSTORE", "si", "st", "nosuch"]],
  ["cmd", ["SDIFFSTORE", "sd", "st", "st"]],
  ["cmd", ["SMOVE", "st", "st2", "c"]],
  ["cmd", ["SMOVE", "st", "st2", "nope"]],
  ["cmd", ["SMOVE", "st2", "st2", "b"]],
  ["cmd", ["SMOVE", "st", "smv", "b"]],
  ["cmd", ["SMOVE", "st2", "smv", "b"]],
  ["cmd", ["SADD", "sp", "only"]],
  ["cmd", ["SPOP", "sp"]],
  ["cmd", ["SADD", "sp", "a", "b"]],
  ["cmd", ["SPOP", "sp", "0"]],
  ["cmd", ["SPOP", "sp", "5"]],
  ["cmd", ["SPOP", "sp"]],
  ["cmd", ["SADD", "sp", "a", "b", "c"]],
  ["cmd", ["SPOP", "sp", "3"]],
];

const ZSETS: Step[] = [
  ["cmd", ["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
  ["cmd", ["ZADD", "z", "1", "a"]],
  ["cmd", ["ZADD", "z", "5", "a"]],
  ["cmd", ["ZADD", "z", "NX", "9", "a"]],
  ["cmd", ["ZADD", "z", "XX", "CH", "9", "a"]],
  ["cmd", ["ZADD", "zn", "XX", "1", "a"]],
  ["cmd", ["ZADD", "z", "INCR", "1", "b"]],
  ["cmd", ["ZADD", "z", "NX", "INCR", "1", "b"]],
  ["cmd", ["ZINCRBY", "z", "2", "d"]],
  ["cmd", ["ZREM", "z", "nope"]],
  ["cmd", ["ZREM", "z", "d"]],
  ["cmd", ["ZADD", "z", "4", "e", "6", "f", "7", "g", "0", "aa", "0", "ab", "0", "ac"]],
  ["cmd", ["ZREMRANGEBYSCORE", "z", "100", "200"]],
  ["cmd", ["ZREMRANGEBYSCORE", "z", "6", "6"]],
  ["cmd", ["ZREMRANGEBYRANK", "z", "-1", "-1"]],
  ["cmd", ["ZREMRANGEBYLEX", "z", "[aa", "[ab"]],
  ["cmd", ["ZREMRANGEBYLEX", "z", "[x", "[y"]],
  ["cmd", ["ZPOPMIN", "z"]],
  ["cmd", ["ZPOPMAX", "z", "2"]],
  ["cmd", ["ZPOPMAX", "z", "0"]],
  ["cmd", ["ZADD", "z2", "1", "b", "2", "x"]],
  ["cmd", ["ZUNIONSTORE", "zu", "2", "z", "z2"]],
  ["cmd", ["ZINTERSTORE", "zi", "2", "z", "z2"]],
  ["cmd", ["ZDIFFSTORE", "zd", "2", "z", "z2"]],
  ["cmd", ["ZINTERSTORE", "zi", "2", "z", "nosuch"]],
  ["cmd", ["ZINTERSTORE", "zi", "2", "z", "nosuch"]],
  ["cmd", ["ZRANGESTORE", "zr", "z2", "0", "-1"]],
  ["cmd", ["ZRANGESTORE", "zr", "z2", "5", "9"]],
  ["cmd", ["ZRANGESTORE", "zr", "z2", "5", "9"]],
  ["cmd", ["ZMPOP", "2", "nosuch", "z2", "MIN", "COUNT", "1"]],
  ["cmd", ["ZMPOP", "1", "z2", "MAX", "COUNT", "5"]],
  ["cmd", ["ZADD", "zp", "1", "a"]],
  ["cmd", ["ZPOPMIN", "zp", "5"]],
  ["cmd", ["ZADD", "zr2", "1", "a", "2", "b"]],
  ["cmd", ["ZREMRANGEBYRANK", "zr2", "0", "-1"]],
  ["blk", ["BZPOPMIN", "bz", "0"]],
  50,
  ["cmd", ["ZADD", "bz", "1", "a", "2", "b"]],
  50,
  ["blk", ["BZPOPMAX", "bz", "0"]],
  50,
  ["blk", ["BZMPOP", "0", "1", "bz", "MIN"]],
  50,
  ["cmd", [
    "GEOADD",
    "geo",
    "13.361389",
    "38.115556",
    "Palermo",
    "15.087269",
    "37.502669",
    "Catania",
  ]],
  ["cmd", ["GEOADD", "geo", "13.361389", "38.115556", "Palermo"]],
  ["cmd", ["GEOADD", "geo", "CH", "13.0", "38.0", "Palermo"]],
  ["cmd", [
    "GEOSEARCHSTORE",
    "gs",
    "geo",
    "FROMLONLAT",
    "15",
    "37",
    "BYRADIUS",
    "200",
    "km",
    "ASC",
  ]],
  ["cmd", ["GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"]],
  ["cmd", ["GEORADIUS", "geo", "15", "37", "200", "km", "STORE", "gr"]],
  ["cmd", ["GEORADIUS", "geo", "15", "37", "200", "km", "STOREDIST", "gr"]],
  ["cmd", ["GEORADIUSBYMEMBER", "geo", "Palermo", "200", "km", "STORE", "gr2"]],
];

const STREAMS: Step[] = [
  ["cmd", ["XADD", "x", "1-1", "f", "v"]],
  ["cmd", ["XADD", "x", "2-1", "f", "v"]],
  ["cmd", ["XADD", "x", "MAXLEN", "2", "3-1", "f", "v"]],
  ["cmd", ["XADD", "x", "MAXLEN", "5", "4-1", "f", "v"]],
  ["cmd", ["XADD", "xn", "NOMKSTREAM", "1-1", "f", "v"]],
  ["cmd", ["XADD", "x", "1-1", "f", "v"]],
  ["cmd", ["XTRIM", "x", "MAXLEN", "10"]],
  ["cmd", ["XTRIM", "x", "MAXLEN", "2"]],
  ["cmd", ["XDEL", "x", "9-9"]],
  ["cmd", ["XDEL", "x", "3-1"]],
  ["cmd", ["XSETID", "x", "10-1"]],
  ["cmd", ["XGROUP", "CREATE", "x", "g", "0"]],
  ["cmd", ["XGROUP", "CREATE", "x", "g", "0"]],
  ["cmd", ["XGROUP", "CREATE", "xm", "g", "$", "MKSTREAM"]],
  ["cmd", ["XGROUP", "SETID", "x", "g", "0"]],
  ["cmd", ["XGROUP", "CREATECONSUMER", "x", "g", "c1"]],
  ["cmd", ["XGROUP", "CREATECONSUMER", "x", "g", "c1"]],
  ["cmd", ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", ">"]],
  ["cmd", ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", ">"]],
  ["cmd", ["XACK", "x", "g", "4-1"]],
  ["cmd", ["XCLAIM", "x", "g", "c3", "0", "4-1"]],
  ["cmd", ["XAUTOCLAIM", "x", "g", "c4", "0", "0"]],
  ["cmd", ["XGROUP", "DELCONSUMER", "x", "g", "c1"]],
  ["cmd", ["XGROUP", "DELCONSUMER", "x", "g", "nobody"]],
  ["cmd", ["XGROUP", "DESTROY", "x", "g"]],
  ["cmd", ["XGROUP", "DESTROY", "x", "g"]],
  ["cmd", ["XREAD", "STREAMS", "x", "0"]],
];

const OTHER: Step[] = [
  ["cmd", ["RPUSH", "so", "3", "1", "2"]],
  ["cmd", ["SORT", "so", "STORE", "sorted"]],
  ["cmd", ["SORT", "nosuch", "STORE", "sorted"]],
  ["cmd", ["SORT", "nosuch", "STORE", "sorted"]],
  ["cmd", ["SORT", "so"]],
  ["cmd", ["SET", "d", "v"]],
  ["cmd", ["RESTORE", "d2", "0", "\x00\x01v\x0a\x00\x91\x08\xce\xb2\x19\x38\x8a\xce"]],
  ["cmd", ["RESTORE", "d2", "0", "\x00\x01v\x0a\x00\x91\x08\xce\xb2\x19\x38\x8a\xce", "REPLACE"]],
  [
    "cmd",
    [
      "RESTORE",
      "d2",
      "1",
      "\x00\x01v\x0a\x00\x91\x08\xce\xb2\x19\x38\x8a\xce",
      "REPLACE",
      "ABSTTL",
    ],
  ],
  ["cmd", ["MULTI"]],
  ["cmd", ["SET", "tx", "1"]],
  ["cmd", ["INCR", "tx"]],
  ["cmd", ["EXEC"]],
  ["cmd", [
    "EVAL",
    "redis.call('SET', KEYS[1], 'x'); return redis.call('DEL', KEYS[1])",
    "1",
    "ev",
  ]],
  ["cmd", ["FLUSHALL"]],
];

/**
 * One volatile key per pause: either server's active expiry may find it before the next command
 * does, and the event is the same, but the order in which a cycle meets several keys differs.
 */
const EXPIRY: Step[] = [
  ["cmd", ["SET", "lazy", "v", "PX", "30"]],
  120,
  ["cmd", ["GET", "lazy"]],
  ["cmd", ["RPUSH", "lazyl", "a"]],
  ["cmd", ["PEXPIRE", "lazyl", "30"]],
  120,
  ["cmd", ["LPUSH", "lazyl", "b"]],
  // Nothing reads these: the servers' active expiry cycles find them.
  ["cmd", ["SET", "active", "v", "PX", "20"]],
  1000,
  ["cmd", ["HSET", "activeh", "f", "v"]],
  ["cmd", ["PEXPIRE", "activeh", "20"]],
  1000,
  ["cmd", ["DBSIZE"]],
];

const FILTERS: Step[] = [
  flags("Kl"),
  getFlags,
  ["cmd", ["SET", "k", "v"]],
  ["cmd", ["LPUSH", "kl", "a"]],
  ["cmd", ["DEL", "kl"]],
  flags("Eg$"),
  getFlags,
  ["cmd", ["SET", "k", "v"]],
  ["cmd", ["LPUSH", "kl", "a"]],
  ["cmd", ["DEL", "kl", "k"]],
  ["cmd", ["SET", "x1", "v", "PX", "10"]],
  50,
  ["cmd", ["GET", "x1"]],
  flags("Ex"),
  getFlags,
  ["cmd", ["SET", "x1", "v", "PX", "10"]],
  ["cmd", ["SADD", "xs", "a"]],
  50,
  ["cmd", ["GET", "x1"]],
  ["cmd", ["DEL", "xs"]],
  flags("KEn"),
  getFlags,
  ["cmd", ["SET", "nk", "v"]],
  ["cmd", ["SET", "nk", "w"]],
  ["cmd", ["RPUSH", "nl", "a"]],
  ["cmd", ["RPUSH", "nl", "b"]],
  ["cmd", ["RENAME", "nl", "nk"]],
  ["cmd", ["COPY", "nk", "nk2"]],
  ["cmd", ["COPY", "nk", "nk2", "REPLACE"]],
  ["cmd", ["SADD", "ns", "a"]],
  ["cmd", ["SINTERSTORE", "ns2", "ns", "ns"]],
  ["cmd", ["SINTERSTORE", "ns2", "ns", "ns"]],
  ["cmd", ["ZADD", "nz", "1", "a"]],
  ["cmd", ["ZUNIONSTORE", "nz", "1", "nz"]],
  ["cmd", ["RPUSH", "one", "x"]],
  ["cmd", ["LMOVE", "one", "one", "LEFT", "RIGHT"]],
  ["cmd", ["LMOVE", "one", "two", "LEFT", "RIGHT"]],
  ["cmd", ["XADD", "nx", "1-1", "f", "v"]],
  ["cmd", ["HSET", "nh", "f", "v"]],
  ["cmd", ["INCR", "ni"]],
  ["cmd", ["SETBIT", "nb", "1", "1"]],
  ["cmd", ["PFADD", "np", "a"]],
  ["cmd", ["SORT", "nl", "STORE", "nso"]],
  ["cmd", ["RPUSH", "nl2", "1"]],
  ["cmd", ["SORT", "nl2", "STORE", "nso"]],
  ["cmd", ["SORT", "nl2", "STORE", "nso"]],
  flags("KEA"),
  ["cmd", ["FLUSHALL"]],
  flags(""),
  getFlags,
  ["cmd", ["SET", "quiet", "v"]],
  ["cmd", ["DEL", "quiet"]],
  flags("gZ"),
  flags("KEAmn"),
  getFlags,
  flags("g$lshzxetd"),
  getFlags,
  flags("g$lshzxet"),
  getFlags,
  flags("EK"),
  getFlags,
];

/** keymiss (flag m): read lookups that miss report it; write lookups, OBJECT and SCAN do not. */
const KEYMISS: Step[] = [
  flags("Km"),
  getFlags,
  ["cmd", ["SET", "here", "v"]],
  ["cmd", ["GET", "km1"]],
  ["cmd", ["GET", "here"]],
  ["cmd", ["MGET", "km2", "here", "km3"]],
  ["cmd", ["EXISTS", "km4", "here"]],
  ["cmd", ["TYPE", "km5"]],
  ["cmd", ["TTL", "km6"]],
  ["cmd", ["PTTL", "km6b"]],
  ["cmd", ["STRLEN", "km7"]],
  ["cmd", ["TOUCH", "km8"]],
  ["cmd", ["DUMP", "km9"]],
  ["cmd", ["HGET", "km10", "f"]],
  ["cmd", ["LRANGE", "km11", "0", "-1"]],
  ["cmd", ["SMEMBERS", "km12"]],
  ["cmd", ["ZSCORE", "km13", "m"]],
  ["cmd", ["GETRANGE", "km14", "0", "1"]],
  ["cmd", ["GETDEL", "km15"]],
  ["cmd", ["GETEX", "km16"]],
  ["cmd", ["SET", "km17", "v", "GET"]],
  ["cmd", ["GETSET", "km18", "v"]],
  ["cmd", ["COPY", "km19", "dst"]],
  ["cmd", ["BITOP", "AND", "bdst", "km20", "here"]],
  ["cmd", ["PFCOUNT", "km21"]],
  ["cmd", ["SORT", "km22"]],
  ["cmd", ["ZUNIONSTORE", "zdst", "1", "km23"]],
  // No keymiss: write lookups, OBJECT (LOOKUP_NONOTIFY), MEMORY USAGE.
  ["cmd", ["INCR", "km24"]],
  ["cmd", ["LPUSH", "km25", "a"]],
  ["cmd", ["LPOP", "km26"]],
  ["cmd", ["DEL", "km27"]],
  ["cmd", ["EXPIRE", "km28", "10"]],
  ["cmd", ["APPEND", "km29", "x"]],
  ["cmd", ["OBJECT", "ENCODING", "km30"]],
  ["cmd", ["MEMORY", "USAGE", "km31"]],
  // An expired key: "expired" is off, so only the keymiss shows.
  ["cmd", ["SET", "kmx", "v", "PX", "10"]],
  50,
  ["cmd", ["GET", "kmx"]],
  flags("Em"),
  getFlags,
  ["cmd", ["GET", "km32"]],
  ["cmd", ["EXISTS", "km33"]],
  ["cmd", ["INCR", "km34"]],
  flags("KEm"),
  ["cmd", ["GET", "km35"]],
  flags("KEA"),
  ["cmd", ["GET", "km36"]], // A leaves m out
  ["cmd", ["FLUSHALL"]],
];

const SCRIPT: Step[] = [
  flags("KEA"),
  getFlags,
  ...STRINGS,
  ...GENERIC,
  ...LISTS,
  ...HASHES,
  ...SETS,
  ...ZSETS,
  ...STREAMS,
  ...OTHER,
  ...EXPIRY,
  ...KEYMISS,
  ...FILTERS,
];

const UNORDERED = new Set(["SPOP", "SMEMBERS"]);

interface Transcript {
  events: string[];
  replies: RespValue[];
  blocked: RespValue[];
}

/** Runs SCRIPT on one server; returns the subscriber's messages and the replies, in order. */
async function transcript(port: number): Promise<Transcript> {
  const rec = await recordFrames<Conn>(port, CONNS);
  await rec.send("sub", ["PSUBSCRIBE", "__key*__:*"]);
  await rec.settle();
  for (const step of SCRIPT) {
    if (typeof step === "number") await new Promise((r) => setTimeout(r, step));
    else await rec.send(step[0], step[1]);
  }
  await rec.settle();
  const frames = await rec.finish();
  const events = frames.sub.map((f) => {
    assert.equal(f.t, "array");
    const parts = (f as { v: RespValue[] }).v.map((p) => "v" in p ? String(p.v) : "nil");
    return parts[0] === "pmessage" ? `${parts[2]} ${parts[3]}` : parts.join(" ");
  });
  // Set replies come in each server's own member order: compared sorted.
  const commands = SCRIPT.filter((s): s is [Conn, string[]] => typeof s !== "number")
    .filter(([conn]) => conn === "cmd").map(([, argv]) => argv[0]);
  assert.equal(frames.cmd.length, commands.length, "one reply per command");
  const replies = frames.cmd.map((r, i) =>
    UNORDERED.has(commands[i]) && (r.t === "array" || r.t === "set")
      ? { ...r, v: r.v.slice().sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1) }
      : r
  );
  return { events, replies, blocked: frames.blk };
}

Deno.test("keyspace notifications: atlasd publishes what redis-server 7.0 publishes", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port);
    const got = await transcript(atlas.port);
    const debugDir = Deno.env.get("KSE_DEBUG");
    if (debugDir) {
      Deno.writeTextFileSync(`${debugDir}/redis.txt`, want.events.join("\n") + "\n");
      Deno.writeTextFileSync(`${debugDir}/atlasd.txt`, got.events.join("\n") + "\n");
    }
    assert.deepEqual(got.events, want.events, "keyspace/keyevent messages");
    assert.deepEqual(got.replies, want.replies, "replies to the script");
    assert.deepEqual(got.blocked, want.blocked, "replies to the blocked client");
    assert.ok(want.events.length > 300, `the script produced events (${want.events.length})`);
    for (const e of ["__keyevent@0__:expired", "__keyevent@0__:new", "__keyspace@0__:k"]) {
      assert.ok(want.events.some((x) => x.startsWith(e)), `${e} was seen`);
    }
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
