/** Store.setMaxmemory (CONFIG SET maxmemory / maxmemory-policy at run time) and volatile-lru. */
import assert from "node:assert/strict";
import { KEY_OVERHEAD_BYTES, LRU_OVERHEAD_BYTES } from "./keyspace.ts";
import { Harness } from "./test_util.ts";

const OOM = { err: "OOM command not allowed when used memory > 'maxmemory'." };

function fill(h: Harness, n: number, prefix = "k", ttl = false) {
  for (let i = 0; i < n; i++) {
    if (ttl) h.run("SET", `${prefix}${i}`, "x".repeat(100), "EX", "1000");
    else h.run("SET", `${prefix}${i}`, "x".repeat(100));
  }
}

Deno.test("setMaxmemory: a lower limit evicts on the next write, not at the call", () => {
  const h = new Harness();
  fill(h, 100);
  const used = h.store.stats.usedMemoryBytes;
  h.store.setMaxmemory(Math.floor(used / 2), "allkeys-random");
  assert.equal(h.store.stats.keys, 100, "nothing evicted by the call itself");
  assert.equal(h.store.stats.maxmemoryBytes, Math.floor(used / 2));
  assert.equal(h.store.stats.maxmemoryPolicy, "allkeys-random");
  assert.equal(h.run("SET", "new", "v"), "OK");
  assert.ok(h.store.stats.keys < 100);
  assert.ok(h.store.stats.evictedKeysTotal > 0);
  assert.ok(h.logs.some((argv) => argv[0] === "DEL"), "evictions are logged as DEL");
});

Deno.test("setMaxmemory: noeviction refuses denyoom writes, allows reads and DEL", () => {
  const h = new Harness();
  fill(h, 10);
  h.store.setMaxmemory(1, "noeviction");
  assert.deepEqual(h.run("SET", "x", "y"), OOM);
  assert.equal(h.run("GET", "k1"), "x".repeat(100));
  assert.equal(h.run("DEL", "k1"), 1);
  h.store.setMaxmemory(0);
  assert.equal(h.store.stats.maxmemoryPolicy, "noeviction", "policy kept when omitted");
  assert.equal(h.run("SET", "x", "y"), "OK");
});

Deno.test("setMaxmemory: access times are kept under every policy but LFU; LRU ones keep their order", () => {
  const h = new Harness();
  fill(h, 10);
  const used = h.store.stats.usedMemoryBytes;
  assert.equal(used, 10 * (KEY_OVERHEAD_BYTES + LRU_OVERHEAD_BYTES + 2 + 16 + 100));
  h.clock.nowMs += 5_000;
  assert.equal(h.run("OBJECT", "IDLETIME", "k2"), 5, "noeviction without maxmemory: tracked");
  assert.equal(h.run("GET", "k0"), "x".repeat(100));
  assert.equal(h.run("OBJECT", "IDLETIME", "k0"), 0, "a read is an access");
  h.store.setMaxmemory(1 << 30, "allkeys-lru", h.clock.nowMs);
  assert.equal(h.store.stats.usedMemoryBytes, used, "the same entries, now in access order");
  assert.equal(h.run("OBJECT", "IDLETIME", "k2"), 5, "kept across the switch");
  // The switch sorted the Map by access time (ties in their order): k0, stored first but read
  // last, is no longer the first to go; k1 is.
  h.store.setMaxmemory(used - 1, "allkeys-lru");
  assert.equal(h.run("SET", "new", "y"), "OK");
  assert.equal(h.store.stats.evictedKeysTotal, 1);
  assert.equal(h.run("EXISTS", "k1"), 0);
  assert.equal(h.run("EXISTS", "k0"), 1);
  h.store.setMaxmemory(1 << 30, "volatile-ttl");
  assert.equal(h.run("OBJECT", "IDLETIME", "k0"), 0, "tracked under a non-LRU policy too");
  const kept = h.store.stats.usedMemoryBytes;
  h.store.setMaxmemory(0, "allkeys-lfu", h.clock.nowMs);
  assert.equal(h.store.stats.usedMemoryBytes, kept, "LFU counters take the access times' place");
  assert.match(String((h.run("OBJECT", "IDLETIME", "k0") as { err: string }).err), /LFU/);
  h.clock.nowMs += 7_000;
  h.store.setMaxmemory(0, "noeviction", h.clock.nowMs);
  assert.equal(h.store.stats.usedMemoryBytes, kept);
  assert.equal(
    h.run("OBJECT", "IDLETIME", "k2"),
    0,
    "back from LFU: every key counts as accessed now",
  );
  assert.throws(() => h.store.setMaxmemory(-1), RangeError);
  assert.throws(() => h.store.setMaxmemory(1.5), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => h.store.setMaxmemory(0, "allkeys-lfx" as any), RangeError);
});

Deno.test("LFU policies: OBJECT FREQ counts accesses logarithmically, decays by the minute", () => {
  const h = new Harness();
  fill(h, 3);
  assert.match(String((h.run("OBJECT", "FREQ", "k0") as { err: string }).err), /not selected/);
  // Tracked under an LFU policy whatever maxmemory, as in Redis; the present keys count as new.
  h.store.setMaxmemory(0, "allkeys-lfu", h.clock.nowMs);
  assert.equal(h.run("OBJECT", "FREQ", "k0"), 5);
  assert.match(String((h.run("OBJECT", "IDLETIME", "k0") as { err: string }).err), /LFU/);
  h.run("GET", "k0"); // from the initial 5 an access always counts
  assert.equal(h.run("OBJECT", "FREQ", "k0"), 6);
  for (let i = 0; i < 2000; i++) h.run("GET", "k1");
  const hot = h.run("OBJECT", "FREQ", "k1") as number;
  assert.ok(hot > 8 && hot < 30, `2000 accesses: ${hot}`); // logarithmic (lfu-log-factor 10)
  h.run("SET", "fresh", "v");
  assert.equal(h.run("OBJECT", "FREQ", "fresh"), 5);
  h.clock.nowMs += 3 * 60_000; // lfu-decay-time 1: one off per minute
  assert.equal(h.run("OBJECT", "FREQ", "k1"), hot - 3);
  assert.equal(h.run("OBJECT", "FREQ", "fresh"), 2);
  h.store.lfuSettings.decayTimeMinutes = 0; // 0: no decay
  h.clock.nowMs += 60 * 60_000;
  assert.equal(h.run("OBJECT", "FREQ", "fresh"), 5);
  h.store.setMaxmemory(0, "noeviction");
  assert.match(String((h.run("OBJECT", "FREQ", "k1") as { err: string }).err), /not selected/);
  assert.equal(h.store.stats.usedMemoryBytes, usedWithout(h));
});

Deno.test("allkeys-lfu evicts rarely used keys and keeps the hot ones; volatile-lfu only TTL keys", () => {
  const h = new Harness();
  fill(h, 200, "hot");
  fill(h, 200, "cold");
  h.store.setMaxmemory(1 << 30, "allkeys-lfu", h.clock.nowMs);
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 200; i++) h.run("GET", `hot${i}`);
  }
  const used = h.store.stats.usedMemoryBytes;
  h.store.setMaxmemory(Math.floor(used * 0.6), "allkeys-lfu");
  h.run("SET", "trigger", "v");
  let hotLeft = 0;
  let coldLeft = 0;
  for (let i = 0; i < 200; i++) {
    if (h.run("EXISTS", `hot${i}`) === 1) hotLeft++;
    if (h.run("EXISTS", `cold${i}`) === 1) coldLeft++;
  }
  assert.ok(h.store.stats.evictedKeysTotal >= 150, `evicted ${h.store.stats.evictedKeysTotal}`);
  assert.ok(hotLeft >= 190, `hot keys left: ${hotLeft}`);
  assert.ok(coldLeft <= 50, `cold keys left: ${coldLeft}`);

  const v = new Harness();
  fill(v, 100, "keep");
  fill(v, 100, "ttl", true);
  v.store.setMaxmemory(1 << 30, "volatile-lfu", v.clock.nowMs);
  v.store.setMaxmemory(Math.floor(v.store.stats.usedMemoryBytes * 0.7), "volatile-lfu");
  v.run("SET", "trigger", "v");
  for (let i = 0; i < 100; i++) assert.equal(v.run("EXISTS", `keep${i}`), 1);
  assert.ok(v.store.stats.evictedKeysTotal > 0);
});

/** usedMemoryBytes of a fresh store (no LRU bookkeeping) holding the same keys. */
function usedWithout(h: Harness): number {
  const fresh = new Harness();
  for (const key of h.run("KEYS", "*") as string[]) {
    const dump = h.store.dumpValue(key);
    if (dump !== null) fresh.store.restoreValue(key, dump, h.store.expireAtMs(key));
  }
  return fresh.store.stats.usedMemoryBytes;
}

Deno.test("allkeys-lru at run time: evicts least recently used first", () => {
  const h = new Harness();
  fill(h, 20);
  h.store.setMaxmemory(1 << 30, "allkeys-lru");
  for (let i = 10; i < 20; i++) h.run("GET", `k${i}`); // k10..k19 now most recent
  h.store.setMaxmemory(h.store.stats.usedMemoryBytes - 1);
  h.run("SET", "k0", "x".repeat(100)); // an overwrite: needs room for nothing more
  for (let i = 10; i < 20; i++) assert.equal(h.run("EXISTS", `k${i}`), 1, `k${i} kept`);
});

Deno.test("volatile-lru: evicts only keys with a TTL, least recently used first", () => {
  const h = new Harness();
  fill(h, 10, "p"); // persistent
  fill(h, 10, "v", true); // volatile
  h.store.setMaxmemory(1 << 30, "volatile-lru");
  for (let i = 5; i < 10; i++) h.run("GET", `v${i}`);
  const perKey = h.store.stats.usedMemoryBytes / 20;
  h.store.setMaxmemory(Math.floor(h.store.stats.usedMemoryBytes - 3 * perKey));
  h.run("SET", "p0", "x".repeat(100));
  for (let i = 0; i < 10; i++) assert.equal(h.run("EXISTS", `p${i}`), 1, `p${i} has no TTL`);
  for (let i = 5; i < 10; i++) assert.equal(h.run("EXISTS", `v${i}`), 1, `v${i} was read`);
  assert.ok((h.run("DBSIZE") as number) < 20);
  // Only persistent keys left to pick from: like Redis, the write is refused.
  for (let i = 0; i < 10; i++) h.run("DEL", `v${i}`);
  h.store.setMaxmemory(1);
  assert.deepEqual(h.run("SET", "q", "v"), OOM);
  assert.equal(h.run("DBSIZE"), 10);
});

Deno.test("RESTORE FREQ sets the LFU counter, IDLETIME the LRU access time, where kept", () => {
  const h = new Harness();
  h.run("SET", "src", "v");
  const payload = h.run("DUMP", "src") as string;
  h.store.setMaxmemory(1 << 30, "allkeys-lfu", h.clock.nowMs);
  assert.equal(h.run("RESTORE", "f", "0", payload, "FREQ", "100"), "OK");
  assert.equal(h.run("OBJECT", "FREQ", "f"), 100);
  h.store.setMaxmemory(1 << 30, "allkeys-lru", h.clock.nowMs);
  assert.equal(h.run("RESTORE", "i", "0", payload, "IDLETIME", "50"), "OK");
  assert.equal(h.run("OBJECT", "IDLETIME", "i"), 50);
  // Without the bookkeeping they are checked, then ignored.
  h.store.setMaxmemory(0, "noeviction");
  assert.equal(h.run("RESTORE", "n", "0", payload, "FREQ", "7"), "OK");
  assert.deepEqual(h.run("RESTORE", "m", "0", payload, "FREQ", "256"), {
    err: "ERR Invalid FREQ value, must be >= 0 and <= 255",
  });
});

Deno.test("heapFull: denyoom writes answer OOM whatever the policy; reads, DEL and replay go on", () => {
  const h = new Harness({ maxmemoryPolicy: "allkeys-lru" });
  fill(h, 10);
  h.store.heapFull = true;
  assert.deepEqual(h.run("SET", "x", "y"), OOM);
  assert.deepEqual(h.run("APPEND", "k1", "more"), OOM);
  assert.equal(h.store.stats.keys, 10, "no eviction: it frees no known amount of heap");
  assert.equal(h.store.outOfMemory(), true, "what MULTI checks before queueing");
  assert.equal(h.run("GET", "k1"), "x".repeat(100));
  assert.equal(h.run("DEL", "k1"), 1);
  h.clock.replaying = true; // a log being loaded holds only what ran: never refused
  assert.equal(h.run("SET", "replayed", "v"), "OK");
  h.clock.replaying = false;
  h.store.heapFull = false;
  assert.equal(h.run("SET", "x", "y"), "OK");
});
