// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/**
 * bench/login_storm: does password hashing hold the gateway's event loop?
 *
 * Starts the gateway (server.ts) in its own process, then measures the latency of an
 * authenticated read (GET /api/v1/kv/{key} with a bearer token: JWT verify + RBAC + store read)
 * at a fixed open-loop rate, in alternating phases: quiet, and with 10 logins/s running
 * (bcrypt cost 10, ~70 ms of CPU each; round-robin over 20 accounts, as real logins come from
 * many users). Goal: storm p99 ≤ 2 × quiet p99. Prints the load average: on a shared machine,
 * compare only phases of one run (they alternate so that noise falls on both).
 *
 *   deno run -A bench/login_storm/main.ts [--phase-s 3] [--rounds 4] [--read-rps 200]
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: Deno.args,
  options: {
    "phase-s": { type: "string", default: "3" },
    rounds: { type: "string", default: "4" },
    "read-rps": { type: "string", default: "200" },
    "login-rps": { type: "string", default: "10" },
  },
});
const phaseMs = Number(args.values["phase-s"]) * 1000;
const rounds = Number(args.values.rounds);
const readRps = Number(args.values["read-rps"]);
const loginRps = Number(args.values["login-rps"]);

const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./server.ts", import.meta.url).pathname, "20"],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let buffered = "";
while (!buffered.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("server exited before READY");
  buffered += value;
}
const port = Number(/READY (\d+)/.exec(buffered)![1]);
/** Event-loop lag samples from the server (max per 250 ms window), tagged with the phase. */
let currentPhase: "warmup" | "quiet" | "storm" = "warmup";
const lag = { warmup: [] as number[], quiet: [] as number[], storm: [] as number[] };
const lagLines = (async () => {
  let rest = buffered.slice(buffered.indexOf("\n") + 1);
  while (true) {
    for (const line of rest.split("\n").slice(0, -1)) {
      const match = /^LAG ([\d.]+)/.exec(line);
      if (match) lag[currentPhase].push(Number(match[1]));
    }
    rest = rest.slice(rest.lastIndexOf("\n") + 1);
    const { value, done } = await reader.read();
    if (done) return;
    rest += value;
  }
})();
const base = `http://127.0.0.1:${port}`;
const credentials = (i: number) =>
  JSON.stringify({ username: `bench${i % 20}`, password: "bench-password" });
let loginCount = 0;

async function login(): Promise<number> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: credentials(loginCount++),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(body)}`);
  return body.token ? 1 : 0;
}

const first = await fetch(`${base}/api/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: credentials(0),
});
const { token } = await first.json();
const auth = { authorization: `Bearer ${token}` };
await (await fetch(`${base}/api/v1/kv/bench-key`, {
  method: "POST",
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify({ value: "hello" }),
})).body?.cancel();

/** Fires reads at a fixed rate for durationMs (and logins when storm); returns read latencies. */
async function phase(
  storm: boolean,
): Promise<{ latencies: number[]; logins: number; errors: number }> {
  currentPhase = storm ? "storm" : "quiet";
  const latencies: number[] = [];
  const pending: Promise<unknown>[] = [];
  let logins = 0;
  let errors = 0;
  const started = performance.now();
  let nextRead = started;
  let nextLogin = started;
  while (performance.now() - started < phaseMs) {
    const now = performance.now();
    if (now >= nextRead) {
      nextRead += 1000 / readRps;
      const t0 = performance.now();
      pending.push(
        fetch(`${base}/api/v1/kv/bench-key`, { headers: auth }).then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) errors++;
          latencies.push(performance.now() - t0);
        }),
      );
    }
    if (storm && now >= nextLogin) {
      nextLogin += 1000 / loginRps;
      pending.push(
        login().then((n) => (logins += n), (error) => {
          errors++;
          if (errors <= 3) console.error(`  login error: ${error}`);
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { latencies, logins, errors };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const results = { quiet: [] as number[], storm: [] as number[] };
await phase(false); // warm-up
lag.quiet.length = 0;
const order: boolean[] = [];
for (let r = 0; r < rounds; r++) order.push(...(r % 2 === 0 ? [false, true] : [true, false]));
const load = () => Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(`load average before: ${load()} (2 cores shared with other work inflates both phases)`);
console.log(
  `login_storm: reads ${readRps}/s, logins ${loginRps}/s (bcrypt cost 10), phases of ${
    phaseMs / 1000
  } s`,
);
for (const storm of order) {
  const { latencies, logins, errors } = await phase(storm);
  (storm ? results.storm : results.quiet).push(...latencies);
  console.log(
    `  ${storm ? "storm" : "quiet"}: ${latencies.length} reads, p50 ${
      percentile(latencies, 50).toFixed(2)
    } ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${
        Math.max(...latencies).toFixed(2)
      } ms` +
      (storm ? `, ${logins} logins` : "") + (errors ? `, ${errors} errors` : ""),
  );
}
const quietP99 = percentile(results.quiet, 99);
const stormP99 = percentile(results.storm, 99);
console.log(
  `quiet p99 ${quietP99.toFixed(2)} ms | storm p99 ${stormP99.toFixed(2)} ms | ratio ${
    (stormP99 / quietP99).toFixed(2)
  }× ` +
    `(goal ≤ 2×) | p50 ${percentile(results.quiet, 50).toFixed(2)} → ${
      percentile(results.storm, 50).toFixed(2)
    } ms`,
);
console.log(
  `server event-loop lag (max per 250 ms window): quiet p99 ${
    percentile(lag.quiet, 99).toFixed(1)
  } ms, ` +
    `storm p99 ${percentile(lag.storm, 99).toFixed(1)} ms, max ${
      Math.max(...lag.quiet).toFixed(1)
    } → ` +
    `${Math.max(...lag.storm).toFixed(1)} ms`,
);
console.log(`load average after: ${load()}`);
server.kill("SIGTERM");
await server.status;
await lagLines;
