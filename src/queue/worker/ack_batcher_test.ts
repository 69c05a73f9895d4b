import assert from "node:assert/strict";
import { AckBatcher } from "./ack_batcher.ts";

Deno.test("ack batcher: the first ack goes at once, the ones behind it leave together", async () => {
  const batches: string[][] = [];
  const batcher = new AckBatcher(async (items) => {
    batches.push(items.map((i) => i.id));
    await new Promise((resolve) => setTimeout(resolve, 5));
    return items.map((i) => (i.id === "bad" ? new Error("lease lost") : null));
  });
  const results = await Promise.allSettled(
    ["a", "b", "c", "bad", "d"].map((id) => batcher.ack({ id, attempt: 1 })),
  );
  assert.deepEqual(batches, [["a"], ["b", "c", "bad", "d"]]);
  assert.deepEqual(results.map((r) => r.status), [
    "fulfilled",
    "fulfilled",
    "fulfilled",
    "rejected",
    "fulfilled",
  ]);
});

Deno.test("ack batcher: a failed call rejects its whole batch and the next batch still goes", async () => {
  let calls = 0;
  const batcher = new AckBatcher((items) => {
    calls++;
    return calls === 1
      ? Promise.reject(new Error("gateway down"))
      : Promise.resolve(items.map(() => null));
  }, 2);
  const first = batcher.ack({ id: "a", attempt: 1 });
  const rest = [batcher.ack({ id: "b", attempt: 1 }), batcher.ack({ id: "c", attempt: 1 })];
  await assert.rejects(first, /gateway down/);
  await Promise.all(rest);
  assert.equal(calls, 2);
});
