import assert from "node:assert/strict";
import { Harness, stateOf } from "./test_util.ts";

Deno.test("reloadValues (DEBUG RELOAD): same data, encodings start over, expired keys dropped", () => {
  const h = new Harness();
  h.run("SADD", "ints", ...Array.from({ length: 600 }, (_, i) => String(i)));
  h.run("SREM", "ints", ...Array.from({ length: 595 }, (_, i) => String(i + 5)));
  assert.equal(h.run("OBJECT", "ENCODING", "ints"), "hashtable");
  h.run("SET", "ttl", "v", "EX", "100");
  h.run("SET", "gone", "v", "PX", "1");
  h.clock.nowMs += 10;
  const before = stateOf(h.store).filter(([key]) => key !== "gone");
  const logged = h.logs.length;
  assert.equal(h.store.reloadValues(h.clock.nowMs), 2);
  assert.deepEqual(stateOf(h.store), before);
  assert.equal(h.run("OBJECT", "ENCODING", "ints"), "intset");
  assert.equal(h.run("TTL", "ttl"), 100);
  assert.equal(h.logs.length, logged); // nothing logged: the data did not change
});

Deno.test("reloadValues keeps access times (and their order) under an LRU policy only", () => {
  for (const [policy, kept] of [["allkeys-lru", true], ["noeviction", false]] as const) {
    const h = new Harness({
      maxmemoryPolicy: policy,
      maxmemoryBytes: policy === "noeviction" ? 0 : 1 << 30,
    });
    h.run("SET", "a", "1");
    h.clock.nowMs += 5000;
    h.run("SET", "b", "2");
    h.clock.nowMs += 5000;
    h.run("GET", "a");
    h.clock.nowMs += 3000;
    h.store.reloadValues(h.clock.nowMs);
    const idle = [h.run("OBJECT", "IDLETIME", "a"), h.run("OBJECT", "IDLETIME", "b")];
    assert.deepEqual(idle, kept ? [3, 8] : [0, 0], policy);
    if (kept) {
      // The order survives too: exact LRU evicts b, the key used longest ago, first.
      h.store.setMaxmemory(h.store.stats.usedMemoryBytes - 1, "allkeys-lru");
      h.store.evictToMaxmemory(h.clock);
      assert.deepEqual([h.run("EXISTS", "a"), h.run("EXISTS", "b")], [1, 0]);
    }
  }
});
