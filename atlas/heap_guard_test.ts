import assert from "node:assert/strict";
import { HeapGuard } from "./heap_guard.ts";

/** A heap of `live` bytes plus `garbage` a forced collection clears; the clock moves by hand. */
function fakeHeap() {
  const heap = { live: 0, garbage: 0, collections: 0, nowMs: 0, data: 1000 };
  const guard = new HeapGuard({
    limitBytes: 1000,
    usedBytes: () => heap.live + heap.garbage,
    collect: () => {
      heap.collections++;
      heap.garbage = 0;
    },
    clock: () => heap.nowMs,
    dataBytes: () => heap.data,
  });
  return { heap, guard };
}

Deno.test("HeapGuard: full once live data passes 80% of the limit, back under 70%", () => {
  const { heap, guard } = fakeHeap();
  heap.live = 790;
  assert.equal(guard.check(), null);
  assert.equal(heap.collections, 0, "under the mark: no collection forced");
  heap.live = 810;
  assert.deepEqual(guard.check(), { full: true, liveBytes: 810, limitBytes: 1000 });
  assert.equal(guard.full, true);
  heap.live = 750; // deleted some, but still over the resume mark
  heap.nowMs += 2000;
  assert.equal(guard.check(), null);
  assert.equal(guard.full, true);
  heap.live = 690;
  assert.deepEqual(guard.check(), { full: false, liveBytes: 690, limitBytes: 1000 });
});

Deno.test("HeapGuard: garbage over the mark is collected before it refuses anything", () => {
  const { heap, guard } = fakeHeap();
  heap.live = 500;
  heap.garbage = 400;
  assert.equal(guard.check(), null, "only live data decides");
  assert.equal(heap.collections, 1);
  assert.equal(guard.full, false);
});

Deno.test("HeapGuard: one forced collection per 2 s (while full: after deletes), unless past 90%", () => {
  const { heap, guard } = fakeHeap();
  heap.live = 500;
  heap.garbage = 350;
  guard.check();
  heap.garbage = 350;
  heap.nowMs += 100;
  assert.equal(guard.check(), null, "too soon for another collection: the verdict stands");
  assert.equal(heap.collections, 1);
  heap.live = 800;
  heap.garbage = 150; // 950: past the hard mark, no waiting for a collection
  assert.equal(guard.check()?.full, true);
  assert.equal(heap.collections, 1);
  heap.nowMs += 2000;
  heap.live = 300;
  heap.garbage = 500;
  assert.equal(guard.check(), null, "full, nothing deleted: no collection before a minute");
  assert.equal(heap.collections, 1);
  heap.data = 900; // deleted: the next check collects and sees what that freed
  assert.deepEqual(guard.check(), { full: false, liveBytes: 300, limitBytes: 1000 });
  assert.equal(heap.collections, 2);
});

Deno.test("HeapGuard: without a way to collect, the measure with garbage decides", () => {
  let used = 850;
  const guard = new HeapGuard({ limitBytes: 1000, usedBytes: () => used, collect: null });
  assert.equal(guard.check()?.full, true);
  used = 600;
  assert.equal(guard.check()?.full, false);
});

Deno.test("HeapGuard: the default guard reads the running isolate and can collect", () => {
  const guard = new HeapGuard();
  assert.ok(guard.limitBytes > 64 * 2 ** 20, "V8's heap_size_limit");
  assert.equal(guard.check(), null, "a test process is far from its limit");
  assert.equal(guard.full, false);
});

Deno.test("HeapGuard: while full and nothing deleted, it collects once a minute", () => {
  const { heap, guard } = fakeHeap();
  heap.live = 850;
  assert.equal(guard.check()?.full, true);
  assert.equal(heap.collections, 1);
  for (let i = 0; i < 20; i++) {
    heap.nowMs += 2000;
    guard.check();
  }
  assert.equal(heap.collections, 1, "40 s: no collection");
  heap.nowMs += 20_000;
  guard.check();
  assert.equal(heap.collections, 2);
  assert.equal(guard.full, true);
});

Deno.test("HeapGuard: garbage found over the mark again and again backs collections off", () => {
  const { heap, guard } = fakeHeap();
  heap.live = 750;
  const collectionsAt: number[] = [];
  for (let t = 0; t <= 20_000; t += 100) {
    heap.nowMs = t;
    heap.garbage = 100; // the mutator keeps making garbage past the 80% mark
    const before = heap.collections;
    guard.check();
    if (heap.collections > before) collectionsAt.push(t);
  }
  assert.deepEqual(collectionsAt, [0, 4000, 12_000], "then 4 s, then 8 s later");
  assert.equal(guard.full, false);
});
