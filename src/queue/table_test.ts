import assert from "node:assert/strict";
import { keys, MemoryQueueData } from "./data.ts";
import { compactMeta, expandMeta, JobTable, MetaCache } from "./table.ts";
import type { JobMeta } from "./types.ts";

const T0 = 1_800_000_000_000;

function fullMeta(over: Partial<JobMeta> = {}): JobMeta {
  return {
    id: "j1",
    queue: "q",
    task: "t",
    status: "PENDING",
    priority: 0,
    max_attempts: 3,
    attempt: 0,
    runs: 0,
    backoff: { type: "fixed", delay_ms: 1000, max_ms: 60_000 },
    seq: 1,
    created_at_ms: T0,
    updated_at_ms: T0,
    run_at_ms: T0,
    started_at_ms: null,
    finished_at_ms: null,
    lease: null,
    idempotency_key: null,
    cancel_requested: false,
    progress: null,
    errors: [],
    redrives: 0,
    lease_expiries: 0,
    ...over,
  };
}

Deno.test("job records are stored without default fields and load back complete", () => {
  const data = new MemoryQueueData();
  const table = new JobTable(data);
  const meta = fullMeta();
  table.save(meta);
  const stored = JSON.parse(data.get(keys.meta("j1"))!);
  for (const field of ["lease", "errors", "progress", "cancel_requested", "priority", "runs"]) {
    assert.equal(field in stored, false, field);
  }
  assert.deepEqual(table.load("j1"), meta);
});

Deno.test("job records keep every field that differs from its default", () => {
  const meta = fullMeta({
    status: "RUNNING",
    priority: -3,
    attempt: 2,
    runs: 4,
    started_at_ms: T0 + 5,
    finished_at_ms: T0 + 7,
    lease: { worker: "w", expires_at_ms: T0 + 100, lease_ms: 100 },
    idempotency_key: "k",
    cancel_requested: true,
    progress: '{"p":1}',
    errors: [{
      attempt: 1,
      run: 1,
      worker: "w",
      started_at_ms: T0,
      ended_at_ms: T0 + 1,
      reason: "failed",
      error: "boom",
    }],
    redrives: 1,
    lease_expiries: 2,
  });
  assert.deepEqual(compactMeta(meta), meta);
  assert.deepEqual(expandMeta(JSON.parse(JSON.stringify(compactMeta(meta)))), meta);
});

Deno.test("records written in full (the earlier format) load unchanged", () => {
  const data = new MemoryQueueData();
  const meta = fullMeta({ status: "COMPLETED", finished_at_ms: T0 + 9, attempt: 1, runs: 1 });
  data.set(keys.meta("j1"), JSON.stringify(meta));
  assert.deepEqual(new JobTable(data).load("j1"), meta);
});

Deno.test("loaded records do not share their default error list", () => {
  const data = new MemoryQueueData();
  const table = new JobTable(data);
  table.save(fullMeta());
  table.save(fullMeta({ id: "j2" }));
  table.load("j1")!.errors.push({
    attempt: 1,
    run: 1,
    worker: "w",
    started_at_ms: T0,
    ended_at_ms: T0,
    reason: "failed",
    error: "x",
  });
  assert.deepEqual(table.load("j2")!.errors, []);
  assert.deepEqual(table.load("j1")!.errors, []);
});

Deno.test("the record cache holds at most max jobs, keeps the recently saved, and misses on a change it did not make", () => {
  const data = new MemoryQueueData();
  const cache = new MetaCache(4);
  const table = new JobTable(data, cache);
  const saved = (id: string) => {
    const meta = fullMeta({ id });
    table.save(meta);
    return meta;
  };
  const first = saved("a");
  saved("b");
  saved("c"); // a and b now the older generation
  table.save(table.load("a")!); // saved again: back into the recent one
  saved("d");
  saved("e"); // the older generation (b) is dropped
  assert.ok(cache.size <= 4);
  assert.equal(cache.get("b"), undefined);
  assert.notEqual(cache.get("a"), undefined);
  // A cached load hands out the very object saved; a dropped job is parsed from its record.
  assert.equal(table.load("a"), first);
  assert.deepEqual(table.load("b"), fullMeta({ id: "b" }));
  // A write the table did not make (a plain SET) is seen, not the cached object.
  saved("f");
  data.set(keys.meta("f"), JSON.stringify(compactMeta(fullMeta({ id: "f", priority: 7 }))));
  assert.equal(table.load("f")!.priority, 7);
  // A finished job leaves the cache.
  table.save(fullMeta({ id: "d", status: "COMPLETED" }));
  assert.equal(cache.get("d"), undefined);
  for (let i = 0; i < 100; i++) saved(`x${i}`);
  assert.ok(cache.size <= 4);
});
