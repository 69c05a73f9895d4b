/** Store.setMaxmemory (CONFIG SET maxmemory / maxmemory-policy at run time) and volatile-lru. */
import assert from "node:assert/strict";
import { LRU_OVERHEAD_BYTES } from "./keyspace.ts";
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

Deno.test("setMaxmemory: LRU bookkeeping follows the policy on a non-empty keyspace", () => {
  const h = new Harness();
  fill(h, 10);
  const used = h.store.stats.usedMemoryBytes;
  h.store.setMaxmemory(1 << 30, "allkeys-lru", h.clock.nowMs);
  assert.equal(h.store.stats.usedMemoryBytes, used + 10 * LRU_OVERHEAD_BYTES);
  assert.equal(h.run("OBJECT", "IDLETIME", "k1"), 0);
  h.run("SET", "k10", "v");
  h.store.setMaxmemory(1 << 30, "volatile-lru");
  assert.equal(h.run("OBJECT", "IDLETIME", "k10"), 0, "tracking kept across LRU policies");
  h.store.setMaxmemory(1 << 30, "volatile-ttl");
  assert.equal(h.store.stats.usedMemoryBytes, usedWithout(h));
  assert.match(String((h.run("OBJECT", "IDLETIME", "k1") as { err: string }).err), /idle time/);
  h.store.setMaxmemory(0, "allkeys-lru"); // no limit: no bookkeeping either
  assert.match(String((h.run("OBJECT", "IDLETIME", "k1") as { err: string }).err), /idle time/);
  assert.throws(() => h.store.setMaxmemory(-1), RangeError);
  assert.throws(() => h.store.setMaxmemory(1.5), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => h.store.setMaxmemory(0, "allkeys-lfu" as any), RangeError);
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
