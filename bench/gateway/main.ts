// deno-lint-ignore-file no-console
/**
 * bench/gateway: authenticated `GET /api/v1/kv/{key}` on `helios gateway` (embedded ATLAS, JWT
 * auth, RBAC, rate limiting with a generous bucket, security headers, metrics) against a plain
 * Deno.serve hello world, in the same run, `wrk -t1 -c64 -d5s`, alternating which goes first.
 * Prints req/s per round, the medians and the ratio. Goal (issue 8): ratio >= 0.5. For context it
 * also measures the gateway's unauthenticated GET /healthz (the middleware stack alone). Beside
 * throughput it prints each server's CPU time per request (utime+stime from /proc/PID/stat over
 * the wrk run, divided by the requests): steadier than req/s when the machine is shared.
 *
 * A third server gives the ceiling: a plain Deno.serve answering with a copy of Helios's own KV
 * response (same headers and body, bench/gateway/same_response.ts) and doing no work at all.
 *
 *   deno run -A bench/gateway/main.ts [--rounds 3] [--duration 5s] [--log-level warn]
 *
 * The access log is one JSON line per request at info; --log-level info measures with it on.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ensureDebianTools } from "../debian_tools.ts";

await ensureDebianTools({ wrk: "wrk" });

const args = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "5s" },
    connections: { type: "string", default: "64" },
    "log-level": { type: "string", default: "warn" },
  },
});
const ROUNDS = Math.max(3, Number(args.values.rounds));
const root = new URL("../../", import.meta.url).pathname;
const PASSWORD = "bench-password-123";

interface Running {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

async function spawnReady(
  argv: string[],
  pattern: RegExp,
  env: Record<string, string> = {},
): Promise<Running> {
  const child = new Deno.Command(Deno.execPath(), {
    args: argv,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${argv.join(" ")} exited before it was ready`);
    buffer += value;
    const match = pattern.exec(buffer);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return {
        base: `http://${match[1]}`,
        pid: child.pid,
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** utime+stime of a process in seconds (null where /proc is not available). */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

interface WrkResult {
  rps: number;
  p99: string;
  /** Server CPU µs per request (NaN without /proc). */
  cpuUs: number;
}

async function wrk(url: string, pid: number, headers: string[] = []): Promise<WrkResult> {
  const argv = ["-t1", `-c${args.values.connections}`, `-d${args.values.duration}`, "--latency"];
  for (const header of headers) argv.push("-H", header);
  const cpuBefore = cpuSeconds(pid);
  const out = await new Deno.Command("wrk", { args: [...argv, url], stdout: "piped" }).output();
  const cpuAfter = cpuSeconds(pid);
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const p99 = /99%\s+(\S+)/.exec(text)?.[1] ?? "?";
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (errors) throw new Error(`wrk saw ${errors[1]} non-2xx responses:\n${text}`);
  const cpuUs = cpuBefore === null || cpuAfter === null
    ? NaN
    : ((cpuAfter - cpuBefore) * 1e6) / requests;
  return { rps, p99, cpuUs };
}

async function post(url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

type Which = "helios" | "plain" | "health" | "same";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await Deno.makeTempDir({ prefix: "helios-bench-gateway-" });
await Deno.writeTextFile(
  join(dir, "config.yaml"),
  "gateway:\n  rate_limit:\n    default_capacity: 1000000\n    default_rate_num: 1000000\n",
);
/** A free loopback port (at --log-level warn the gateway logs no "Listening" line to read). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function startGateway(): Promise<Running> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(root, "main.ts"),
      "gateway",
      "--config",
      join(dir, "config.yaml"),
      "--data-dir",
      join(dir, "data"),
      "--listen",
      `127.0.0.1:${port}`,
      "--metrics-listen",
      "127.0.0.1:0",
      "--log-level",
      String(args.values["log-level"]),
    ],
    env: { NO_COLOR: "1", HELIOS_ADMIN_PASSWORD: PASSWORD },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      const response = await fetch(`${base}/healthz`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    base,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const gateway = await startGateway();
const hello = await spawnReady(["run", "-A", join(root, "bench/gateway/hello.ts")], /PORT (\d+)/);
hello.base = hello.base.replace("http://", "http://127.0.0.1:");
let same: Running | null = null;
try {
  const { token } = await post(`${gateway.base}/api/v1/auth/login`, {
    username: "admin",
    password: PASSWORD,
  });
  await post(`${gateway.base}/api/v1/kv/bench%2Fkey`, { value: "x".repeat(100) }, token);
  const kvUrl = `${gateway.base}/api/v1/kv/bench%2Fkey`;
  const auth = [`Authorization: Bearer ${token}`];
  const check = await fetch(kvUrl, { headers: { authorization: `Bearer ${token}` } });
  if (check.status !== 200) throw new Error(`warm-up GET answered ${check.status}`);
  const shapeFile = join(dir, "kv_response.json");
  await Deno.writeTextFile(
    shapeFile,
    JSON.stringify({
      headers: [...check.headers].filter(([name]) => name !== "date" && name !== "content-length"),
      body: await check.text(),
    }),
  );
  same = await spawnReady(
    ["run", "-A", join(root, "bench/gateway/same_response.ts"), shapeFile],
    /PORT (\d+)/,
  );
  same.base = same.base.replace("http://", "http://127.0.0.1:");
  await wrk(kvUrl, gateway.pid, auth); // warm-up (JIT, caches), not counted
  await wrk(`${hello.base}/`, hello.pid);
  await wrk(`${same.base}/`, same.pid);
  const rows: Record<Which, WrkResult[]> = { helios: [], plain: [], health: [], same: [] };
  console.log(
    "round  helios GET kv (p99)  µs/req   plain Deno.serve (p99)  µs/req   ratio   " +
      "helios /healthz  µs/req",
  );
  const cell = (r: WrkResult) =>
    `${r.rps.toFixed(0).padStart(7)} req/s (${r.p99}) ${r.cpuUs.toFixed(1).padStart(5)}`;
  for (let round = 1; round <= ROUNDS; round++) {
    const order: Which[] = round % 2 === 1
      ? ["helios", "plain", "health", "same"]
      : ["same", "plain", "helios", "health"];
    const result: Partial<Record<Which, WrkResult>> = {};
    for (const which of order) {
      if (which === "helios") result[which] = await wrk(kvUrl, gateway.pid, auth);
      else if (which === "plain") result[which] = await wrk(`${hello.base}/`, hello.pid);
      else if (which === "same") result[which] = await wrk(`${same.base}/`, same.pid);
      else result[which] = await wrk(`${gateway.base}/healthz`, gateway.pid);
    }
    const { helios, plain, health } = result as Record<Which, WrkResult>;
    for (const which of order) rows[which].push(result[which]!);
    console.log(
      `${round}      ${cell(helios)}   ${cell(plain)}   ${(helios.rps / plain.rps).toFixed(2)}x` +
        `   ${health.rps.toFixed(0).padStart(7)} req/s ${health.cpuUs.toFixed(1).padStart(5)}`,
    );
  }
  const rps = (which: keyof typeof rows) => median(rows[which].map((r) => r.rps));
  const cpu = (which: keyof typeof rows) => median(rows[which].map((r) => r.cpuUs));
  const ratio = rps("helios") / rps("plain");
  console.log(
    `median: helios ${rps("helios").toFixed(0)} req/s, plain ${rps("plain").toFixed(0)} req/s, ` +
      `ratio ${ratio.toFixed(2)}x (goal >= 0.5x) ${ratio >= 0.5 ? "MET" : "NOT MET"}; ` +
      `helios /healthz ${rps("health").toFixed(0)} req/s (${
        (rps("health") / rps("plain")).toFixed(2)
      }x)`,
  );
  console.log(
    `ceiling: plain Deno.serve sending Helios's KV response as is ${
      rps("same").toFixed(0)
    } req/s ` +
      `(${(rps("same") / rps("plain")).toFixed(2)}x), ${cpu("same").toFixed(1)} µs/req; ` +
      `helios reaches ${(rps("helios") / rps("same")).toFixed(2)}x of it`,
  );
  console.log(
    `server CPU per request (median): helios GET kv ${cpu("helios").toFixed(1)} µs, ` +
      `plain ${cpu("plain").toFixed(1)} µs (${(cpu("plain") / cpu("helios")).toFixed(2)}x), ` +
      `helios /healthz ${cpu("health").toFixed(1)} µs (${
        (cpu("plain") / cpu("health")).toFixed(2)
      }x)`,
  );
} finally {
  await gateway.stop();
  await hello.stop();
  await same?.stop();
  await Deno.remove(dir, { recursive: true });
}
