import assert from "node:assert/strict";
import { ReadBatcher } from "./replicated_executor.ts";

/** A barrier whose rounds the test completes by hand, recording when each started. */
function manualBarrier() {
  const rounds: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const barrier = () => new Promise<void>((resolve, reject) => rounds.push({ resolve, reject }));
  return { rounds, barrier };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("read batcher: reads of one turn share a round; a later read never joins a started round", async () => {
  const { rounds, barrier } = manualBarrier();
  const batcher = new ReadBatcher(barrier);
  const served: string[] = [];
  batcher.wait().then(() => served.push("a"));
  batcher.wait().then(() => served.push("b"));
  await turn();
  assert.equal(rounds.length, 1);
  batcher.wait().then(() => served.push("c")); // arrives while round 1 is in flight
  await turn();
  assert.equal(rounds.length, 2, "a new round starts without waiting for the first to end");
  rounds[0].resolve();
  await turn();
  assert.deepEqual(served, ["a", "b"]);
  rounds[1].resolve();
  await turn();
  assert.deepEqual(served, ["a", "b", "c"]);
});

Deno.test("read batcher: at most four rounds in flight; reads queue on the next and share it", async () => {
  const { rounds, barrier } = manualBarrier();
  const batcher = new ReadBatcher(barrier);
  const done: Promise<void>[] = [];
  for (let i = 0; i < 4; i++) {
    done.push(batcher.wait());
    await turn();
  }
  assert.equal(rounds.length, 4);
  const late = [batcher.wait(), batcher.wait()];
  await turn();
  late.push(batcher.wait()); // still gathering: joins the queued round
  await turn();
  assert.equal(rounds.length, 4, "the fifth round waits for a slot");
  rounds[0].resolve();
  await turn();
  assert.equal(rounds.length, 5);
  for (const r of rounds.slice(1)) r.resolve();
  await Promise.all([...done, ...late]);
});

Deno.test("read batcher: a failed round rejects its own reads only", async () => {
  const { rounds, barrier } = manualBarrier();
  const batcher = new ReadBatcher(barrier);
  const first = batcher.wait();
  await turn();
  const second = batcher.wait();
  await turn();
  rounds[0].reject(new Error("lost leadership"));
  rounds[1].resolve();
  await assert.rejects(first, /lost leadership/);
  await second;
});
