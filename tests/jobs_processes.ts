/**
 * Real-process support for the job tests: `main.ts gateway` (embedded ATLAS engine on a data
 * directory, with the JOB.* module) and `main.ts worker` as child processes, a free port, admin
 * login and an API token.
 */
const ROOT = new URL("../", import.meta.url).pathname;

export class Child {
  readonly exited: Promise<Deno.CommandStatus>;
  readonly out: string[] = [];
  readonly process: Deno.ChildProcess;

  constructor(args: string[], env: Record<string, string>) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.process = child;
    this.exited = child.status;
    const keep = (line: string) => {
      if (this.out.length < 200) this.out.push(line);
    };
    this.pump(child.stdout, keep);
    this.pump(child.stderr, keep);
  }

  /** Waits until the gateway at `base` answers /healthz (or the process exits). */
  async ready(base: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        const response = await fetch(`${base}/healthz`);
        await response.body?.cancel();
        if (response.ok) return;
      } catch (_error) {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Gateway at ${base} never became ready: ${this.out.join("\n").slice(-3000)}`);
  }

  async kill(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    try {
      this.process.kill(signal);
    } catch (_error) {
      // Already exited; its status is returned below.
    }
    return await this.exited;
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    let buffered = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
      }
    }
  }
}

/** Ports a process must be restarted on come from below the ephemeral range (see freePort). */
export { freePort } from "./helpers/fault_proxy.ts";

export const ADMIN_PASSWORD = "reliability-secret-1";

/** Writes the gateway's config file: embedded engine on dataDir with the given fsync mode. */
export async function writeGatewayConfig(
  dir: string,
  port: number,
  fsync: "every" | "interval" | "none",
  worker: Record<string, unknown> = {},
): Promise<string> {
  const file = `${dir}/gateway.yaml`;
  const config = {
    atlas: { data_dir: `${dir}/data`, aof_fsync: fsync },
    gateway: { listen: `127.0.0.1:${port}`, rate_limit: { enabled: false }, jwt_expiry: "2h" },
    worker: { reap_interval: "200ms", retention_count: 1_000_000, ...worker },
    observability: { metrics_listen: "127.0.0.1:0", log_level: "warn" },
  };
  await Deno.writeTextFile(file, JSON.stringify(config)); // JSON is YAML
  return file;
}

export function startGateway(configFile: string): Child {
  return new Child(["main.ts", "gateway", "--config", configFile], {
    HELIOS_ADMIN_PASSWORD: ADMIN_PASSWORD,
  });
}

export function startWorker(
  id: string,
  base: string,
  token: string,
  extra: string[] = [],
): Child {
  return new Child([
    "main.ts",
    "worker",
    "--worker-id",
    id,
    "--gateway",
    base,
    "--metrics-listen",
    "127.0.0.1:0",
    "--log-level",
    "warn",
    ...extra,
  ], { HELIOS_TOKEN: token });
}

/** Logs in as the first admin and creates an API token (rules `*`) for workers and the test. */
export async function apiToken(base: string): Promise<string> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  const { token } = await login.json();
  const created = await fetch(`${base}/api/v1/auth/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "jobs-test" }),
  });
  const body = await created.json();
  if (!body.token) throw new Error(`Cannot create an API token: ${JSON.stringify(body)}`);
  return body.token;
}
