import assert from "node:assert/strict";
import {
  COLLECTION_OVERHEAD_BYTES,
  EXPIRE_OVERHEAD_BYTES,
  KEY_OVERHEAD_BYTES,
  LRU_OVERHEAD_BYTES,
  type ProcessMemory,
} from "./keyspace.ts";
import { Harness, randomCommands } from "./test_util.ts";

const STRING = 16; // STRING_OVERHEAD_BYTES
/** Every key's entry, with its access time (OBJECT IDLETIME). */
const KEY = KEY_OVERHEAD_BYTES + LRU_OVERHEAD_BYTES;
const NOT_INT = { err: "ERR value is not an integer or out of range" };
const SYNTAX = { err: "ERR syntax error" };

function usage(h: Harness, ...args: string[]): number {
  const r = h.exec("MEMORY", "USAGE", ...args);
  assert.equal(r.log, null);
  assert.equal(r.reply.kind, "integer");
  return Number((r.reply as { value: number }).value);
}

Deno.test("MEMORY USAGE: the store's estimate of key + value (+ TTL); nil for a missing key", () => {
  const h = new Harness();
  assert.equal(h.run("MEMORY", "USAGE", "nokey"), null);
  assert.equal(h.exec("MEMORY", "USAGE", "nokey").reply.kind, "nil"); // RESP2 $-1, RESP3 _
  h.run("SET", "k", "v");
  assert.equal(usage(h, "k"), KEY + 1 + STRING + 1);
  h.run("SET", "k", "x".repeat(1000));
  assert.equal(usage(h, "k"), KEY + 1 + STRING + 1000);
  h.run("SET", "longer-key", "x".repeat(1000));
  assert.equal(usage(h, "longer-key") - usage(h, "k"), "longer-key".length - 1);
  h.run("EXPIRE", "k", "100");
  assert.equal(usage(h, "k"), KEY + 1 + STRING + 1000 + EXPIRE_OVERHEAD_BYTES);
  // Collections grow with their elements.
  h.run("HSET", "h", "f", "v");
  const small = usage(h, "h");
  assert.equal(small, KEY + 1 + COLLECTION_OVERHEAD_BYTES + 64 + 2);
  h.run("HSET", "h", "g", "y".repeat(500));
  assert.equal(usage(h, "h"), small + 64 + 1 + 500);
  for (const [cmd, key] of [["SADD", "s"], ["RPUSH", "l"], ["ZADD", "z"]]) {
    const args = cmd === "ZADD" ? ["1", "m"] : ["m"];
    h.run(cmd, key, ...args);
    const one = usage(h, key);
    h.run(cmd, key, ...(cmd === "ZADD" ? ["2", "n".repeat(300)] : ["n".repeat(300)]));
    assert.ok(usage(h, key) > one + 300, cmd);
  }
});

Deno.test("MEMORY USAGE over every key with SAMPLES 0 sums to stats.usedMemoryBytes", () => {
  for (
    const options of [{}, { maxmemoryBytes: 1 << 30, maxmemoryPolicy: "allkeys-lru" as const }]
  ) {
    const h = new Harness(options);
    const next = randomCommands(7);
    for (let i = 0; i < 2000; i++) h.exec(...next());
    // The clock does not move, so no key is past its deadline: KEYS lists every stored key.
    const keys = h.run("KEYS", "*") as string[];
    assert.ok(keys.length > 0);
    let sum = 0;
    for (const key of keys) sum += usage(h, key, "SAMPLES", "0");
    assert.equal(sum, h.store.stats.usedMemoryBytes);
  }
});

Deno.test("MEMORY USAGE SAMPLES: collections are estimated from their first `count` elements", () => {
  const h = new Harness();
  const big = "x".repeat(101);
  h.run("RPUSH", "l", "a", "a", "a", "a", "a", big, big, big, big, big);
  const head = KEY + 1 + COLLECTION_OVERHEAD_BYTES;
  const small = 24 + 1; // LIST_ELEMENT_OVERHEAD_BYTES + element
  const large = 24 + 101;
  const exact = head + 5 * small + 5 * large;
  assert.equal(usage(h, "l"), head + small * 10); // default: the first 5
  assert.equal(usage(h, "l", "SAMPLES", "5"), head + small * 10);
  assert.equal(usage(h, "l", "samples", "1"), head + small * 10);
  assert.equal(usage(h, "l", "SAMPLES", "6"), head + Math.floor(((5 * small + large) / 6) * 10));
  assert.equal(usage(h, "l", "SAMPLES", "10"), exact);
  assert.equal(usage(h, "l", "SAMPLES", "0"), exact); // 0 = all
  assert.equal(usage(h, "l", "SAMPLES", "1000000"), exact);
  assert.equal(usage(h, "l", "SAMPLES", "9223372036854775807"), exact);
  assert.equal(usage(h, "l", "SAMPLES", "2", "SAMPLES", "0"), exact); // the last one wins

  // Hashes and sets sample in insertion order; sorted sets from the lowest score (skip list).
  h.run("HSET", "h", "f1", "v", "f2", "v", "f3", big, "f4", big);
  assert.equal(usage(h, "h", "SAMPLES", "2"), head + (64 + 3) * 4);
  assert.equal(usage(h, "h", "SAMPLES", "0"), head + (64 + 3) * 2 + (64 + 2 + 101) * 2);
  h.run("SADD", "s", "a", "b", big);
  assert.equal(usage(h, "s", "SAMPLES", "1"), head + (40 + 1) * 3);
  assert.equal(usage(h, "s", "SAMPLES", "0"), head + (40 + 1) * 2 + 40 + 101);
  h.run("ZADD", "z", "3", "a", "2", "b", "1", big);
  assert.equal(usage(h, "z", "SAMPLES", "1"), head + (128 + 101) * 3);
  assert.equal(usage(h, "z", "SAMPLES", "0"), head + (128 + 1) * 2 + 128 + 101);
  // Strings are never sampled.
  h.run("SET", "str", big);
  assert.equal(usage(h, "str", "SAMPLES", "1"), KEY + 3 + STRING + 101);
});

Deno.test("MEMORY USAGE argument errors (as redis-server 7.0)", () => {
  const h = new Harness();
  h.run("SET", "k", "v");
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES"), SYNTAX);
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "x"), NOT_INT);
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "99999999999999999999"), NOT_INT);
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "-1"), SYNTAX);
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "BOGUS"), SYNTAX);
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "k"), SYNTAX);
  // Options are checked before the key is looked up.
  assert.deepEqual(h.run("MEMORY", "USAGE", "nokey", "SAMPLES", "x"), NOT_INT);
  assert.deepEqual(h.run("MEMORY", "USAGE"), {
    err: "ERR wrong number of arguments for 'memory|usage' command",
  });
});

Deno.test("MEMORY USAGE neither expires the key nor touches its LRU position (as Redis)", () => {
  const h = new Harness();
  h.run("SET", "e", "v", "PX", "10");
  h.clock.nowMs += 20;
  assert.equal(usage(h, "e"), KEY + 1 + STRING + 1 + EXPIRE_OVERHEAD_BYTES);
  assert.equal(h.run("DBSIZE"), 1);
  assert.deepEqual(h.exec("GET", "e").log, [["DEL", "e"]]);
  assert.equal(h.run("MEMORY", "USAGE", "e"), null);

  // allkeys-lru: each key costs 56 + 28 + 1 + 16 + 1 = 102 bytes; with 4 keys (408 > 350) the
  // next write first evicts the least recently used one.
  const evictedAfter = (touch: string[]) => {
    const lru = new Harness({ maxmemoryBytes: 350, maxmemoryPolicy: "allkeys-lru" });
    for (const k of ["a", "b", "c", "d"]) lru.run("SET", k, "v");
    lru.run(...touch);
    lru.run("SET", "e", "v");
    return ["a", "b", "c", "d", "e"].filter((k) => lru.run("EXISTS", k) === 0);
  };
  assert.deepEqual(evictedAfter(["GET", "a"]), ["b"]);
  assert.deepEqual(evictedAfter(["MEMORY", "USAGE", "a"]), ["a"]);
});

/** A store whose MEMORY reads `mem` (change its fields to move the process's numbers). */
function harnessReading(mem: ProcessMemory, baseMemoryBytes = 0): Harness {
  return new Harness({ processMemory: () => ({ ...mem }), baseMemoryBytes });
}

Deno.test("MEMORY STATS: a map of Redis's fields, used memory as ATLAS accounts it, V8's heap as the allocator's", () => {
  const mem = { rss: 30_000_000, heapTotal: 12_000_000, heapUsed: 8_000_000, external: 2_000_000 };
  const BASE = 1_000_000;
  const h = harnessReading(mem, BASE);
  const empty = h.exec("MEMORY", "STATS");
  assert.equal(empty.reply.kind, "map");
  assert.equal(empty.log, null);
  const head = (peak: number, total: number) => [
    ["peak.allocated", peak],
    ["total.allocated", total],
    ["startup.allocated", BASE],
    ["replication.backlog", 0],
    ["clients.slaves", 0],
    ["clients.normal", 0],
    ["cluster.links", 0],
    ["aof.buffer", 0],
    ["lua.caches", 0],
    ["functions.caches", 0],
  ];
  // No data: used memory is the base; the allocator's figures are V8's (heapUsed + external =
  // 10 MB, heapTotal + external = 14 MB, rss 30 MB).
  assert.deepEqual(h.run("MEMORY", "stats"), [
    ...head(BASE, BASE),
    ["overhead.total", BASE],
    ["keys.count", 0],
    ["keys.bytes-per-key", 0],
    ["dataset.bytes", 0],
    ["dataset.percentage", 0],
    ["peak.percentage", 100],
    ["allocator.allocated", 10_000_000],
    ["allocator.active", 14_000_000],
    ["allocator.resident", 30_000_000],
    ["allocator-fragmentation.ratio", 1.4],
    ["allocator-fragmentation.bytes", 4_000_000],
    ["allocator-rss.ratio", 30 / 14],
    ["allocator-rss.bytes", 16_000_000],
    ["rss-overhead.ratio", 1],
    ["rss-overhead.bytes", 0],
    ["fragmentation", 30],
    ["fragmentation.bytes", 29_000_000],
  ]);
  h.run("SET", "k", "v");
  h.run("SET", "t", "v", "EX", "100");
  mem.heapUsed = 4_000_000; // V8's figures move on their own (a collection ran)
  const dataset = h.store.stats.usedMemoryBytes;
  assert.equal(dataset, 2 * (KEY + 1 + STRING + 1) + EXPIRE_OVERHEAD_BYTES);
  const stats = h.exec("MEMORY", "STATS").reply;
  assert.equal(stats.kind, "map");
  const kinds = stats.kind === "map" ? stats.value.map(([, v]) => v.kind) : [];
  assert.deepEqual(kinds, [
    ...Array(10).fill("integer"),
    "map",
    ...Array(4).fill("integer"),
    "double",
    "double",
    ...Array(3).fill("integer"),
    "double",
    "integer",
    "double",
    "integer",
    "double",
    "integer",
    "double",
    "integer",
  ]);
  const total = BASE + dataset;
  assert.deepEqual(h.run("MEMORY", "STATS"), [
    ...head(total, total),
    ["db.0", [
      ["overhead.hashtable.main", 2 * KEY],
      ["overhead.hashtable.expires", EXPIRE_OVERHEAD_BYTES],
      ["overhead.hashtable.slot-to-keys", 0],
    ]],
    ["overhead.total", BASE],
    ["keys.count", 2],
    ["keys.bytes-per-key", Math.floor(dataset / 2)],
    ["dataset.bytes", dataset],
    ["dataset.percentage", 100],
    ["peak.percentage", 100],
    ["allocator.allocated", 6_000_000],
    ["allocator.active", 14_000_000],
    ["allocator.resident", 30_000_000],
    ["allocator-fragmentation.ratio", 14 / 6],
    ["allocator-fragmentation.bytes", 8_000_000],
    ["allocator-rss.ratio", 30 / 14],
    ["allocator-rss.bytes", 16_000_000],
    ["rss-overhead.ratio", 1],
    ["rss-overhead.bytes", 0],
    ["fragmentation", 30_000_000 / total],
    ["fragmentation.bytes", 30_000_000 - total],
  ]);
  // The peak stays when the data shrinks.
  h.run("DEL", "t");
  const afterDel = new Map(h.run("MEMORY", "STATS") as [string, unknown][]);
  assert.equal(afterDel.get("peak.allocated"), total);
  assert.equal(afterDel.get("total.allocated"), BASE + h.store.stats.usedMemoryBytes);
  assert.ok((afterDel.get("peak.percentage") as number) < 100);

  // With the server's figures (INFO memory's): its used memory, startup, peak, clients' bytes
  // and script caches.
  h.store.setServerMemory(() => ({
    usedBytes: 6_000_000,
    startupBytes: 2_000_000,
    peakBytes: 12_000_000,
    clientsNormalBytes: 777,
    evalScriptsBytes: 300,
    functionsBytes: 400,
  }));
  const withServer = new Map(h.run("MEMORY", "STATS") as [string, unknown][]);
  const left = h.store.stats.usedMemoryBytes;
  assert.equal(withServer.get("total.allocated"), 6_000_000);
  assert.equal(withServer.get("startup.allocated"), 2_000_000);
  assert.equal(withServer.get("peak.allocated"), 12_000_000);
  assert.equal(withServer.get("clients.normal"), 777);
  assert.equal(withServer.get("lua.caches"), 300);
  assert.equal(withServer.get("functions.caches"), 400);
  assert.equal(withServer.get("peak.percentage"), 50);
  assert.equal(withServer.get("keys.bytes-per-key"), 4_000_000); // (6 MB - startup) / 1 key
  assert.equal(withServer.get("dataset.percentage"), (left * 100) / 4_000_000);
  assert.equal(withServer.get("overhead.total"), 6_000_000 - left);
  assert.equal(withServer.get("fragmentation"), 5);
  assert.equal(withServer.get("allocator.allocated"), 6_000_000);

  // With the real Deno.memoryUsage(): plausible numbers.
  const real = new Harness({ processMemory: () => Deno.memoryUsage() });
  real.run("SET", "k", "v");
  const figures = new Map(real.run("MEMORY", "STATS") as [string, number][]);
  assert.equal(figures.get("total.allocated"), real.store.stats.usedMemoryBytes);
  assert.ok(figures.get("allocator.allocated")! > 0);
  assert.ok(figures.get("peak.allocated")! >= figures.get("total.allocated")!);
  assert.equal(figures.get("keys.count"), 1);
  assert.equal(figures.get("dataset.bytes"), real.store.stats.usedMemoryBytes);
});

Deno.test("MEMORY DOCTOR: ATLAS's texts; too little data below 5 MiB, peak above 150%", () => {
  const mem = { rss: 90_000_000, heapTotal: 40_000_000, heapUsed: 30_000_000, external: 0 };
  {
    const h = harnessReading(mem);
    const r = h.exec("MEMORY", "DOCTOR");
    assert.equal(r.log, null);
    assert.equal(
      r.reply.kind === "bulk" ? r.reply.value : "",
      "The data set holds under 5 MiB, too little for this check to judge. Run MEMORY DOCTOR " +
        "again once more data is loaded.\n",
    );
    h.run("SET", "big", "x".repeat(5 * 1024 * 1024));
    const fine = "No memory problem found (this check sees only the process's heap figures).\n";
    assert.equal(h.run("MEMORY", "DOCTOR"), fine);
    mem.heapUsed = 19_000_000; // the peak (30 MB) is 158% of this: above 150%
    assert.equal(
      h.run("MEMORY", "DOCTOR"),
      "Memory check found a problem:\n\n * Peak memory: the process once used more than 150% of " +
        "the memory it uses now. The heap seldom gives all of it back, so RSS can stay high; the " +
        "memory is reused as data grows. If the peak was a one-off and the memory must be " +
        "returned, restart the server.\n",
    );
    mem.heapUsed = 21_000_000; // the peak stays: 143%
    assert.equal(h.run("MEMORY", "DOCTOR"), fine);
  }
});

Deno.test("MEMORY MALLOC-STATS, PURGE, HELP and subcommand errors", () => {
  const h = new Harness({ processMemory: () => Deno.memoryUsage() });
  const stats = h.run("MEMORY", "MALLOC-STATS") as string;
  assert.match(
    stats,
    /^___ Begin V8 heap statistics ___\nrss: \d+\nheap_total: \d+\nheap_used: \d+\n/,
  );
  assert.equal(h.run("MEMORY", "PURGE"), "OK");
  assert.equal(h.exec("MEMORY", "PURGE").log, null);
  const help = h.exec("memory", "help").reply;
  assert.equal(help.kind, "array");
  assert.ok(help.kind === "array" && help.value.every((r) => r.kind === "simple"));
  assert.deepEqual(h.run("MEMORY", "HELP"), [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    A short plain-text check of the process's memory: it flags a past peak well",
    "    above what is used now, and does not judge under 5 MiB of data.",
    "MALLOC-STATS",
    "    The V8 heap figures as text: rss, heap_total, heap_used, external, allocated",
    "    (heap_used + external) and peak_allocated (the highest allocated seen).",
    "PURGE",
    "    Replies OK and does nothing: V8 gives unused memory back by itself.",
    "STATS",
    "    The server's memory figures as name/value pairs: peak and current allocation,",
    "    overheads, key count, data set size and fragmentation.",
    "USAGE <key> [SAMPLES <count>]",
    "    An estimate of the bytes <key> and its value take (nil if no such key). A",
    "    collection of more than <count> elements (default 5; 0: no limit) is estimated",
    "    from its first <count>.",
    "HELP",
    "    Prints this help.",
  ]);
  assert.deepEqual(h.run("MEMORY"), { err: "ERR wrong number of arguments for 'memory' command" });
  assert.deepEqual(h.run("MEMORY", "FOO"), {
    err: "ERR unknown subcommand 'FOO'. Try MEMORY HELP.",
  });
  assert.deepEqual(h.run("memory", "Foo", "bar"), {
    err: "ERR unknown subcommand 'Foo'. Try MEMORY HELP.",
  });
  assert.deepEqual(h.run("MEMORY", "a\r\nb"), {
    err: "ERR unknown subcommand 'a  b'. Try MEMORY HELP.",
  });
  for (const sub of ["stats", "doctor", "purge", "help", "malloc-stats"]) {
    assert.deepEqual(h.run("MEMORY", sub.toUpperCase(), "x"), {
      err: `ERR wrong number of arguments for 'memory|${sub}' command`,
    });
  }
  const spec = h.store.commands.get("memory");
  assert.equal(spec?.flags.includes("readonly"), true);
  assert.equal(spec?.flags.includes("write"), false);
});
