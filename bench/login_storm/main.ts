// deno-lint-ignore-file no-console -- a benchmark script: its output is the result
/**
 * bench/login_storm: does password hashing hold the gateway's event loop?
 *
 * Starts the gateway (server.ts) in its own process and measures the latency of an authenticated
 * read (GET /api/v1/kv/{key} with a bearer token: JWT verify + RBAC + store read) at a fixed
 * open-loop rate, in alternating phases: quiet, and with 10 logins/s running (bcrypt cost 10,
 * ~70 ms of CPU each, round-robin over 20 accounts). It also records the server's event-loop
 * lag. Goal: storm p99 ≤ 2 × quiet p99. The same run is repeated with the hashing on the main
 * thread (`inline`), the design the worker pool replaces, to show what the goal guards against.
 * On a shared machine, compare phases of one run only (they alternate so noise falls on both).
 *
 *   deno run -A bench/login_storm/main.ts [--phase-s 3] [--rounds 4] [--read-rps 200]
 *     [--modes workers,inline] [--fsync every|none]
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: Deno.args,
  options: {
    "phase-s": { type: "string", default: "3" },
    rounds: { type: "string", default: "4" },
    "read-rps": { type: "string", default: "200" },
    "login-rps": { type: "string", default: "10" },
    modes: { type: "string", default: "workers,inline" },
    fsync: { type: "string", default: "every" },
  },
});
const phaseMs = Number(args.values["phase-s"]) * 1000;
const rounds = Number(args.values.rounds);
const readRps = Number(args.values["read-rps"]);
const loginRps = Number(args.values["login-rps"]);
const ACCOUNTS = 20;

type Phase = "warmup" | "quiet" | "storm";

interface Samples {
  reads: Record<Phase, number[]>;
  /** Per round: storm p99 / quiet p99 of the two adjacent phases. */
  roundRatios: number[];
  lag: Record<Phase, number[]>;
  logins: number;
  errors: number;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

class GatewayProcess {
  phase: Phase = "warmup";
  readonly samples: Samples = {
    reads: { warmup: [], quiet: [], storm: [] },
    roundRatios: [],
    lag: { warmup: [], quiet: [], storm: [] },
    logins: 0,
    errors: 0,
  };
  private constructor(
    readonly child: Deno.ChildProcess,
    readonly base: string,
    private pump: Promise<void>,
  ) {}

  static async start(inline: boolean): Promise<GatewayProcess> {
    const script = new URL("./server.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        script,
        String(ACCOUNTS),
        `--fsync=${args.values.fsync}`,
        ...(inline ? ["--inline"] : []),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/READY \d+\n/.test(text)) {
      const { value, done } = await lines.read();
      if (done) throw new Error("server exited before READY");
      text += value;
    }
    const port = Number(/READY (\d+)/.exec(text)![1]);
    const holder: { gw: GatewayProcess | null } = { gw: null };
    const pump = (async () => {
      let rest = text.slice(text.indexOf("\n", text.indexOf("READY")) + 1);
      while (true) {
        for (const line of rest.split("\n").slice(0, -1)) {
          const match = /^LAG ([\d.]+)/.exec(line);
          const gw = holder.gw;
          if (match && gw) gw.samples.lag[gw.phase].push(Number(match[1]));
        }
        rest = rest.slice(rest.lastIndexOf("\n") + 1);
        const { value, done } = await lines.read();
        if (done) return;
        rest += value;
      }
    })();
    holder.gw = new GatewayProcess(child, `http://127.0.0.1:${port}`, pump);
    return holder.gw;
  }

  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    await this.child.status;
    await this.pump;
  }
}

async function login(base: string, i: number): Promise<void> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: `bench${i % ACCOUNTS}`, password: "bench-password" }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`login: ${res.status} ${body.detail}`);
}

/** Fires reads at a fixed rate (and logins in a storm) for one phase. */
async function phase(gw: GatewayProcess, phase: Phase, auth: HeadersInit): Promise<void> {
  gw.phase = phase;
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  let nextRead = started;
  let nextLogin = started;
  let loginIndex = 0;
  while (performance.now() - started < phaseMs) {
    const now = performance.now();
    if (now >= nextRead) {
      nextRead += 1000 / readRps;
      const t0 = performance.now();
      const reads = gw.samples.reads[phase];
      pending.push(
        fetch(`${gw.base}/api/v1/kv/bench-key`, { headers: auth }).then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) gw.samples.errors++;
          reads.push(performance.now() - t0);
        }),
      );
    }
    if (phase === "storm" && now >= nextLogin) {
      nextLogin += 1000 / loginRps;
      pending.push(
        login(gw.base, loginIndex++).then(
          () => gw.samples.logins++,
          (error) => {
            if (gw.samples.errors++ < 3) console.error(`  login error: ${error}`);
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
}

async function runMode(inline: boolean): Promise<Samples> {
  const gw = await GatewayProcess.start(inline);
  try {
    const first = await fetch(`${gw.base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bench0", password: "bench-password" }),
    });
    const auth = { authorization: `Bearer ${(await first.json()).token}` };
    const put = await fetch(`${gw.base}/api/v1/kv/bench-key`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ value: "hello" }),
    });
    await put.body?.cancel();
    await phase(gw, "warmup", auth);
    for (let r = 0; r < rounds; r++) {
      const p99: Partial<Record<Phase, number>> = {};
      for (const p of (r % 2 === 0 ? ["quiet", "storm"] : ["storm", "quiet"]) as Phase[]) {
        const before = gw.samples.reads[p].length;
        await phase(gw, p, auth);
        p99[p] = percentile(gw.samples.reads[p].slice(before), 99);
      }
      gw.samples.roundRatios.push(p99.storm! / p99.quiet!);
    }
    gw.phase = "warmup";
    return gw.samples;
  } finally {
    await gw.stop();
  }
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);
const load = () => Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(
  `login_storm: authenticated reads ${readRps}/s; storm = ${loginRps} logins/s (bcrypt cost 10); ` +
    `${rounds} rounds of ${phaseMs / 1000} s quiet + ${phaseMs / 1000} s storm, alternating; ` +
    `AOF fsync ${args.values.fsync}`,
);
console.log(`load average before: ${load()} (2 cores; other work on the machine inflates both)`);
console.log(
  "mode     | read p50 quiet/storm | read p99 quiet   storm  ratio | median round ratio |" +
    " loop lag p99 quiet  storm | logins errors",
);
for (const mode of args.values.modes!.split(",")) {
  const s = await runMode(mode === "inline");
  const q99 = percentile(s.reads.quiet, 99);
  const s99 = percentile(s.reads.storm, 99);
  console.log(
    `${mode.padEnd(8)} | ${fmt(percentile(s.reads.quiet, 50))} ${
      fmt(percentile(s.reads.storm, 50))
    }      |` +
      `      ${fmt(q99)} ${fmt(s99)} ${(s99 / q99).toFixed(2).padStart(5)}× |` +
      `   ${percentile(s.roundRatios, 50).toFixed(2).padStart(13)}× |` +
      `          ${fmt(percentile(s.lag.quiet, 99))} ${fmt(percentile(s.lag.storm, 99))} |` +
      ` ${String(s.logins).padStart(6)} ${String(s.errors).padStart(6)}`,
  );
}
console.log(`load average after: ${load()}; goal: workers storm p99 ≤ 2× quiet p99`);
