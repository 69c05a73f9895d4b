// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/**
 * bench/proxy_vs_nginx: one upstream behind nginx (proxy_pass to an upstream block with
 * keepalive) and behind `helios proxy`, measured with `wrk -t1 -c64 -d5s --latency`, alternating
 * which goes first, ROUNDS rounds. Prints req/s and p99 per round, medians and the ratios.
 *
 *   deno run -A bench/proxy_vs_nginx/main.ts [--rounds 3] [--duration 5s] [--nginx-workers 1]
 *       [--v8-flags FLAGS]
 *
 * helios proxy runs as `deno task proxy` starts it: with the V8 flags of that task (a larger
 * initial old generation, see docs/proxy.md "Tuning"); `--v8-flags ""` measures V8's defaults.
 *
 * Goals (issue 10): helios throughput ≥ 0.8× nginx; helios p99 ≤ 1.5× nginx.
 *
 * A third server gives the floor of any proxy on Deno: bench/proxy_vs_nginx/floor_proxy.ts, which
 * only relays bytes (one read and one write each way per exchange, nothing parsed or added). It
 * runs after the two in every round (not alternated: it is context, not a contestant) with the
 * same V8 flags, and its ratio to nginx bounds what helios proxy can reach here.
 */
import { parseArgs } from "node:util";
import { ensureDebianTools } from "../debian_tools.ts";

await ensureDebianTools({ nginx: "nginx", wrk: "wrk" });

const args = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "5s" },
    connections: { type: "string", default: "64" },
    "nginx-workers": { type: "string", default: "1" },
    "v8-flags": { type: "string" },
  },
});
const ROUNDS = Number(args.values.rounds);
const root = new URL("../../", import.meta.url).pathname;

/** The V8 flags `deno task proxy` gives the proxy (deno.json is the one place they are set). */
function proxyTaskV8Flags(): string {
  const tasks = JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).tasks as Record<
    string,
    string
  >;
  return /--v8-flags=(\S+)/.exec(tasks.proxy ?? "")?.[1] ?? "";
}
const V8_FLAGS = args.values["v8-flags"] ?? proxyTaskV8Flags();

interface Running {
  port: number;
  /** Processes whose CPU time counts for this server. */
  pids(): number[];
  stop(): Promise<void>;
}

async function spawnReady(cmd: string, argv: string[], pattern: RegExp): Promise<Running> {
  const child = new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${cmd} exited before it was ready`);
    buffer += value;
    const match = pattern.exec(buffer);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return {
        port: Number(match[1]),
        pids: () => [child.pid],
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}

async function startNginx(
  upstreamPort: number,
  workers: number,
): Promise<Running & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "helios-nginx-" });
  const port = freePort();
  const conf = `
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForPort(port);
  return {
    port,
    dir,
    // The master and its workers.
    pids: () => [child.pid, ...childrenOf(child.pid)],
    async stop() {
      child.kill("SIGQUIT");
      await child.status;
      await child.stderr.cancel();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

interface WrkResult {
  rps: number;
  p99Ms: number;
  /** CPU time (user + system, all threads) the server spent per request. */
  cpuUsPerRequest: number;
  /** The user-space part of it (the rest is kernel time: socket syscalls). */
  userUsPerRequest: number;
}

function childrenOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter((p) => p !== "").map(Number);
  } catch {
    return [];
  }
}

/** utime and stime in clock ticks (100 per second on Linux) summed over `pids`. */
function cpuTicks(pids: number[]): { user: number; total: number } {
  let user = 0;
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      user += Number(fields[11]);
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended: it no longer uses CPU.
    }
  }
  return { user, total };
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return NaN;
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "s" ? n * 1000 : n;
}

async function wrk(server: Running): Promise<WrkResult> {
  const port = server.port;
  const ticksBefore = cpuTicks(server.pids());
  const out = await new Deno.Command("wrk", {
    args: [
      "-t1",
      `-c${args.values.connections}`,
      `-d${args.values.duration}`,
      "--latency",
      `http://127.0.0.1:${port}/`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(text)?.[1] ?? "");
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(text);
  if (errors) console.error(`  wrk reported: ${errors[0]}`);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? "NaN");
  const ticksAfter = cpuTicks(server.pids());
  const cpuUsPerRequest = ((ticksAfter.total - ticksBefore.total) * 10_000) / requests;
  const userUsPerRequest = ((ticksAfter.user - ticksBefore.user) * 10_000) / requests;
  return { rps, p99Ms: p99, cpuUsPerRequest, userUsPerRequest };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const upstream = await spawnReady(Deno.execPath(), [
  "run",
  "-A",
  `${root}bench/proxy_vs_nginx/upstream.ts`,
], /UPSTREAM (\d+)/);
const nginx = await startNginx(upstream.port, Number(args.values["nginx-workers"]));
console.log(`helios proxy V8 flags: ${V8_FLAGS || "(V8 defaults)"}`);
const helios = await spawnReady(Deno.execPath(), [
  "run",
  "-A",
  ...(V8_FLAGS ? [`--v8-flags=${V8_FLAGS}`] : []),
  `${root}main.ts`,
  "proxy",
  "--listen",
  "127.0.0.1:0",
  "--metrics-listen",
  "127.0.0.1:0",
  "--backend",
  `http://127.0.0.1:${upstream.port}`,
], /"listener":"proxy","address":"[^"]*:(\d+)"/);

const floor = await spawnReady(Deno.execPath(), [
  "run",
  "-A",
  ...(V8_FLAGS ? [`--v8-flags=${V8_FLAGS}`] : []),
  `${root}bench/proxy_vs_nginx/floor_proxy.ts`,
  String(upstream.port),
], /FLOOR (\d+)/);

const results = { nginx: [] as WrkResult[], helios: [] as WrkResult[], floor: [] as WrkResult[] };
try {
  // Warm both (JIT, connection pools).
  await wrk(nginx);
  await wrk(helios);
  await wrk(floor);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["nginx", "helios"] as const : ["helios", "nginx"] as const;
    for (const name of [...order, "floor"] as const) {
      const result = await wrk(name === "nginx" ? nginx : name === "helios" ? helios : floor);
      results[name].push(result);
      console.log(
        `round ${round + 1} ${name.padEnd(6)} ${result.rps.toFixed(0).padStart(8)} req/s  p99 ${
          result.p99Ms.toFixed(2)
        } ms  cpu ${result.cpuUsPerRequest.toFixed(1)} us/req (user ${
          result.userUsPerRequest.toFixed(1)
        })`,
      );
    }
  }
} finally {
  await floor.stop();
  await helios.stop();
  await nginx.stop();
  await upstream.stop();
}

const nRps = median(results.nginx.map((r) => r.rps));
const hRps = median(results.helios.map((r) => r.rps));
const nP99 = median(results.nginx.map((r) => r.p99Ms));
const hP99 = median(results.helios.map((r) => r.p99Ms));
// Paired ratios: each round's two runs are back to back, so a load change on the machine
// affects both; the median of per-round ratios is the steadier figure on a shared box.
const rpsRatios = results.helios.map((h, i) => h.rps / results.nginx[i].rps);
const p99Ratios = results.helios.map((h, i) => h.p99Ms / results.nginx[i].p99Ms);
console.log("");
const nCpu = median(results.nginx.map((r) => r.cpuUsPerRequest));
const hCpu = median(results.helios.map((r) => r.cpuUsPerRequest));
console.log("| proxy | req/s (median) | p99 ms (median) | CPU us/request (median) |");
console.log("|---|---|---|---|");
console.log(
  `| nginx (${args.values["nginx-workers"]} worker) | ${nRps.toFixed(0)} | ${nP99.toFixed(2)} | ${
    nCpu.toFixed(1)
  } |`,
);
console.log(
  `| helios proxy | ${hRps.toFixed(0)} | ${hP99.toFixed(2)} | ${hCpu.toFixed(1)} |`,
);
console.log(
  `throughput ratio helios/nginx = ${(hRps / nRps).toFixed(2)} (goal >= 0.80); ` +
    `p99 ratio helios/nginx = ${(hP99 / nP99).toFixed(2)} (goal <= 1.50)`,
);
const nUser = median(results.nginx.map((r) => r.userUsPerRequest));
const hUser = median(results.helios.map((r) => r.userUsPerRequest));
console.log(
  `CPU per request helios/nginx = ${(hCpu / nCpu).toFixed(2)} ` +
    `(user ${hUser.toFixed(1)} vs ${nUser.toFixed(1)} us, kernel ${(hCpu - hUser).toFixed(1)} vs ${
      (nCpu - nUser).toFixed(1)
    } us; the steadiest figure on a shared machine)`,
);
console.log(
  `per-round ratios: throughput ${rpsRatios.map((r) => r.toFixed(2)).join(" ")} ` +
    `(median ${median(rpsRatios).toFixed(2)}); p99 ${
      p99Ratios.map((r) => r.toFixed(2)).join(" ")
    } ` +
    `(median ${median(p99Ratios).toFixed(2)})`,
);
const fRps = median(results.floor.map((r) => r.rps));
const fCpu = median(results.floor.map((r) => r.cpuUsPerRequest));
const fUser = median(results.floor.map((r) => r.userUsPerRequest));
const floorRatios = results.floor.map((f, i) => f.rps / results.nginx[i].rps);
console.log(
  `floor: a byte relay on Deno's TCP API (floor_proxy.ts) ${fRps.toFixed(0)} req/s, ` +
    `${(fRps / nRps).toFixed(2)}x nginx (per round ${
      floorRatios.map((r) => r.toFixed(2)).join(" ")
    }), CPU ${fCpu.toFixed(1)} us/request (user ${fUser.toFixed(1)}); ` +
    `helios reaches ${(hRps / fRps).toFixed(2)}x of it`,
);
