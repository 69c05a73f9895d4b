import assert from "node:assert/strict";
import { Hono } from "hono";
import { MetricsRegistry } from "./metrics.ts";
import { httpMetrics } from "./http_metrics.ts";

async function get(app: Hono, path: string): Promise<void> {
  await (await app.request(path)).text();
}

Deno.test("HTTP metrics: counts and durations per method, route template and status", async () => {
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const app = new Hono();
  app.use("*", httpMetrics(metrics));
  app.get("/items/:id", (c) => c.text("ok"));
  for (let i = 0; i < 3; i++) await get(app, `/items/${i}`);
  await get(app, "/nowhere");
  const text = await metrics.text();
  assert.match(
    text,
    /^helios_requests_total\{method="GET",route="\/items\/:id",status="200"\} 3$/m,
  );
  assert.match(text, /^helios_requests_total\{method="GET",route="\/\*",status="404"\} 1$/m);
  assert.match(
    text,
    /^helios_request_duration_seconds_count\{method="GET",route="\/items\/:id",status="200"\} 3$/m,
  );
  assert.match(
    text,
    /^helios_request_duration_seconds_bucket\{le="10",method="GET",route="\/items\/:id",status="200"\} 3$/m,
  );
  // Counts recorded after a scrape (and after a reset) appear at the next scrape, not twice.
  await get(app, "/items/9");
  assert.match(
    await metrics.text(),
    /^helios_requests_total\{method="GET",route="\/items\/:id",status="200"\} 4$/m,
  );
  metrics.registry.resetMetrics();
  await get(app, "/items/9");
  const afterReset = await metrics.text();
  assert.match(
    afterReset,
    /^helios_requests_total\{method="GET",route="\/items\/:id",status="200"\} 1$/m,
  );
  assert.match(
    afterReset,
    /^helios_request_duration_seconds_count\{method="GET",route="\/items\/:id",status="200"\} 1$/m,
  );
});

Deno.test("HTTP metrics: two apps on one registry add up", async () => {
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const apps = [new Hono(), new Hono()];
  for (const app of apps) {
    app.use("*", httpMetrics(metrics));
    app.get("/x", (c) => c.text("ok"));
    await get(app, "/x");
  }
  assert.match(
    await metrics.text(),
    /^helios_requests_total\{method="GET",route="\/x",status="200"\} 2$/m,
  );
});
