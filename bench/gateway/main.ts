// deno-lint-ignore-file no-console
/**
 * bench/gateway: authenticated `GET /api/v1/kv/{key}` on `helios gateway` (embedded ATLAS, JWT
 * auth, RBAC, rate limiting with a generous bucket, security headers, metrics) against a plain
 * Deno.serve hello world, in the same run, `wrk -t1 -c64 -d5s`, alternating which goes first.
 * Prints req/s per round, the medians and the ratio. Goal (issue 8): ratio >= 0.5. For context it
 * also measures the gateway's unauthenticated GET /healthz (the middleware stack alone).
 *
 *   deno run -A bench/gateway/main.ts [--rounds 3] [--duration 5s] [--log-level warn]
 *
 * The access log is one JSON line per request at info; --log-level info measures with it on.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";

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
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}

async function wrk(url: string, headers: string[] = []): Promise<{ rps: number; p99: string }> {
  const argv = ["-t1", `-c${args.values.connections}`, `-d${args.values.duration}`, "--latency"];
  for (const header of headers) argv.push("-H", header);
  const out = await new Deno.Command("wrk", { args: [...argv, url], stdout: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const p99 = /99%\s+(\S+)/.exec(text)?.[1] ?? "?";
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (errors) throw new Error(`wrk saw ${errors[1]} non-2xx responses:\n${text}`);
  return { rps, p99 };
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
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const gateway = await startGateway();
const hello = await spawnReady(["run", "-A", join(root, "bench/gateway/hello.ts")], /PORT (\d+)/);
hello.base = hello.base.replace("http://", "http://127.0.0.1:");
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
  await check.body?.cancel();
  await wrk(kvUrl, auth); // warm-up (JIT, caches), not counted
  const helios: number[] = [];
  const plain: number[] = [];
  const health: number[] = [];
  console.log("round  helios GET kv (p99)        plain Deno.serve (p99)   ratio   helios /healthz");
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ["helios", "plain", "health"] : ["plain", "helios", "health"];
    const result: Record<string, { rps: number; p99: string }> = {};
    for (const which of order) {
      if (which === "helios") result[which] = await wrk(kvUrl, auth);
      else if (which === "plain") result[which] = await wrk(`${hello.base}/`);
      else result[which] = await wrk(`${gateway.base}/healthz`);
    }
    helios.push(result.helios.rps);
    plain.push(result.plain.rps);
    health.push(result.health.rps);
    console.log(
      `${round}      ${result.helios.rps.toFixed(0).padStart(7)} req/s (${result.helios.p99})` +
        `   ${result.plain.rps.toFixed(0).padStart(7)} req/s (${result.plain.p99})` +
        `   ${(result.helios.rps / result.plain.rps).toFixed(2)}x` +
        `   ${result.health.rps.toFixed(0).padStart(7)} req/s`,
    );
  }
  const ratio = median(helios) / median(plain);
  console.log(
    `median: helios ${median(helios).toFixed(0)} req/s, plain ${median(plain).toFixed(0)} req/s, ` +
      `ratio ${ratio.toFixed(2)}x (goal >= 0.5x) ${ratio >= 0.5 ? "MET" : "NOT MET"}; ` +
      `helios /healthz ${median(health).toFixed(0)} req/s (${
        (median(health) / median(plain)).toFixed(2)
      }x)`,
  );
} finally {
  await gateway.stop();
  await hello.stop();
  await Deno.remove(dir, { recursive: true });
}
