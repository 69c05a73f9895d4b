/**
 * The job queue on a 3-node Raft cluster under faults, reached the way a user who outgrew one
 * embedded node reaches it: `helios gateway --atlas` listing every node, `helios worker`s.
 *
 * - A write whose Raft commit the leader could not confirm ("TRYAGAIN ... may or may not have been
 *   applied": the followers' acks are lost, the leader steps down, the next leader commits the
 *   entry) is not resent by the gateway's RESP client. Resent, a JOB.CLAIM leased a second batch
 *   of jobs and the first sat RUNNING, leased to a worker that never heard of it, until its lease
 *   expired (a job with max_attempts 1 dead without running); an enqueue came back 409
 *   job_state_conflict ("already exists": its own first attempt), though it was stored.
 * - A gateway whose node is cut off from the majority moves to a node of the majority. It kept
 *   resending to the cut-off node, which answers CLUSTERDOWN: every call hung for ~20 s and then
 *   failed, for as long as the partition lasted.
 * - End to end: webhook jobs through two remote gateways and three workers to a sink that fails
 *   20% and times out 5%, while the leader is killed -9, leadership transferred, the leader
 *   partitioned, a gateway and workers killed -9. Every job ends as its policy says, every
 *   delivery is accounted for, every error answer is problem+json, and every node holds the same
 *   queue.
 */
import assert from "node:assert/strict";
import { binaryToUtf8, type Reply } from "../atlas/mod.ts";
import { createPrng } from "../src/lib/prng.ts";
import { JobService } from "../src/queue/mod.ts";
import { RespAtlasClient } from "../src/storage/resp_client.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";
import { ADMIN_PASSWORD, apiToken, Child, freePort, startWorker } from "./jobs_processes.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function serviceOn(cluster: RaftTestCluster, order: number[]) {
  const client = new RespAtlasClient({
    nodes: order.map((i) => ({ hostname: "127.0.0.1", port: cluster.nodes[i].respPort })),
  });
  return { client, jobs: new JobService({ client }) };
}

type Outcome<T> = { ok: T } | { status: number; code: string };
function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then(
    (ok) => ({ ok }),
    (error) => ({ status: error.status ?? 0, code: error.code ?? String(error) }),
  );
}

/**
 * Runs `op` through the leader while the followers' answers to it are black-holed: they get the
 * leader's entries, the leader never hears back. It cannot confirm the commit and steps down;
 * the followers elect one of them, which commits the entry.
 */
async function withLostAcks<T>(cluster: RaftTestCluster, op: () => Promise<T>) {
  const leader = await cluster.leader();
  for (const f of [0, 1, 2].filter((i) => i !== leader)) cluster.proxies[f][leader]!.stall();
  const outcome = settle(op());
  // The leader answers once its request timeout passed; a resend could only reach the new
  // leader once the leader hears from it again.
  await Promise.race([outcome, sleep(4000)]);
  cluster.heal();
  const result = await outcome;
  await cluster.leader();
  return result;
}

Deno.test({
  name: "jobs on a cluster: a write whose commit the leader could not confirm is never resent",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    const services: ReturnType<typeof serviceOn>[] = [];
    const on = async () => {
      const leader = await cluster.leader();
      const service = serviceOn(cluster, [leader, ...[0, 1, 2].filter((i) => i !== leader)]);
      services.push(service);
      return service.jobs;
    };
    try {
      let jobs = await on();
      for (let n = 0; n < 4; n++) await jobs.enqueue({ queue: "q", task: "t", payload: n });

      // A claim: the jobs leased to the worker are the ones it was given, or the claim failed
      // with 503 (outcome unknown: what it leased expires, as after a lost reply).
      const claim = await withLostAcks(
        cluster,
        () => jobs.claim({ worker: "w", queues: ["q"], max: 1, lease_ms: 60_000 }),
      );
      jobs = await on();
      const running = (await jobs.list({ queue: "q", status: "RUNNING" })).jobs;
      if ("ok" in claim) {
        assert.deepEqual(running.map((j) => j.id), claim.ok.map((j) => j.id));
      } else {
        assert.deepEqual(claim, { status: 503, code: "atlas_unavailable" });
        assert.ok(running.length <= 1, `one claim of max 1 leased ${running.length} jobs`);
      }

      // An enqueue without an idempotency key: stored once, and never refused as a duplicate
      // of itself.
      const enqueue = await withLostAcks(
        cluster,
        () => jobs.enqueue({ queue: "e", task: "t", payload: "x" }),
      );
      jobs = await on();
      const stored = (await jobs.list({ queue: "e" })).jobs.map((j) => j.id);
      if ("ok" in enqueue) {
        assert.deepEqual(stored, [enqueue.ok.id]);
      } else {
        assert.deepEqual(enqueue, { status: 503, code: "atlas_unavailable" });
        assert.ok(stored.length <= 1, `one enqueue stored ${stored.length} jobs`);
      }
    } finally {
      for (const { jobs, client } of services) {
        jobs.close();
        await client.close();
      }
      await cluster.close();
    }
  },
});

Deno.test({
  name:
    "jobs on a cluster: a gateway whose node is cut off from the majority moves to the majority",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({ size: 3 });
    // Like `--atlas node-1,node-2,node-3`: node-1 first.
    const { client, jobs } = serviceOn(cluster, [0, 1, 2]);
    try {
      await jobs.enqueue({ queue: "q", task: "t", payload: "before" });
      cluster.partition([0], [1, 2]);
      // The majority has a leader, and node-1 knows it has none (until then it still forwards).
      await cluster.leader([1, 2]);
      while ((await cluster.status(0))?.leader_id) await sleep(50);
      // Enqueues while node-1 is cut off (one that node-1 took may fail: 503, outcome unknown).
      const partitionEnds = sleep(15_000).then(() => "partition over");
      const outcomes: Outcome<unknown>[] = [];
      for (let n = 0;; n++) {
        const outcome = await Promise.race([
          settle(jobs.enqueue({ queue: "q", task: "t", payload: n, idempotency_key: `k${n}` })),
          partitionEnds,
        ]);
        if (outcome === "partition over") break;
        outcomes.push(outcome as Outcome<unknown>);
        if ("ok" in (outcome as Outcome<unknown>)) break;
      }
      cluster.heal();
      assert.ok(
        outcomes.some((outcome) => "ok" in outcome),
        `no enqueue succeeded while node-1 was cut off: ${JSON.stringify(outcomes)}`,
      );
      for (const outcome of outcomes) {
        if (!("ok" in outcome)) {
          assert.deepEqual(outcome, { status: 503, code: "atlas_unavailable" });
        }
      }
      assert.notEqual(client.currentNode.port, cluster.nodes[0].respPort);
    } finally {
      jobs.close();
      await client.close();
      await cluster.close();
    }
  },
});

Deno.test({
  name: "jobs on a cluster: moving leadership while idempotency keys are live keeps the leader up",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // An idempotency key is a key with a TTL: while one exists the leader replicates a clock tick
    // ten times a second. A tick proposed while a leadership transfer was under way threw out of
    // its timer (the proposal is refused at once) and killed the leader's process.
    const cluster = await RaftTestCluster.start({ size: 3 });
    const { client, jobs } = serviceOn(cluster, [0, 1, 2]);
    try {
      await jobs.enqueue({ queue: "q", task: "t", payload: 1, idempotency_key: "once" });
      const leader = await cluster.leader();
      const target = (leader + 1) % 3;
      const process = cluster.nodes[leader].process!;
      // The target does not hear from the leader: the transfer stays under way until it is
      // given up (an election timeout), many ticks long.
      cluster.proxies[leader][target]!.stall();
      const connection = await cluster.connect(leader);
      const reply = await connection.send([
        "HELIOS.CLUSTER",
        "TRANSFER-LEADER",
        cluster.nodes[target].id,
      ]).catch((error) => ({ kind: "error", value: String(error) }));
      connection.close();
      cluster.heal();
      const died = await Promise.race([
        process.exited.then((status) => `exited with ${status.code}: ${process.stderr.join("\n")}`),
        sleep(1000).then(() => null),
      ]);
      assert.equal(died, null, `the leader died during the transfer (${JSON.stringify(reply)})`);
      const again = await jobs.enqueue({
        queue: "q",
        task: "t",
        payload: 2,
        idempotency_key: "once",
      });
      assert.equal(again.deduplicated, true);
    } finally {
      jobs.close();
      await client.close();
      await cluster.close();
    }
  },
});

// ---- end to end ----------------------------------------------------------------------------

const JOBS = Number(Deno.env.get("JOBS_CLUSTER_FAULTS_JOBS") ?? 300);
const SEED = Number(Deno.env.get("SEED") ?? Date.now() % 100_000);
const LEASE = "3s";
const WEBHOOK_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const FATAL_EVERY = 25; // targets a URL answering 404: dead at once
const MAX_ATTEMPTS = [1, 2, 3, 5];

type Delivery = { attempt: number; outcome: "ok" | "500" | "timeout" | "404" };

function startSink(seed: number) {
  const random = createPrng(seed);
  const seen = new Map<string, Delivery[]>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const id = request.headers.get("x-helios-job-id") ?? "?";
    const delivery: Delivery = {
      attempt: Number(request.headers.get("x-helios-attempt")),
      outcome: "ok",
    };
    await request.body?.cancel();
    seen.set(id, [...(seen.get(id) ?? []), delivery]);
    if (new URL(request.url).pathname === "/gone") {
      delivery.outcome = "404";
      return new Response("gone", { status: 404 });
    }
    const r = random();
    if (r < 0.20) {
      delivery.outcome = "500";
      return new Response("boom", { status: 500 });
    }
    if (r < 0.25) {
      delivery.outcome = "timeout";
      await sleep(WEBHOOK_TIMEOUT_MS + 500);
      return new Response("too late", { status: 200 }); // the worker gave up already
    }
    return new Response("ok", { status: 200 });
  });
  return { seen, server, url: `http://127.0.0.1:${server.addr.port}` };
}

interface JobRow {
  id: string;
  status: string;
  idempotency_key: string;
  attempt: number;
  max_attempts: number;
  runs: number;
  lease_expiries: number;
  errors: { attempt: number; reason: string; error: string }[];
}

function specOf(n: number, sink: string) {
  return {
    queue: "hooks",
    task: "http",
    idempotency_key: `job-${n}`,
    max_attempts: MAX_ATTEMPTS[n % MAX_ATTEMPTS.length],
    backoff: [
      { type: "exponential", delay_ms: 100, max_ms: 800 },
      { type: "fixed", delay_ms: 150 },
      { type: "none" },
    ][n % 3],
    priority: (n % 5) * 100,
    ...(n % 8 === 0 ? { delay_ms: 300 + (n * 37) % 1500 } : {}),
    payload: {
      url: n % FATAL_EVERY === 0 ? `${sink}/gone` : `${sink}/hook`,
      body: { n },
      timeout_ms: WEBHOOK_TIMEOUT_MS,
    },
  };
}

Deno.test({
  name:
    `jobs on a cluster: ${JOBS} webhook jobs, remote gateways and workers; leader killed, moved and partitioned`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cluster = await RaftTestCluster.start({
      size: 3,
      env: { HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD: "500" },
    });
    const dir = await Deno.makeTempDir({ prefix: "helios-jobs-cluster-faults-" });
    const sink = startSink(SEED);
    const atlas = cluster.nodes.map((n) => `127.0.0.1:${n.respPort}`).join(",");
    const ports = [freePort(), freePort()];
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    const configs = await Promise.all(ports.map(async (port, i) => {
      const file = `${dir}/gateway-${i}.yaml`;
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          gateway: {
            listen: `127.0.0.1:${port}`,
            atlas,
            rate_limit: { enabled: false },
            jwt_expiry: "2h",
            jwt_secret: "jobs-cluster-faults-jwt-secret-0123456789abcdef",
            request_timeout: `${REQUEST_TIMEOUT_MS}ms`,
          },
          worker: { reap_interval: "200ms", retention_count: 1_000_000, visibility_timeout: LEASE },
          observability: { metrics_listen: "127.0.0.1:0", log_level: "warn" },
        }),
      );
      return file;
    }));
    const startGateway = (i: number) =>
      new Child(["main.ts", "gateway", "--config", configs[i]], {
        HELIOS_ADMIN_PASSWORD: ADMIN_PASSWORD,
      });
    const gateways: Child[] = [];
    const workers: Child[] = [];
    const workerIds: string[] = [];
    const stats = {
      leaderKills: 0,
      transfers: 0,
      partitions: 0,
      gatewayKills: 0,
      workerKills: 0,
      enqueued: 0,
      duplicates: 0,
      deliveries: 0,
      leaseExpiries: 0,
      redelivered: 0,
      deliveredOkTwice: 0,
      answers: {} as Record<string, number>,
    };
    try {
      for (let i = 0; i < 2; i++) {
        gateways.push(startGateway(i));
        await gateways[i].ready(bases[i]);
      }
      const token = await apiToken(bases[0]);
      const spawnWorker = (i: number, generation: number) => {
        workerIds[i] = `w${i}-${generation}`;
        return startWorker(workerIds[i], bases[i % 2], token, [
          "--queues",
          "hooks",
          "--concurrency",
          "8",
          "--poll-interval",
          "1s",
          "--visibility-timeout",
          LEASE,
        ]);
      };
      for (let i = 0; i < 3; i++) workers.push(spawnWorker(i, 0));

      // Every answer is recorded: an error must be problem+json; a request must be answered
      // (the client's own timeout is the gateway's request timeout plus a margin).
      const api = async (gw: number, method: string, path: string, body?: unknown) => {
        const response = await fetch(bases[gw] + path, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS + 5000),
        });
        const text = await response.text();
        const json = JSON.parse(text);
        const key = response.ok ? String(response.status) : `${response.status} ${json.code}`;
        stats.answers[key] = (stats.answers[key] ?? 0) + 1;
        if (!response.ok) {
          assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
          throw Object.assign(new Error(`${method} ${path}: ${response.status} ${text}`), {
            status: response.status,
          });
        }
        return json;
      };
      const isTimeout = (error: unknown) =>
        error instanceof DOMException && error.name === "TimeoutError";
      // Retried through 503s and a gateway down (connection refused); never through a 4xx, and
      // never after a request that got no answer in time.
      const persist = async <T>(fn: (gw: number) => Promise<T>, first: number): Promise<T> => {
        for (let attempt = 0;; attempt++) {
          try {
            return await fn((first + attempt) % 2);
          } catch (error) {
            assert.ok(!isTimeout(error), `a request was not answered: ${error}`);
            const status = (error as { status?: number }).status;
            if (status !== undefined && status < 500) throw error;
            if (attempt > 200) throw error;
            await sleep(Math.min(50 * 2 ** attempt, 500));
          }
        }
      };

      // Enqueue: single and batch, through either gateway, paced to span the faults.
      const answered = new Map<string, string[]>();
      const record = (n: number, id: string) =>
        answered.set(`job-${n}`, [...(answered.get(`job-${n}`) ?? []), id]);
      let next = 0;
      const enqueuing = Promise.all(Array.from({ length: 4 }, async (_, lane) => {
        while (next < JOBS) {
          if (lane === 0 && next + 10 <= JOBS) {
            const ns = Array.from({ length: 10 }, () => next++);
            const out = await persist(
              (gw) =>
                api(gw, "POST", "/api/v1/jobs/batch", { jobs: ns.map((n) => specOf(n, sink.url)) }),
              ns[0],
            );
            // Every item stored: a batch the cluster did not apply is retried whole, never
            // answered item by item with "no leader".
            out.results.forEach((r: { id?: string; error?: unknown }, i: number) => {
              assert.ok(r.id, `batch item ${ns[i]}: ${JSON.stringify(r.error)}`);
              record(ns[i], r.id);
            });
            stats.enqueued += 10;
          } else {
            const n = next++;
            const out = await persist(
              (gw) => api(gw, "POST", "/api/v1/jobs", specOf(n, sink.url)),
              n,
            );
            record(n, out.id);
            stats.enqueued++;
          }
          // About 25 jobs a second: the enqueues go on through the faults.
          await sleep(lane === 0 ? 1000 : 200);
        }
      }));
      // The same keys again through the other gateway, across the leader changes: deduplicated.
      const duplicating = (async () => {
        const random = createPrng(SEED + 3);
        while (stats.enqueued < JOBS) {
          await sleep(400);
          const n = Math.floor(random() * next);
          if (!answered.has(`job-${n}`)) continue;
          const out = await persist(
            (gw) => api(gw, "POST", "/api/v1/jobs", specOf(n, sink.url)),
            n + 1,
          );
          assert.equal(out.deduplicated, true);
          record(n, out.id);
          stats.duplicates++;
        }
      })();

      let done = false;
      const workerChaos = (async () => {
        const random = createPrng(SEED + 1);
        for (let generation = 1; !done; generation++) {
          await sleep(1500 + random() * 1500);
          if (done) break;
          const i = Math.floor(random() * 3);
          await workers[i].kill("SIGKILL");
          workers[i] = spawnWorker(i, generation);
          stats.workerKills++;
        }
      })();
      const clusterChaos = (async () => {
        await sleep(2000);
        // kill -9 of the leader, back on its ports.
        let leader = await cluster.leader();
        await cluster.kill(leader);
        stats.leaderKills++;
        await sleep(1500);
        await cluster.startNode(leader, [], true);
        await sleep(1500);
        // `helios cluster transfer-leader` through a follower.
        leader = await cluster.leader();
        const target = (leader + 1) % 3;
        const transfer = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "main.ts",
            "cluster",
            "transfer-leader",
            cluster.nodes[target].id,
            "--atlas",
            `127.0.0.1:${cluster.nodes[(leader + 2) % 3].respPort}`,
          ],
          cwd: new URL("../", import.meta.url).pathname,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(transfer.code, 0, new TextDecoder().decode(transfer.stderr));
        stats.transfers++;
        await sleep(1500);
        // The leader partitioned from the others, then healed.
        leader = await cluster.leader();
        cluster.partition([leader], [0, 1, 2].filter((i) => i !== leader));
        stats.partitions++;
        await sleep(2500);
        cluster.heal();
        await sleep(1500);
        // kill -9 of a gateway, restarted.
        await gateways[1].kill("SIGKILL");
        stats.gatewayKills++;
        gateways[1] = startGateway(1);
        await gateways[1].ready(bases[1]);
      })();

      await enqueuing;
      await duplicating;
      await clusterChaos;
      for (;;) {
        const { queues } = await persist((gw) => api(gw, "GET", "/api/v1/queues"), 0);
        const hooks = queues.find((q: { queue: string }) => q.queue === "hooks");
        if (hooks.pending + hooks.scheduled + hooks.running === 0) break;
        await sleep(500);
      }
      done = true;
      await workerChaos;

      const jobs: JobRow[] = [];
      for (let cursor: string | null = ""; cursor !== null;) {
        const page: { jobs: JobRow[]; next_cursor: string | null } = await persist(
          (gw) =>
            api(
              gw,
              "GET",
              `/api/v1/jobs?queue=hooks&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
            ),
          0,
        );
        jobs.push(...page.jobs);
        cursor = page.next_cursor;
      }
      verify(jobs, answered, sink.seen, stats);

      // Every node holds the same queue: depths and dead-letter listings read on each node
      // (linearizable reads), then, with gateways and workers stopped, every job key.
      for (const worker of workers) await worker.kill("SIGKILL");
      for (const gateway of gateways) await gateway.kill("SIGKILL");
      const nowMs = String(Date.now());
      const views = await Promise.all([0, 1, 2].map(async (i) => {
        const connection = await cluster.connect(i);
        try {
          const queues = await connection.send(["JOB.QUEUES", nowMs]);
          const dead = await connection.send(["JOB.LIST", "hooks", "DEAD", "", "1000"]);
          return JSON.stringify([
            text(queues),
            JSON.parse(text(dead)).jobs.map(
              (j: { id: string }) => j.id,
            ),
          ]);
        } finally {
          connection.close();
        }
      }));
      assert.equal(new Set(views).size, 1, `nodes disagree:\n${views.join("\n")}`);
      const dumps = await Promise.all([0, 1, 2].map((i) => dumpJobKeys(cluster, i)));
      assert.ok(dumps[0].size > JOBS);
      assert.deepEqual(dumps[1], dumps[0], "node-2's job keys differ from node-1's");
      assert.deepEqual(dumps[2], dumps[0], "node-3's job keys differ from node-1's");

      // deno-lint-ignore no-console
      console.log(JSON.stringify({ seed: SEED, jobs: JOBS, ...stats }));
      assert.equal(stats.leaderKills + stats.transfers + stats.partitions + stats.gatewayKills, 4);
    } finally {
      for (const worker of workers) await worker.kill("SIGKILL");
      for (const gateway of gateways) await gateway.kill("SIGKILL");
      await sink.server.shutdown();
      await cluster.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function text(reply: Reply): string {
  if (reply.kind !== "bulk") throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  return binaryToUtf8(reply.value);
}

/** Every helios:jobs:* key of a node with its value (strings) or members and scores (zsets). */
async function dumpJobKeys(cluster: RaftTestCluster, index: number): Promise<Map<string, string>> {
  const connection = await cluster.connect(index);
  const out = new Map<string, string>();
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const reply = await connection.send([
        "SCAN",
        cursor,
        "MATCH",
        "helios:jobs:*",
        "COUNT",
        "1000",
      ]);
      if (reply.kind !== "array") throw new Error(`SCAN: ${JSON.stringify(reply)}`);
      const [next, batch] = reply.value;
      cursor = (next as { value: string }).value;
      if (batch.kind !== "array") throw new Error(`SCAN: ${JSON.stringify(reply)}`);
      for (const key of batch.value) keys.push((key as { value: string }).value);
    } while (cursor !== "0");
    await Promise.all(keys.map(async (key) => {
      const type = await connection.send(["TYPE", key]);
      const value = (type as { value: string }).value === "zset"
        ? await connection.send(["ZRANGE", key, "0", "-1", "WITHSCORES"])
        : await connection.send(["GET", key]);
      out.set(key, JSON.stringify(value));
    }));
  } finally {
    connection.close();
  }
  return out;
}

function verify(
  jobs: JobRow[],
  answered: Map<string, string[]>,
  seen: Map<string, Delivery[]>,
  stats: {
    deliveries: number;
    leaseExpiries: number;
    redelivered: number;
    deliveredOkTwice: number;
  },
) {
  // None lost, none twice: one job per key, the one every enqueue of the key was answered with.
  assert.equal(jobs.length, JOBS, `expected ${JOBS} jobs, found ${jobs.length}`);
  const byKey = new Map(jobs.map((job) => [job.idempotency_key, job]));
  assert.equal(byKey.size, JOBS);
  for (const [key, ids] of answered) {
    assert.deepEqual(new Set(ids), new Set([byKey.get(key)?.id]), `enqueues of ${key}`);
  }
  assert.equal(answered.size, JOBS);
  for (const job of jobs) {
    const n = Number(job.idempotency_key.slice(4));
    const deliveries = seen.get(job.id) ?? [];
    const where = `job ${job.id} (#${n}) ${JSON.stringify(job)} deliveries=${
      JSON.stringify(deliveries)
    }`;
    assert.ok(job.status === "COMPLETED" || job.status === "DEAD", `not final: ${where}`);
    assert.equal(job.max_attempts, MAX_ATTEMPTS[n % MAX_ATTEMPTS.length], where);
    // Every claim ended once: acked, failed, expired or released.
    assert.equal(job.errors.length + (job.status === "COMPLETED" ? 1 : 0), job.runs, where);
    // The sink saw each attempt at most once, and what the queue recorded of it.
    const byAttempt = new Map<number, Delivery[]>();
    for (const d of deliveries) byAttempt.set(d.attempt, [...(byAttempt.get(d.attempt) ?? []), d]);
    for (const ds of byAttempt.values()) assert.equal(ds.length, 1, `delivered twice: ${where}`);
    assert.ok(deliveries.length <= job.runs, `delivered more often than claimed: ${where}`);
    for (const e of job.errors) {
      const delivery = byAttempt.get(e.attempt)?.[0];
      if (e.reason === "failed" || e.reason === "fatal") {
        assert.ok(delivery && delivery.outcome !== "ok", `failure not seen by the sink: ${where}`);
      }
    }
    if (job.status === "COMPLETED") {
      assert.ok(n % FATAL_EVERY !== 0, `a 404 job completed: ${where}`);
      assert.equal(byAttempt.get(job.attempt)?.[0]?.outcome, "ok", where);
    } else if (!(n % FATAL_EVERY === 0 && job.errors.at(-1)?.reason === "fatal")) {
      // Dead by exhaustion: exactly max_attempts failed attempts.
      assert.equal(job.attempt, job.max_attempts, `dead before max_attempts: ${where}`);
      const failed = job.errors.filter((e) =>
        e.reason === "failed" || e.reason === "lease_expired"
      );
      assert.equal(failed.length, job.max_attempts, where);
    }
    // A job runs again only after a lease expiry (counted), never after an ack.
    const successes = deliveries.filter((d) => d.outcome === "ok").length;
    const expired = job.errors.filter((e) => e.reason === "lease_expired").length;
    assert.equal(expired, job.lease_expiries, where);
    assert.ok(
      successes <= (job.status === "COMPLETED" ? 1 : 0) + job.lease_expiries,
      `delivered successfully again without a lease expiry: ${where}`,
    );
    stats.deliveries += deliveries.length;
    stats.leaseExpiries += job.lease_expiries;
    if (byAttempt.size > 1 && job.lease_expiries > 0) stats.redelivered++;
    if (successes > 1) stats.deliveredOkTwice++;
  }
}
