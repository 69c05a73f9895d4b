import assert from "node:assert/strict";
import { ManualClock } from "../src/lib/clock.ts";
import { promtoolCheck } from "./helpers/helios_process.ts";
import { jobGateway } from "./jobs_support.ts";

const T0 = Date.parse("2026-01-29T10:00:00.000Z");

async function json(response: Response, status: number) {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  return body;
}

Deno.test("documented paths: POST /api/v1/jobs, GET /api/v1/jobs?status=, GET /api/v1/jobs/{id}", async () => {
  const { request } = jobGateway();
  const created = await json(
    await request("POST", "/api/v1/jobs", { payload: { task: "process_data", data: "..." } }),
    201,
  );
  assert.match(created.id, /^j_/);
  assert.equal(created.status, "PENDING");
  const list = await json(await request("GET", "/api/v1/jobs?status=PENDING"), 200);
  assert.deepEqual(list.jobs.map((j: { id: string }) => j.id), [created.id]);
  const job = await json(await request("GET", `/api/v1/jobs/${created.id}`), 200);
  assert.equal(job.task, "process_data");
  assert.deepEqual(job.payload, { task: "process_data", data: "..." });
  assert.equal(job.queue, "default");
  assert.equal(job.max_attempts, 3);
});

Deno.test("worker protocol over HTTP: claim, heartbeat, nack, claim again, ack", async () => {
  const clock = new ManualClock(T0);
  const { request } = jobGateway({ clock });
  const { id } = await json(
    await request("POST", "/api/v1/jobs", {
      queue: "emails",
      task: "send",
      payload: { to: "a@example.com" },
      backoff: { type: "fixed", delay_ms: 1000 },
    }),
    201,
  );
  const worker = { worker_id: "w1" };
  const claimed = await json(
    await request("POST", "/api/v1/jobs/claim", {
      ...worker,
      queues: ["emails"],
      max: 10,
      lease_ms: 5000,
    }, "worker-token"),
    200,
  );
  assert.equal(claimed.jobs.length, 1);
  assert.deepEqual(claimed.jobs[0], {
    id,
    queue: "emails",
    task: "send",
    attempt: 1,
    max_attempts: 3,
    lease_expires_at: "2026-01-29T10:00:05.000Z",
    payload: { to: "a@example.com" },
  });
  clock.advance(1000);
  const beat = await json(
    await request(
      "POST",
      `/api/v1/jobs/${id}/heartbeat`,
      { ...worker, attempt: 1, progress: 0.5 },
      "worker-token",
    ),
    200,
  );
  assert.deepEqual(beat, {
    status: "RUNNING",
    cancelled: false,
    lease_expires_at: "2026-01-29T10:00:06.000Z",
  });
  const nacked = await json(
    await request(
      "POST",
      `/api/v1/jobs/${id}/nack`,
      { ...worker, attempt: 1, error: "HTTP 503" },
      "worker-token",
    ),
    200,
  );
  assert.deepEqual(nacked, { id, status: "SCHEDULED", run_at: "2026-01-29T10:00:02.000Z" });
  clock.advance(1000);
  const again = await json(
    await request("POST", "/api/v1/jobs/claim", { ...worker, queues: ["emails"] }, "worker-token"),
    200,
  );
  assert.equal(again.jobs[0].attempt, 2);
  const stale = await request(
    "POST",
    `/api/v1/jobs/${id}/ack`,
    { worker_id: "w1", attempt: 1 },
    "worker-token",
  );
  assert.equal(stale.status, 409);
  assert.equal((await stale.json()).code, "lease_lost");
  await json(
    await request(
      "POST",
      `/api/v1/jobs/${id}/ack`,
      { ...worker, attempt: 2, result: { ok: 1 } },
      "worker-token",
    ),
    200,
  );
  const job = await json(await request("GET", `/api/v1/jobs/${id}`), 200);
  assert.equal(job.status, "COMPLETED");
  assert.deepEqual(job.result, { ok: 1 });
  assert.deepEqual(
    job.errors.map((e: { error: string; attempt: number }) => [e.attempt, e.error]),
    [[1, "HTTP 503"]],
  );
});

Deno.test("dead-letter queue over HTTP: list, redrive keeps payload and history, purge", async () => {
  const { request } = jobGateway();
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push(
      (await json(
        await request("POST", "/api/v1/jobs", { queue: "q", payload: { i }, max_attempts: 1 }),
        201,
      )).id,
    );
  }
  const claimed = await json(
    await request("POST", "/api/v1/jobs/claim", { worker_id: "w", queues: ["q"], max: 3 }),
    200,
  );
  for (const job of claimed.jobs) {
    const out = await json(
      await request("POST", `/api/v1/jobs/${job.id}/nack`, {
        worker_id: "w",
        attempt: 1,
        error: "x",
        fatal: true,
      }),
      200,
    );
    assert.equal(out.status, "DEAD");
  }
  const dead = await json(await request("GET", "/api/v1/queues/q/dead?limit=10"), 200);
  assert.equal(dead.jobs.length, 3);
  const redriven = await json(
    await request("POST", "/api/v1/queues/q/dead/redrive", { ids: [ids[0]] }),
    200,
  );
  assert.deepEqual(redriven, { redriven: 1 });
  const back = await json(await request("GET", `/api/v1/jobs/${ids[0]}`), 200);
  assert.deepEqual([back.status, back.payload, back.errors.length, back.redrives], [
    "PENDING",
    { i: 0 },
    1,
    1,
  ]);
  assert.deepEqual(await json(await request("POST", "/api/v1/queues/q/dead/purge", {}), 200), {
    purged: 2,
  });
  const queues = await json(await request("GET", "/api/v1/queues"), 200);
  assert.deepEqual(
    queues.queues.map((
      q: { queue: string; pending: number; dead: number },
    ) => [q.queue, q.pending, q.dead]),
    [["q", 1, 0]],
  );
});

Deno.test("cancel and retry over HTTP; idempotency key; errors are problem+json", async () => {
  const { request } = jobGateway();
  const body = { queue: "q", payload: 1, idempotency_key: "order-1" };
  const first = await json(await request("POST", "/api/v1/jobs", body), 201);
  const dup = await json(await request("POST", "/api/v1/jobs", body), 200);
  assert.deepEqual(dup, { ...first, deduplicated: true });
  assert.equal(
    (await json(await request("POST", `/api/v1/jobs/${first.id}/cancel`), 200)).status,
    "CANCELLED",
  );
  assert.equal(
    (await json(await request("POST", `/api/v1/jobs/${first.id}/retry`), 200)).status,
    "PENDING",
  );
  const missing = await request("GET", "/api/v1/jobs/j_nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("content-type"), "application/problem+json");
  assert.equal((await missing.json()).code, "job_not_found");
  assert.equal(
    (await request("POST", "/api/v1/jobs", { queue: "bad queue!", payload: 1 })).status,
    400,
  );
  assert.equal((await request("POST", "/api/v1/jobs", { payload: 1, priority: 9999 })).status, 400);
  const huge = await request("POST", "/api/v1/jobs", { payload: "x".repeat(300 * 1024) });
  assert.equal(huge.status, 413);
});

Deno.test("permissions: scoped enqueue, read-only callers cannot claim, no token is 401", async () => {
  const { request } = jobGateway();
  assert.equal(
    (await request("POST", "/api/v1/queues/emails/jobs", { payload: 1 }, "emails-token")).status,
    201,
  );
  assert.equal(
    (await request("POST", "/api/v1/queues/other/jobs", { payload: 1 }, "emails-token")).status,
    403,
  );
  assert.equal((await request("POST", "/api/v1/jobs", { payload: 1 }, "emails-token")).status, 403);
  assert.equal(
    (await request(
      "POST",
      "/api/v1/jobs/claim",
      { worker_id: "w", queues: ["emails"] },
      "emails-token",
    )).status,
    403,
  );
  assert.equal((await request("GET", "/api/v1/jobs", undefined, "nope")).status, 401);
});

Deno.test("the OpenAPI document has every job route with its permission", async () => {
  const { request } = jobGateway();
  const spec = await json(await request("GET", "/openapi.json"), 200);
  const expected: [string, string, string][] = [
    ["post", "/api/v1/jobs", "jobs:enqueue"],
    ["get", "/api/v1/jobs", "jobs:read"],
    ["get", "/api/v1/jobs/{id}", "jobs:read"],
    ["post", "/api/v1/jobs/{id}/cancel", "jobs:cancel"],
    ["post", "/api/v1/jobs/{id}/retry", "jobs:retry"],
    ["post", "/api/v1/jobs/claim", "jobs:claim"],
    ["post", "/api/v1/jobs/{id}/heartbeat", "jobs:ack"],
    ["post", "/api/v1/jobs/{id}/ack", "jobs:ack"],
    ["post", "/api/v1/jobs/{id}/nack", "jobs:ack"],
    ["post", "/api/v1/jobs/{id}/release", "jobs:ack"],
    ["get", "/api/v1/queues", "jobs:read"],
    ["post", "/api/v1/queues/{queue}/jobs", "jobs:enqueue:{queue}"],
    ["get", "/api/v1/queues/{queue}/dead", "jobs:read:{queue}"],
    ["post", "/api/v1/queues/{queue}/dead/redrive", "jobs:redrive:{queue}"],
    ["post", "/api/v1/queues/{queue}/dead/purge", "jobs:purge:{queue}"],
  ];
  for (const [method, path, permission] of expected) {
    assert.equal(
      spec.paths[path]?.[method]?.["x-helios-permission"],
      permission,
      `${method} ${path}`,
    );
  }
});

Deno.test("metrics: enqueued, completed, depth and oldest age are exported", async () => {
  const { request, metrics } = jobGateway();
  const { id } = await json(await request("POST", "/api/v1/jobs", { queue: "m", payload: 1 }), 201);
  await json(await request("POST", "/api/v1/jobs", { queue: "m", payload: 2 }), 201);
  await json(await request("POST", "/api/v1/jobs/claim", { worker_id: "w", queues: ["m"] }), 200);
  await json(await request("POST", `/api/v1/jobs/${id}/ack`, { worker_id: "w", attempt: 1 }), 200);
  const text = await metrics.text();
  assert.match(text, /jobs_enqueued_total\{queue="m"\} 2/);
  assert.match(text, /jobs_completed_total\{queue="m",result="completed"\} 1/);
  assert.match(text, /worker_job_queue_depth\{queue="m",status="pending"\} 1/);
  assert.match(text, /worker_job_queue_depth\{queue="m",status="completed"\} 1/);
  assert.match(text, /jobs_oldest_age_seconds\{queue="m"\}/);
  assert.match(text, /job_duration_seconds_count\{queue="m"\} 1/);
  const promtool = await promtoolCheck(text);
  assert.ok(promtool.ok, promtool.output);
});

Deno.test("batches: enqueue many in one request, ack many in one request, per-item errors", async () => {
  const { request } = jobGateway();
  const batch = await json(
    await request("POST", "/api/v1/jobs/batch", {
      jobs: [
        { queue: "b", payload: 1 },
        { queue: "b", payload: "x".repeat(300 * 1024) },
        { queue: "b", payload: 3, idempotency_key: "k" },
        { queue: "b", payload: 4, idempotency_key: "k" },
      ],
    }),
    200,
  );
  assert.equal(batch.results[0].status, "PENDING");
  assert.equal(batch.results[1].error.code, "limit_exceeded");
  assert.equal(batch.results[3].id, batch.results[2].id);
  assert.equal(batch.results[3].deduplicated, true);
  const claimed = await json(
    await request("POST", "/api/v1/jobs/claim", { worker_id: "w", queues: ["b"], max: 10 }),
    200,
  );
  assert.equal(claimed.jobs.length, 2);
  const acks = claimed.jobs.map((j: { id: string }) => ({ id: j.id, attempt: 1, result: "ok" }));
  acks.push({ id: claimed.jobs[0].id, attempt: 1 }); // already acked above in this batch
  const acked = await json(
    await request("POST", "/api/v1/jobs/ack", { worker_id: "w", acks }),
    200,
  );
  assert.deepEqual(acked.results.slice(0, 2).map((r: { status: string }) => r.status), [
    "COMPLETED",
    "COMPLETED",
  ]);
  assert.equal(acked.results[2].error.code, "lease_lost");
  assert.equal(
    (await json(await request("GET", `/api/v1/jobs/${claimed.jobs[1].id}`), 200)).result,
    "ok",
  );
});

Deno.test("rate limits: the worker protocol has its own policy; other job routes the default", async () => {
  const { request } = jobGateway({ rateLimit: true });
  const claims = [];
  for (let i = 0; i < 150; i++) {
    claims.push(
      (await request(
        "POST",
        "/api/v1/jobs/claim",
        { worker_id: "w", queues: ["q"] },
        "worker-token",
      )).status,
    );
  }
  assert.deepEqual(new Set(claims), new Set([200]));
  const reads = [];
  for (let i = 0; i < 150; i++) {
    reads.push((await request("GET", "/api/v1/queues", undefined, "worker-token")).status);
  }
  assert.ok(reads.includes(429), "the default policy (100 burst) applies to GET /api/v1/queues");
});
