import assert from "node:assert/strict";
import { OutputLimits, overOutputLimit } from "./output_limits.ts";

Deno.test("output limits: the hard limit closes at once, the soft one after its seconds over it", () => {
  const limit = { hardBytes: 1000, softBytes: 100, softSeconds: 2 };
  const client = { outputSoftSinceS: 0 };
  assert.equal(overOutputLimit(limit, client, 99, 10_000), false);
  assert.equal(overOutputLimit(limit, client, 1000, 10_000), true); // at the hard limit
  // Over the soft limit: its clock starts, and it closes only once more than 2 s have passed.
  client.outputSoftSinceS = 0;
  assert.equal(overOutputLimit(limit, client, 100, 10_000), false);
  assert.equal(client.outputSoftSinceS, 10);
  assert.equal(overOutputLimit(limit, client, 500, 12_999), false);
  assert.equal(overOutputLimit(limit, client, 500, 13_000), true);
  // Going under resets the clock.
  assert.equal(overOutputLimit(limit, client, 10, 13_000), false);
  assert.equal(client.outputSoftSinceS, 0);
  // 0 means no limit.
  assert.equal(
    overOutputLimit({ hardBytes: 0, softBytes: 0, softSeconds: 0 }, client, 1e12, 0),
    false,
  );
});

Deno.test("output limits: CONFIG SET changes the classes it names, Redis's texts for bad values", () => {
  const limits = new OutputLimits();
  assert.equal(
    limits.format(),
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  );
  assert.equal(limits.set("pubsub 64mb 16MB 90 replica 1g 0 0"), null);
  assert.equal(limits.format(), "normal 0 0 0 slave 1000000000 0 0 pubsub 67108864 16777216 90");
  assert.equal(
    limits.check("normal 1 2"),
    "Wrong number of arguments in buffer limit configuration.",
  );
  assert.equal(
    limits.set("master 1 2 3"),
    "Invalid client class specified in buffer limit configuration.",
  );
  assert.equal(
    limits.check("normal 1 2 -3"),
    "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
  );
  assert.equal(limits.format(), "normal 0 0 0 slave 1000000000 0 0 pubsub 67108864 16777216 90");
});
