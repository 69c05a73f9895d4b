/**
 * One traced request through proxy → gateway → ATLAS (3-node Raft cluster), all real processes
 * exporting to a small OTLP receiver in this test (OTEL_DENO=true, http/json): every hop reports
 * spans under the one trace id the client started, and the gateway's log line carries it.
 * Every component's /metrics also passes `promtool check metrics`.
 */
import assert from "node:assert/strict";
import { HeliosProcess, promtoolCheck } from "./helpers/helios_process.ts";
import { RaftTestCluster } from "./helpers/raft_cluster.ts";

interface ReceivedSpan {
  service: string;
  traceId: string;
  name: string;
}

function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    if (new URL(request.url).pathname === "/v1/traces") {
      const body = await request.json();
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: { key: string }) =>
          a.key === "service.name"
        )
          ?.value?.stringValue ?? "";
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) {
            spans.push({ service, traceId: span.traceId, name: span.name });
          }
        }
      }
    } else {
      await request.body?.cancel();
    }
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  return { spans, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const otel = (endpoint: string, service: string) => ({
  OTEL_DENO: "true",
  OTEL_SERVICE_NAME: service,
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "200",
  OTEL_DENO_CONSOLE: "ignore",
});

Deno.test({
  name:
    "one request through proxy, gateway and a 3-node cluster is one trace; every /metrics passes promtool",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const receiver = startOtlpReceiver();
    const cluster = await RaftTestCluster.start({
      size: 3,
      env: otel(receiver.url, "helios-atlas"),
    });
    const processes: HeliosProcess[] = [];
    try {
      await cluster.leader();
      const nodes = cluster.nodes.map((n) => `127.0.0.1:${n.respPort}`).join(",");
      const gateway = HeliosProcess.start(
        ["gateway", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--atlas", nodes],
        { ...otel(receiver.url, "helios-gateway"), HELIOS_ADMIN_PASSWORD: "admin-password-1" },
      );
      processes.push(gateway);
      const gatewayAddress = await gateway.address("gateway");
      const proxy = HeliosProcess.start(
        [
          "proxy",
          "--listen",
          "127.0.0.1:0",
          "--metrics-listen",
          "127.0.0.1:0",
          "--backend",
          `http://${gatewayAddress}`,
        ],
        otel(receiver.url, "helios-proxy"),
      );
      processes.push(proxy);
      const base = `http://${await proxy.address("proxy")}`;

      const login = await (await fetch(`${base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: "admin-password-1" }),
      })).json();
      assert.ok(login.token, JSON.stringify(login));
      const auth = { authorization: `Bearer ${login.token}` };
      const created = await (await fetch(`${base}/api/v1/auth/tokens`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: "worker" }), // the caller's roles (admin)
      })).json();
      assert.ok(created.token, JSON.stringify(created));
      const worker = HeliosProcess.start(
        [
          "worker",
          "--gateway",
          `http://${gatewayAddress}`,
          "--metrics-listen",
          "127.0.0.1:0",
          "--poll-interval",
          "1s",
        ],
        { ...otel(receiver.url, "helios-worker"), HELIOS_TOKEN: created.token },
      );
      processes.push(worker);
      await worker.address("metrics");

      // The traced request: a trace id of our own, carried by W3C traceparent.
      const traceId = crypto.randomUUID().replaceAll("-", "");
      const traceparent = `00-${traceId}-${"ab".repeat(8)}-01`;
      const put = await fetch(`${base}/api/v1/kv/traced`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", traceparent },
        body: JSON.stringify({ value: "hello" }),
      });
      const putBody = await put.text();
      assert.ok(put.status < 300, `${put.status} ${putBody}`);

      const deadline = Date.now() + 15_000;
      const services = () =>
        new Set(receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.service));
      while (
        Date.now() < deadline &&
        !["helios-proxy", "helios-gateway", "helios-atlas"].every((s) => services().has(s))
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seen = services();
      assert.ok(seen.has("helios-proxy"), `proxy spans in the trace: ${[...seen]}`);
      assert.ok(seen.has("helios-gateway"), `gateway spans in the trace: ${[...seen]}`);
      assert.ok(seen.has("helios-atlas"), `ATLAS spans across the RESP hop: ${[...seen]}`);
      const atlasSpans = receiver.spans.filter((s) =>
        s.traceId === traceId && s.service === "helios-atlas"
      );
      assert.ok(
        atlasSpans.some((s) => s.name.startsWith("atlas ")),
        atlasSpans.map((s) => s.name).join(", "),
      );
      assert.ok(
        gateway.lines.some((line) => line.trace_id === traceId),
        "the gateway's log lines for the request carry its trace_id",
      );

      // Every component's scrape is valid Prometheus exposition.
      const scrapes = [
        ...cluster.nodes.map((n) => `127.0.0.1:${n.metricsPort}`),
        await gateway.address("metrics"),
        await proxy.address("metrics"),
        await worker.address("metrics"),
      ];
      for (const address of scrapes) {
        const text = await (await fetch(`http://${address}/metrics`)).text();
        const check = await promtoolCheck(text);
        assert.ok(check.ok, `${address}: ${check.output}`);
      }
    } finally {
      for (const p of processes.reverse()) await p.stop("SIGINT");
      await cluster.close();
      await receiver.close();
    }
  },
});
