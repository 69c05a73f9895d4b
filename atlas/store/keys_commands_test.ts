import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

Deno.test("unknown command and arity errors match Redis 7", () => {
  const h = new Harness();
  assert.deepEqual(h.run("foo", "a", "b"), {
    err: "ERR unknown command 'foo', with args beginning with: 'a' 'b' ",
  });
  assert.deepEqual(h.run("GET"), { err: "ERR wrong number of arguments for 'get' command" });
  assert.deepEqual(h.run("GeT", "k", "x"), {
    err: "ERR wrong number of arguments for 'get' command",
  });
});

Deno.test("DEL EXISTS TYPE TOUCH DBSIZE", () => {
  const h = new Harness();
  h.run("MSET", "a", "1", "b", "2");
  assert.equal(h.run("EXISTS", "a", "a", "x"), 2);
  assert.equal(h.run("TYPE", "a"), "string");
  assert.equal(h.run("TYPE", "x"), "none");
  assert.equal(h.run("DBSIZE"), 2);
  assert.equal(h.run("TOUCH", "a", "x"), 1);
  const r = h.exec("DEL", "a", "x");
  assert.equal(r.reply.kind === "integer" && r.reply.value, 1);
  assert.deepEqual(r.log, [["DEL", "a", "x"]]);
  assert.equal(h.exec("DEL", "x").log, null);
  assert.equal(h.run("UNLINK", "b"), 1);
  assert.equal(h.run("DBSIZE"), 0);
});

Deno.test("EXPIRE NX/XX/GT/LT follow Redis 7", () => {
  const h = new Harness();
  h.run("SET", "k", "v");
  assert.equal(h.run("EXPIRE", "k", "100", "XX"), 0); // no TTL yet
  assert.equal(h.run("EXPIRE", "k", "100", "GT"), 0); // no TTL counts as infinite
  assert.equal(h.run("EXPIRE", "k", "100", "LT"), 1); // ... so LT succeeds
  assert.equal(h.run("EXPIRE", "k", "50", "NX"), 0);
  assert.equal(h.run("EXPIRE", "k", "200", "XX"), 1);
  assert.equal(h.run("EXPIRE", "k", "100", "GT"), 0);
  assert.equal(h.run("EXPIRE", "k", "300", "gt"), 1);
  assert.equal(h.run("EXPIRE", "k", "400", "LT"), 0);
  assert.equal(h.run("EXPIRE", "k", "30", "LT"), 1);
  assert.equal(h.run("TTL", "k"), 30);
  assert.equal(h.run("PERSIST", "k"), 1);
  assert.equal(h.run("PERSIST", "k"), 0);
  assert.equal(h.run("EXPIRE", "k", "50", "NX"), 1);
  assert.equal(h.run("EXPIRE", "missing", "50"), 0);
  assert.deepEqual(h.run("EXPIRE", "k", "10", "NX", "XX"), {
    err: "ERR NX and XX, GT or LT options at the same time are not compatible",
  });
  assert.deepEqual(h.run("EXPIRE", "k", "10", "GT", "LT"), {
    err: "ERR GT and LT options at the same time are not compatible",
  });
  assert.deepEqual(h.run("EXPIRE", "k", "10", "foo"), { err: "ERR Unsupported option foo" });
  assert.deepEqual(h.run("EXPIRE", "k", "9223372036854775807"), {
    err: "ERR invalid expire time in 'expire' command",
  });
  assert.deepEqual(h.run("EXPIRE", "k", "1.5"), {
    err: "ERR value is not an integer or out of range",
  });
});

Deno.test("a non-positive TTL deletes the key and logs DEL", () => {
  const h = new Harness();
  for (
    const [cmd, arg] of [["EXPIRE", "0"], ["PEXPIRE", "-5"], ["EXPIREAT", "1"], [
      "PEXPIREAT",
      String(h.clock.nowMs),
    ]]
  ) {
    h.run("SET", "k", "v");
    const r = h.exec(cmd, "k", arg);
    assert.equal(r.reply.kind === "integer" && r.reply.value, 1);
    assert.deepEqual(r.log, [["DEL", "k"]]);
    assert.equal(h.run("EXISTS", "k"), 0);
  }
});

Deno.test("relative expiries are logged as PEXPIREAT; TTL/EXPIRETIME replies", () => {
  const h = new Harness();
  const now = h.clock.nowMs;
  h.run("SET", "k", "v");
  assert.deepEqual(h.exec("EXPIRE", "k", "10").log, [["PEXPIREAT", "k", String(now + 10_000)]]);
  assert.deepEqual(h.exec("PEXPIRE", "k", "1500").log, [["PEXPIREAT", "k", String(now + 1500)]]);
  assert.equal(h.run("PTTL", "k"), 1500);
  assert.equal(h.run("TTL", "k"), 2);
  assert.equal(h.run("PEXPIRETIME", "k"), now + 1500);
  // Rounded to the nearest second, as Redis does (and as TTL is).
  assert.equal(h.run("EXPIRETIME", "k"), Math.floor((now + 2000) / 1000));
  h.run("PEXPIREAT", "k", String(now - (now % 1000) + 10_499));
  assert.equal(h.run("EXPIRETIME", "k"), (now - (now % 1000)) / 1000 + 10);
  assert.equal(h.run("EXPIRETIME", "nokey"), -2);
  h.run("SET", "p", "v");
  assert.equal(h.run("EXPIRETIME", "p"), -1);
  assert.equal(h.run("PTTL", "p"), -1);
});

Deno.test("RENAME carries the TTL; RENAMENX; same key; missing key", () => {
  const h = new Harness();
  h.run("SET", "a", "1", "EX", "100");
  h.run("SET", "b", "2");
  assert.equal(h.run("RENAME", "a", "b"), "OK");
  assert.equal(h.run("GET", "b"), "1");
  assert.equal(h.run("TTL", "b"), 100);
  assert.equal(h.run("EXISTS", "a"), 0);
  assert.deepEqual(h.run("RENAME", "a", "c"), { err: "ERR no such key" });
  assert.equal(h.run("RENAME", "b", "b"), "OK");
  h.run("SET", "c", "3");
  assert.equal(h.run("RENAMENX", "b", "c"), 0);
  assert.equal(h.run("RENAMENX", "b", "d"), 1);
  assert.equal(h.run("TTL", "d"), 100);
  assert.equal(h.run("RENAMENX", "d", "d"), 0);
});

Deno.test("KEYS and SCAN with MATCH/COUNT/TYPE visit every key once", () => {
  const h = new Harness();
  for (let i = 0; i < 250; i++) h.run("SET", `user:${i}`, "x");
  h.run("SET", "other", "y");
  const keys = h.run("KEYS", "user:1?") as string[];
  assert.deepEqual(keys.sort(), Array.from({ length: 10 }, (_, i) => `user:1${i}`).sort());
  assert.equal((h.run("KEYS", "*") as string[]).length, 251);
  const seen = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const [next, batch] = h.run("SCAN", cursor, "MATCH", "user:*", "COUNT", "20") as [
      string,
      string[],
    ];
    for (const k of batch) seen.add(k);
    cursor = next;
    calls++;
    if (calls === 3) h.run("DEL", "user:0"); // a concurrent delete does not disturb the scan
  } while (cursor !== "0");
  assert.ok(seen.size >= 249 && !seen.has("other"));
  for (let i = 1; i < 250; i++) assert.ok(seen.has(`user:${i}`));
  assert.deepEqual(h.run("SCAN", "abc"), { err: "ERR invalid cursor" });
  assert.deepEqual(h.run("SCAN", "0", "COUNT", "0"), { err: "ERR syntax error" });
  const [, typed] = h.run("SCAN", "0", "COUNT", "1000", "TYPE", "hash") as [string, string[]];
  assert.deepEqual(typed, []);
});

Deno.test("expired keys are invisible and lazily deleted with a logged DEL", () => {
  const h = new Harness();
  h.run("SET", "k", "v", "PX", "10");
  h.clock.nowMs += 10;
  assert.deepEqual(h.run("KEYS", "*"), []);
  assert.equal(h.run("DBSIZE"), 1); // like Redis: counted until deleted
  const r = h.exec("EXISTS", "k");
  assert.deepEqual(r.log, [["DEL", "k"]]);
  assert.equal(h.run("DBSIZE"), 0);
  assert.equal(h.store.stats.expiredKeysTotal, 1);
});

Deno.test("FLUSHALL/FLUSHDB and RANDOMKEY", () => {
  const h = new Harness();
  assert.equal(h.run("RANDOMKEY"), null);
  h.run("MSET", "a", "1", "b", "2");
  assert.ok(["a", "b"].includes(h.run("RANDOMKEY") as string));
  assert.deepEqual(h.run("FLUSHALL", "BAD"), { err: "ERR syntax error" });
  assert.deepEqual(h.exec("FLUSHDB", "ASYNC").log, [["FLUSHDB"]]);
  assert.equal(h.run("DBSIZE"), 0);
  assert.equal(h.store.stats.usedMemoryBytes, 0);
});

Deno.test("RANDOMKEY goes past expired keys to a live one, deleting them", () => {
  const h = new Harness();
  for (let i = 0; i < 500; i++) h.run("SET", `gone${i}`, "v", "PX", "10");
  h.run("SET", "live", "v");
  for (let i = 500; i < 1000; i++) h.run("SET", `gone${i}`, "v", "PX", "10");
  h.clock.nowMs += 100;
  assert.equal(h.run("RANDOMKEY"), "live");
  assert.ok(h.store.stats.keys < 1001);
  h.run("DEL", "live");
  assert.equal(h.run("RANDOMKEY"), null);
  assert.equal(h.run("DBSIZE"), 0);
});

Deno.test("option words are C strings; SCAN TYPE counts a read per key past MATCH", () => {
  const h = new Harness();
  h.run("SET", "k", "v");
  h.run("RPUSH", "l", "a");
  assert.equal(h.run("EXPIRE", "k", "100", "nx\0junk"), 1);
  assert.deepEqual(h.run("EXPIRE", "k", "100", "foo\0bar"), { err: "ERR Unsupported option foo" });
  assert.deepEqual(h.run("SCAN", "0", "count\0", "5", "TYPE", "LIST\0x"), ["0", ["l"]]);
  assert.equal(h.run("COPY", "k", "k2", "replace\0"), 1);
  assert.equal(h.run("FLUSHALL", "sync\0x"), "OK");
  h.run("MSET", "a", "1", "b", "2");
  h.run("RPUSH", "l", "a");
  const hits = h.store.stats.keyspaceHits;
  assert.deepEqual(h.run("SCAN", "0", "TYPE", "string"), ["0", ["a", "b"]]);
  assert.equal(h.store.stats.keyspaceHits, hits + 3);
  assert.deepEqual(h.run("SCAN", "0", "MATCH", "a", "TYPE", "string"), ["0", ["a"]]);
  assert.equal(h.store.stats.keyspaceHits, hits + 4);
  h.run("SCAN", "0");
  assert.equal(h.store.stats.keyspaceHits, hits + 4);
});

Deno.test("OBJECT REFCOUNT: an integer changed in place is not shared", () => {
  const h = new Harness();
  h.run("SET", "n", "5");
  assert.equal(h.run("OBJECT", "REFCOUNT", "n"), 2147483647);
  h.run("SETRANGE", "n", "0", "6");
  assert.equal(h.run("OBJECT", "REFCOUNT", "n"), 1);
});

Deno.test("replay with an injected clock never extends a TTL", () => {
  const h = new Harness();
  h.run("SET", "a", "1");
  h.run("EXPIRE", "a", "100");
  h.run("SET", "b", "1", "EX", "5");
  h.run("PEXPIRE", "b", "2000", "LT");
  h.run("SET", "c", "1");
  h.run("EXPIRE", "c", "1", "NX");
  h.clock.nowMs += 3000; // b and c are now past their deadlines, not yet deleted
  h.run("SET", "d", "x", "EX", "1");
  h.run("RENAME", "a", "e");
  // Replay much later: state equals the original, deadlines are the same absolute values.
  const later = h.replay(h.clock.nowMs + 10 * 86_400_000);
  assert.deepEqual(stateOf(later.store), stateOf(h.store));
  assert.equal(later.store.expireAtMs("e"), h.store.expireAtMs("e"));
  // After replay, expired keys go away on access.
  later.clock.nowMs = h.clock.nowMs + 10 * 86_400_000;
  assert.equal(later.run("GET", "e"), null);
});

Deno.test("the modification listener hears every change once, after it", () => {
  const h = new Harness();
  const heard: (string | null)[] = [];
  h.store.setModificationListener((key) => {
    heard.push(key);
    if (key === "a") assert.equal(h.run("GET", "a"), "1"); // the change is visible
  });
  h.run("SET", "a", "1");
  h.run("GET", "a");
  h.run("MSET", "b", "1", "c", "2");
  h.run("SET", "t", "x", "PX", "5");
  h.clock.nowMs += 5;
  h.run("GET", "t");
  h.run("FLUSHALL");
  assert.deepEqual(heard, ["a", "b", "c", "t", "t", null]);
  h.store.setModificationListener(null);
});

Deno.test("a listener may serve a blocked pop: LPUSH is visible and LPOP runs inside it", () => {
  const h = new Harness();
  const served: unknown[] = [];
  h.store.setModificationListener((key) => {
    if (key === "queue" && h.run("LLEN", "queue") !== 0) served.push(h.run("LPOP", "queue"));
  });
  h.run("LPUSH", "queue", "job1");
  assert.deepEqual(served, ["job1"]);
  assert.equal(h.run("EXISTS", "queue"), 0);
  h.store.setModificationListener(null);
});

Deno.test("COPY and OBJECT ENCODING", () => {
  const h = new Harness();
  h.run("RPUSH", "l", "a", "b");
  h.run("PEXPIRE", "l", "5000");
  assert.equal(h.run("COPY", "l", "m"), 1);
  assert.equal(h.run("COPY", "l", "m"), 0);
  h.run("RPUSH", "l", "c");
  assert.deepEqual(h.run("LRANGE", "m", "0", "-1"), ["a", "b"]); // a deep copy
  assert.equal(h.run("PTTL", "m"), 5000);
  assert.equal(h.run("COPY", "l", "m", "REPLACE"), 1);
  assert.equal(h.run("LLEN", "m"), 3);
  assert.deepEqual(h.run("COPY", "l", "l"), {
    err: "ERR source and destination objects are the same",
  });
  assert.equal(h.run("COPY", "none", "x"), 0);
  h.run("SET", "n", "12");
  assert.equal(h.run("OBJECT", "ENCODING", "n"), "int");
  assert.equal(h.run("OBJECT", "ENCODING", "none"), null);
  assert.deepEqual(h.run("OBJECT", "FOO", "n"), {
    err: "ERR unknown subcommand 'FOO'. Try OBJECT HELP.",
  });
});

Deno.test("OBJECT ENCODING mirrors Redis 7.0 thresholds", () => {
  const h = new Harness();
  h.run("SET", "i", "-123");
  h.run("SET", "e", "x".repeat(44));
  h.run("SET", "r", "x".repeat(45));
  h.run("SADD", "is", "1", "2");
  h.run("SADD", "hs", "1", "a");
  h.run("HSET", "h", "f", "v");
  h.run("HSET", "bh", "f", "v".repeat(65));
  h.run("ZADD", "z", "1", "a");
  h.run("RPUSH", "l", "a");
  const enc = (k: string) => h.run("OBJECT", "ENCODING", k);
  assert.deepEqual(
    ["i", "e", "r", "is", "hs", "h", "bh", "z", "l"].map(enc),
    [
      "int",
      "embstr",
      "raw",
      "intset",
      "hashtable",
      "listpack",
      "hashtable",
      "listpack",
      "quicklist",
    ],
  );
});

Deno.test("OBJECT REFCOUNT, FREQ, IDLETIME and HELP", () => {
  const h = new Harness();
  h.run("SET", "small", "42");
  h.run("SET", "large", "10000");
  h.run("SET", "text", "hello");
  h.run("RPUSH", "list", "a");
  assert.equal(h.run("OBJECT", "REFCOUNT", "small"), 2147483647, "a shared integer");
  assert.equal(h.run("OBJECT", "REFCOUNT", "large"), 1);
  assert.equal(h.run("OBJECT", "REFCOUNT", "text"), 1);
  assert.equal(h.run("OBJECT", "REFCOUNT", "list"), 1);
  assert.equal(h.run("OBJECT", "REFCOUNT", "none"), null);
  assert.equal(h.run("OBJECT", "FREQ", "none"), null);
  assert.match((h.run("OBJECT", "FREQ", "text") as { err: string }).err, /LFU maxmemory policy/);
  assert.equal(h.run("OBJECT", "IDLETIME", "text"), 0, "kept whatever the policy, as Redis");
  assert.equal(h.run("OBJECT", "IDLETIME", "none"), null);
  assert.deepEqual(h.run("OBJECT", "REFCOUNT"), {
    err: "ERR wrong number of arguments for 'object|refcount' command",
  });
  const help = h.run("OBJECT", "HELP") as string[];
  assert.equal(help[0], "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  assert.equal(help.length, 15);

  // IDLETIME counts whole seconds since the last access (OBJECT itself is none); an LRU policy
  // also turns off the shared integers.
  const lru = new Harness({ maxmemoryBytes: 1 << 30, maxmemoryPolicy: "allkeys-lru" });
  lru.clock.nowMs = 1_000_000;
  lru.run("SET", "k", "1");
  lru.clock.nowMs += 7_500;
  assert.equal(lru.run("OBJECT", "IDLETIME", "k"), 7);
  assert.equal(lru.run("OBJECT", "IDLETIME", "k"), 7, "OBJECT itself is not an access");
  assert.equal(lru.run("OBJECT", "REFCOUNT", "k"), 1, "no shared integers under an LRU policy");
  lru.run("GET", "k");
  lru.clock.nowMs += 2_000;
  assert.equal(lru.run("OBJECT", "IDLETIME", "k"), 2);
});

Deno.test("OBJECT IDLETIME under the default policy: reads, TOUCH and new values reset it; OBJECT, TYPE, EXISTS and TTL do not", () => {
  const h = new Harness();
  h.run("SET", "s", "v");
  h.run("RPUSH", "l", "a");
  h.run("SET", "r", "v");
  h.clock.nowMs += 5_000;
  assert.deepEqual(["s", "l", "r"].map((k) => h.run("OBJECT", "IDLETIME", k)), [5, 5, 5]);
  h.run("SET", "s", "v2"); // an overwrite is a new value (Redis's fresh object)
  h.run("RPUSH", "l", "b");
  assert.equal(h.run("GET", "r"), "v");
  assert.deepEqual(["s", "l", "r"].map((k) => h.run("OBJECT", "IDLETIME", k)), [0, 0, 0]);
  h.clock.nowMs += 3_000;
  h.run("OBJECT", "ENCODING", "s");
  h.run("TYPE", "l");
  h.run("EXISTS", "s", "l");
  h.run("TTL", "s");
  h.run("PEXPIRETIME", "l");
  assert.deepEqual(["s", "l"].map((k) => h.run("OBJECT", "IDLETIME", k)), [3, 3]);
  h.run("TOUCH", "s");
  assert.equal(h.run("OBJECT", "IDLETIME", "s"), 0);
  h.run("RENAME", "r", "r2");
  assert.equal(h.run("OBJECT", "IDLETIME", "r2"), 0);
});
