import assert from "node:assert/strict";
import { keys, MemoryQueueData } from "./data.ts";
import { compactMeta, expandMeta, JobTable } from "./table.ts";
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
