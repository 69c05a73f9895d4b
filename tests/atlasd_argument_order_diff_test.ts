/**
 * Side by side with redis-server 7.0.15: which argument error wins when a command line has
 * several, and which repeats are accepted. LPOP/RPOP with two counts is an arity error; the
 * count of HRANDFIELD/ZRANDMEMBER/SRANDMEMBER is read before the key (and before the
 * WITHVALUES/WITHSCORES word); LPOS checks the option name before its value; SET and GETEX
 * accept the same expire unit twice (the last one wins, only it is validated); a blocking
 * command's timeout is ceil(seconds * 1000) as a long long, so inf and values past LLONG_MAX
 * ms are "negative" and tiny negative ones mean 0 (block forever); a container's unknown
 * subcommand or wrong subcommand arity is refused when queued in MULTI. Before this test atlasd
 * answered several of these with another error, or refused what Redis accepts.
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const SETUP: string[][] = [
  ["RPUSH", "l", "a", "b", "c", "a"],
  ["SET", "strkey", "v"],
  ["HSET", "h", "f1", "v1", "f2", "v2"],
  ["ZADD", "z", "1", "a", "2", "b"],
  ["SADD", "s", "a", "b"],
  ["SADD", "s1", "only"],
  ["ZADD", "z1", "1", "only"],
  ["HSET", "h1", "only", "v"],
];

/** Sent one by one; every reply must equal Redis's (space-separated, no empty arguments). */
const LINES: string[] = [
  // LPOP/RPOP key [count]: a second count is the arity error, before the count or the key.
  "LPOP l 1 2",
  "RPOP l 1 2",
  "LPOP strkey x y",
  "RPOP nokey 1 2",
  "LPOP l x",
  "LPOP strkey 1",
  // HRANDFIELD / ZRANDMEMBER / SRANDMEMBER: the count first, then the syntax, then the key.
  "HRANDFIELD strkey notnum",
  "HRANDFIELD strkey notnum WITHVALUES",
  "HRANDFIELD h notnum foo",
  "HRANDFIELD h 1 foo",
  "HRANDFIELD strkey 1 foo",
  "HRANDFIELD strkey 1 WITHVALUES",
  "HRANDFIELD nokey 1 foo",
  "HRANDFIELD h -9223372036854775808",
  "HRANDFIELD strkey -9223372036854775808 WITHVALUES",
  "HRANDFIELD strkey 4611686018427387904 WITHVALUES",
  "HRANDFIELD strkey 4611686018427387904 foo",
  "ZRANDMEMBER strkey notnum",
  "ZRANDMEMBER strkey notnum WITHSCORES",
  "ZRANDMEMBER z notnum foo",
  "ZRANDMEMBER z 1 foo",
  "ZRANDMEMBER strkey 1 WITHSCORES",
  "ZRANDMEMBER nokey -9223372036854775808 WITHSCORES",
  "ZRANDMEMBER strkey -4611686018427387904 WITHSCORES",
  "SRANDMEMBER strkey notnum",
  "SRANDMEMBER s notnum foo",
  "SRANDMEMBER strkey 1",
  "SRANDMEMBER strkey -9223372036854775808",
  "SPOP strkey notnum",
  // A count over the size is the whole collection, however large (only picks with repeats are
  // bounded by atlasd).
  "SRANDMEMBER s1 2000000",
  "ZRANDMEMBER z1 20000000 WITHSCORES",
  "HRANDFIELD h1 20000000 WITHVALUES",
  // HINCRBYFLOAT reads its increment and the stored value as strtold does: hex floats too.
  "HINCRBYFLOAT hf f 0x10",
  "HINCRBYFLOAT hf f 0x1.8p1",
  "HINCRBYFLOAT hf f 0x",
  "HINCRBYFLOAT hf f 1e5000",
  // LPOS: the option name before its value; each option's own errors.
  "LPOS l a FOO bar",
  "LPOS nokey a FOO bar",
  "LPOS strkey a FOO bar",
  "LPOS l a RANK 1 FOO bar",
  "LPOS l a FOO bar RANK 0",
  "LPOS l a FOO",
  "LPOS l a RANK",
  "LPOS l a COUNT",
  "LPOS l a MAXLEN",
  "LPOS l a RANK 0",
  "LPOS l a RANK x",
  "LPOS l a RANK 0 FOO",
  "LPOS l a COUNT -1",
  "LPOS l a COUNT x",
  "LPOS l a MAXLEN -1",
  "LPOS l a MAXLEN 1.5",
  "LPOS strkey a RANK 0",
  "LPOS l a RANK -1 COUNT 0 MAXLEN 4",
  // SET: one expire unit may repeat (last wins, only it is validated); two units may not.
  "SET k v EX 10 EX 2000",
  "TTL k",
  "SET k v PX 1 PX 100000",
  "TTL k",
  "SET k v EXAT 1 EXAT 4102444800",
  "EXPIRETIME k",
  "SET k v PXAT 1 PXAT 4102444800000 PXAT 4102444801000",
  "PEXPIRETIME k",
  "SET k v ex 1 Ex 3000",
  "TTL k",
  "SET k v EX x EX 10",
  "SET k v EX 0 EX 10",
  "SET k v EX 9999999999999999 EX 10",
  "SET k v EX 10 EX x",
  "SET k v EX 10 EX 0",
  "SET k v EX 10 EX -1",
  "SET k v EX 10 EX 9999999999999999",
  "SET k v EX 10 EX",
  "SET k v EX 10 PX 20000",
  "SET k v EX 10 EXAT 4102444800",
  "SET k v PXAT 4102444800000 PX 10",
  "SET k v EX 10 KEEPTTL",
  "SET k v KEEPTTL EX 10",
  "SET k v KEEPTTL KEEPTTL",
  "SET k v NX NX",
  "SET k v EX 10 NX EX 20",
  "SET k v EX 10 GET EX 20",
  "TTL k",
  "SET k v EXAT 4102444800 EXAT 1",
  "EXISTS k",
  // GETEX: the same rules; PERSIST excludes every unit.
  "SET k v",
  "GETEX k EX 10 EX 2000",
  "TTL k",
  "GETEX k PX 1 PX 100000",
  "TTL k",
  "GETEX k EXAT 4102444800 EXAT 4102444801",
  "EXPIRETIME k",
  "GETEX k PXAT 4102444800000 PXAT 4102444802000",
  "PEXPIRETIME k",
  "GETEX k EX x EX 3000",
  "TTL k",
  "GETEX k EX 10 EX x",
  "GETEX k EX 10 EX 0",
  "GETEX k EX 10 PX 20",
  "GETEX k EX 10 PERSIST",
  "GETEX k PERSIST EX 10",
  "GETEX k PERSIST PERSIST",
  "TTL k",
  "GETEX k EX 10 KEEPTTL",
  "GETEX nokey EX 10 EX 20",
  "GETEX nokey EX 10 PX 20",
  "GETEX strkey EX 10 EX x",
  // Blocking timeouts: not a float (nan, 1e5000, trailing junk) or "negative" (inf, -inf, any
  // value past LLONG_MAX ms, which Redis's unchecked conversion turns into LLONG_MIN).
  "BLPOP bq inf",
  "BLPOP bq +inf",
  "BLPOP bq -inf",
  "BLPOP bq INFINITY",
  "BLPOP bq nan",
  "BLPOP bq -1",
  "BLPOP bq 1e20",
  "BLPOP bq 1e300",
  "BLPOP bq 1e400",
  "BLPOP bq 1e5000",
  "BLPOP bq 9223372036854776",
  "BLPOP bq 1x",
  "BRPOP bq inf",
  "BRPOP bq 1e300",
  "BRPOPLPUSH a b inf",
  "BLMOVE a b LEFT LEFT inf",
  "BLMOVE a b LEFT LEFT -inf",
  "BLMOVE a b LEFT LEFT 1e300",
  "BZPOPMIN bq inf",
  "BZPOPMAX bq 1e300",
  "BLMPOP inf 1 bq LEFT",
  "BLMPOP 1e300 1 bq LEFT",
  "BLMPOP nan 1 bq LEFT",
  "BZMPOP inf 1 bq MIN",
  "BZMPOP -inf 1 bq MIN",
  "XREAD BLOCK inf STREAMS x $",
  "XREAD BLOCK -1 STREAMS x $",
  "XREAD BLOCK 9223372036854775808 STREAMS x $",
  // Timeouts seen through EXEC, where a blocking command answers at once instead of blocking:
  // ceil of a tiny negative is 0 (forever), a huge value below LLONG_MAX ms a (practically
  // endless) wait; an underflow (1e-5000) is not a float.
  "MULTI",
  "BLPOP bq -0.0001",
  "BLPOP bq -0.001",
  "BLPOP bq -0",
  "BLPOP bq 9223372036854775",
  "BZPOPMIN bq 9007199254740.993",
  "BLPOP bq inf",
  "BLPOP bq 1e-5000",
  "EXEC",
  // A container's subcommand is looked up when queued: unknown, or with a wrong argument count,
  // it is refused then and EXEC aborts (atlasd queued it and EXEC answered its error).
  "MULTI",
  "CLIENT FOO",
  "EXEC",
  "MULTI",
  "CONFIG GET",
  "PING",
  "EXEC",
  "MULTI",
  "OBJECT ENCODING a b",
  "EXEC",
  "MULTI",
  "CLIENT GETNAME",
  "PUBSUB NUMPAT",
  "EXEC",
];

Deno.test("argument error order and repeated options match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    assert.deepEqual(await replyDifferences(redis, atlas, SETUP), []);
    const lines = LINES.map((line) => line.split(" "));
    assert.deepEqual(await replyDifferences(redis, atlas, lines), []);
  }));
