import assert from "node:assert/strict";
import { command } from "./command_table.ts";
import type { ExecResult, Store } from "./store.ts";
import type { ExecContext } from "./keyspace.ts";
import { Harness, plain, stateOf } from "./test_util.ts";

Deno.test("command table: metadata for COMMAND, WATCH and routing", () => {
  const h = new Harness();
  const set = h.store.commands.get("set");
  assert.ok(set);
  assert.equal(set.arity, -3);
  assert.deepEqual([set.firstKey, set.lastKey, set.step], [1, 1, 1]);
  assert.ok(set.flags.includes("write") && set.flags.includes("denyoom"));
  assert.equal(set.group, "string");
  assert.ok(h.store.commands.get("get")?.flags.includes("readonly"));
  assert.deepEqual(h.store.commands.get("mset")?.step, 2);
  assert.ok(h.store.commands.size >= 110);
  for (const spec of h.store.commands.values()) {
    assert.equal(spec.name, spec.name.toLowerCase());
    // PFSELFTEST is flagged admin only, as in Redis: it reads and writes no key.
    const readsOrWrites = spec.flags.includes("write") !== spec.flags.includes("readonly");
    assert.ok(readsOrWrites || spec.name === "pfselftest", spec.name);
  }
});

Deno.test("noeviction: denyoom writes answer OOM, deletes still work", () => {
  const h = new Harness({ maxmemoryBytes: 2000 });
  let i = 0;
  while (plain(h.exec("SET", `k${i}`, "x".repeat(50)).reply) === "OK") i++;
  assert.ok(i > 5 && i < 40);
  assert.deepEqual(h.run("SET", "more", "x"), {
    err: "OOM command not allowed when used memory > 'maxmemory'.",
  });
  assert.equal(h.run("GET", "k0"), "x".repeat(50));
  assert.equal(h.run("DEL", "k0"), 1);
  assert.equal(h.run("SET", "more", "x"), "OK");
});

Deno.test("allkeys-lru evicts the least recently used keys, logged as DEL", () => {
  const h = new Harness({ maxmemoryBytes: 4000, maxmemoryPolicy: "allkeys-lru" });
  for (let i = 0; i < 20; i++) h.run("SET", `k${i}`, "x".repeat(50));
  const heard: (string | null)[] = [];
  h.store.setModificationListener((k) => heard.push(k));
  h.run("GET", "k0"); // k0 becomes the most recent
  h.logs.length = 0;
  for (let i = 20; i < 40; i++) h.run("SET", `k${i}`, "x".repeat(50));
  assert.ok(h.store.stats.usedMemoryBytes <= 4000 + 200);
  assert.ok(h.store.stats.evictedKeysTotal > 0);
  assert.equal(h.run("EXISTS", "k0"), 1); // recently read: kept
  assert.equal(h.run("EXISTS", "k1"), 0); // oldest: evicted first
  const dels = h.logs.filter((f) => f[0] === "DEL").map((f) => f[1]);
  assert.equal(dels.length, h.store.stats.evictedKeysTotal);
  for (const k of dels) assert.ok(heard.includes(k));
  h.store.setModificationListener(null);
});

Deno.test("volatile-ttl evicts the nearest deadline first and never non-volatile keys", () => {
  const h = new Harness({ maxmemoryBytes: 3000, maxmemoryPolicy: "volatile-ttl" });
  h.run("SET", "keep", "x".repeat(100));
  for (let i = 0; i < 10; i++) h.run("SET", `t${i}`, "x".repeat(50), "EX", String(1000 + i));
  let oom = false;
  for (let i = 0; i < 40 && !oom; i++) {
    const r = plain(h.exec("SET", `p${i}`, "x".repeat(50)).reply);
    oom = typeof r === "object";
  }
  assert.equal(h.run("EXISTS", "keep"), 1);
  assert.equal(h.run("EXISTS", "t0"), 0); // nearest deadline went first
  assert.ok(oom); // once no volatile key is left, writes are refused
  assert.equal(h.store.stats.volatileKeys, 0);
});

Deno.test("replay never evicts and never lazily expires", () => {
  const h = new Harness();
  h.run("SET", "a", "1", "PX", "10");
  h.clock.nowMs += 100;
  h.run("SET", "b", "2");
  const r = h.replay(h.clock.nowMs + 1000, { maxmemoryBytes: 1 });
  assert.deepEqual(stateOf(r.store), stateOf(h.store));
});

Deno.test("active expiry removes expired keys in bounded cycles and logs DELs", () => {
  const h = new Harness();
  for (let i = 0; i < 1000; i++) h.run("SET", `e${i}`, "x", "PX", "10");
  for (let i = 0; i < 100; i++) h.run("SET", `live${i}`, "x", "EX", "100");
  h.clock.nowMs += 50;
  const first = h.store.activeExpireCycle(h.clock, { keysMax: 200 });
  assert.ok(first.expired > 0 && first.expired <= 200);
  assert.equal(first.log.length, first.expired);
  assert.ok(first.log.every((f) => f[0] === "DEL"));
  let total = first.expired;
  for (let i = 0; i < 50 && h.store.stats.volatileKeys > 100; i++) {
    total += h.store.activeExpireCycle(h.clock).expired;
  }
  assert.equal(total, 1000);
  assert.equal(h.store.stats.keys, 100);
  assert.equal(h.store.stats.expiredKeysTotal, 1000);
});

Deno.test("active expiry with a time budget asks it every 16 rounds and stops when it is up", () => {
  const h = new Harness();
  for (let i = 0; i < 5000; i++) h.run("SET", `e${i}`, "x", "PX", "10");
  h.clock.nowMs += 50;
  let asked = 0;
  const stopped = h.store.activeExpireCycle(h.clock, {
    keysMax: 1_000_000,
    timeUp: () => ++asked >= 2, // up at the second question
  });
  assert.equal(asked, 2);
  assert.equal(stopped.expired, 32 * 20); // 32 rounds of 20, every sampled key expired
  // Time to spare: one cycle takes the whole burst, past the 2,000-key default.
  const rest = h.store.activeExpireCycle(h.clock, { keysMax: 1_000_000, timeUp: () => false });
  assert.equal(rest.expired, 5000 - 640);
  assert.equal(h.store.stats.keys, 0);
});

Deno.test("dumpValue/restoreValue round-trip every type with binary data", () => {
  const h = new Harness();
  h.run("SET", "s", "\x00\xff\r\n");
  h.run("RPUSH", "l", "a", "\x00", "");
  h.run("SADD", "set", "x", "\xfe");
  h.run("HSET", "h", "f", "v", "\x01", "\x02");
  h.run("ZADD", "z", "1.5", "a", "-inf", "b", "1e300", "c");
  h.run("PEXPIRE", "l", "5000");
  const other = new Harness();
  for (const key of ["s", "l", "set", "h", "z"]) {
    const payload = h.store.dumpValue(key);
    assert.ok(payload !== null);
    other.store.restoreValue(key, payload, h.store.expireAtMs(key));
  }
  assert.deepEqual(stateOf(other.store), stateOf(h.store));
  assert.equal(other.store.stats.usedMemoryBytes, h.store.stats.usedMemoryBytes);
  assert.equal(h.store.dumpValue("missing"), null);
  assert.throws(() => other.store.restoreValue("x", "\x09abc", null), RangeError);
});

Deno.test("snapshotView is a consistent point-in-time image under concurrent writes", () => {
  const h = new Harness({ maxmemoryBytes: 10_000_000, maxmemoryPolicy: "allkeys-lru" });
  for (let i = 0; i < 500; i++) h.run("SET", `k${i}`, `v${i}`);
  h.run("RPUSH", "list", "a", "b");
  h.run("HSET", "hash", "f", "1");
  const expected = stateOf(h.store);
  const view = h.store.snapshotView();
  assert.equal(view.keysAtOpen, 502);
  const got: [string, string | null, number | null][] = [];
  let step = 0;
  for (let e = view.next(); e !== null; e = view.next()) {
    got.push([e.key, e.payload, e.expireAtMs]);
    // Writes while the view is open: changes, deletes, new keys, LRU reorders, TTL changes.
    const i = step++;
    h.run("SET", `k${(i * 7) % 500}`, "changed");
    h.run("DEL", `k${(i * 13) % 500}`);
    h.run("SET", `new${i}`, "x");
    h.run("GET", `k${(i * 3) % 500}`);
    h.run("EXPIRE", `k${(i * 11) % 500}`, "100");
    h.run("RPUSH", "list", "c");
    h.run("HINCRBY", "hash", "f", "1");
  }
  got.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  assert.deepEqual(got, expected);
  assert.equal(view.next(), null);
  assert.throws(() => {
    const views = [];
    for (let i = 0; i < 10; i++) views.push(h.store.snapshotView());
  });
});

Deno.test("snapshotView survives FLUSHALL and closes cleanly", () => {
  const h = new Harness();
  for (let i = 0; i < 50; i++) h.run("SET", `k${i}`, "v");
  const expected = stateOf(h.store);
  const view = h.store.snapshotView();
  const first = view.nextBatch(10);
  h.run("FLUSHALL");
  const rest = view.nextBatch(1000);
  const got = [...first, ...rest].map((e) => [e.key, e.payload, e.expireAtMs]);
  got.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  assert.deepEqual(got, expected);
  const closed = h.store.snapshotView();
  closed.close();
  closed.close();
  assert.equal(closed.next(), null);
});

Deno.test("registerCommand: an extension composes primitives atomically with one log", () => {
  const h = new Harness();
  const spec = command("job.push", 3, "write denyoom", [1, 1, 1], "queue", () => ({
    kind: "nil",
  }));
  h.store.registerCommand(spec.spec, (store: Store, argv: string[], ctx: ExecContext) => {
    const log: string[][] = [];
    const push = store.execute(["RPUSH", argv[1], argv[2]], ctx);
    const incr = store.execute(["INCR", `${argv[1]}:count`], ctx);
    for (const r of [push, incr]) if (r.log) log.push(...r.log);
    const result: ExecResult = { reply: incr.reply, log };
    return result;
  });
  const heard: (string | null)[] = [];
  h.store.setModificationListener((k) => heard.push(k));
  const r = h.exec("JOB.PUSH", "q", "payload");
  assert.deepEqual(plain(r.reply), 1);
  assert.deepEqual(r.log, [["RPUSH", "q", "payload"], ["INCR", "q:count"]]);
  assert.deepEqual(heard, ["q", "q:count"]);
  assert.deepEqual(h.run("job.push", "q"), {
    err: "ERR wrong number of arguments for 'job.push' command",
  });
  assert.throws(() => h.store.registerCommand(spec.spec, () => ({ reply: r.reply, log: null })));
  const badStep = { ...spec.spec, name: "job.bad", step: 0 };
  assert.throws(() => h.store.registerCommand(badStep, () => ({ reply: r.reply, log: null })));
  assert.ok(h.store.commands.get("job.push")?.flags.includes("write"));
});

Deno.test("limits give clear errors", () => {
  const h = new Harness({
    limits: { keyBytesMax: 8, valueBytesMax: 16, collectionLengthMax: 3, keysMax: 2 },
  });
  assert.deepEqual(h.run("SET", "123456789", "v"), {
    err: "ERR key exceeds the limit of 8 bytes (keyBytesMax)",
  });
  assert.deepEqual(h.run("SET", "k", "x".repeat(17)), {
    err: "ERR argument exceeds the limit of 16 bytes",
  });
  h.run("SET", "k", "x".repeat(10));
  assert.deepEqual(h.run("APPEND", "k", "x".repeat(10)), {
    err: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  });
  assert.deepEqual(h.run("RPUSH", "l", "a", "b", "c", "d"), {
    err: "ERR collection would exceed 3 elements (collectionLengthMax)",
  });
  assert.equal(h.run("RPUSH", "l", "a"), 1);
  assert.deepEqual(h.run("SET", "third", "x"), { err: "ERR keyspace is full: 2 keys (keysMax)" });
  assert.equal(h.run("SET", "k", "overwrite"), "OK");
  assert.throws(() => new Harness({ limits: { keysMax: 0 } }), RangeError);
  const few = new Harness({ limits: { argsMax: 4 } });
  assert.deepEqual(few.run("MGET", "a", "b", "c", "d"), {
    err: "ERR too many arguments: more than 4 (argsMax)",
  });
});

Deno.test("memory estimate returns to zero when everything is deleted", () => {
  const h = new Harness();
  h.run("SET", "s", "abc", "EX", "10");
  h.run("RPUSH", "l", "a", "bb");
  h.run("SADD", "set", "x");
  h.run("HSET", "h", "f", "v");
  h.run("ZADD", "z", "1", "a");
  h.run("LPOP", "l");
  h.run("HSET", "h", "f", "longer value");
  assert.ok(h.store.stats.usedMemoryBytes > 0);
  h.run("DEL", "s", "l", "set", "h", "z");
  assert.equal(h.store.stats.usedMemoryBytes, 0);
});

Deno.test("readsHideExpired: reads return no log; writes still delete and log", () => {
  const h = new Harness({ readsHideExpired: true });
  h.run("SET", "k", "5", "PX", "10");
  h.clock.nowMs += 10;
  const read = h.exec("GET", "k");
  assert.equal(read.reply.kind, "nil");
  assert.equal(read.log, null);
  assert.equal(h.exec("EXISTS", "k").log, null);
  assert.equal(h.store.stats.keys, 1); // hidden, not deleted
  const write = h.exec("INCR", "k");
  assert.deepEqual(write.log, [["DEL", "k"], ["INCR", "k"]]);
  assert.equal(h.run("GET", "k"), "1");
  assert.equal(h.run("TTL", "k"), -1);
});

Deno.test("replaying: writes see logged state, reads hide expired keys", () => {
  const h = new Harness();
  h.clock.replaying = true;
  h.run("SET", "k", "5", "PXAT", String(h.clock.nowMs - 1));
  assert.equal(h.run("GET", "k"), null); // a read on a follower: hidden
  assert.equal(h.run("INCR", "k"), 6); // a replayed write: applied as logged, TTL kept
  assert.equal(h.store.activeExpireCycle(h.clock).expired, 0);
  h.clock.replaying = false;
  assert.equal(h.store.activeExpireCycle(h.clock).expired, 1);
});

Deno.test("maxmemory counts baseMemoryBytes: below it every denyoom write is refused, even with no key", () => {
  const h = new Harness({ baseMemoryBytes: 1000, maxmemoryBytes: 999 });
  assert.deepEqual(h.run("SET", "k", "v"), {
    err: "OOM command not allowed when used memory > 'maxmemory'.",
  });
  assert.equal(h.run("DEL", "k"), 0, "not denyoom");
  h.store.setMaxmemory(1000 + 200);
  assert.equal(h.run("SET", "k", "v"), "OK", "the data gets what the base leaves");
  assert.equal(h.store.outOfMemory(), false);
  h.run("SET", "big", "x".repeat(300));
  assert.equal(h.store.outOfMemory(), true);
  assert.equal(h.store.fitsMaxmemory(), false);
  // Under an eviction policy the data is evicted down to maxmemory less the base.
  h.store.setMaxmemory(1000 + 200, "allkeys-random");
  assert.equal(h.run("SET", "small", "v"), "OK");
  assert.ok(h.store.stats.usedMemoryBytes <= 200);
  assert.throws(() => new Harness({ baseMemoryBytes: -1 }), RangeError);
});

Deno.test("withoutOomRefusal: an admitted block's writes all run, whatever memory they take", () => {
  const h = new Harness({ maxmemoryBytes: 300 });
  const replies = h.store.withoutOomRefusal(() =>
    Array.from({ length: 10 }, (_, i) => h.run("SET", `k${i}`, "x".repeat(50)))
  );
  assert.deepEqual(replies, Array(10).fill("OK"));
  assert.ok(h.store.stats.usedMemoryBytes > 300);
  assert.match((h.run("SET", "after", "1") as { err: string }).err, /^OOM /);
  // Under an eviction policy its writes still evict, each logging its DELs: a replay agrees.
  const lru = new Harness({ maxmemoryBytes: 300, maxmemoryPolicy: "allkeys-lru" });
  lru.store.withoutOomRefusal(() => {
    for (let i = 0; i < 10; i++) lru.run("SET", `k${i}`, "x".repeat(50));
  });
  assert.ok((lru.run("DBSIZE") as number) < 10, "evicted before the later writes");
  assert.ok(lru.logs.some((argv) => argv[0] === "DEL"));
  assert.deepEqual(stateOf(lru.replay(lru.clock.nowMs).store), stateOf(lru.store));
});
