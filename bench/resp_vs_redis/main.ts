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
 * Servers alternate which goes first each round; every round's ratio is printed, then medians.
 * Each part starts with an unrecorded warm-up run on both servers.
 * Besides requests/s (noisy on a shared 2-core machine: client and server compete for CPU), each
 * run also records the server's CPU time per request from /proc/PID/stat (user + system), a
 * steadier measure of the server's own cost.
 */
import { type Proc, startAtlasd, startRedis } from "../../atlas/testing/atlasd_harness.ts";
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
/** Which parts to run: `same` (same persistence) and/or `durable` (every vs always). */
const PARTS = (() => {
  const i = Deno.args.indexOf("--parts");
  return new Set((i >= 0 ? Deno.args[i + 1] : "same,durable").split(","));
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
  redis: number[];
  atlas: number[];
  /** Server CPU nanoseconds per request. */
  redisCpuNs: number[];
  atlasCpuNs: number[];
}

async function compare(
  redis: Proc,
  atlas: Proc,
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
        `round ${round + 1} ${row.label.padEnd(16)} redis ${fmt(row.redis[i])}  atlasd ${
          fmt(row.atlas[i])
        }  ratio ${(row.atlas[i] / row.redis[i]).toFixed(2)}   server CPU/req redis ${
          Math.round(row.redisCpuNs[i])
        } ns, atlasd ${Math.round(row.atlasCpuNs[i])} ns`,
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
    "| test | redis req/s | atlasd req/s | ratio per round | median ratio | CPU ns/req redis / atlasd |",
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

async function samePersistence(): Promise<Row[]> {
  const redis = await startRedis(["--save", "", "--appendonly", "yes", "--appendfsync", "no"]);
  const atlas = await startAtlasd(["--sync-mode", "none", "--config", await noCountSnapshots()]);
  let rows: Row[] = [];
  try {
    rows = rows.concat(await compare(redis, atlas, TESTS, 1, N_P1, "-P1"));
    rows = rows.concat(await compare(redis, atlas, TESTS, 16, N_P16, "-P16"));
  } finally {
    await atlas.stop();
    await redis.stop();
  }
  return rows;
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
  const atlasEvery = await startAtlasd([
    "--sync-mode",
    "every",
    "--config",
    await noCountSnapshots(),
  ]);
  try {
    return await compare(redisAlways, atlasEvery, ["set"], 1, N_DURABLE, "every/always");
  } finally {
    await atlasEvery.stop();
    await redisAlways.stop();
  }
}

if (import.meta.main) {
  let rows: Row[] = [];
  if (PARTS.has("same")) rows = rows.concat(await samePersistence());
  if (PARTS.has("durable")) rows = rows.concat(await durableWrites());
  // deno-lint-ignore no-console
  console.log("\n" + table(rows));
}
