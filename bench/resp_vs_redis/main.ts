/**
 * atlasd vs redis-server on loopback, with redis-benchmark (not a test).
 *
 *   deno run -A bench/resp_vs_redis/main.ts [--rounds 3] [--n 100000] [--n16 400000]
 *     [--ndurable 50000] [--parts same,durable]
 *
 * Part 1: the same persistence on both (Redis `appendonly yes, appendfsync no`; atlasd
 * `--sync-mode none`: both append every write to the log, neither fsyncs per write; Redis
 * `--save ""` and atlasd `atlas.snapshot_interval_cmds: 0`: neither snapshots by write count,
 * both rewrite the log when it has grown, at the same defaults),
 * `-c 50` for SET GET INCR LPUSH RPOP SADD HSET ZADD with `-P 1` and `-P 16`.
 * Part 2: durable writes: atlasd `--sync-mode every` vs Redis `appendfsync always`, -c 50 -P 1 SET.
 * Part 3 (`floor`): redis-server (as in part 1) against deno_floor.ts, a Deno TCP server that
 * answers +OK to every command without parsing or storing: the least any Deno server spends per
 * request, so its ratio is the ceiling of atlasd's where the network path dominates (-P 1).
 * Servers alternate which goes first each round; every round's ratio is printed, then medians.
 * Each part starts with an unrecorded warm-up run on both servers.
 * Besides requests/s (noisy on a shared 2-core machine: client and server compete for CPU), each
 * run also records the server's CPU time per request from /proc/PID/stat (user + system), a
 * steadier measure of the server's own cost.
 */
import {
  type Proc,
  startAtlasd,
  startRedis,
  terminate,
} from "../../atlas/testing/atlasd_harness.ts";
import { ensureDebianTools } from "../debian_tools.ts";

await ensureDebianTools({
  "redis-server": "redis-server",
  "redis-benchmark": "redis-tools",
  "redis-cli": "redis-tools",
});

const TESTS = ["set", "get", "incr", "lpush", "rpop", "sadd", "hset", "zadd"];

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const ROUNDS = flag("rounds", 3);
const N_P1 = flag("n", 100_000);
const N_P16 = flag("n16", 400_000);
const N_DURABLE = flag("ndurable", 50_000);
/** Which parts to run: `same` (same persistence), `durable` (every vs always), `floor`. */
const PARTS = (() => {
  const i = Deno.args.indexOf("--parts");
  return new Set((i >= 0 ? Deno.args[i + 1] : "same,durable,floor").split(","));
})();

/** Runs redis-benchmark --csv; returns test name (lower case) -> requests per second. */
async function benchmark(
  port: number,
  tests: string[],
  pipeline: number,
  n: number,
): Promise<Map<string, number>> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-p",
      String(port),
      "-c",
      "50",
      "-n",
      String(n),
      "-P",
      String(pipeline),
      "-t",
      tests.join(","),
      "--csv",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const result = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = line.match(/^"([^"]+)","([\d.]+)"/);
    if (m) result.set(m[1].toLowerCase().split(" ")[0], Number(m[2]));
  }
  if (result.size < tests.length) {
    throw new Error(`redis-benchmark failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  return result;
}

/** User + system CPU time of a process, in seconds (Linux /proc, 100 ticks per second). */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function flush(port: number): Promise<void> {
  await new Deno.Command("redis-cli", { args: ["-p", String(port), "FLUSHALL"], stdout: "null" })
    .output();
}

interface Row {
  label: string;
  /** The server compared with redis-server: "atlasd", or "floor" (deno_floor.ts). */
  subject: string;
  redis: number[];
  atlas: number[];
  /** Server CPU nanoseconds per request. */
  redisCpuNs: number[];
  atlasCpuNs: number[];
}

async function compare(
  redis: Proc,
  atlas: Proc,
  subject: string,
  tests: string[],
  pipeline: number,
  n: number,
  prefix: string,
): Promise<Row[]> {
  const rows = new Map<string, Row>(
    tests.map((
      t,
    ) => [t, {
      label: `${prefix} ${t.toUpperCase()}`,
      subject,
      redis: [],
      atlas: [],
      redisCpuNs: [],
      atlasCpuNs: [],
    }]),
  );
  // Warm-up, not recorded: atlasd's JIT compiles its hot paths during the first few thousand
  // requests; a steady-state comparison starts after that.
  for (const proc of [redis, atlas]) {
    await flush(proc.port);
    await benchmark(proc.port, tests, pipeline, Math.min(n, 20_000));
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order: [string, Proc][] = round % 2 === 0
      ? [["redis", redis], ["atlas", atlas]]
      : [["atlas", atlas], ["redis", redis]];
    for (const [name, proc] of order) {
      await flush(proc.port);
      for (const t of tests) {
        // One test per redis-benchmark run, so CPU time is attributed to it.
        const cpuBefore = cpuSeconds(proc.pid);
        const res = await benchmark(proc.port, [t], pipeline, n);
        const cpuNs = ((cpuSeconds(proc.pid) - cpuBefore) * 1e9) / n;
        const row = rows.get(t)!;
        (name === "redis" ? row.redis : row.atlas).push(res.get(t) ?? 0);
        (name === "redis" ? row.redisCpuNs : row.atlasCpuNs).push(cpuNs);
      }
    }
    for (const t of tests) {
      const row = rows.get(t)!;
      const i = row.redis.length - 1;
      // deno-lint-ignore no-console
      console.log(
        `round ${round + 1} ${row.label.padEnd(16)} redis ${fmt(row.redis[i])}  ${subject} ${
          fmt(row.atlas[i])
        }  ratio ${(row.atlas[i] / row.redis[i]).toFixed(2)}   server CPU/req redis ${
          Math.round(row.redisCpuNs[i])
        } ns, ${subject} ${Math.round(row.atlasCpuNs[i])} ns`,
      );
    }
  }
  return [...rows.values()];
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * "median ratio" is the median of the per-round ratios: each round runs both servers back to
 * back, so its ratio is a paired comparison that load drifting between rounds affects less.
 */
function table(rows: Row[]): string {
  const lines = [
    "| test | redis req/s | atlasd (or floor) req/s | ratio per round | median ratio | CPU ns/req redis / atlasd (or floor) |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const ratios = r.atlas.map((a, i) => a / r.redis[i]);
    lines.push(
      `| ${r.label} | ${fmt(median(r.redis)).trim()} | ${fmt(median(r.atlas)).trim()} | ${
        ratios.map((x) => x.toFixed(2)).join(" / ")
      } | ${median(ratios).toFixed(2)} | ${Math.round(median(r.redisCpuNs))} / ${
        Math.round(median(r.atlasCpuNs))
      } |`,
    );
  }
  return lines.join("\n");
}

const REDIS_SAME = ["--save", "", "--appendonly", "yes", "--appendfsync", "no"];

async function samePersistence(): Promise<Row[]> {
  const redis = await startRedis(REDIS_SAME);
  const config = await noCountSnapshots();
  const atlas = await startAtlasd(["--sync-mode", "none", "--config", config]);
  let rows: Row[] = [];
  try {
    rows = rows.concat(await compare(redis, atlas, "atlasd", TESTS, 1, N_P1, "-P1"));
    rows = rows.concat(await compare(redis, atlas, "atlasd", TESTS, 16, N_P16, "-P16"));
  } finally {
    await atlas.stop();
    await redis.stop();
    await Deno.remove(config);
  }
  return rows;
}

/** Starts deno_floor.ts; resolves once it printed its port. */
async function startFloor(): Promise<Proc> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./deno_floor.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port = 0;
  while (port === 0) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`deno_floor.ts exited before listening: ${text}`);
    text += value;
    port = Number(text.match(/listening (\d+)/)?.[1] ?? 0);
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      await terminate(child);
      await reader.cancel();
    },
  };
}

async function denoFloor(): Promise<Row[]> {
  const redis = await startRedis(REDIS_SAME);
  const floor = await startFloor();
  try {
    return [
      ...await compare(redis, floor, "floor", TESTS, 1, N_P1, "floor -P1"),
      ...await compare(redis, floor, "floor", TESTS, 16, N_P16, "floor -P16"),
    ];
  } finally {
    await floor.stop();
    await redis.stop();
  }
}

/**
 * A config file turning off atlasd's write-count snapshots (`helios` configs default to
 * 100,000 writes, like Redis's `save 60 10000`), as the bench's `--save ""` does for Redis.
 */
async function noCountSnapshots(): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "atlasd_bench_", suffix: ".yaml" });
  await Deno.writeTextFile(file, "atlas:\n  snapshot_interval_cmds: 0\n");
  return file;
}

async function durableWrites(): Promise<Row[]> {
  const redisAlways = await startRedis([
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
  ]);
  const config = await noCountSnapshots();
  const atlasEvery = await startAtlasd(["--sync-mode", "every", "--config", config]);
  try {
    return await compare(redisAlways, atlasEvery, "atlasd", ["set"], 1, N_DURABLE, "every/always");
  } finally {
    await atlasEvery.stop();
    await redisAlways.stop();
    await Deno.remove(config);
  }
}

if (import.meta.main) {
  let rows: Row[] = [];
  if (PARTS.has("same")) rows = rows.concat(await samePersistence());
  if (PARTS.has("durable")) rows = rows.concat(await durableWrites());
  if (PARTS.has("floor")) rows = rows.concat(await denoFloor());
  // deno-lint-ignore no-console
  console.log("\n" + table(rows));
}
