/**
 * OBJECT ENCODING as Redis 7.0 reports it: "raw" for strings changed in place, the configurable
 * thresholds (Store.encodingLimits), and INFO's avg_ttl estimate from the active expiry cycle.
 */
import assert from "node:assert/strict";
import { DEFAULT_ENCODING_LIMITS } from "./keyspace.ts";
import { Harness } from "./test_util.ts";

const enc = (h: Harness, key: string) => h.run("OBJECT", "ENCODING", key);

Deno.test("OBJECT ENCODING: strings changed in place are raw, as in Redis", () => {
  const h = new Harness();
  // [setup commands..., key, expected] — each sequence checked against redis-server 7.0.15.
  const cases: [string[][], string, string][] = [
    [[["SET", "a", "hello"]], "a", "embstr"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"]], "a", "raw"],
    [[["APPEND", "a", "abc"]], "a", "embstr"], // a new key is stored as given
    [[["APPEND", "a", "123"]], "a", "int"],
    [[["SET", "a", "123"], ["APPEND", "a", "4"]], "a", "raw"],
    [[["SET", "a", ""], ["APPEND", "a", ""]], "a", "raw"],
    [[["SET", "a", "hello"], ["SETRANGE", "a", "1", "x"]], "a", "raw"],
    [[["SET", "a", "hello"], ["SETRANGE", "a", "1", ""]], "a", "embstr"], // no change
    [[["SET", "a", "5"], ["SETRANGE", "a", "0", ""]], "a", "int"],
    [[["SETRANGE", "a", "0", "abc"]], "a", "raw"],
    [[["SET", "a", "hello"], ["SETBIT", "a", "1", "1"]], "a", "raw"], // bit already set
    [[["SETBIT", "a", "1", "1"]], "a", "raw"],
    [[["SET", "a", "hello"], ["BITFIELD", "a", "SET", "u8", "0", "1"]], "a", "raw"],
    [[["SET", "a", "hello"], ["BITFIELD", "a", "GET", "u8", "0"]], "a", "embstr"],
    [[["SET", "a", "hello"], ["BITFIELD_RO", "a", "GET", "u8", "0"]], "a", "embstr"],
    [[["SET", "s1", "abc"], ["BITOP", "AND", "a", "s1", "s1"]], "a", "raw"],
    [[["PFADD", "a", "x"]], "a", "raw"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["RENAME", "a", "b"]], "b", "raw"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["COPY", "a", "b"]], "b", "raw"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["COPY", "a", "b"]], "a", "raw"],
    [[["SET", "a", "12"], ["COPY", "a", "b"]], "b", "int"],
    [[["SET", "a", "hello"], ["COPY", "a", "b"]], "b", "embstr"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["SET", "a", "hello"]], "a", "embstr"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["GETSET", "a", "x"]], "a", "embstr"],
    [[["SET", "a", "1"], ["APPEND", "a", "2"], ["INCR", "a"]], "a", "int"],
    [[["SET", "a", "1"], ["APPEND", "a", "2"], ["INCRBYFLOAT", "a", "1.5"]], "a", "embstr"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["EXPIRE", "a", "100"]], "a", "raw"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["DEL", "a"], ["SET", "a", "v"]], "a", "embstr"],
    [[["SET", "a", "hello"], ["APPEND", "a", "x"], ["FLUSHALL"], ["SET", "a", "v"]], "a", "embstr"],
    [[["SET", "a", "x".repeat(45)]], "a", "raw"],
    [[["SET", "a", "x".repeat(44)]], "a", "embstr"],
    [[["SET", "a", "9223372036854775807"]], "a", "int"],
    [[["SET", "a", "12345678901234567890"]], "a", "embstr"],
    [[["SET", "a", "007"]], "a", "embstr"],
  ];
  for (const [setup, key, expected] of cases) {
    h.run("FLUSHALL");
    for (const argv of setup) h.run(...argv);
    assert.equal(enc(h, key), expected, JSON.stringify(setup));
  }
});

Deno.test("OBJECT ENCODING: the raw mark costs nothing for keys that never became raw", () => {
  const h = new Harness();
  for (let i = 0; i < 100; i++) h.run("SET", `k${i}`, "v");
  h.run("APPEND", "k1", "x");
  h.run("DEL", "k1");
  h.run("SET", "k2", "a");
  h.run("APPEND", "k2", "b");
  h.run("SET", "k2", "c");
  assert.equal(enc(h, "k2"), "embstr");
  // A replayed log gives the same answers (APPEND is logged as APPEND).
  h.run("APPEND", "k3", "x");
  assert.equal(h.replay(h.clock.nowMs).run("OBJECT", "ENCODING", "k3"), "raw");
});

Deno.test("OBJECT ENCODING: thresholds follow Store.encodingLimits (Redis 7.0 defaults)", () => {
  const h = new Harness();
  assert.deepEqual({ ...h.store.encodingLimits }, { ...DEFAULT_ENCODING_LIMITS });
  for (let i = 0; i < 200; i++) h.run("HSET", "h", `f${i}`, "v");
  assert.equal(enc(h, "h"), "listpack", "Redis 7.0: hash-max-listpack-entries 512");
  h.store.encodingLimits.hashMaxListpackEntries = 100;
  assert.equal(enc(h, "h"), "hashtable");
  h.run("HSET", "h2", "f", "x".repeat(10));
  h.store.encodingLimits.hashMaxListpackValue = 9;
  assert.equal(enc(h, "h2"), "hashtable");

  h.run("SADD", "s", "1", "2", "3");
  assert.equal(enc(h, "s"), "intset");
  h.store.encodingLimits.setMaxIntsetEntries = 2;
  assert.equal(enc(h, "s"), "hashtable");

  h.run("ZADD", "z", "1", "abcd", "2", "b");
  assert.equal(enc(h, "z"), "listpack");
  h.store.encodingLimits.zsetMaxListpackValue = 3;
  assert.equal(enc(h, "z"), "skiplist");
  h.store.encodingLimits.zsetMaxListpackValue = 64;
  h.store.encodingLimits.zsetMaxListpackEntries = 1;
  assert.equal(enc(h, "z"), "skiplist");

  h.run("RPUSH", "l", "a");
  h.store.encodingLimits.listMaxListpackSize = 1;
  assert.equal(enc(h, "l"), "quicklist", "Redis 7.0 reports every list as quicklist");
});

Deno.test("avg_ttl: the active expiry cycle estimates the mean remaining TTL", () => {
  const h = new Harness();
  assert.equal(h.store.stats.avgTtlMs, 0);
  for (let i = 0; i < 10; i++) h.run("SET", `k${i}`, "v", "PX", String(100_000));
  h.run("SET", "p", "v");
  assert.equal(h.store.stats.avgTtlMs, 0, "nothing sampled yet (Redis too)");
  h.clock.nowMs += 10_000;
  h.store.activeExpireCycle(h.clock);
  assert.equal(h.store.stats.avgTtlMs, 90_000, "the first cycle sets it");
  h.clock.nowMs += 10_000;
  h.store.activeExpireCycle(h.clock);
  // Redis's running average: 49/50 of the old estimate plus 1/50 of this cycle's mean.
  assert.equal(h.store.stats.avgTtlMs, Math.round(90_000 * 49 / 50 + 80_000 / 50));
  for (let i = 0; i < 10; i++) h.run("PERSIST", `k${i}`);
  assert.equal(h.store.stats.avgTtlMs, 0, "no volatile keys: 0");
  h.store.activeExpireCycle(h.clock); // a cycle with no volatile keys resets it (Redis too)
  h.run("SET", "n", "v", "PX", "5000");
  h.store.activeExpireCycle(h.clock);
  assert.equal(h.store.stats.avgTtlMs, 5000, "reset once the volatile keys were gone");
});
