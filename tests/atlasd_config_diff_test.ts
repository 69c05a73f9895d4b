/**
 * Side by side with redis-server 7.0: CONFIG SET/GET of the run-time parameters (maxmemory,
 * maxmemory-policy, appendfsync, the encoding thresholds), their error texts, OBJECT ENCODING
 * sequences, eviction and OOM after CONFIG SET maxmemory, INFO keyspace avg_ttl. Both servers
 * are real processes on free 127.0.0.1 ports. Plus an atlasd-only crash test: CONFIG SET
 * appendfsync always, a write, kill -9, the write is there after restart.
 */
import assert from "node:assert/strict";
import { splitInlineArgs } from "../atlas/resp/inline.ts";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

/** Lines run on both servers; "pairs:" compares a CONFIG GET reply as unordered pairs. */
const SCRIPTS: Record<string, string[]> = {
  maxmemory: [
    "CONFIG SET maxmemory 100mb",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 1GB",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 10Kb",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 1g",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 1m",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 5b",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 05",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 9223372036854775807",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory ''",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory abc",
    "CONFIG SET maxmemory -1",
    "CONFIG SET maxmemory 1.5mb",
    "CONFIG SET maxmemory 10t",
    "CONFIG SET maxmemory ' 5'",
    "CONFIG SET maxmemory +5",
    "CONFIG SET maxmemory 5bb",
    "CONFIG SET maxmemory 1 maxmemory 2",
    "CONFIG SET maxmemory 7 maxmemory-policy bad",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 0",
    "CONFIG SET maxmemory",
    // A name without glob characters is shown as asked; the same name twice, once.
    "CONFIG GET MAXMEMORY",
    "CONFIG GET MaxMemory maxmemory",
    "pairs:CONFIG GET maxmemory MAXMEMORY maxmemory-p*",
  ],
  timeout: [
    "CONFIG SET timeout 30",
    "CONFIG GET timeout",
    "CONFIG SET timeout -1",
    "CONFIG SET timeout abc",
    "CONFIG SET timeout 2147483648",
    "CONFIG SET timeout 1.5",
    "CONFIG SET timeout 2147483647",
    "CONFIG GET timeout",
    "CONFIG SET timeout 0",
    "CONFIG GET timeout",
  ],
  "proto-max-bulk-len": [
    "CONFIG SET proto-max-bulk-len 100",
    "CONFIG SET proto-max-bulk-len abc",
    "CONFIG SET proto-max-bulk-len 2mb",
    "CONFIG GET proto-max-bulk-len",
    "CONFIG SET proto-max-bulk-len 1048576",
    "CONFIG GET proto-max-bulk-len",
    "CONFIG SET proto-max-bulk-len 512mb",
  ],
  // Settings atlasd holds at one value take that value, as Redis takes any (CONFIG sanity).
  pinned: [
    "CONFIG SET lua-time-limit 5000",
    "CONFIG SET busy-reply-threshold 5000",
    "CONFIG GET busy-reply-threshold",
    "pairs:CONFIG GET replicaof slaveof",
    "CONFIG SET replicaof ''",
  ],
  // allkeys-lfu / volatile-lfu: OBJECT FREQ from a new key's 5; the first access always counts.
  lfu: [
    "CONFIG GET lfu-log-factor",
    "CONFIG GET lfu-decay-time",
    "CONFIG SET lfu-log-factor -1",
    "CONFIG SET lfu-log-factor abc",
    "CONFIG SET lfu-decay-time 2147483648",
    "CONFIG SET lfu-log-factor 20 lfu-decay-time 5",
    "pairs:CONFIG GET lfu-*",
    // No decay while the counters are compared: a minute boundary would take one off.
    "CONFIG SET lfu-log-factor 10 lfu-decay-time 0",
    "SET lfu:a v",
    "OBJECT FREQ lfu:a",
    "CONFIG SET maxmemory-policy allkeys-lfu",
    "SET lfu:b v",
    "OBJECT FREQ lfu:b",
    "GET lfu:b",
    "OBJECT FREQ lfu:b",
    "OBJECT IDLETIME lfu:b",
    "OBJECT FREQ nosuchkey",
    "CONFIG SET maxmemory-policy volatile-lfu",
    "OBJECT FREQ lfu:b",
    "CONFIG SET maxmemory-policy noeviction",
    "OBJECT FREQ lfu:b",
    "DEL lfu:a lfu:b",
    "CONFIG SET lfu-decay-time 1",
  ],
  // REPLICAOF NO ONE on a master; the port is checked before anything else.
  replicaof: [
    "REPLICAOF NO ONE",
    "replicaof no one",
    "SLAVEOF NO ONE",
    "REPLICAOF 127.0.0.1 notaport",
    "REPLICAOF 127.0.0.1 65536",
    "REPLICAOF no two",
    "REPLICAOF NO",
    "ROLE",
    "FAILOVER",
    "FAILOVER abort",
    "FAILOVER to h 1",
    "FAILOVER to h x",
    "FAILOVER timeout 0",
    "FAILOVER timeout -5",
    "FAILOVER timeout x",
    "FAILOVER force",
    "FAILOVER to h 1 force timeout 5",
    "FAILOVER foo",
    "FAILOVER timeout 10 timeout 20",
    "FAILOVER abort now",
    "FAILOVER to h",
  ],
  // Redis's snapshot schedule; atlasd's engine takes the same rules (seconds, changes).
  save: [
    "CONFIG SET save '900 1 300 10'",
    "CONFIG GET save",
    "CONFIG SET save ''",
    "CONFIG GET save",
    "CONFIG SET save '60 10000'",
    "CONFIG GET save",
    "CONFIG SET save 3600",
    "CONFIG SET save '0 1'",
    "CONFIG SET save '10 -1'",
    "CONFIG SET save 'a 1'",
    "CONFIG SET save '1.5 1'",
    "CONFIG SET save '10 1 20'",
    "CONFIG GET save",
    "CONFIG SET save '+30 05'",
    "CONFIG GET save",
    "CONFIG SET save '3600 0'",
    "CONFIG GET SAVE",
    "CONFIG SET save '   '",
    "CONFIG GET save",
    "CONFIG SET save '10 '",
    "CONFIG GET save",
    "CONFIG SET save ''",
    "CONFIG GET save",
  ],
  policy: [
    "CONFIG SET maxmemory-policy allkeys-lru",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy volatile-lru",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy allkeys-random",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy volatile-random",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy volatile-ttl",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy ALLKEYS-LRU",
    "CONFIG GET maxmemory-policy",
    "CONFIG SET maxmemory-policy foo",
    "CONFIG SET maxmemory-policy ''",
    "CONFIG SET maxmemory-policy noeviction",
    "CONFIG GET maxmemory-policy",
  ],
  appendfsync: [
    "CONFIG SET appendfsync always",
    "CONFIG GET appendfsync",
    "CONFIG SET appendfsync everysec",
    "CONFIG GET appendfsync",
    "CONFIG SET appendfsync no",
    "CONFIG GET appendfsync",
    "CONFIG SET appendfsync ALWAYS",
    "CONFIG GET appendfsync",
    "CONFIG SET appendfsync foo",
    "CONFIG SET appendfsync ''",
    "CONFIG GET appendfsync",
    "CONFIG SET appendfsync no",
  ],
  // When the AOF's growth triggers a rewrite (ATLAS: a snapshot): values, units, bounds.
  aofRewrite: [
    "pairs:CONFIG GET auto-aof-rewrite-*",
    "CONFIG SET auto-aof-rewrite-percentage 200",
    "CONFIG SET auto-aof-rewrite-min-size 1mb",
    "pairs:CONFIG GET auto-aof-rewrite-*",
    "CONFIG SET auto-aof-rewrite-min-size 3K",
    "CONFIG GET auto-aof-rewrite-min-size",
    "CONFIG SET auto-aof-rewrite-percentage 0",
    "CONFIG GET auto-aof-rewrite-percentage",
    "CONFIG SET auto-aof-rewrite-percentage -1",
    "CONFIG SET auto-aof-rewrite-percentage 2147483648",
    "CONFIG SET auto-aof-rewrite-percentage 1.5",
    "CONFIG SET auto-aof-rewrite-min-size 10zb",
    "CONFIG SET auto-aof-rewrite-min-size -1",
    "CONFIG SET auto-aof-rewrite-percentage 100 auto-aof-rewrite-min-size 64mb",
    "pairs:CONFIG GET auto-aof-rewrite-*",
  ],
  // Redis's other eviction knobs: ATLAS keeps them for CONFIG GET/SET (client eviction only at 0).
  evictionKnobs: [
    "pairs:CONFIG GET maxmemory*",
    "CONFIG SET maxmemory-samples 10",
    "CONFIG GET maxmemory-samples",
    "CONFIG SET maxmemory-samples 0",
    "CONFIG SET maxmemory-samples x",
    "CONFIG SET maxmemory-samples 5",
    "CONFIG SET maxmemory-eviction-tenacity 100",
    "CONFIG GET maxmemory-eviction-tenacity",
    "CONFIG SET maxmemory-eviction-tenacity 101",
    "CONFIG SET maxmemory-eviction-tenacity 10",
    "CONFIG SET maxmemory-clients 0",
    "CONFIG SET maxmemory-clients 101%",
    "CONFIG SET maxmemory-clients abc",
    "pairs:CONFIG GET maxmemory*",
  ],
  // A compact encoding outgrown is kept when the value shrinks again (Redis never converts back).
  "encodings only grow": [
    "DEL s h z",
    "SADD s 1 2 3",
    "OBJECT ENCODING s",
    "SADD s a",
    "SREM s a",
    "OBJECT ENCODING s",
    "HSET h f v",
    "OBJECT ENCODING h",
    "HSET h long xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "HDEL h long",
    "OBJECT ENCODING h",
    "HSET h2 f v",
    "HINCRBYFLOAT h2 n 1.5",
    "OBJECT ENCODING h2",
    "ZADD z 1 a",
    "ZADD z 2 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ZREM z xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "OBJECT ENCODING z",
    "CONFIG SET set-max-intset-entries 2",
    "SADD s2 1 2",
    "OBJECT ENCODING s2",
    "SADD s2 3",
    "SREM s2 3",
    "OBJECT ENCODING s2",
    "CONFIG SET set-max-intset-entries 512",
    "DEL s s2 h h2 z",
  ],
  thresholds: [
    "pairs:CONFIG GET hash-max-*",
    "pairs:CONFIG GET set-max-*",
    "pairs:CONFIG GET zset-max-*",
    "pairs:CONFIG GET list-max-*",
    "CONFIG SET hash-max-ziplist-entries 5",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG SET hash-max-listpack-entries 7",
    "CONFIG GET hash-max-ziplist-entries",
    "CONFIG SET hash-max-listpack-entries -1",
    "CONFIG SET hash-max-listpack-entries abc",
    "CONFIG SET hash-max-listpack-entries 1k",
    "CONFIG SET hash-max-listpack-entries 01",
    "CONFIG SET hash-max-listpack-entries +1",
    "CONFIG SET hash-max-listpack-entries ''",
    "CONFIG SET hash-max-listpack-entries 99999999999999999999",
    "CONFIG SET hash-max-listpack-entries 9223372036854775808",
    "CONFIG SET hash-max-listpack-entries 9223372036854775807",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG SET hash-max-ziplist-entries 1 hash-max-listpack-entries 2",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG SET hash-max-listpack-entries 3 hash-max-ziplist-entries 4",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG SET hash-max-listpack-entries 3 HASH-MAX-LISTPACK-ENTRIES 4",
    "CONFIG SET hash-max-listpack-value 1kb",
    "CONFIG GET hash-max-ziplist-value",
    "CONFIG SET hash-max-listpack-value 1.5",
    "CONFIG SET hash-max-listpack-value -1",
    "CONFIG SET hash-max-listpack-value 99999999999999999999",
    "CONFIG SET set-max-intset-entries 100",
    "CONFIG GET set-max-intset-entries",
    "CONFIG SET set-max-intset-entries -1",
    "CONFIG SET set-max-listpack-entries 1",
    "CONFIG SET zset-max-ziplist-entries 3",
    "CONFIG GET zset-max-listpack-entries",
    "CONFIG SET zset-max-listpack-value 2",
    "CONFIG GET zset-max-ziplist-value",
    "CONFIG SET zset-max-listpack-value x",
    "CONFIG SET list-max-listpack-size 0",
    "CONFIG SET list-max-listpack-size -6",
    "CONFIG SET list-max-listpack-size 70000",
    "CONFIG GET list-max-ziplist-size",
    "CONFIG SET list-max-ziplist-size -5",
    "CONFIG GET list-max-listpack-size",
    "CONFIG SET list-max-listpack-size 2147483648",
    "CONFIG SET list-max-listpack-size -2147483649",
    "CONFIG SET list-max-listpack-size x",
    // hz: active expiry's frequency, held to 1..500 as Redis holds it.
    "CONFIG GET hz",
    "CONFIG SET hz 100",
    "CONFIG GET hz",
    "CONFIG SET hz 1000",
    "CONFIG GET hz",
    "CONFIG SET hz 0",
    "CONFIG GET hz",
    "CONFIG SET hz -1",
    "CONFIG SET hz x",
    "CONFIG SET hz 2147483648",
    "CONFIG SET hz 10",
    // list-compress-depth: a knob (ATLAS compresses no list node) with Redis's bounds and errors.
    "CONFIG GET list-compress-depth",
    "CONFIG SET list-compress-depth 2",
    "CONFIG GET list-compress-depth",
    "CONFIG SET list-compress-depth 0",
    "CONFIG SET list-compress-depth -1",
    "CONFIG SET list-compress-depth x",
    "CONFIG SET list-compress-depth 2147483648",
    // Back to Redis 7.0's defaults.
    "CONFIG SET hash-max-listpack-entries 512 hash-max-listpack-value 64",
    "CONFIG SET set-max-intset-entries 512 list-max-listpack-size -2",
    "CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64",
    "pairs:CONFIG GET *max-*-entries",
  ],
  // Redis's own introspection tests set these with others in one CONFIG SET.
  "repl-backlog-size, client-query-buffer-limit, daemonize": [
    "CONFIG GET repl-backlog-size",
    "CONFIG GET client-query-buffer-limit",
    "CONFIG SET maxmemory 10000001 repl-backlog-size 10000002 save '3000 5'",
    "pairs:CONFIG GET maxmemory repl-backlog-size save",
    "CONFIG SET repl-backlog-size 0",
    "CONFIG SET repl-backlog-size x",
    "CONFIG SET repl-backlog-size 2mb",
    "CONFIG GET repl-backlog-size",
    "CONFIG SET client-query-buffer-limit 10m",
    "CONFIG GET client-query-buffer-limit",
    "CONFIG SET client-query-buffer-limit 1000",
    "CONFIG SET client-query-buffer-limit 1gb",
    "CONFIG SET maxmemory 10000001 maxmemory-clients 200% client-query-buffer-limit invalid",
    "CONFIG SET daemonize yes",
    "CONFIG GET daemonize",
    "CONFIG SET maxmemory 0 repl-backlog-size 1mb save ''",
  ],
  // Values Redis checks in its set phase: one bad value anywhere changes nothing.
  "all or nothing": [
    "CONFIG SET maxmemory 10000001 protected-mode maybe",
    "CONFIG SET maxmemory 10000002 maxclients abc",
    "CONFIG SET maxmemory 10000003 notify-keyspace-events Zq",
    // The first bad value in the order given is the one told.
    "CONFIG SET slowlog-max-len abc protected-mode maybe",
    "CONFIG SET latency-tracking maybe maxclients 0",
    "CONFIG SET latency-tracking-info-percentiles 200 maxmemory x",
    "CONFIG SET maxmemory x latency-tracking-info-percentiles 200",
    "CONFIG SET latency-monitor-threshold -5 slowlog-log-slower-than 10 notify-keyspace-events Zq",
    "pairs:CONFIG GET slowlog-* latency-*",
    "pairs:CONFIG GET maxmemory protected-mode maxclients notify-keyspace-events",
    "CONFIG SET maxclients 0",
    "CONFIG SET maxclients 4294967296",
    "CONFIG SET maxclients -1",
    "CONFIG SET maxclients 9223372036854775807",
    "CONFIG SET maxclients 9223372036854775808",
    "CONFIG SET maxclients 99999999999999999999",
    "CONFIG SET maxclients 1x",
    "CONFIG SET maxclients 1000",
    "CONFIG GET maxclients",
    "CONFIG SET maxclients 10000",
  ],
  stringEncoding: [
    "FLUSHALL",
    "SET a hello",
    "OBJECT ENCODING a",
    "APPEND a x",
    "OBJECT ENCODING a",
    "SET b hello",
    "SETRANGE b 1 x",
    "OBJECT ENCODING b",
    "SET c hello",
    "SETBIT c 1 1",
    "OBJECT ENCODING c",
    "SET d hello",
    "BITFIELD d SET u8 0 1",
    "OBJECT ENCODING d",
    "SET d2 hello",
    "BITFIELD d2 GET u8 0",
    "OBJECT ENCODING d2",
    "SET d3 1",
    "BITFIELD d3 OVERFLOW FAIL INCRBY u2 0 10",
    "OBJECT ENCODING d3",
    "SET e 123",
    "OBJECT ENCODING e",
    "APPEND e 4",
    "OBJECT ENCODING e",
    "COPY a a2",
    "OBJECT ENCODING a2",
    "COPY e e2",
    "OBJECT ENCODING e2",
    "SET f 12",
    "COPY f f2",
    "OBJECT ENCODING f2",
    "SET g hello",
    "COPY g g2",
    "OBJECT ENCODING g2",
    "INCR e",
    "OBJECT ENCODING e",
    "SET h 1",
    "APPEND h 2",
    "INCRBYFLOAT h 1.5",
    "OBJECT ENCODING h",
    "SETRANGE new 0 abc",
    "OBJECT ENCODING new",
    "APPEND new2 abc",
    "OBJECT ENCODING new2",
    "APPEND new3 123",
    "OBJECT ENCODING new3",
    "SETBIT new4 1 1",
    "OBJECT ENCODING new4",
    "SET j 5",
    "SETRANGE j 0 7",
    "OBJECT ENCODING j",
    "SET p hello",
    "SETRANGE p 10 ''",
    "OBJECT ENCODING p",
    "SET q ''",
    "APPEND q ''",
    "OBJECT ENCODING q",
    "SET r hello",
    "APPEND r x",
    "RENAME r r2",
    "OBJECT ENCODING r2",
    "EXPIRE r2 100",
    "OBJECT ENCODING r2",
    "SET r2 hello KEEPTTL",
    "OBJECT ENCODING r2",
    "SET m hello",
    "APPEND m x",
    "SETNX m y",
    "OBJECT ENCODING m",
    "GETSET m y",
    "OBJECT ENCODING m",
    "SET s1 abc",
    "BITOP AND bo s1 s1",
    "OBJECT ENCODING bo",
    "PFADD hll a",
    "OBJECT ENCODING hll",
    "SET long 123456789012345678901234567890123456789012345",
    "OBJECT ENCODING long",
    "SET l44 12345678901234567890123456789012345678901234",
    "OBJECT ENCODING l44",
    "SET big 9223372036854775807",
    "OBJECT ENCODING big",
    "SET bigger 9223372036854775808",
    "OBJECT ENCODING bigger",
    "SET neg -5",
    "OBJECT ENCODING neg",
    "SET z 007",
    "OBJECT ENCODING z",
  ],
  collectionEncoding: [
    "FLUSHALL",
    "EVAL \"for i=1,200 do redis.call('hset',KEYS[1],'f'..i,'v') end\" 1 h200",
    "OBJECT ENCODING h200",
    "CONFIG SET hash-max-listpack-entries 2",
    "HSET h a 1 b 2",
    "OBJECT ENCODING h",
    "HSET h c 3",
    "OBJECT ENCODING h",
    "CONFIG SET hash-max-listpack-value 3",
    "HSET h2 f abcd",
    "OBJECT ENCODING h2",
    "HSET h3 abcd v",
    "OBJECT ENCODING h3",
    "CONFIG SET set-max-intset-entries 2",
    "SADD s 1 2",
    "OBJECT ENCODING s",
    "SADD s 3",
    "OBJECT ENCODING s",
    "SADD s2 a",
    "OBJECT ENCODING s2",
    "CONFIG SET zset-max-listpack-entries 2 zset-max-listpack-value 3",
    "ZADD z 1 a 2 b",
    "OBJECT ENCODING z",
    "ZADD z 3 c",
    "OBJECT ENCODING z",
    "ZADD z2 1 abcd",
    "OBJECT ENCODING z2",
    "CONFIG SET list-max-listpack-size 1",
    "RPUSH l a b c",
    "OBJECT ENCODING l",
    "CONFIG SET hash-max-listpack-entries 512 hash-max-listpack-value 64",
    "CONFIG SET set-max-intset-entries 512 list-max-listpack-size -2",
    "CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64",
    "FLUSHALL",
  ],
  // The parameters of features atlasd has no counterpart of (config_redis_params.ts): Redis's
  // parsers, bounds and error texts; honoured: loglevel, tcp-keepalive.
  "redis-only": [
    "CONFIG SET lazyfree-lazy-user-del yes",
    "CONFIG GET lazyfree-lazy-user-del",
    "CONFIG SET lazyfree-lazy-user-del maybe",
    "CONFIG SET lazyfree-lazy-user-del NO",
    "CONFIG SET active-defrag-cycle-max 100",
    "CONFIG SET active-defrag-cycle-max 50",
    "CONFIG GET active-defrag-cycle-max",
    "CONFIG SET active-defrag-ignore-bytes 2mb",
    "CONFIG GET active-defrag-ignore-bytes",
    "CONFIG SET active-defrag-ignore-bytes 0",
    "CONFIG SET active-defrag-ignore-bytes x",
    "CONFIG SET repl-diskless-load SWAPDB",
    "CONFIG GET repl-diskless-load",
    "CONFIG SET repl-diskless-load bad",
    "CONFIG SET shutdown-on-sigterm 'nosave now'",
    "CONFIG GET shutdown-on-sigterm",
    "CONFIG SET shutdown-on-sigterm 'force save'",
    "CONFIG GET shutdown-on-sigterm",
    "CONFIG SET shutdown-on-sigterm 'save nosave'",
    "CONFIG SET shutdown-on-sigterm bogus",
    "CONFIG SET shutdown-on-sigterm default",
    "CONFIG GET shutdown-on-sigterm",
    "CONFIG SET oom-score-adj-values '0 100 900'",
    "CONFIG GET oom-score-adj-values",
    "CONFIG SET oom-score-adj-values '1 2'",
    "CONFIG SET oom-score-adj-values '0 0 3000'",
    "CONFIG SET oom-score-adj-values '0 0 x'",
    "CONFIG SET oom-score-adj-values '-5 +7 0'",
    "CONFIG GET oom-score-adj-values",
    "CONFIG SET slave-priority 5",
    "CONFIG GET replica-priority",
    "pairs:CONFIG GET *priority*",
    "CONFIG SET replica-announce-port 65536",
    "CONFIG SET repl-timeout 0",
    "CONFIG SET dbfilename x.rdb",
    "CONFIG SET appendfilename x.aof",
    "CONFIG SET io-threads 2",
    "CONFIG SET unixsocket /tmp/x.sock",
    "CONFIG SET proc-title-template '{title} {port}'",
    "CONFIG GET proc-title-template",
    "CONFIG SET proc-title-template '{nope}'",
    "CONFIG SET proc-title-template ''",
    "CONFIG SET proc-title-template '{title} {listen-addr} {server-mode}'",
    "CONFIG SET cluster-announce-hostname 'bad host'",
    "CONFIG SET cluster-announce-hostname good-host.example",
    "CONFIG GET cluster-announce-hostname",
    "CONFIG SET aof-use-rdb-preamble no",
    "CONFIG GET aof-use-rdb-preamble",
    "CONFIG SET aof-use-rdb-preamble yes",
    "CONFIG SET tls-port 0",
    "CONFIG SET loglevel verbose",
    "CONFIG GET loglevel",
    "CONFIG SET loglevel LOUD",
    "CONFIG SET loglevel notice",
    "CONFIG GET loglevel",
    "CONFIG SET tcp-keepalive 60",
    "CONFIG GET tcp-keepalive",
    "CONFIG SET tcp-keepalive -1",
    "CONFIG SET tcp-keepalive 300",
    // Hidden settings: answered by name, left out of patterns.
    "CONFIG GET key-load-delay",
    "CONFIG GET *-delay",
    "CONFIG SET rdb-key-save-delay -5",
    "CONFIG GET rdb-key-save-delay",
    "CONFIG SET rdb-key-save-delay 0",
    "CONFIG SET loading-process-events-interval-bytes 10",
    "CONFIG GET loading-process-events-interval-bytes",
    "pairs:CONFIG GET use-exit-on-panic watchdog-period",
  ],
};

type Mode = "exact" | "pairs";

function parseLine(line: string): { mode: Mode; argv: string[] } {
  const m = line.match(/^(pairs):(.*)$/);
  const argv = splitInlineArgs(m ? m[2] : line);
  if (argv === null) throw new Error(`bad script line ${line}`);
  return { mode: (m ? m[1] : "exact") as Mode, argv };
}

const key = (v: unknown) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

function normalize(v: RespValue, mode: Mode): unknown {
  if (mode === "pairs" && v.t === "array") {
    const pairs: string[] = [];
    for (let i = 0; i < v.v.length; i += 2) pairs.push(key(v.v[i]) + key(v.v[i + 1]));
    return { t: "array", v: pairs.sort() };
  }
  if (mode === "pairs" && v.t === "map") {
    return { t: "map", v: v.v.map(([a, b]) => key(a) + key(b)).sort() };
  }
  return v;
}

async function runScripts(redis: RawClient, atlas: RawClient, proto: 2 | 3): Promise<string[]> {
  const mismatches: string[] = [];
  await redis.one("HELLO", String(proto));
  await atlas.one("HELLO", String(proto));
  for (const [family, lines] of Object.entries(SCRIPTS)) {
    for (const line of lines) {
      const { mode, argv } = parseLine(line);
      const [want] = await redis.call(argv);
      const [got] = await atlas.call(argv);
      const a = key(normalize(want, mode));
      const b = key(normalize(got, mode));
      if (a !== b) {
        mismatches.push(`RESP${proto} ${family}: ${line}\n  redis:  ${a}\n  atlasd: ${b}`);
      }
    }
  }
  return mismatches;
}

async function both(redis: RawClient, atlas: RawClient, ...argv: string[]) {
  const [r] = await redis.call(argv);
  const [a] = await atlas.call(argv);
  return { redis: r, atlas: a };
}

function intOf(v: RespValue): number {
  assert.equal(v.t, "integer", key(v));
  return Number((v as { v: number }).v);
}

function infoField(v: RespValue, pattern: RegExp): string {
  assert.ok(v.t === "bulk" || v.t === "verbatim", key(v));
  const m = (v as { v: string }).v.match(pattern);
  assert.ok(m, `${pattern} in ${(v as { v: string }).v}`);
  return m[1];
}

Deno.test("atlasd CONFIG SET/GET, error texts and OBJECT ENCODING match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const mismatches = [
      ...(await runScripts(redis, atlas, 2)),
      ...(await runScripts(redis, atlas, 3)),
    ];
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  }));

Deno.test("CONFIG GET * lists every parameter redis-server lists, with Redis's defaults where atlasd has no counterpart", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const all = await both(redis, atlas, "CONFIG", "GET", "*");
    const pairs = (reply: RespValue) => {
      assert.equal(reply.t, "array", key(reply));
      const items = (reply as { v: RespValue[] }).v.map((x) => (x as { v: string }).v);
      const map = new Map<string, string>();
      for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
      return map;
    };
    const want = pairs(all.redis);
    const got = pairs(all.atlas);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    // Where the two servers really differ: their start options, and what atlasd keeps otherwise.
    const differ = new Set([
      "port",
      "dir",
      "bind",
      "save",
      "appendonly",
      "appendfsync",
      "daemonize",
      "pidfile",
      "enable-debug-command",
      "proto-max-bulk-len",
    ]);
    const differences = [...want].filter(([name, value]) =>
      !differ.has(name) && got.get(name) !== value
    ).map(([name, value]) => `${name}: redis ${value}, atlasd ${got.get(name)}`);
    assert.deepEqual(differences, []);
  }));

Deno.test("CONFIG SET maxclients past the open-files limit fails and undoes the values before it, as Redis", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    // The suggested number follows each process's descriptor limit: compared up to it.
    const over = await both(
      redis,
      atlas,
      ...["CONFIG", "SET", "maxmemory", "10000004", "maxclients", "5000000", "timeout", "7"],
    );
    const text = "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The " +
      "operating system is not able to handle the specified number of clients, try with ";
    for (const reply of [over.redis, over.atlas]) {
      assert.equal(reply.t, "error", key(reply));
      assert.ok((reply as { v: string }).v.startsWith(text), key(reply));
    }
    for (const name of ["maxmemory", "timeout", "maxclients"]) {
      const values = await both(redis, atlas, "CONFIG", "GET", name);
      assert.deepEqual(values.atlas, values.redis, name);
    }
  }));

Deno.test("atlasd evicts after CONFIG SET maxmemory and answers Redis's OOM text", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    await both(redis, atlas, "FLUSHALL");
    const value = "x".repeat(1000);
    const fill: string[][] = [];
    for (let i = 0; i < 500; i++) fill.push(["SET", `key:${i}`, value]);
    await redis.call(...fill);
    await atlas.call(...fill);
    let r = await both(redis, atlas, "DBSIZE");
    assert.equal(intOf(r.redis), 500);
    assert.equal(intOf(r.atlas), 500);

    // Below used memory: the next write evicts (which keys is random on both: not compared).
    r = await both(redis, atlas, "CONFIG", "SET", "maxmemory-policy", "allkeys-random");
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "CONFIG", "SET", "maxmemory", "1");
    assert.deepEqual(r.atlas, r.redis);
    await both(redis, atlas, "SET", "after", "v");
    r = await both(redis, atlas, "DBSIZE");
    assert.ok(intOf(r.redis) < 500, "redis evicted");
    assert.ok(intOf(r.atlas) < 500, "atlasd evicted");
    r = await both(redis, atlas, "INFO", "stats");
    assert.ok(Number(infoField(r.redis, /evicted_keys:(\d+)/)) > 0);
    assert.ok(Number(infoField(r.atlas, /evicted_keys:(\d+)/)) > 0);

    // Under noeviction a write is refused with the same text; reads and DEL still run.
    await both(redis, atlas, "CONFIG", "SET", "maxmemory", "0");
    await both(redis, atlas, "SET", "keep", "v");
    r = await both(
      redis,
      atlas,
      "CONFIG",
      "SET",
      "maxmemory-policy",
      "noeviction",
      "maxmemory",
      "1",
    );
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "SET", "more", "v");
    assert.deepEqual(r.redis, {
      t: "error",
      v: "OOM command not allowed when used memory > 'maxmemory'.",
    });
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "RPUSH", "list", "a");
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "GET", "keep");
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "DEL", "keep");
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "CONFIG", "SET", "maxmemory", "0");
    assert.deepEqual(r.atlas, r.redis);
    r = await both(redis, atlas, "SET", "more", "v");
    assert.deepEqual(r.atlas, { t: "simple", v: "OK" });
    assert.deepEqual(r.atlas, r.redis);
  }));

Deno.test("atlasd INFO keyspace avg_ttl estimates the remaining TTL like redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    await both(redis, atlas, "FLUSHALL");
    for (let i = 0; i < 10; i++) await both(redis, atlas, "SET", `t${i}`, "v", "EX", "100");
    await both(redis, atlas, "SET", "plain", "v");
    // Both estimate in the active expiry cycle (10 times a second): wait for a few.
    const deadline = Date.now() + 5000;
    let redisTtl = 0;
    let atlasTtl = 0;
    while ((redisTtl === 0 || atlasTtl === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const r = await both(redis, atlas, "INFO", "keyspace");
      assert.equal(infoField(r.redis, /db0:(keys=\d+,expires=\d+)/), "keys=11,expires=10");
      assert.equal(infoField(r.atlas, /db0:(keys=\d+,expires=\d+)/), "keys=11,expires=10");
      redisTtl = Number(infoField(r.redis, /avg_ttl=(\d+)/));
      atlasTtl = Number(infoField(r.atlas, /avg_ttl=(\d+)/));
    }
    for (const [name, ttl] of [["redis", redisTtl], ["atlasd", atlasTtl]] as const) {
      assert.ok(ttl > 90_000 && ttl <= 100_000, `${name} avg_ttl ${ttl}`);
    }
  }));

Deno.test("atlasd: CONFIG SET appendfsync always, a write, kill -9: the write survives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_fsync_switch_" });
  try {
    const first = await startAtlasd(["--sync-mode", "none"], dir);
    let c = await RawClient.connect(first.port);
    try {
      assert.deepEqual(await c.one("CONFIG", "GET", "appendfsync"), {
        t: "array",
        v: [{ t: "bulk", v: "appendfsync" }, { t: "bulk", v: "no" }],
      });
      assert.deepEqual(await c.one("CONFIG", "SET", "appendfsync", "always"), {
        t: "simple",
        v: "OK",
      });
      assert.deepEqual(await c.one("CONFIG", "GET", "appendfsync"), {
        t: "array",
        v: [{ t: "bulk", v: "appendfsync" }, { t: "bulk", v: "always" }],
      });
      const fsyncs = async () =>
        Number(infoField(await c.one("INFO", "persistence"), /aof_fsyncs_total:(\d+)/));
      const before = await fsyncs();
      assert.deepEqual(await c.one("SET", "durable", "yes"), { t: "simple", v: "OK" });
      // The reply came after an fsync (under `no` there would be none on the reply path).
      assert.ok(await fsyncs() > before, "the write was fsynced before its reply");
      const info = await c.one("INFO", "persistence");
      assert.equal(infoField(info, /atlas_sync_mode:(\w+)/), "every");
      Deno.kill(first.pid, "SIGKILL");
    } finally {
      await c.close();
      await first.stop(); // reaps the killed process; keeps `dir` (passed in)
    }
    const second = await startAtlasd([], dir);
    c = await RawClient.connect(second.port);
    try {
      assert.deepEqual(await c.one("GET", "durable"), { t: "bulk", v: "yes" });
    } finally {
      await c.close();
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
