/**
 * bench/jobs_vs_bullmq: end-to-end job throughput — enqueue → no-op handler → ack — of BullMQ on
 * Redis 7 (appendonly yes, appendfsync everysec) against Helios (gateway with its embedded ATLAS
 * under `--sync-mode interval`, and under `every`, which fsyncs before every reply). Same job
 * count, same producer concurrency, same worker concurrency, in one run, alternating the order.
 *
 *   deno run -A bench/jobs_vs_bullmq/main.ts [--jobs 5000] [--rounds 2] [--concurrency 32]
 *                                            [--producers 16]
 *
 * Each side: producers enqueue `jobs` jobs one by one (no bulk API on either side), one worker
 * (the bench process: a BullMQ Worker, or a Helios WorkerRunner over HTTP) runs a no-op handler
 * with `concurrency` slots. The time is from the first enqueue to the last ack. Goal: Helios
 * ≥ 1.0× BullMQ.
 */
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { HandlerRegistry, HttpJobApi, WorkerRunner } from "../../src/queue/mod.ts";
import { Logger } from "../../src/observability/logger.ts";
import { apiToken, freePort, startGateway, writeGatewayConfig } from "../../tests/jobs_processes.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    jobs: { type: "string", default: "5000" },
    rounds: { type: "string", default: "2" },
    concurrency: { type: "string", default: "32" },
    producers: { type: "string", default: "16" },
  },
});
const JOBS = Number(args.values.jobs);
const ROUNDS = Number(args.values.rounds);
const CONCURRENCY = Number(args.values.concurrency);
const PRODUCERS = Number(args.values.producers);

type Side = "bullmq" | "helios-interval" | "helios-every";

async function produce(enqueue: (n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: PRODUCERS }, async () => {
    while (next < JOBS) await enqueue(next++);
  }));
}

async function runBullmq(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "bench-redis-" });
  const port = freePort();
  const redis = new Deno.Command("redis-server", {
    args: [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
      "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
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
  const worker = new Worker("bench", async () => null, { connection, concurrency: CONCURRENCY, autorun: false });
  worker.on("completed", () => {
    if (++done === JOBS) finished();
  });
  await worker.waitUntilReady();
  const started = performance.now();
  worker.run();
  await produce((n) => queue.add("noop", { n }));
  await all;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.close();
  redis.kill("SIGTERM");
  await redis.status;
  await Deno.remove(dir, { recursive: true });
  return JOBS / seconds;
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
}

async function runHelios(fsync: "interval" | "every"): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "bench-helios-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateway = startGateway(await writeGatewayConfig(dir, port, fsync));
  await gateway.gatewayAddress();
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
  const started = performance.now();
  runner.start();
  await produce(async (n) => {
    const response = await fetch(`${base}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ queue: "bench", task: "noop", payload: { n } }),
    });
    if (response.status !== 201) throw new Error(`enqueue failed: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  });
  await all;
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  await gateway.kill("SIGTERM");
  await Deno.remove(dir, { recursive: true });
  return JOBS / seconds;
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

const runs: Record<Side, () => Promise<number>> = {
  "bullmq": runBullmq,
  "helios-interval": () => runHelios("interval"),
  "helios-every": () => runHelios("every"),
};
const results: Record<Side, number[]> = { "bullmq": [], "helios-interval": [], "helios-every": [] };
const order: Side[] = ["bullmq", "helios-interval", "helios-every"];
for (let round = 1; round <= ROUNDS; round++) {
  const sides = round % 2 === 1 ? order : [...order].reverse();
  for (const side of sides) {
    const rate = await runs[side]();
    results[side].push(rate);
    console.log(`round ${round} ${side.padEnd(16)} ${Math.round(rate)} jobs/s`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bull = median(results.bullmq);
console.log(`\n${JOBS} jobs, ${PRODUCERS} producers, worker concurrency ${CONCURRENCY}, ${ROUNDS} rounds (median)`);
console.log("| side | jobs/s | vs BullMQ |");
console.log("|---|---|---|");
for (const side of order) {
  const m = median(results[side]);
  console.log(`| ${side} | ${Math.round(m)} | ${(m / bull).toFixed(2)}× |`);
}
Deno.exit(0);
