/**
 * Side by side with redis-server 7.0.15: INFO memory's used_memory as Redis's users and tests use
 * it. A limit set from it (`CONFIG SET maxmemory <used_memory - mem_not_counted_for_evict + N>`)
 * leaves room for about N bytes of data; it grows with the data and falls when a key is deleted
 * (Redis's unit/lazyfree "UNLINK can reclaim memory in background"); reads leave it as it is. Before this test atlasd's used_memory was V8's heap in use, garbage included: it moved by
 * hundreds of KiB between two INFO calls, so a limit computed from it was below the data already
 * held (Redis's unit/tracking eviction test got OOM on its first SETEX), and a 100,000-member set
 * counted as tens of MB until a collection ran.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** INFO memory's integer fields. */
async function memoryInfo(client: RawClient): Promise<Map<string, number>> {
  const info = await client.one("INFO", "memory") as { v: string };
  const fields = new Map<string, number>();
  for (const line of info.v.split("\r\n")) {
    const match = line.match(/^([a-z_]+):(\d+)$/);
    if (match) fields.set(match[1], Number(match[2]));
  }
  return fields;
}

/** What maxmemory is compared with, as Redis's tests compute it. */
async function countedForEviction(client: RawClient): Promise<number> {
  const info = await memoryInfo(client);
  return info.get("used_memory")! - info.get("mem_not_counted_for_evict")!;
}

const integer = (reply: RespValue) => Number((reply as { v: number }).v);

/** The facts each server must show; both servers' lists must come out equal. */
async function memoryFacts(client: RawClient): Promise<string[]> {
  const facts: string[] = [];
  await client.one("FLUSHALL");
  for (let i = 0; i < 200; i++) await client.one("SET", `warm:${i}`, "x".repeat(100));

  // Reads change no data, so used_memory stays within a client buffer's worth across 5,000 of
  // them (they leave garbage in V8's heap); the counted figure likewise between two INFO calls.
  const usedBefore = (await memoryInfo(client)).get("used_memory")!;
  await client.call(...Array.from({ length: 5000 }, (_, i) => ["GET", `warm:${i % 200}`]));
  const usedAfter = (await memoryInfo(client)).get("used_memory")!;
  facts.push(`steady over reads: ${Math.abs(usedAfter - usedBefore) < 64 * 1024}`);
  const first = await countedForEviction(client);
  const second = await countedForEviction(client);
  facts.push(`steady: ${Math.abs(second - first) < 64 * 1024}`);

  // A 100,000-member set: used_memory grows by more than 1 MB, and UNLINK gives it back.
  const before = (await memoryInfo(client)).get("used_memory")!;
  for (let from = 0; from < 100_000; from += 10_000) {
    const members = Array.from({ length: 10_000 }, (_, i) => String(from + i));
    await client.one("SADD", "myset", ...members);
  }
  const peak = (await memoryInfo(client)).get("used_memory")!;
  facts.push(`grew over 1 MB: ${peak > before + 1_000_000}`);
  facts.push(`unlink: ${integer(await client.one("UNLINK", "myset"))}`);
  let after = peak;
  for (let i = 0; i < 50 && !(after < peak && after < before * 2); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = (await memoryInfo(client)).get("used_memory")!;
  }
  facts.push(`reclaimed: ${after < peak && after < before * 2}`);

  // A limit 1 MB above what is counted now, then 40 values of 64 KiB (2.5 MiB) under
  // allkeys-lru: keys are evicted, and what stays is about the 1 MB of room.
  const limit = await countedForEviction(client) + 1_000_000;
  await client.one("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
  await client.one("CONFIG", "SET", "maxmemory", String(limit));
  try {
    for (let i = 0; i < 40; i++) {
      const reply = await client.one("SET", `big:${i}`, "v".repeat(64 * 1024));
      if ((reply as { t: string }).t !== "simple") facts.push(`SET big:${i} refused`);
    }
    let kept = 0;
    for (let i = 0; i < 40; i++) kept += integer(await client.one("EXISTS", `big:${i}`));
    facts.push(`some evicted: ${kept < 40}`, `about 1 MB kept: ${kept >= 10 && kept <= 16}`);
    facts.push(`within the limit: ${(await countedForEviction(client)) <= limit}`);
  } finally {
    await client.one("CONFIG", "SET", "maxmemory", "0");
    await client.one("CONFIG", "SET", "maxmemory-policy", "noeviction");
  }
  return facts;
}

Deno.test("used_memory grows and shrinks with the data and sets a maxmemory that means what Redis's does", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const want = await memoryFacts(redis);
    assert.deepEqual(want, [
      "steady over reads: true",
      "steady: true",
      "grew over 1 MB: true",
      "unlink: 1",
      "reclaimed: true",
      "some evicted: true",
      "about 1 MB kept: true",
      "within the limit: true",
    ]);
    assert.deepEqual(await memoryFacts(atlas), want);
  }));
