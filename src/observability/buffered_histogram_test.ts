import assert from "node:assert/strict";
import { bufferedHistogram } from "./buffered_histogram.ts";
import { MetricsRegistry } from "./metrics.ts";

Deno.test("buffered histogram: the scrape shows exactly what observe() would have", async () => {
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const spec = { name: "x_seconds", help: "x", labelNames: ["upstream"], buckets: [0.1, 1] };
  const histogram = metrics.histogram(spec);
  const a = bufferedHistogram(histogram, { upstream: "a" });
  for (const seconds of [0.05, 0.1, 0.5, 3]) a.observe(seconds);
  const lines = (await metrics.text()).split("\n");
  const line = (series: string) => lines.find((l) => l.startsWith(series + " "));
  assert.equal(
    line('x_seconds_bucket{le="0.1",upstream="a"}'),
    'x_seconds_bucket{le="0.1",upstream="a"} 2',
  );
  assert.equal(
    line('x_seconds_bucket{le="1",upstream="a"}'),
    'x_seconds_bucket{le="1",upstream="a"} 3',
  );
  assert.equal(
    line('x_seconds_bucket{le="+Inf",upstream="a"}'),
    'x_seconds_bucket{le="+Inf",upstream="a"} 4',
  );
  assert.equal(line('x_seconds_sum{upstream="a"}'), 'x_seconds_sum{upstream="a"} 3.65');
  // Later observations add to the flushed ones; a reset histogram starts again from zero.
  a.observe(0.2);
  assert.match(await metrics.text(), /^x_seconds_count\{upstream="a"\} 5$/m);
  histogram.reset();
  a.observe(2);
  const after = await metrics.text();
  assert.match(after, /^x_seconds_count\{upstream="a"\} 1$/m);
  assert.match(after, /^x_seconds_bucket\{le="1",upstream="a"\} 0$/m);
});
