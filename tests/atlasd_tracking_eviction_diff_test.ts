/**
 * Client tracking and eviction cases from Redis 7.0.15's unit/tracking and unit/pubsub, side by
 * side with redis-server: a script's declared keys are tracked once it calls a read-only command
 * (EVAL and EVAL_RO alike, not the keys of that call); tracking-table-max-keys drops keys from the
 * table with an invalidation; FLUSHALL empties the table even while the reader's tracking is off;
 * CONFIG SET maxmemory evicts at once (an `evicted` keyspace event, no other command needed); a
 * blocked BLMOVE woken by another client gets its reply before its own move's invalidation.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pushes a client got, as text, and forgets them. */
function drain(client: RawClient): string[] {
  // Sorted: Redis drops random keys past tracking-table-max-keys, atlasd the oldest.
  const out = client.pushes.map((push: RespValue) => showReply(push)).sort();
  client.pushes.length = 0;
  return out;
}

/** Runs `steps` on one server (a tracking client and a writer) and lists what the tracker saw. */
async function trackingCase(port: number): Promise<string[]> {
  const tracker = await RawClient.connect(port);
  const writer = await RawClient.connect(port);
  const seen: string[] = [];
  const step = async (label: string, run: () => Promise<unknown>) => {
    await run();
    await pause(50);
    await tracker.one("PING"); // pushes sent before this reply have arrived
    seen.push(`${label}: ${drain(tracker).join(" ")}`);
  };
  try {
    await writer.call(["FLUSHALL"], ["CONFIG", "SET", "tracking-table-max-keys", "1000000"]);
    await tracker.call(["HELLO", "3"], ["CLIENT", "TRACKING", "on"]);
    await step("no read", async () => {
      await tracker.one("EVAL", "redis.call('set', 'key3', 'bar')", "2", "key1", "key2");
      await writer.one("MSET", "key1", "1", "key2", "1");
    });
    await step("a read", async () => {
      await tracker.one("EVAL", "redis.call('get', 'key3')", "2", "key1", "key2");
      await writer.one("MSET", "key1", "2", "key2", "2", "key3", "2");
    });
    await step("ro no read", async () => {
      await tracker.one("EVAL_RO", "redis.call('ping')", "2", "key1", "key2");
      await writer.one("MSET", "key1", "3", "key2", "3");
    });
    await step("ro a read", async () => {
      await tracker.one("EVAL_RO", "redis.call('get', 'key1')", "2", "key1", "key2");
      await writer.one("MSET", "key1", "4", "key2", "4");
    });
    await step("table limit", async () => {
      await tracker.one("MGET", "a", "b", "c");
      await writer.one("CONFIG", "SET", "tracking-table-max-keys", "1");
    });
    // Which two of the three keys go is Redis's random pick: compare how many.
    seen[seen.length - 1] = seen[seen.length - 1].replace(/"v":"[abc]"/g, '"v":"a|b|c"');
    await writer.one("CONFIG", "SET", "tracking-table-max-keys", "1000000");
    await step("flush while off", async () => {
      await tracker.one("GET", "key1");
      await tracker.one("CLIENT", "TRACKING", "off");
      await writer.one("FLUSHALL");
      await tracker.one("CLIENT", "TRACKING", "on");
      await writer.one("SET", "key1", "5");
    });
    seen.push(
      `max keys: ${showReply(await writer.one("CONFIG", "GET", "tracking-table-max-keys"))}`,
    );
    return seen;
  } finally {
    await writer.one("CONFIG", "SET", "tracking-table-max-keys", "1000000");
    await tracker.close();
    await writer.close();
  }
}

/** CONFIG SET maxmemory below the data: the `evicted` event comes with no further command. */
async function evictionCase(port: number): Promise<string[]> {
  const subscriber = await RawClient.connect(port);
  const client = await RawClient.connect(port);
  try {
    await client.call(
      ["FLUSHALL"],
      ["CONFIG", "SET", "notify-keyspace-events", "Ee"],
      ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
      ["SET", "foo", "bar"],
    );
    await subscriber.call(["PSUBSCRIBE", "*"]);
    await client.one("CONFIG", "SET", "maxmemory", "1");
    const event = await subscriber.next(5000);
    await client.call(["CONFIG", "SET", "maxmemory", "0"]);
    return [showReply(event), showReply(await client.one("DBSIZE"))];
  } finally {
    await client.call(["CONFIG", "SET", "maxmemory", "0"], [
      "CONFIG",
      "SET",
      "notify-keyspace-events",
      "",
    ]);
    await subscriber.close();
    await client.close();
  }
}

/**
 * A tracking client blocked in BLMOVE, woken by another client's RPUSH: the bytes it receives,
 * reply and invalidation of its own move's destination in the order they come.
 */
async function unblockedOrder(port: number): Promise<string> {
  const writer = await RawClient.connect(port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writer.call(["FLUSHALL"], ["RPUSH", "list2", "a"]);
    const send = (text: string) => conn.write(new TextEncoder().encode(text));
    await send("HELLO 3\r\nCLIENT TRACKING on\r\nLRANGE list2 0 -1\r\n");
    await send("BLMOVE list1 list2 LEFT LEFT 0\r\n");
    await pause(100);
    await writer.one("RPUSH", "list1", "foo");
    let text = "";
    const buf = new Uint8Array(65536);
    const deadline = Date.now() + 5000;
    while (!(text.includes("invalidate") && text.includes("$3\r\nfoo")) && Date.now() < deadline) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const tail = text.slice(text.lastIndexOf("*1\r\n$1\r\na")); // after LRANGE's reply
    return tail.indexOf("$3\r\nfoo") < tail.indexOf("invalidate") ? "reply first" : "push first";
  } finally {
    conn.close();
    await writer.close();
  }
}

/** An INFO field as a number. */
function infoNumber(info: RespValue, name: string): number {
  const match = (info as { v: string }).v.match(new RegExp(`\r\n${name}:(\\d+)`));
  assert.ok(match, name);
  return Number(match[1]);
}

/**
 * Redis's "Tracking invalidation message of eviction keys should be before response": a write
 * leaves memory over maxmemory (room for 100 KiB more, then a 200 KiB SETBIT); the next command,
 * a read, evicts first — the tracked volatile key — so its invalidation comes before the read's
 * reply. The limit comes from each server's own INFO (its used_memory less
 * mem_not_counted_for_evict is what maxmemory is compared with), asked by the same client, as
 * Redis's test does. A push that precedes a reply is in `pushes` once that reply has arrived.
 */
async function evictionBeforeRead(port: number): Promise<Record<string, string>> {
  const client = await RawClient.connect(port);
  try {
    await client.call(
      ["FLUSHALL"],
      ["HELLO", "3"],
      ["CLIENT", "TRACKING", "on"],
      ["CONFIG", "SET", "maxmemory-policy", "volatile-random"],
    );
    const info = await client.one("INFO", "memory");
    const counted = infoNumber(info, "used_memory") -
      infoNumber(info, "mem_not_counted_for_evict");
    await client.one("CONFIG", "SET", "maxmemory", String(counted + 100 * 1024));
    await client.one("SETEX", "volatile-key", "10000", "x");
    await client.one("GET", "volatile-key");
    const setbit = showReply(await client.one("SETBIT", "big-key", "1600000", "0"));
    const afterWrite = client.pushes.map(showReply).join(" ");
    const getbit = showReply(await client.one("GETBIT", "big-key", "0"));
    const beforeRead = client.pushes.map(showReply).join(" ");
    return { setbit, afterWrite, getbit, beforeRead };
  } finally {
    await client.call(["CONFIG", "SET", "maxmemory", "0"], [
      "CONFIG",
      "SET",
      "maxmemory-policy",
      "noeviction",
    ]);
    await client.close();
  }
}

Deno.test("a read over maxmemory evicts before it runs; the invalidation precedes its reply, as redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const redis = await evictionBeforeRead(servers.redisPort);
    const atlas = await evictionBeforeRead(servers.atlasPort);
    assert.match(redis.beforeRead, /invalidate.*volatile-key/);
    assert.equal(redis.afterWrite, "");
    assert.deepEqual(atlas, redis);
  }));

Deno.test("tracking of scripts, the tracking table's limit and flush, eviction at CONFIG SET maxmemory, as redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, servers) => {
    const redisSeen = await trackingCase(servers.redisPort);
    const atlasSeen = await trackingCase(servers.atlasPort);
    assert.match(redisSeen[1], /invalidate.*key/, "Redis tracks the declared keys after a read");
    assert.deepEqual(atlasSeen, redisSeen);
    assert.equal(await unblockedOrder(servers.redisPort), "reply first");
    assert.equal(await unblockedOrder(servers.atlasPort), "reply first");
    const redisEvicted = await evictionCase(servers.redisPort);
    const atlasEvicted = await evictionCase(servers.atlasPort);
    assert.match(redisEvicted[0], /evicted/);
    assert.deepEqual(atlasEvicted, redisEvicted);
  }));
