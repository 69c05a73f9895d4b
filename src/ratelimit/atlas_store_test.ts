import assert from "node:assert/strict";
import { AtlasBucketStore } from "./atlas_store.ts";
import { LocalBucketStore } from "./store.ts";
import { memoryAtlas } from "../gateway/testing/memory_atlas.ts";
import { ManualClock } from "../lib/clock.ts";

const policy = { name: "default", capacity: 3, rateNum: 1, rateDen: 1 };

Deno.test("RL.TAKE: two gateways sharing one store enforce one limit", async () => {
  const clock = new ManualClock(1_000_000);
  const { client, store } = memoryAtlas(clock);
  const gatewayA = new AtlasBucketStore(client);
  const gatewayB = new AtlasBucketStore(client);
  const results = [];
  for (let i = 0; i < 4; i++) {
    results.push((await gatewayA.take("rl:default:ip:1", policy, clock.nowMs())).allowed);
    results.push((await gatewayB.take("rl:default:ip:1", policy, clock.nowMs())).allowed);
  }
  assert.equal(results.filter(Boolean).length, 3);
  clock.advance(1000);
  assert.equal((await gatewayB.take("rl:default:ip:1", policy, clock.nowMs())).allowed, true);
  assert.ok(store.stats.keys >= 1);
});

Deno.test("RL.TAKE rejects bad arguments with an error reply", async () => {
  const { client } = memoryAtlas();
  const reply = await client.call("RL.TAKE", "k", 0, 1, 1, 5, 1);
  assert.ok(typeof reply === "object" && reply !== null && "error" in reply);
});

Deno.test("the local store is bounded and evicts least recently used buckets", async () => {
  const local = new LocalBucketStore(2);
  await local.take("a", policy, 0);
  await local.take("b", policy, 0);
  await local.take("a", policy, 0);
  await local.take("c", policy, 0);
  assert.equal(local.size, 2);
  assert.equal((await local.take("a", policy, 0)).remaining, 0); // a kept: 3 taken
  assert.equal((await local.take("b", policy, 0)).remaining, 2); // b was evicted: fresh
});

Deno.test("RL.TAKE parses its integers strictly (no hex, exponent or spaces)", async () => {
  const { client } = memoryAtlas();
  const valid = ["10", "1", "1", "1000", "1"];
  for (let i = 0; i < valid.length; i++) {
    for (const text of ["0x10", "1e3", " 1", "+1", "01", ""]) {
      const args = valid.with(i, text);
      assert.deepEqual(await client.call("RL.TAKE", "k", ...args), {
        error: "ERR RL.TAKE needs valid capacity, rate, now_ms and cost",
      }, args.join(","));
    }
  }
  assert.deepEqual(await client.call("RL.TAKE", "k", ...valid), [1, 9, 0, 1000]);
});
