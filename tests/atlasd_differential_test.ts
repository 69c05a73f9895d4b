/**
 * Differential test: the same command scripts against a real redis-server and against atlasd
 * (`helios atlasd`, a real process), in RESP2 and RESP3; replies must match in type and value.
 * Unordered replies are compared sorted ("sort:", "pairs:", "scan:"); random ones by type and
 * size ("shape:").
 */
import assert from "node:assert/strict";
import { splitInlineArgs } from "../atlas/resp/inline.ts";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

const SCRIPTS: Record<string, string[]> = {
  connection: [
    "PING",
    "PING hello",
    "ECHO 'a b'",
    "SELECT 0",
    "SELECT x",
    "NOSUCHCOMMAND a b",
    "GET",
    "CLIENT SETNAME bad name",
    "CLIENT SETNAME tester",
    "CLIENT GETNAME",
    "shape:CLIENT ID",
    "AUTH x",
    "HELLO 4",
    "shape:TIME",
  ],
  keys: [
    "SET k1 v1",
    "SET k2 v2",
    "EXISTS k1 k2 k3 k1",
    "TYPE k1",
    "TYPE nokey",
    "RENAME k1 k3",
    "RENAMENX k3 k2",
    "RENAMENX k3 k9",
    "RENAME nokey x",
    "DEL k2 k3 k4",
    "UNLINK k9 nokey",
    "SET e v",
    "EXPIRE e 100",
    "TTL e",
    "shape:PTTL e",
    "PERSIST e",
    "TTL e",
    "TTL nokey",
    "EXPIRE e 100 XX",
    "EXPIRE e 100 NX",
    "EXPIRE e 200 GT",
    "EXPIRE e 50 LT",
    "EXPIRE e abc",
    "EXPIREAT e 4000000000",
    "EXPIRETIME e",
    "PEXPIREAT e 4000000000000",
    "PEXPIRETIME e",
    "PEXPIRE e 100000",
    "EXPIRE e -1",
    "EXISTS e",
    "TOUCH e nokey k9",
    "MSET a 1 b 2 c 3 ab 4",
    "DBSIZE",
    "sort:KEYS *",
    "sort:KEYS a*",
    "sort:KEYS ?",
    "scan:SCAN 0 COUNT 1000",
    "scan:SCAN 0 MATCH a* COUNT 1000",
    "scan:SCAN 0 TYPE string COUNT 1000",
    "shape:RANDOMKEY",
    "FLUSHDB",
    "DBSIZE",
    "RANDOMKEY",
    "SCAN 0",
    "FLUSHALL",
  ],
  strings: [
    "SET s hello",
    "GET s",
    "SET s v NX",
    "SET s v XX",
    "SET s2 v XX",
    "SET s world GET",
    "SET s x EX 100",
    "TTL s",
    "SET s y KEEPTTL",
    "TTL s",
    "SET s z PX 100000",
    "SET s z EXAT 4000000000",
    "SET s z PXAT 4000000000000",
    "SET s z EX 0",
    "SET s z EX abc",
    "SET s z NX XX",
    "SET s z EX 10 PX 100",
    "SETNX n 1",
    "SETNX n 2",
    "SETEX se 100 v",
    "SETEX se 0 v",
    "PSETEX pe 100000 v",
    "MSET a 1 b 2",
    "MGET a b nokey",
    "MSET a",
    "MSETNX a 1 c 3",
    "MSETNX c 3 d 4",
    "INCR i",
    "INCRBY i 10",
    "DECR i",
    "DECRBY i 5",
    "INCRBY i abc",
    "INCRBYFLOAT f 1.5",
    "INCRBYFLOAT f 0.1",
    "INCRBYFLOAT f abc",
    "INCR s",
    "SET big 9223372036854775807",
    "INCR big",
    "DECRBY i -9223372036854775808",
    "APPEND ap hello",
    "APPEND ap ' world'",
    "STRLEN ap",
    "STRLEN nokey",
    "GETRANGE ap 0 4",
    "GETRANGE ap -5 -1",
    "GETRANGE ap 100 200",
    "SETRANGE ap 6 W",
    "SETRANGE ap 20 x",
    "GET ap",
    "SETRANGE ap -1 x",
    "GETDEL ap",
    "GET ap",
    "GETEX s",
    "GETEX s EX 100",
    "TTL s",
    "GETEX s PERSIST",
    "TTL s",
    "GETSET s new",
    "GET s",
    'GET "bin\\x00\\xff"',
    'SET "bin\\x00\\xff" "v\\x80\\x9f\\r\\n"',
    'GET "bin\\x00\\xff"',
    "FLUSHALL",
  ],
  hashes: [
    "HSET h f1 v1 f2 v2",
    "HSET h f1 v9",
    "HSET h f3",
    "HSETNX h f1 x",
    "HSETNX h f4 x",
    "HGET h f1",
    "HGET h nofield",
    "HGET nokey f",
    "HMGET h f1 nofield f2",
    "HDEL h f4 nofield",
    "pairs:HGETALL h",
    "HGETALL nokey",
    "sort:HKEYS h",
    "sort:HVALS h",
    "HLEN h",
    "HEXISTS h f1",
    "HEXISTS h nofield",
    "HINCRBY h n 5",
    "HINCRBY h n -2",
    "HINCRBY h f1 1",
    "HINCRBYFLOAT h fl 2.5",
    "HINCRBYFLOAT h fl 0.1",
    "HSTRLEN h f1",
    "scan:HSCAN h 0 COUNT 100",
    "scan:HSCAN h 0 MATCH f* COUNT 100",
    "SET str x",
    "HGET str f",
    "HSET str f v",
    "GET h",
    "FLUSHALL",
  ],
  lists: [
    "LPUSH l a b c",
    "RPUSH l d e",
    "LPUSHX nolist x",
    "RPUSHX l f",
    "LLEN l",
    "LRANGE l 0 -1",
    "LRANGE l 1 2",
    "LRANGE l -100 100",
    "LINDEX l 0",
    "LINDEX l -1",
    "LINDEX l 100",
    "LSET l 0 C",
    "LSET l 100 x",
    "LSET nolist 0 x",
    "RPUSH l a a a",
    "LREM l 2 a",
    "LREM l -1 a",
    "LRANGE l 0 -1",
    "LINSERT l BEFORE C X",
    "LINSERT l AFTER nopivot X",
    "LINSERT nolist AFTER a X",
    "LPOS l X",
    "RPUSH l d d",
    "LPOS l d RANK 2",
    "LPOS l d COUNT 0",
    "LPOS l d RANK -1 COUNT 2",
    "LPOS l d RANK 0",
    "LPOS l nomember",
    "LPOP l",
    "RPOP l",
    "LPOP l 2",
    "RPOP l 2",
    "LPOP nolist",
    "LPOP nolist 2",
    "LPOP l 0",
    "LTRIM l 0 1",
    "LRANGE l 0 -1",
    "LMOVE l dst LEFT RIGHT",
    "LMOVE l dst RIGHT LEFT",
    "LMOVE nolist dst LEFT LEFT",
    "LMOVE l dst UP DOWN",
    "RPOPLPUSH dst l",
    "LRANGE dst 0 -1",
    "LRANGE l 0 -1",
    "RPUSH q 1 2 3",
    "BLPOP nolist q 1",
    "BRPOP q 1",
    "BLMOVE q q2 LEFT LEFT 1",
    "BLPOP nolist 0.05",
    "BLMOVE nolist q2 LEFT LEFT 0.05",
    "BLPOP nolist -1",
    "BLPOP nolist abc",
    "SET str x",
    "LPUSH str a",
    "LLEN str",
    "BLPOP str 1",
    "FLUSHALL",
  ],
  sets: [
    "SADD s1 a b c d",
    "SADD s1 a e",
    "SADD s2 c d e f",
    "SREM s1 e nomember",
    "sort:SMEMBERS s1",
    "SMEMBERS noset",
    "SISMEMBER s1 a",
    "SISMEMBER s1 z",
    "SMISMEMBER s1 a z b",
    "SCARD s1",
    "SCARD noset",
    "sort:SINTER s1 s2",
    "sort:SUNION s1 s2",
    "sort:SDIFF s1 s2",
    "SINTER s1 noset",
    "SINTERSTORE d1 s1 s2",
    "SUNIONSTORE d2 s1 s2",
    "SDIFFSTORE d3 s1 s2",
    "sort:SMEMBERS d3",
    "SMOVE s1 s2 a",
    "SMOVE s1 s2 nomember",
    "SISMEMBER s2 a",
    "scan:SSCAN s2 0 COUNT 100",
    "shape:SRANDMEMBER s2",
    "shape:SRANDMEMBER s2 2",
    "shape:SRANDMEMBER s2 -10",
    "SRANDMEMBER noset",
    "shape:SPOP d2",
    "shape:SPOP d2 2",
    "SPOP noset",
    "SADD num 3 1 2",
    "sort:SMEMBERS num",
    "SET str x",
    "SADD str a",
    "SINTER str s1",
    "FLUSHALL",
  ],
  zsets: [
    "ZADD z 1 a 2 b 3 c",
    "ZADD z NX 10 a 4 d",
    "ZADD z XX 5 a 9 e",
    "ZADD z GT CH 0 a 6 b",
    "ZADD z LT CH 1 a",
    "ZADD z INCR 2.5 c",
    "ZADD z NX XX 1 a",
    "ZADD z 1 ",
    "ZADD z abc a",
    "ZREM z e nomember",
    "ZSCORE z a",
    "ZSCORE z nomember",
    "ZMSCORE z a nomember c",
    "ZINCRBY z 1.5 a",
    "ZINCRBY z 0.1 a",
    "ZCARD z",
    "ZCOUNT z 1 5",
    "ZCOUNT z (1 +inf",
    "ZCOUNT z -inf +inf",
    "ZRANGE z 0 -1",
    "ZRANGE z 0 -1 WITHSCORES",
    "ZRANGE z 0 1 REV",
    "ZRANGE z 1 5 BYSCORE",
    "ZRANGE z (1 5 BYSCORE LIMIT 1 2 WITHSCORES",
    "ZRANGE z +inf -inf BYSCORE REV",
    "ZADD lex 0 a 0 b 0 c 0 d",
    "ZRANGE lex [b (d BYLEX",
    "ZRANGE lex + - BYLEX REV LIMIT 0 2",
    "ZRANGE lex - + BYLEX",
    "ZRANGE lex a b BYLEX",
    "ZRANGEBYSCORE z 1 6",
    "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 0 2",
    "ZREVRANGE z 0 -1",
    "ZREVRANGE z 0 1 WITHSCORES",
    "ZRANK z a",
    "ZRANK z nomember",
    "ZREVRANK z a",
    "ZPOPMIN z",
    "ZPOPMAX z",
    "ZPOPMIN z 2",
    "ZPOPMIN nozset",
    "ZPOPMAX z 1",
    "shape:ZRANDMEMBER z2 2 WITHSCORES",
    "ZADD z2 1 a 2 b 3 c 4 d 5 e",
    "ZREMRANGEBYSCORE z2 2 3",
    "ZREMRANGEBYRANK z2 0 0",
    "ZRANGE z2 0 -1 WITHSCORES",
    "scan:ZSCAN z2 0 COUNT 100",
    "ZADD z3 inf a -inf b 0.1 c 1e20 d",
    "ZRANGE z3 0 -1 WITHSCORES",
    "SET str x",
    "ZADD str 1 a",
    "ZSCORE str a",
    "FLUSHALL",
  ],
  transactions: [
    "MULTI",
    "SET t 1",
    "INCR t",
    "GET t",
    "EXEC",
    "MULTI",
    "GET t",
    "DISCARD",
    "EXEC",
    "DISCARD",
    "MULTI",
    "NOSUCHCMD",
    "SET t 2",
    "EXEC",
    "MULTI",
    "GET",
    "EXEC",
    "MULTI",
    "MULTI",
    "WATCH t",
    "INCR t",
    "LPUSH t x",
    "EXEC",
    "WATCH t",
    "SET t 5",
    "MULTI",
    "GET t",
    "EXEC",
    "WATCH t",
    "MULTI",
    "GET t",
    "EXEC",
    "UNWATCH",
    "RPUSH ta 1",
    "MULTI",
    "BLPOP tb ta 0",
    "BLPOP tb 0",
    "RPUSH tb x",
    "BRPOPLPUSH tb ta 0",
    "EXEC",
    "LRANGE ta 0 -1",
    "FLUSHALL",
  ],
  pubsub: [
    "PUBLISH ch hello",
    "PUBSUB NUMSUB ch other",
    "PUBSUB CHANNELS",
    "PUBSUB NUMPAT",
    "PUBSUB NOSUCH",
  ],
};

type Mode = "exact" | "sort" | "pairs" | "scan" | "shape";

function parseLine(line: string): { mode: Mode; argv: string[] } {
  const m = line.match(/^(sort|pairs|scan|shape):(.*)$/);
  const argv = splitInlineArgs(m ? m[2] : line);
  if (argv === null) throw new Error(`bad script line ${line}`);
  return { mode: (m ? m[1] : "exact") as Mode, argv };
}

const key = (v: RespValue) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

function normalize(v: RespValue, mode: Mode): unknown {
  if (mode === "exact" || v.t === "error" || v.t === "nil") return v;
  if (mode === "shape") {
    if (v.t === "array" || v.t === "set") return { t: v.t, n: v.v.length };
    if (v.t === "map") return { t: v.t, n: v.v.length };
    return { t: v.t };
  }
  if (mode === "sort" && (v.t === "array" || v.t === "set")) {
    return { t: v.t, v: v.v.map(key).sort() };
  }
  if (mode === "pairs") {
    if (v.t === "map") return { t: "map", v: v.v.map(([a, b]) => key(a) + key(b)).sort() };
    if (v.t === "array") {
      const pairs: string[] = [];
      for (let i = 0; i < v.v.length; i += 2) pairs.push(key(v.v[i]) + key(v.v[i + 1]));
      return { t: "array", v: pairs.sort() };
    }
  }
  if (mode === "scan" && v.t === "array" && v.v.length === 2) {
    const inner = v.v[1];
    const items = inner.t === "array" ? inner.v.map(key).sort() : inner;
    return { cursor: v.v[0], items };
  }
  return v;
}

async function runScripts(redisPort: number, atlasPort: number, proto: 2 | 3): Promise<string[]> {
  const redis = await RawClient.connect(redisPort);
  const atlas = await RawClient.connect(atlasPort);
  const mismatches: string[] = [];
  try {
    if (proto === 3) {
      await redis.one("HELLO", "3");
      await atlas.one("HELLO", "3");
    }
    await redis.one("FLUSHALL");
    await atlas.one("FLUSHALL");
    for (const [family, lines] of Object.entries(SCRIPTS)) {
      for (const line of lines) {
        const { mode, argv } = parseLine(line);
        const [want] = await redis.call(argv);
        const [got] = await atlas.call(argv);
        const a = key(normalize(want, mode) as RespValue);
        const b = key(normalize(got, mode) as RespValue);
        if (a !== b) {
          mismatches.push(`RESP${proto} ${family}: ${line}\n  redis:  ${a}\n  atlasd: ${b}`);
        }
      }
    }
  } finally {
    await redis.close();
    await atlas.close();
  }
  return mismatches;
}

Deno.test("atlasd replies like redis-server across command families (RESP2 and RESP3)", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const mismatches = [
      ...(await runScripts(redis.port, atlas.port, 2)),
      ...(await runScripts(redis.port, atlas.port, 3)),
    ];
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
