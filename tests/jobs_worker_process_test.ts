/**
 * `helios worker` as a real process: it needs HELIOS_TOKEN; on SIGTERM it stops claiming, lets a
 * running job finish within worker.shutdown_timeout, and releases one that would not (the
 * attempt does not count), then exits 0.
 */
import assert from "node:assert/strict";
import {
  apiToken,
  Child,
  freePort,
  startGateway,
  startWorker,
  writeGatewayConfig,
} from "./jobs_processes.ts";

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await fn();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

Deno.test("helios worker refuses to start without HELIOS_TOKEN", async () => {
  const child = new Child(["main.ts", "worker", "--gateway", "http://127.0.0.1:1"], {});
  const status = await child.exited;
  assert.equal(status.code, 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(child.out.join("\n"), /HELIOS_TOKEN/);
});

Deno.test("helios worker SIGTERM: finishes a job within the timeout, releases one beyond it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-jobs-term-" });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const ms = Number(new URL(request.url).searchParams.get("ms"));
    await new Promise((resolve) => setTimeout(resolve, ms));
    await request.body?.cancel();
    return new Response("ok");
  });
  const gateway = startGateway(await writeGatewayConfig(dir, port, "interval"));
  try {
    await gateway.ready(base);
    const token = await apiToken(base);
    const hook = (ms: number) => ({
      queue: "term",
      task: "http",
      payload: { url: `http://127.0.0.1:${sink.addr.port}/?ms=${ms}`, timeout_ms: 20_000 },
    });
    const job = (id: string) => api(base, token, "GET", `/api/v1/jobs/${id}`);
    // Default shutdown timeout (8 s): the 700 ms delivery finishes and is acked.
    const first = await api(base, token, "POST", "/api/v1/jobs", hook(700));
    const patient = startWorker("w-patient", base, token, [
      "--queues",
      "term",
      "--poll-interval",
      "1s",
    ]);
    await until(() => job(first.id), (j) => j.status === "RUNNING", "RUNNING");
    assert.equal((await patient.kill("SIGTERM")).code, 0);
    assert.equal((await job(first.id)).status, "COMPLETED");

    // 500 ms shutdown timeout: the 3 s delivery is aborted and the job released.
    const { id } = await api(base, token, "POST", "/api/v1/jobs", hook(3000));
    const worker = new Child([
      "main.ts",
      "worker",
      "--worker-id",
      "w-short",
      "--gateway",
      base,
      "--queues",
      "term",
      "--metrics-listen",
      "127.0.0.1:0",
      "--log-level",
      "warn",
    ], { HELIOS_TOKEN: token, HELIOS_WORKER__SHUTDOWN_TIMEOUT: "500ms" });
    await until(() => job(id), (j) => j.status === "RUNNING", "RUNNING");
    const status = await worker.kill("SIGTERM");
    assert.equal(status.code, 0);
    const released = await job(id);
    assert.deepEqual([released.status, released.attempt, released.errors[0].reason], [
      "PENDING",
      0,
      "released",
    ]);
  } finally {
    await gateway.kill("SIGKILL");
    await sink.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
