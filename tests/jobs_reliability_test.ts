/**
 * Reliability under crashes (issue 9 acceptance): webhook jobs delivered by 3 `helios worker`
 * processes to a local sink that answers 500 to 20% of deliveries and times out 5%; every few
 * seconds a random worker is killed with SIGKILL and restarted; mid-run the gateway (embedded
 * engine, --sync-mode every) is killed with SIGKILL and restarted on the same data directory.
 * Checked at the end: no job lost, every job COMPLETED or DEAD exactly as its policy says, none
 * RUNNING past its lease, every claim accounted for, and a job delivered successfully twice only
 * when a lease expired (counted per job).
 *
 * Default size is CI-friendly; JOBS_RELIABILITY_JOBS=10000 runs the full acceptance size.
 */
import assert from "node:assert/strict";
import { createPrng } from "../src/lib/prng.ts";
import {
  apiToken,
  type Child,
  freePort,
  startGateway,
  startWorker,
  writeGatewayConfig,
} from "./jobs_processes.ts";

const JOBS = Number(Deno.env.get("JOBS_RELIABILITY_JOBS") ?? 1500);
const WORKERS = 3;
const MAX_ATTEMPTS = 5;
const LEASE = "3s";
const WEBHOOK_TIMEOUT_MS = 1000;
const FATAL_EVERY = 50; // every 50th job targets a URL answering 404: dead at once, no retry
const SEED = Number(Deno.env.get("SEED") ?? Date.now() % 100_000);

/** The fields of GET /api/v1/jobs entries the checks read. */
interface JobRow {
  id: string;
  status: string;
  idempotency_key: string;
  attempt: number;
  runs: number;
  lease_expiries: number;
  errors: { reason: string; error: string }[];
}

interface Seen {
  deliveries: number;
  successes: number;
}

function startSink(seed: number) {
  const random = createPrng(seed);
  const seen = new Map<string, Seen>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const id = request.headers.get("x-helios-job-id") ?? "?";
    await request.body?.cancel();
    const entry = seen.get(id) ?? { deliveries: 0, successes: 0 };
    seen.set(id, entry);
    entry.deliveries++;
    if (new URL(request.url).pathname === "/gone") return new Response("gone", { status: 404 });
    const r = random();
    if (r < 0.20) return new Response("boom", { status: 500 });
    if (r < 0.25) {
      await new Promise((resolve) => setTimeout(resolve, WEBHOOK_TIMEOUT_MS + 500));
      return new Response("too late", { status: 200 }); // the worker gave up already
    }
    entry.successes++;
    return new Response("ok", { status: 200 });
  });
  return { seen, server, url: `http://127.0.0.1:${server.addr.port}` };
}

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = await response.json();
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  }
  return json;
}

/** Retries through gateway restarts; enqueues are deduplicated by their idempotency key. */
async function persist<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test(`jobs reliability: ${JOBS} webhook jobs, ${WORKERS} workers killed -9, gateway killed -9 (every)`, async () => {
  const startedMs = Date.now();
  const deadline = startedMs + Math.max(90_000, JOBS * 60);
  const dir = await Deno.makeTempDir({ prefix: "helios-jobs-rel-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFile = await writeGatewayConfig(dir, port, "every", { visibility_timeout: LEASE });
  const sink = startSink(SEED);
  let gateway: Child = startGateway(configFile);
  const workers: Child[] = [];
  const stats = { workerKills: 0, gatewayRestarts: 0, leaseOverdueMsMax: 0, enqueued: 0 };
  try {
    await gateway.ready(base);
    const token = await apiToken(base);
    const spawnWorker = (i: number) =>
      startWorker(`w${i}`, base, token, [
        "--queues",
        "hooks",
        "--concurrency",
        "16",
        "--poll-interval",
        "1s",
        "--visibility-timeout",
        LEASE,
      ]);
    for (let i = 0; i < WORKERS; i++) workers.push(spawnWorker(i));

    let next = 0;
    const enqueueOne = (n: number) =>
      persist(() =>
        api(base, token, "POST", "/api/v1/jobs", {
          queue: "hooks",
          task: "http",
          idempotency_key: `job-${n}`,
          max_attempts: MAX_ATTEMPTS,
          backoff: { type: "exponential", delay_ms: 100, max_ms: 1000 },
          payload: {
            url: n % FATAL_EVERY === 0 ? `${sink.url}/gone` : `${sink.url}/hook`,
            body: { n },
            timeout_ms: WEBHOOK_TIMEOUT_MS,
          },
        }), deadline);
    const enqueuing = Promise.all(Array.from({ length: 16 }, async () => {
      while (next < JOBS) {
        await enqueueOne(next++);
        stats.enqueued++;
      }
    }));

    let done = false;
    const chaos = (async () => {
      const random = createPrng(SEED + 1);
      let restartedGateway = false;
      while (!done) {
        await sleep(1000 + random() * 2000);
        if (done) break;
        const i = Math.floor(random() * WORKERS);
        await workers[i].kill("SIGKILL");
        stats.workerKills++;
        workers[i] = spawnWorker(i);
        if (!restartedGateway && stats.enqueued > JOBS * 0.4) {
          restartedGateway = true;
          await gateway.kill("SIGKILL");
          gateway = startGateway(configFile);
          await gateway.ready(base);
          stats.gatewayRestarts++;
        }
      }
    })();

    // Sample RUNNING jobs: none may stay RUNNING well past its lease (reaper runs every 200 ms).
    let final: {
      queue: string;
      pending: number;
      scheduled: number;
      running: number;
      completed: number;
      dead: number;
    } | undefined;
    while (Date.now() < deadline) {
      await sleep(1000);
      try {
        const running = await api(
          base,
          token,
          "GET",
          "/api/v1/jobs?queue=hooks&status=RUNNING&limit=1000",
        );
        const now = Date.now();
        for (const job of running.jobs) {
          const overdue = now - Date.parse(job.lease.expires_at);
          stats.leaseOverdueMsMax = Math.max(stats.leaseOverdueMsMax, overdue);
        }
        const { queues } = await api(base, token, "GET", "/api/v1/queues");
        final = queues.find((q: { queue: string }) => q.queue === "hooks");
      } catch (_error) {
        continue; // gateway restarting
      }
      if (
        final && stats.enqueued === JOBS && final.pending + final.scheduled + final.running === 0
      ) break;
    }
    done = true;
    await chaos;
    await enqueuing;
    assert.ok(final, "queue stats were never read");
    assert.equal(
      final.pending + final.scheduled + final.running,
      0,
      `not finished: ${JSON.stringify(final)}`,
    );

    const jobs: JobRow[] = [];
    for (let cursor: string | null = ""; cursor !== null;) {
      const page: { jobs: JobRow[]; next_cursor: string | null } = await api(
        base,
        token,
        "GET",
        `/api/v1/jobs?queue=hooks&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
      );
      jobs.push(...page.jobs);
      cursor = page.next_cursor;
    }
    const summary = verify(jobs, sink.seen);
    // deno-lint-ignore no-console
    console.log(JSON.stringify({
      seed: SEED,
      jobs: JOBS,
      elapsed_s: Math.round((Date.now() - startedMs) / 100) / 10,
      ...summary,
      worker_kills: stats.workerKills,
      gateway_restarts: stats.gatewayRestarts,
      running_past_lease_ms_max: Math.max(0, stats.leaseOverdueMsMax),
    }));
    assert.ok(stats.workerKills >= 1, "no worker was killed");
    assert.equal(stats.gatewayRestarts, 1, "the gateway was not restarted");
    // Expired leases are reaped every 200 ms; the slack covers a loaded machine's event loop.
    assert.ok(
      stats.leaseOverdueMsMax < 2500,
      `a job stayed RUNNING ${stats.leaseOverdueMsMax} ms past its lease`,
    );
  } finally {
    for (const worker of workers) await worker.kill("SIGKILL");
    await gateway.kill("SIGKILL");
    await sink.server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

function verify(jobs: JobRow[], seen: Map<string, Seen>) {
  // None lost: exactly one job per idempotency key, and every key present.
  assert.equal(jobs.length, JOBS, `expected ${JOBS} jobs, found ${jobs.length}`);
  const keys = new Set(jobs.map((j) => j.idempotency_key));
  assert.equal(keys.size, JOBS);
  let completed = 0,
    deadFatal = 0,
    deadExhausted = 0,
    leaseExpiries = 0,
    doubleSuccess = 0,
    deliveries = 0;
  for (const job of jobs) {
    const sink = seen.get(job.id) ?? { deliveries: 0, successes: 0 };
    const n = Number(job.idempotency_key.slice(4));
    const fatalJob = n % FATAL_EVERY === 0;
    const ended = job.errors.length + (job.status === "COMPLETED" ? 1 : 0);
    leaseExpiries += job.lease_expiries;
    deliveries += sink.deliveries;
    const where = `job ${job.id} (#${n}) ${JSON.stringify({ ...job, payload: undefined })} sink=${
      JSON.stringify(sink)
    }`;
    assert.ok(job.status === "COMPLETED" || job.status === "DEAD", `not final: ${where}`);
    // Every claim ended exactly once: acked, failed, expired (or released).
    assert.equal(ended, job.runs, `unaccounted claims: ${where}`);
    assert.ok(sink.deliveries <= job.runs, `delivered more often than claimed: ${where}`);
    // A second successful delivery happens only after a lease expired, and is counted.
    const allowed = (job.status === "COMPLETED" ? 1 : 0) + job.lease_expiries;
    assert.ok(sink.successes <= allowed, `double run without lease expiry: ${where}`);
    if (sink.successes >= 2) doubleSuccess++;
    const expired = job.errors.filter((e: { reason: string }) =>
      e.reason === "lease_expired"
    ).length;
    assert.equal(expired, job.lease_expiries, `lease expiries miscounted: ${where}`);
    if (job.status === "COMPLETED") {
      completed++;
      assert.ok(!fatalJob, `a 404 job completed: ${where}`);
      assert.ok(sink.successes >= 1, `completed without a successful delivery: ${where}`);
    } else if (fatalJob && job.errors.at(-1)?.reason === "fatal") {
      deadFatal++;
      assert.match(job.errors.at(-1)!.error, /404/);
    } else {
      deadExhausted++;
      assert.equal(job.attempt, MAX_ATTEMPTS, `dead before max_attempts: ${where}`);
      const failed = job.errors.filter((e: { reason: string }) =>
        e.reason === "failed" || e.reason === "lease_expired"
      );
      assert.equal(
        failed.length,
        MAX_ATTEMPTS,
        `dead with ${failed.length} failed attempts: ${where}`,
      );
    }
  }
  return {
    completed,
    dead_fatal_404: deadFatal,
    dead_attempts_exhausted: deadExhausted,
    deliveries,
    lease_expiries: leaseExpiries,
    jobs_delivered_ok_twice: doubleSuccess,
  };
}
