import assert from "node:assert/strict";
import { Harness, randomCommands, stateOf } from "./test_util.ts";

Deno.test("random commands with a moving clock: the log replays to the same state", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const h = new Harness();
    const next = randomCommands(seed);
    for (let i = 0; i < 3000; i++) {
      h.exec(...next());
      h.clock.nowMs += Math.floor(h.clock.random() * 400);
      if (i % 50 === 0) h.logs.push(...h.store.activeExpireCycle(h.clock).log);
    }
    const expected = stateOf(h.store);
    // Any clock: far in the future, or before the run. TTLs are absolute and never extended.
    for (const nowMs of [h.clock.nowMs + 86_400_000, 0]) {
      const replayed = h.replay(nowMs);
      assert.deepEqual(stateOf(replayed.store), expected, `seed ${seed}`);
      assert.equal(
        replayed.store.stats.usedMemoryBytes,
        h.store.stats.usedMemoryBytes,
        `SEED=${seed}`,
      );
    }
  }
});

Deno.test("random writes during a snapshot view: the view equals the state at open", () => {
  for (const seed of [11, 12, 13]) {
    const h = new Harness();
    const next = randomCommands(seed);
    for (let i = 0; i < 500; i++) h.exec(...next());
    for (let i = 0; i < 300; i++) h.run("SET", `bulk${i}`, "v");
    const expected = stateOf(h.store);
    const view = h.store.snapshotView();
    const got: [string, string | null, number | null][] = [];
    for (let e = view.next(); e !== null; e = view.next()) {
      got.push([e.key, e.payload, e.expireAtMs]);
      for (let j = 0; j < 3; j++) h.exec(...next());
      h.run("DEL", `bulk${got.length}`);
      h.clock.nowMs += 100;
    }
    got.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    assert.deepEqual(got, expected, `SEED=${seed}`);
  }
});

Deno.test("SCAN terminates and covers every key under allkeys-lru", () => {
  const h = new Harness({ maxmemoryBytes: 100_000_000, maxmemoryPolicy: "allkeys-lru" });
  for (let i = 0; i < 1000; i++) h.run("SET", `k${i}`, "v");
  const seen = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const [next, keys] = h.run("SCAN", cursor, "COUNT", "100") as [string, string[]];
    for (const k of keys) {
      seen.add(k);
      h.run("GET", k); // reads reorder keys in LRU order while the scan runs
    }
    cursor = next;
    calls++;
  } while (cursor !== "0" && calls < 100);
  assert.equal(cursor, "0");
  assert.equal(seen.size, 1000);
});
