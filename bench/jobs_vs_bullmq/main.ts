// deno-lint-ignore-file no-console -- a benchmark script reports on the console
/**
 * bench/jobs_vs_bullmq: end-to-end job throughput — enqueue → no-op handler → ack — of BullMQ on
 * Redis 7 (appendonly yes, appendfsync everysec) against Helios under `--sync-mode interval` and
 * under `every` (fsync before every reply), over three paths:
 *   http  `helios gateway` (embedded ATLAS); producers POST /api/v1/jobs[/batch], the worker is a
 *         WorkerRunner over HttpJobApi (batch claims, coalesced acks);
 *   resp  `helios atlasd`; producers and a WorkerRunner use RespJobApi (JOB.* over pipelined RESP,
 *         no gateway) on separate connections — the shape of BullMQ + Redis;
 *   app   one process: an application from createHelios on its embedded engine enqueues with
 *         helios.jobs.service and runs the handler in-process (WorkerRunner + InProcessJobApi, as
 *         its embedded worker) — how a Helios application replaces BullMQ + Redis.
 * Same job count, producer and worker concurrency, in one run, alternating the order.
 *
 *   deno run -A bench/jobs_vs_bullmq/main.ts [--jobs 5000] [--rounds 2] [--concurrency 32]
 *       [--producers 16] [--batch 100] [--sides all | http-interval,resp-every,app-interval,...]
 *
 * Each side: `producers` concurrent producers enqueue `jobs` jobs, and one worker runs a no-op
 * handler with `concurrency` slots. The time is from the first enqueue to the last confirmed ack.
 * Two enqueue styles: `single` (queue.add / one enqueue call per job) and `bulk` (queue.addBulk /
 * enqueueMany or POST /api/v1/jobs/batch, `batch` jobs per call). Besides jobs/s it reports the
 * CPU time all processes of a side spent per 1000 jobs, which a busy machine distorts much less
 * than wall-clock throughput. A fresh server per run: Helios's JIT warm-up is inside the window,
 * so use ≥ 20,000 jobs for figures. Goal: Helios ≥ 1.0× BullMQ.
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { Queue, Worker } from "bullmq";
import {
  type EnqueueInput,
  HandlerRegistry,
  HttpJobApi,
  InProcessJobApi,
  type JobService,
  RespJobApi,
  type WorkerJobApi,
  WorkerRunner,
} from "../../src/queue/mod.ts";
import { createHelios } from "../../src/mod.ts";
import { startAtlasd } from "../../atlas/testing/atlasd_harness.ts";
import { Logger } from "../../src/observability/logger.ts";
import {
  apiToken,
  freePort,
  startGateway,
  writeGatewayConfig,
} from "../../tests/jobs_processes.ts";
import { ensureDebianTools } from "../debian_tools.ts";

await ensureDebianTools({ "redis-server": "redis-server" });

const args = parseArgs({
  args: Deno.args,
  options: {
    jobs: { type: "string", default: "5000" },
    rounds: { type: "string", default: "2" },
    concurrency: { type: "string", default: "32" },
    producers: { type: "string", default: "16" },
    batch: { type: "string", default: "100" },
    sides: { type: "string", default: "all" },
  },
});
const JOBS = Number(args.values.jobs);
const ROUNDS = Number(args.values.rounds);
const CONCURRENCY = Number(args.values.concurrency);
const PRODUCERS = Number(args.values.producers);
const BATCH = Number(args.values.batch);

type Side =
  | "bullmq"
  | "http-interval"
  | "http-every"
  | "resp-interval"
  | "resp-every"
  | "app-interval"
  | "app-every";
const PATHS: Record<string, string> = {
  http: "HTTP gateway",
  resp: "RESP (atlasd)",
  app: "app (embedded)",
};

/** What one run measured: throughput and CPU time of every process involved, per 1000 jobs. */
interface Measured {
  rate: number;
  cpuMsPer1000: number;
  /** Of which the server process (redis-server, atlasd, the gateway); 0 for the app rows. */
  serverCpuMsPer1000: number;
}

/** CPU time (user + system, all threads) of another process, from /proc (100 Hz ticks). */
function processCpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Starts a measurement over this process and `pid` (if any); call the result to finish it. */
function measure(pid: number | null): () => Measured {
  const started = performance.now();
  const serverCpu = () => pid === null ? 0 : processCpuMs(pid);
  const self0 = selfCpuMs();
  const server0 = serverCpu();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const serverMs = serverCpu() - server0;
    const cpuMs = selfCpuMs() - self0 + serverMs;
    return {
      rate: JOBS / seconds,
      cpuMsPer1000: (cpuMs / JOBS) * 1000,
      serverCpuMsPer1000: (serverMs / JOBS) * 1000,
    };
  };
}
type Style = "single" | "bulk";

/** Runs producers until `jobs` are enqueued; `enqueue(first, count)` enqueues count jobs. */
async function produce(style: Style, enqueue: (first: number, count: number) => Promise<unknown>) {
  const step = style === "single" ? 1 : BATCH;
  let next = 0;
  await Promise.all(Array.from({ length: PRODUCERS }, async () => {
    while (next < JOBS) {
      const first = next;
      const count = Math.min(step, JOBS - first);
      next += count;
      await enqueue(first, count);
    }
  }));
}

async function runBullmq(style: Style): Promise<Measured> {
  const dir = await Deno.makeTempDir({ prefix: "bench-redis-" });
  const port = freePort();
  const redis = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--maxmemory-policy",
      "noeviction",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPort(port);
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const queue = new Queue("bench", { connection });
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker("bench", () => Promise.resolve(null), {
    connection,
    concurrency: CONCURRENCY,
    autorun: false,
  });
  worker.on("completed", () => {
    if (++done === JOBS) finished();
  });
  await worker.waitUntilReady();
  const finish = measure(redis.pid);
  worker.run();
  await produce(
    style,
    (first, count) =>
      count === 1 && style === "single" ? queue.add("noop", { n: first }) : queue.addBulk(
        Array.from({ length: count }, (_, i) => ({ name: "noop", data: { n: first + i } })),
      ),
  );
  await all;
  const measured = finish();
  await worker.close();
  await queue.close();
  redis.kill("SIGTERM");
  await redis.status;
  await Deno.remove(dir, { recursive: true });
  return measured;
}

/** Counts acks as they are confirmed by the gateway. */
class CountingApi extends HttpJobApi {
  acked = 0;
  onAck: () => void = () => {};
  override async ack(id: string, lease: { worker: string; attempt: number; result?: unknown }) {
    await super.ack(id, lease);
    this.acked++;
    this.onAck();
  }
  override async ackMany(worker: string, acks: { id: string; attempt: number }[]) {
    const outs = await super.ackMany(worker, acks);
    this.acked += outs.filter((out) => out === null).length;
    this.onAck();
    return outs;
  }
}

async function runHelios(fsync: "interval" | "every", style: Style): Promise<Measured> {
  const dir = await Deno.makeTempDir({ prefix: "bench-helios-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateway = startGateway(await writeGatewayConfig(dir, port, fsync));
  await gateway.ready(base);
  const token = await apiToken(base);
  const api = new CountingApi({ gateway: base, token });
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  api.onAck = () => {
    if (api.acked === JOBS) finished();
  };
  const runner = new WorkerRunner({
    api,
    registry: new HandlerRegistry().handle("noop", () => null),
    workerId: "bench",
    queues: ["bench"],
    concurrency: CONCURRENCY,
    pollIntervalMs: 1000,
    leaseMs: 60_000,
    shutdownTimeoutMs: 1000,
    logger: new Logger("worker", { level: "error" }),
  });
  const finish = measure(gateway.process.pid);
  runner.start();
  const job = (n: number) => ({ queue: "bench", task: "noop", payload: { n } });
  await produce(style, async (first, count) => {
    const single = style === "single";
    const response = await fetch(`${base}/api/v1/jobs${single ? "" : "/batch"}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(
        single ? job(first) : { jobs: Array.from({ length: count }, (_, i) => job(first + i)) },
      ),
    });
    if (!response.ok) {
      throw new Error(`enqueue failed: ${response.status} ${await response.text()}`);
    }
    await response.body?.cancel();
  });
  await all;
  const measured = finish();
  await runner.stop();
  await gateway.kill("SIGTERM");
  await Deno.remove(dir, { recursive: true });
  return measured;
}

/** Counts acks as the store confirms them (wraps any WorkerJobApi). */
function counting(api: WorkerJobApi, onAcked: (acked: number) => void): WorkerJobApi {
  let acked = 0;
  return {
    claim: (request, signal) => api.claim(request, signal),
    heartbeat: (id, lease) => api.heartbeat(id, lease),
    nack: (id, lease) => api.nack(id, lease),
    release: (id, lease) => api.release(id, lease),
    async ack(id, lease) {
      await api.ack(id, lease);
      onAcked(++acked);
    },
    async ackMany(worker, acks) {
      const outs = await api.ackMany!(worker, acks);
      acked += outs.filter((out) => out === null).length;
      onAcked(acked);
      return outs;
    },
  };
}

function benchRunner(api: WorkerJobApi): WorkerRunner {
  return new WorkerRunner({
    api,
    registry: new HandlerRegistry().handle("noop", () => null),
    workerId: "bench",
    queues: ["bench"],
    concurrency: CONCURRENCY,
    pollIntervalMs: 1000,
    leaseMs: 60_000,
    shutdownTimeoutMs: 1000,
    logger: new Logger("worker", { level: "error" }),
  });
}

const benchJob = (n: number): EnqueueInput => ({ queue: "bench", task: "noop", payload: { n } });

/** Enqueues through `jobs` (single or bulk) and fails loudly on any refused job. */
async function enqueueVia(
  jobs: Pick<JobService, "enqueue" | "enqueueMany">,
  style: Style,
  first: number,
  count: number,
) {
  if (style === "single") {
    await jobs.enqueue(benchJob(first));
    return;
  }
  const outs = await jobs.enqueueMany(Array.from({ length: count }, (_, i) => benchJob(first + i)));
  const failed = outs.find((out) => "error" in out);
  if (failed) throw (failed as { error: Error }).error;
}

/**
 * RESP: `helios atlasd --sync-mode <fsync>` (the JOB.* module) and, in the bench process, producers
 * and a WorkerRunner over RespJobApi on separate connections (no gateway, no HTTP) — the shape
 * of BullMQ + Redis. The worker is not woken by the producers' enqueues (another client): it
 * claims in batches and re-polls with JOB.PEEK like a separate process would.
 */
async function runResp(fsync: "interval" | "every", style: Style): Promise<Measured> {
  const atlasd = await startAtlasd(["--sync-mode", fsync]);
  const atlas = `127.0.0.1:${atlasd.port}`;
  const producer = new RespJobApi({ atlas, poolSize: 4 });
  const workerApi = new RespJobApi({ atlas });
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const runner = benchRunner(counting(workerApi, (acked) => acked === JOBS && finished()));
  const finish = measure(atlasd.pid);
  runner.start();
  await produce(style, (first, count) => enqueueVia(producer, style, first, count));
  await all;
  const measured = finish();
  await runner.stop();
  await workerApi.close();
  await producer.close();
  await atlasd.stop();
  return measured;
}

/**
 * The framework path: an application built with createHelios on its embedded ATLAS engine
 * (`atlas.aof_fsync` = <fsync>) enqueues with `helios.jobs` and runs the handler in-process —
 * how a Helios application replaces BullMQ + Redis. The worker is the embedded one's
 * components (WorkerRunner over InProcessJobApi on helios.jobs.service, as startEmbeddedWorker
 * builds it), started here so the bench can count confirmed acks.
 */
async function runApp(fsync: "interval" | "every", style: Style): Promise<Measured> {
  const dir = await Deno.makeTempDir({ prefix: "bench-app-" });
  const helios = await createHelios({
    dataDir: dir,
    config: {
      atlas: { aof_fsync: fsync },
      worker: { embedded: false, retention_count: 1_000_000 },
      observability: { log_level: "error" },
    },
    env: { get: () => undefined },
    logger: new Logger("app", { level: "error" }),
  });
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const api = new InProcessJobApi(helios.jobs.service);
  const runner = benchRunner(counting(api, (acked) => acked === JOBS && finished()));
  const finish = measure(null);
  runner.start();
  await produce(style, (first, count) => enqueueVia(helios.jobs.service, style, first, count));
  await all;
  const measured = finish();
  await runner.stop();
  await helios.close();
  await Deno.remove(dir, { recursive: true });
  return measured;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (_error) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

const styles: Style[] = ["single", "bulk"];
const ALL_SIDES: Side[] = [
  "bullmq",
  "http-interval",
  "http-every",
  "resp-interval",
  "resp-every",
  "app-interval",
  "app-every",
];
const sides = args.values.sides === "all"
  ? ALL_SIDES
  : ["bullmq" as Side, ...args.values.sides.split(",").filter((x) => x !== "bullmq") as Side[]];
for (const side of sides) if (!ALL_SIDES.includes(side)) throw new Error(`unknown side ${side}`);
const run = (side: Side, style: Style) => {
  const fsync = side.endsWith("every") ? "every" : "interval";
  if (side === "bullmq") return runBullmq(style);
  if (side.startsWith("http")) return runHelios(fsync, style);
  if (side.startsWith("resp")) return runResp(fsync, style);
  return runApp(fsync, style);
};
const results = new Map<string, Measured[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const style of styles) {
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) {
      const measured = await run(side, style);
      const key = `${style} ${side}`;
      results.set(key, [...(results.get(key) ?? []), measured]);
      console.log(
        `round ${round} ${style.padEnd(6)} ${side.padEnd(14)} ${Math.round(measured.rate)} ` +
          `jobs/s, ${Math.round(measured.cpuMsPer1000)} CPU ms per 1000 jobs ` +
          `(server ${Math.round(measured.serverCpuMsPer1000)})`,
      );
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medianOf = (key: string, pick: (m: Measured) => number) =>
  median(results.get(key)!.map(pick));
console.log(
  `\n${JOBS} jobs, ${PRODUCERS} producers (bulk: ${BATCH} per call), worker concurrency ` +
    `${CONCURRENCY}, ${ROUNDS} rounds, medians. CPU = all processes of the side: the bench ` +
    `process (producers and worker) plus redis-server, the Helios gateway (http) or atlasd ` +
    `(resp); the app rows are one process. Ratio = Helios / BullMQ for jobs/s, BullMQ / Helios ` +
    `for CPU (> 1 is better for Helios either way).`,
);
console.log(
  "| enqueue | Helios path | sync | jobs/s | vs BullMQ | CPU ms / 1000 jobs | vs BullMQ |",
);
console.log("|---|---|---|---|---|---|---|");
for (const style of styles) {
  const rate = (side: Side) => medianOf(`${style} ${side}`, (m) => m.rate);
  const cpu = (side: Side) => medianOf(`${style} ${side}`, (m) => m.cpuMsPer1000);
  console.log(
    `| ${style} | BullMQ + Redis | everysec | ${Math.round(rate("bullmq"))} | 1.00× | ` +
      `${Math.round(cpu("bullmq"))} | 1.00× |`,
  );
  for (const side of sides.filter((x) => x !== "bullmq")) {
    const [path, sync] = side.split("-");
    console.log(
      `| ${style} | ${PATHS[path]} | ${sync} | ${Math.round(rate(side))} | ` +
        `${(rate(side) / rate("bullmq")).toFixed(2)}× | ${Math.round(cpu(side))} | ` +
        `${(cpu("bullmq") / cpu(side)).toFixed(2)}× |`,
    );
  }
}
Deno.exit(0);
