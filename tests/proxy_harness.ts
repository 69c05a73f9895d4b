/** Shared helpers for the proxy tests: upstream processes, an in-process proxy, requests. */
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { ProxyService, validateRoutes } from "../src/proxy/mod.ts";

export interface UpstreamProcess {
  port: number;
  url: string;
  kill(): Promise<void>;
  ctl(query: string): Promise<void>;
  stats(): Promise<{ hits: number; posts: number }>;
}

const fixture = new URL("./proxy_fixture_upstream.ts", import.meta.url).pathname;

/** Reads lines from a child's stdout until one matches; keeps draining afterwards. */
export async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  lines: string[] = [],
): Promise<RegExpExecArray> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`process ended before printing ${pattern}: ${buffer}`);
    buffer += value;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const [i, line] of parts.entries()) {
      lines.push(line);
      const match = pattern.exec(line);
      if (match) {
        // Lines after the match in the same chunk (logs are written a turn at a time) count too.
        lines.push(...parts.slice(i + 1));
        (async () => {
          for (;;) {
            const next = await reader.read();
            if (next.done) return;
            lines.push(...next.value.split("\n").filter((l) => l !== ""));
          }
        })().catch(() => {});
        return match;
      }
    }
  }
}

export async function startUpstream(id: string, port = 0): Promise<UpstreamProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", fixture, id, String(port)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const match = await waitForLine(child.stdout, /UPSTREAM (\d+)/);
  const bound = Number(match[1]);
  const url = `http://127.0.0.1:${bound}`;
  let killed = false;
  return {
    port: bound,
    url,
    async kill() {
      if (killed) return;
      killed = true;
      child.kill("SIGKILL");
      await child.status;
    },
    async ctl(query) {
      await (await fetch(`${url}/__ctl?${query}`, { method: "POST" })).text();
    },
    async stats() {
      return await (await fetch(`${url}/__stats`)).json();
    },
  };
}

export interface InProcessProxy {
  proxy: ProxyService;
  url: string;
  metrics: MetricsRegistry;
  logs: string[];
  close(): Promise<void>;
}

/** A ProxyService on 127.0.0.1:0 with the given routes document (validated). */
export function startProxy(
  raw: unknown,
  options: { failureThreshold?: number; cooldownMs?: number; healthIntervalMs?: number } = {},
): InProcessProxy {
  const logs: string[] = [];
  const logger = new Logger("proxy", { level: "debug", sink: (line) => logs.push(line) });
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const proxy = new ProxyService({
    file: validateRoutes(raw, "test"),
    logger,
    metrics,
    failureThreshold: options.failureThreshold ?? 5,
    cooldownMs: options.cooldownMs ?? 30_000,
    healthCheckIntervalMs: options.healthIntervalMs ?? 60_000,
  });
  const server = proxy.listen({ hostname: "127.0.0.1", port: 0 });
  return {
    proxy,
    url: `http://127.0.0.1:${server.address.port}`,
    metrics,
    logs,
    async close() {
      await server.close(1000);
      await proxy.close();
    },
  };
}

/** One pool "app" behind "/" with the given targets and upstream settings. */
export function pool(urls: string[], upstream: Record<string, unknown> = {}, route = {}) {
  return {
    upstreams: { app: { targets: urls.map((url) => ({ url })), ...upstream } },
    routes: [{ name: "app", upstream: "app", ...route }],
  };
}

export async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

export function targetStatus(proxy: ProxyService, url: string) {
  const status = proxy.status() as {
    upstreams: {
      targets: { url: string; healthy: boolean; ejected: boolean; circuit: string }[];
    }[];
  };
  return status.upstreams.flatMap((u) => u.targets).find((t) => t.url === url)!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` passes or the time is up (bounded waits, no timing assertions). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error("condition not reached in time");
}
