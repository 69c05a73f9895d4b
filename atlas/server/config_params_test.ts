/**
 * CONFIG SET of maxmemory, maxmemory-policy (and the other maxmemory-* knobs), appendfsync,
 * the encoding thresholds and the stream node sizes.
 */
import assert from "node:assert/strict";
import type { CommandExecutor } from "../executor.ts";
import { startAtlasServer } from "../server.ts";
import type { Reply } from "../store/reply.ts";
import { Store } from "../store/store.ts";
import { RawClient } from "../testing/atlasd_harness.ts";
import { parseMemory } from "./config_params.ts";
import type { PersistenceHooks, ReplicationHooks } from "./types.ts";

class StoreExecutor implements CommandExecutor {
  constructor(readonly store: Store) {}
  execute(argv: string[]): Reply {
    return this.store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply;
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
}

async function withServer(
  options: { replication?: ReplicationHooks; persistence?: PersistenceHooks; store?: Store },
  body: (c: RawClient, store: Store) => Promise<void>,
): Promise<void> {
  const store = options.store ?? new Store();
  const server = startAtlasServer({
    executor: new StoreExecutor(store),
    store,
    port: 0,
    replication: options.replication,
    persistence: options.persistence,
  });
  const c = await RawClient.connect(server.addr.port);
  try {
    await body(c, store);
  } finally {
    await c.close();
    await server.close();
  }
}

const ok = { t: "simple", v: "OK" };
const get = async (c: RawClient, name: string) => {
  const r = await c.one("CONFIG", "GET", name);
  return r.t === "array" && r.v.length === 2 ? (r.v[1] as { v: string }).v : r;
};
const errText = async (c: RawClient, ...argv: string[]) => {
  const r = await c.one(...argv);
  assert.equal(r.t, "error", JSON.stringify(r));
  return (r as { v: string }).v;
};

Deno.test("parseMemory: Redis's memtoull units, saturation and wrap-around", () => {
  const cases: [string, bigint | null][] = [
    ["0", 0n],
    ["", 0n],
    ["k", 0n],
    ["5", 5n],
    ["05", 5n],
    ["5b", 5n],
    ["5B", 5n],
    ["1k", 1000n],
    ["1kb", 1024n],
    ["10Kb", 10240n],
    ["1m", 1_000_000n],
    ["100mb", 104_857_600n],
    ["1g", 1_000_000_000n],
    ["1GB", 1_073_741_824n],
    ["99999999999999999999", 18446744073709551615n],
    ["20000000000gb", 3028092406290448384n],
    ["-1", null],
    ["1.5mb", null],
    ["10t", null],
    [" 5", null],
    ["+5", null],
    ["0x10", null],
    ["5bb", null],
  ];
  for (const [text, want] of cases) assert.equal(parseMemory(text), want, text);
});

Deno.test("CONFIG SET maxmemory / maxmemory-policy change the store", async () => {
  await withServer({}, async (c, store) => {
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory", "100mb"), ok);
    assert.equal(store.stats.maxmemoryBytes, 104_857_600);
    assert.equal(await get(c, "maxmemory"), "104857600");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory", "9223372036854775807"), ok);
    assert.equal(await get(c, "maxmemory"), "9223372036854775807", "the exact value set");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-policy", "VOLATILE-LRU"), ok);
    assert.equal(store.stats.maxmemoryPolicy, "volatile-lru");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ok);
    assert.equal(store.stats.maxmemoryPolicy, "allkeys-lfu");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-policy", "volatile-lru"), ok);
    // Every value is checked before any applies, as in Redis.
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "bad"),
      /must be one of the following/,
    );
    assert.equal(await get(c, "maxmemory"), "9223372036854775807");
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"),
      /argument 'MAXMEMORY'\) - duplicate parameter/,
    );
    assert.match(
      await errText(
        c,
        "CONFIG",
        "SET",
        "hash-max-ziplist-entries",
        "1",
        "HASH-MAX-ZIPLIST-ENTRIES",
        "2",
      ),
      /argument 'HASH-MAX-ZIPLIST-ENTRIES'\) - duplicate parameter/,
    );
    // An alias and its name in one call: both apply, the last wins (Redis 7.0 too).
    assert.deepEqual(
      await c.one(
        "CONFIG",
        "SET",
        "hash-max-ziplist-entries",
        "1",
        "hash-max-listpack-entries",
        "2",
      ),
      ok,
    );
    assert.equal(await get(c, "hash-max-ziplist-entries"), "2");
    assert.deepEqual(await c.one("SET", "before", "v"), ok); // over 1 byte once the limit is set
    assert.deepEqual(
      await c.one("CONFIG", "SET", "maxmemory", "1", "maxmemory-policy", "noeviction"),
      ok,
    );
    assert.deepEqual(await c.one("SET", "k", "v"), {
      t: "error",
      v: "OOM command not allowed when used memory > 'maxmemory'.",
    });
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory", "0"), ok);
    assert.deepEqual(await c.one("SET", "k", "v"), ok);
  });
});

Deno.test("CONFIG SET encoding thresholds reach OBJECT ENCODING", async () => {
  await withServer({}, async (c, store) => {
    await c.one("HSET", "h", "a", "1", "b", "2", "c", "3");
    assert.deepEqual(await c.one("OBJECT", "ENCODING", "h"), { t: "bulk", v: "listpack" });
    assert.deepEqual(await c.one("CONFIG", "SET", "hash-max-ziplist-entries", "2"), ok);
    assert.equal(store.encodingLimits.hashMaxListpackEntries, 2);
    assert.equal(await get(c, "hash-max-listpack-entries"), "2");
    assert.deepEqual(await c.one("OBJECT", "ENCODING", "h"), { t: "bulk", v: "hashtable" });
    assert.deepEqual(await c.one("CONFIG", "SET", "zset-max-listpack-value", "1kb"), ok);
    assert.equal(await get(c, "zset-max-ziplist-value"), "1024");
    assert.match(
      await errText(c, "CONFIG", "SET", "set-max-intset-entries", "-1"),
      /argument must be between 0 and 9223372036854775807 inclusive/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "list-max-listpack-size", "2147483648"),
      /argument must be between -2147483648 and 2147483647 inclusive/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "hash-max-listpack-entries", "1k"),
      /argument couldn't be parsed into an integer/,
    );
  });
});

Deno.test("CONFIG SET stream-node-max-bytes / -entries shape stream nodes and `~` trimming", async () => {
  await withServer({}, async (c) => {
    assert.equal(await get(c, "stream-node-max-bytes"), "4096");
    assert.equal(await get(c, "stream-node-max-entries"), "100");
    assert.deepEqual(await c.one("CONFIG", "SET", "stream-node-max-entries", "2"), ok);
    for (let i = 1; i <= 5; i++) await c.one("XADD", "s", `1-${i}`, "f", "v");
    const info = await c.one("XINFO", "STREAM", "s");
    assert.deepEqual(info.t === "array" ? info.v.slice(2, 4) : info, [
      { t: "bulk", v: "radix-tree-keys" },
      { t: "integer", v: 3 },
    ]);
    // `~` removes whole nodes, at most 100 * stream-node-max-entries entries without LIMIT.
    assert.deepEqual(await c.one("XTRIM", "s", "MAXLEN", "~", "0"), { t: "integer", v: 5 });
    assert.deepEqual(await c.one("CONFIG", "SET", "stream-node-max-bytes", "1gb"), ok);
    assert.equal(await get(c, "stream-node-max-bytes"), "1073741824");
    assert.deepEqual(
      await c.one("CONFIG", "SET", "stream-node-max-entries", "9223372036854775807"),
      ok,
    );
    assert.equal(await get(c, "stream-node-max-entries"), "9223372036854775807");
    assert.match(
      await errText(c, "CONFIG", "SET", "stream-node-max-bytes", "-1"),
      /argument must be a memory value/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "stream-node-max-entries", "-1"),
      /argument must be between 0 and 9223372036854775807 inclusive/,
    );
  });
});

Deno.test("CONFIG maxmemory-samples / -eviction-tenacity / -clients answer as Redis 7.0", async () => {
  await withServer({}, async (c) => {
    assert.equal(await get(c, "maxmemory-samples"), "5");
    assert.equal(await get(c, "maxmemory-eviction-tenacity"), "10");
    assert.equal(await get(c, "maxmemory-clients"), "0");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-samples", "64"), ok);
    assert.equal(await get(c, "maxmemory-samples"), "64");
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-samples", "0"),
      /argument must be between 1 and 2147483647 inclusive/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-samples", "07"),
      /argument couldn't be parsed into an integer/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
      /argument must be between 0 and 100 inclusive/,
    );
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-clients", "0%"), ok);
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-clients", "101%"),
      /percentage argument must be less or equal to 100/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-clients", "1.5%"),
      /argument must be a memory or percent value/,
    );
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-clients", "1mb"), ok);
    assert.equal(await get(c, "maxmemory-clients"), "1048576");
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-clients", "10%"), ok);
    assert.equal(await get(c, "maxmemory-clients"), "10%");
  });
});

Deno.test("CONFIG SET appendfsync goes to the persistence hooks; refused without them", async () => {
  let mode = "always";
  const persistence: PersistenceHooks = {
    get appendfsync() {
      return mode;
    },
    setAppendfsync(value) {
      mode = value;
      return null;
    },
  };
  await withServer({ persistence }, async (c) => {
    assert.deepEqual(await c.one("CONFIG", "SET", "appendfsync", "EverySec"), ok);
    assert.equal(mode, "everysec");
    assert.equal(await get(c, "appendfsync"), "everysec");
    assert.match(
      await errText(c, "CONFIG", "SET", "appendfsync", "sometimes"),
      /argument\(s\) must be one of the following: everysec, always, no/,
    );
  });
  await withServer({}, async (c) => {
    assert.match(
      await errText(c, "CONFIG", "SET", "appendfsync", "always"),
      /can't set immutable config/,
    );
  });
});

Deno.test("CONFIG auto-aof-rewrite-*: the persistence hooks' setting; only the defaults without them", async () => {
  let setting = { percentage: 100, minBytes: 64 * 1024 * 1024 };
  const persistence: PersistenceHooks = {
    aofRewrite: () => setting,
    setAofRewrite(change) {
      setting = { ...setting, ...change };
    },
  };
  await withServer({ persistence }, async (c) => {
    assert.equal(await get(c, "auto-aof-rewrite-percentage"), "100");
    assert.equal(await get(c, "auto-aof-rewrite-min-size"), "67108864");
    assert.deepEqual(await c.one("CONFIG", "SET", "auto-aof-rewrite-percentage", "0"), ok);
    assert.deepEqual(await c.one("CONFIG", "SET", "auto-aof-rewrite-min-size", "2mb"), ok);
    assert.deepEqual(setting, { percentage: 0, minBytes: 2 * 1024 * 1024 });
    assert.equal(await get(c, "auto-aof-rewrite-min-size"), "2097152");
    assert.match(
      await errText(c, "CONFIG", "SET", "auto-aof-rewrite-percentage", "-5"),
      /argument must be between 0 and 2147483647 inclusive/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "auto-aof-rewrite-min-size", "lots"),
      /argument must be a memory value/,
    );
    assert.deepEqual(setting, { percentage: 0, minBytes: 2 * 1024 * 1024 });
  });
  await withServer({}, async (c) => {
    assert.equal(await get(c, "auto-aof-rewrite-percentage"), "100");
    assert.deepEqual(await c.one("CONFIG", "SET", "auto-aof-rewrite-percentage", "100"), ok);
    assert.match(
      await errText(c, "CONFIG", "SET", "auto-aof-rewrite-min-size", "1mb"),
      /a Raft node compacts its log by raft\.snapshot_threshold/,
    );
  });
});

Deno.test("CONFIG SET in a Raft cluster: refused where replicas could diverge", async () => {
  const replication: ReplicationHooks = { offset: () => 0, replicasAt: () => 0 };
  const store = new Store({ maxmemoryBytes: 1 << 30, maxmemoryPolicy: "volatile-ttl" });
  await withServer({ replication, store }, async (c) => {
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
      /allkeys-lru is not deterministic across Raft replicas/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory-policy", "noeviction"),
      /set atlas\.maxmemory and atlas\.maxmemory_policy in the config file/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "maxmemory", "100mb"),
      /cannot change at run time in a Raft cluster.*atlas\.maxmemory/,
    );
    assert.match(
      await errText(c, "CONFIG", "SET", "appendfsync", "no"),
      /the Raft log is fsynced before every commit/,
    );
    // Setting what is already in force changes nothing and is allowed.
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory", "1gb"), ok);
    assert.deepEqual(await c.one("CONFIG", "SET", "maxmemory-policy", "volatile-ttl"), ok);
    assert.equal(store.stats.maxmemoryBytes, 1 << 30);
    // The encoding thresholds only shape OBJECT ENCODING answers: settable.
    assert.deepEqual(await c.one("CONFIG", "SET", "set-max-intset-entries", "10"), ok);
    // Stream node sizes are replicated state: only the value in force is accepted.
    assert.match(
      await errText(c, "CONFIG", "SET", "stream-node-max-entries", "5"),
      /cannot change in a Raft cluster/,
    );
    assert.deepEqual(await c.one("CONFIG", "SET", "stream-node-max-bytes", "4kb"), ok);
  });
});
