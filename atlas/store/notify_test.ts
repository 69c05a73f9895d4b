import assert from "node:assert/strict";
import {
  EVENT_CLASSES_ALL,
  EventClass,
  formatKeyspaceEvents,
  parseKeyspaceEvents,
} from "./notify.ts";
import { Harness } from "./test_util.ts";

/** A harness whose store reports the classes in `flags`; `events` collects "event key". */
function listening(flags: string, options: ConstructorParameters<typeof Harness>[0] = {}) {
  const h = new Harness(options);
  const events: string[] = [];
  h.store.setKeyspaceEventListener(
    parseKeyspaceEvents(flags) as number,
    (event, key) => events.push(`${event} ${key}`),
  );
  return { h, events };
}

Deno.test("notify-keyspace-events letters parse and render as redis-server 7.0 does", () => {
  // Pairs observed with redis-server 7.0.15: CONFIG SET x, then CONFIG GET.
  const cases: [string, string][] = [
    ["", ""],
    ["KEA", "AKE"],
    ["A", "A"],
    ["g$lshzxetd", "A"],
    ["g$lshzxet", "g$lshzxet"], // A includes d
    ["g$lshzxetn", "g$lshzxetn"],
    ["KEAmn", "AKEm"], // n is on but A hides it
    ["An", "A"],
    ["ndmg$", "g$dnm"],
    ["EK", "KE"],
    ["gg", "g"],
    ["mKE", "KEm"],
    ["K", "K"],
    ["x", "x"],
  ];
  for (const [input, canonical] of cases) {
    const flags = parseKeyspaceEvents(input);
    assert.ok(flags !== null, input);
    assert.equal(formatKeyspaceEvents(flags), canonical, input);
  }
  assert.equal(parseKeyspaceEvents("Z"), null);
  assert.equal(parseKeyspaceEvents("KEA m"), null);
  assert.equal((parseKeyspaceEvents("An") as number) & EventClass.New, EventClass.New);
  assert.equal(EVENT_CLASSES_ALL & (EventClass.KeyMiss | EventClass.New), 0);
});

Deno.test("events: a write reports its event, the class filter applies, no-ops report nothing", () => {
  const { h, events } = listening("KEA");
  h.run("SET", "k", "v");
  h.run("SADD", "s", "a");
  h.run("SADD", "s", "a"); // already a member: nothing
  h.run("DEL", "nosuch");
  h.run("SREM", "s", "a");
  h.run("GET", "k");
  assert.deepEqual(events, ["set k", "sadd s", "srem s", "del s"]);

  const lists = listening("Kl");
  lists.h.run("SET", "k", "v");
  lists.h.run("RPUSH", "l", "a");
  lists.h.run("LPOP", "l"); // the "del" that follows is generic: filtered out
  assert.deepEqual(lists.events, ["rpush l", "lpop l"]);
});

Deno.test("events: new keys report 'new' first, only with n", () => {
  const { h, events } = listening("KEn$");
  h.run("SET", "k", "v");
  h.run("SET", "k", "w");
  h.run("RPUSH", "l", "a");
  assert.deepEqual(events, ["new k", "set k", "set k", "new l"]);
});

Deno.test("events: expiry on access and in the active cycle reports 'expired'", () => {
  const { h, events } = listening("Egx");
  h.run("SET", "lazy", "v", "PX", "10");
  h.run("SET", "active", "v", "PX", "10");
  h.clock.nowMs += 20;
  assert.equal(h.run("GET", "lazy"), null);
  assert.deepEqual(events, ["expire lazy", "expire active", "expired lazy"]);
  events.length = 0;
  assert.equal(h.store.activeExpireCycle(h.clock).expired, 1);
  assert.deepEqual(events, ["expired active"]);
});

Deno.test("events: eviction under maxmemory reports 'evicted'", () => {
  const { h, events } = listening("Ee", {
    maxmemoryBytes: 1000,
    maxmemoryPolicy: "allkeys-lru",
  });
  for (let i = 0; i < 20; i++) h.run("SET", `k${i}`, "x".repeat(100));
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => /^evicted k\d+$/.test(e)), events.join());
  assert.equal(events[0], "evicted k0");
});

Deno.test("events: off by default, and off again with a null listener", () => {
  const h = new Harness();
  let calls = 0;
  h.run("SET", "k", "v"); // no listener at all
  h.store.setKeyspaceEventListener(EventClass.Keyspace | EVENT_CLASSES_ALL, () => calls++);
  h.run("SET", "k", "v");
  assert.equal(calls, 1);
  h.store.setKeyspaceEventListener(EVENT_CLASSES_ALL, null);
  h.run("SET", "k", "v");
  h.run("DEL", "k");
  assert.equal(calls, 1);
});

Deno.test("events: multi-key and two-key commands keep Redis's order", () => {
  const { h, events } = listening("KEA");
  h.run("RPUSH", "src", "a");
  h.run("LMOVE", "src", "dst", "LEFT", "RIGHT");
  h.run("SET", "a", "1");
  h.run("RENAME", "a", "b");
  h.run("ZADD", "z", "1", "m");
  h.run("ZINCRBY", "z", "1", "m");
  h.run("XADD", "x", "MAXLEN", "0", "*", "f", "v");
  assert.deepEqual(events, [
    "rpush src",
    "rpush dst",
    "lpop src",
    "del src",
    "set a",
    "rename_from a",
    "rename_to b",
    "zadd z",
    "zincr z",
    "xadd x",
    "xtrim x",
  ]);
});

Deno.test("keymiss (m): read lookups that miss, not write lookups, OBJECT or SCAN", () => {
  const { h, events } = listening("m");
  h.run("SET", "here", "v");
  h.run("GET", "a");
  h.run("GET", "here");
  h.run("MGET", "b", "here");
  h.run("EXISTS", "c");
  h.run("TYPE", "d");
  h.run("TTL", "e");
  h.run("GETDEL", "f");
  h.run("SET", "g", "v", "GET");
  h.run("INCR", "n");
  h.run("LPUSH", "l", "x");
  h.run("DEL", "zz");
  h.run("OBJECT", "ENCODING", "o");
  h.run("SCAN", "0");
  assert.deepEqual(events, [
    "keymiss a",
    "keymiss b",
    "keymiss c",
    "keymiss d",
    "keymiss e",
    "keymiss f",
    "keymiss g",
  ]);
});

Deno.test("keyspace hits and misses count read lookups only, as Redis's INFO does", () => {
  const h = new Harness();
  const counts = () => [h.store.stats.keyspaceHits, h.store.stats.keyspaceMisses];
  h.run("SET", "s", "v");
  assert.deepEqual(counts(), [0, 0]);
  h.run("GET", "s");
  h.run("GET", "nope");
  assert.deepEqual(counts(), [1, 1]);
  h.run("MGET", "s", "x", "y");
  assert.deepEqual(counts(), [2, 3]);
  h.run("INCR", "n"); // a write lookup
  h.run("APPEND", "s", "x");
  assert.deepEqual(counts(), [2, 3]);
  h.run("GETDEL", "gone"); // a write command's read lookup
  h.run("SET", "s", "w", "GET");
  assert.deepEqual(counts(), [3, 4]);
  h.run("OBJECT", "ENCODING", "s");
  h.run("EXISTS", "s", "q");
  assert.deepEqual(counts(), [5, 5]);
  h.run("SCAN", "0");
  h.run("RANDOMKEY");
  assert.deepEqual(counts(), [5, 5]);
  h.store.resetStats();
  assert.deepEqual(counts(), [0, 0]);
});

Deno.test("keymiss off: a miss costs no event and still counts", () => {
  const { h, events } = listening("KEA"); // A leaves m out
  h.run("GET", "a");
  assert.deepEqual(events, []);
  assert.equal(h.store.stats.keyspaceMisses, 1);
  assert.equal(EventClass.KeyMiss & EVENT_CLASSES_ALL, 0);
});
