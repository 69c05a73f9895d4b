/**
 * The real `helios proxy` process: --backend quick start with the bound port read from the
 * "Listening" log line; a routes file reloaded on change and on SIGHUP; the admin API on the
 * metrics listener; proxy metrics on /metrics.
 */
import assert from "node:assert/strict";
import { localGatewayRoutes } from "../src/cli/proxy.ts";
import { configSchema } from "../src/config/schema.ts";
import { eventually, startUpstream, waitForLine } from "./proxy_harness.ts";

const main = new URL("../main.ts", import.meta.url).pathname;

async function startHelios(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "proxy",
      "--listen",
      "127.0.0.1:0",
      "--metrics-listen",
      "127.0.0.1:0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const lines: string[] = [];
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  (async () => {
    while (!(await stderr.read()).done) { /* drain */ }
  })().catch(() => {});
  const listening = /"message":"Listening".*"listener":"(proxy|metrics)","address":"([^"]+)"/;
  const first = await waitForLine(child.stdout, listening, lines);
  await eventually(() => lines.filter((l) => listening.test(l)).length === 2, 20_000);
  const addresses = Object.fromEntries(
    lines.filter((l) => listening.test(l)).map((l) => listening.exec(l)!.slice(1, 3)),
  );
  assert.ok(first);
  return {
    proxyUrl: `http://${addresses.proxy}`,
    metricsUrl: `http://${addresses.metrics}`,
    lines,
    child,
    async stop() {
      child.kill("SIGTERM");
      return await child.status;
    },
  };
}

Deno.test("helios proxy --backend: forwards, balances and exports metrics", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const helios = await startHelios(["--backend", a.url, "--backend", b.url]);
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(helios.proxyUrl);
      assert.equal(response.status, 200);
      assert.ok(response.headers.get("x-request-id"));
      seen.add(await response.text());
    }
    assert.deepEqual(seen, new Set(["A", "B"]));
    const metrics = await (await fetch(`${helios.metricsUrl}/metrics`)).text();
    assert.match(metrics, /proxy_requests_total\{route="default",code="200"\} 6/);
    assert.match(metrics, /proxy_backend_healthy\{upstream="default",target="[^"]+"\} 1/);
    assert.match(metrics, /proxy_upstream_duration_seconds_count\{upstream="default"\} 6/);
    // No admin token configured: the admin API is closed.
    assert.equal(
      await fetch(`${helios.metricsUrl}/proxy/status`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }),
      403,
    );
  } finally {
    const status = await helios.stop();
    assert.equal(status.code, 0);
    await a.kill();
    await b.kill();
  }
});

Deno.test("helios proxy --routes: reload on file change and SIGHUP; admin with token", async () => {
  const a = await startUpstream("A");
  const b = await startUpstream("B");
  const dir = await Deno.makeTempDir({ prefix: "helios-proxy-" });
  const file = `${dir}/routes.yaml`;
  const routes = (url: string) =>
    `upstreams:\n  app:\n    targets:\n      - url: ${url}\nroutes:\n  - name: app\n    upstream: app\n`;
  await Deno.writeTextFile(file, routes(a.url));
  const helios = await startHelios(["--routes", file], { HELIOS_PROXY__ADMIN_TOKEN: "t0ken" });
  const body = async () => await (await fetch(helios.proxyUrl)).text();
  try {
    assert.equal(await body(), "A");
    await Deno.writeTextFile(file, routes(b.url));
    await eventually(async () => (await body()) === "B");
    // An invalid file is refused and the running config stays.
    await Deno.writeTextFile(file, "routes: [ {name: x, upstream: nope} ]\nupstreams: {}\n");
    await eventually(() => helios.lines.some((l) => l.includes("Routes file reload failed")));
    assert.equal(await body(), "B");
    // SIGHUP reloads too (the watcher may also fire; either way A comes back).
    await Deno.writeTextFile(file, routes(a.url));
    helios.child.kill("SIGHUP");
    await eventually(async () => (await body()) === "A");
    assert.ok(helios.lines.some((l) => l.includes("Routes file reloaded")));
    const status = await fetch(`${helios.metricsUrl}/proxy/status`, {
      headers: { authorization: "Bearer t0ken" },
    });
    assert.equal(status.status, 200);
    assert.equal((await status.json()).upstreams[0].targets[0].url, a.url);
  } finally {
    const status = await helios.stop();
    assert.equal(status.code, 0);
    await a.kill();
    await b.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("helios proxy without routes or backends fronts the local gateway", async () => {
  // The README runs `helios proxy --listen :8080` alone (it exited 2 before): the proxy goes in
  // front of gateway.listen, reached on loopback when that is a wildcard address.
  const gateway = await startUpstream("GW");
  const helios = await startHelios([], { HELIOS_GATEWAY__LISTEN: `:${gateway.port}` });
  try {
    const response = await fetch(`${helios.proxyUrl}/api/v1/kv/x`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "GW");
    assert.ok(helios.lines.some((line) =>
      line.includes("proxying to the local gateway") &&
      line.includes(`http://127.0.0.1:${gateway.port}`)
    ));
  } finally {
    assert.equal((await helios.stop()).code, 0);
    await gateway.kill();
  }
});

Deno.test("the local gateway's routes: loopback for a wildcard listen, https with TLS, /healthz", () => {
  const routes = (gateway: Record<string, unknown>) => {
    const upstream = localGatewayRoutes(configSchema.parse({ gateway })).upstreams.gateway;
    return [upstream.targets[0].url, upstream.health_check.path];
  };
  assert.deepEqual(routes({ listen: ":8443" }), ["http://127.0.0.1:8443", "/healthz"]);
  assert.deepEqual(routes({ listen: "[::]:9443" }), ["http://[::1]:9443", "/healthz"]);
  assert.deepEqual(routes({ listen: "10.0.0.5:8443" })[0], "http://10.0.0.5:8443");
  assert.deepEqual(
    routes({ listen: "127.0.0.1:8443", tls_enabled: true, tls_cert: "c.pem", tls_key: "k.pem" })[0],
    "https://127.0.0.1:8443",
  );
});

Deno.test("helios proxy with a missing routes file is a usage error", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "proxy", "--routes", "/nonexistent/routes.yaml"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /not found/);
});
