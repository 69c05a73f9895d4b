import assert from "node:assert/strict";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { createGatewayApp } from "./mod.ts";

function app(ready = true) {
  const lines: string[] = [];
  const logger = new Logger("gateway", { sink: (line) => lines.push(line) });
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  return {
    app: createGatewayApp({ logger, metrics, readiness: { storage: () => ready } }),
    lines,
    metrics,
  };
}

Deno.test("unknown routes get a 404 problem, not an HTML page", async () => {
  const { app: gateway } = app();
  const response = await gateway.request("/nope?x=1", { headers: { "x-request-id": "abc-123" } });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  const body = await response.json();
  assert.equal(body.status, 404);
  assert.equal(body.instance, "/nope");
  assert.equal(body.requestId, "abc-123");
});

Deno.test("healthz is alive; readyz follows its checks", async () => {
  assert.equal((await app().app.request("/healthz")).status, 200);
  const notReady = await app(false).app.request("/readyz");
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { status: "not_ready", checks: { storage: false } });
});

Deno.test("requests are counted by route template and logged with their request id", async () => {
  const { app: gateway, lines, metrics } = app();
  await gateway.request("/healthz");
  const text = await metrics.text();
  assert.match(text, /helios_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  assert.match(
    text,
    /helios_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/,
  );
  const access = lines.map((line) => JSON.parse(line)).find((r) =>
    r.message === "Request processed"
  );
  assert.ok(access?.request_id);
  assert.equal(access.extra.status, 200);
});

Deno.test("an unsafe inbound request id is replaced", async () => {
  const response = await app().app.request("/healthz", {
    headers: { "x-request-id": "bad id <script>" },
  });
  assert.match(response.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
});
