import assert from "node:assert/strict";
import {
  bytesToHuman,
  countErrorReply,
  ERROR_PREFIXES_MAX,
  errorPrefix,
  InfoSampler,
  InstantaneousMetric,
  METRIC_SAMPLES,
  ratio,
} from "./info_stats.ts";
import { histogramPercentileUs, recordLatency } from "./latency_histogram.ts";
import type { CommandEntry } from "./types.ts";

Deno.test("bytesToHuman formats as Redis's", () => {
  assert.equal(bytesToHuman(0), "0B");
  assert.equal(bytesToHuman(1023), "1023B");
  assert.equal(bytesToHuman(1024), "1.00K");
  assert.equal(bytesToHuman(1015400), "991.60K"); // seen from redis-server 7.0.15
  assert.equal(bytesToHuman(6643712), "6.34M");
  assert.equal(bytesToHuman(25276502016), "23.54G");
  assert.equal(bytesToHuman(1024 ** 4 * 2), "2.00T");
  assert.equal(bytesToHuman(1024 ** 5 * 3), "3.00P");
  assert.equal(ratio(1, 0), "0.00");
  assert.equal(ratio(3, 2), "1.50");
});

Deno.test("errorstats: the prefix is the first word within 32 characters, else ERR", () => {
  assert.equal(errorPrefix("WRONGTYPE Operation against a key"), "WRONGTYPE");
  assert.equal(errorPrefix("ERR unknown command"), "ERR");
  assert.equal(errorPrefix("NOSPACE"), "ERR");
  assert.equal(errorPrefix("X".repeat(40) + " tail"), "ERR");
  const stats = { errorReplies: 0, errors: new Map<string, number>() };
  countErrorReply(stats, "WRONGTYPE a");
  countErrorReply(stats, "WRONGTYPE b");
  countErrorReply(stats, "ERR c");
  assert.equal(stats.errorReplies, 3);
  assert.deepEqual([...stats.errors], [["WRONGTYPE", 2], ["ERR", 1]]);
  for (let i = 0; i < ERROR_PREFIXES_MAX + 10; i++) countErrorReply(stats, `E${i} x`);
  assert.equal(stats.errors.size, ERROR_PREFIXES_MAX);
  assert.equal(stats.errorReplies, 3 + ERROR_PREFIXES_MAX + 10);
});

Deno.test("instantaneous metric: per-second deltas every sample, mean of the last 16", () => {
  const m = new InstantaneousMetric();
  m.track(0, 0);
  assert.equal(m.get(), 0);
  // 100 ops every 100 ms: 1000/s once all 16 samples are in.
  for (let i = 1; i <= METRIC_SAMPLES; i++) m.track(i * 100, i * 100);
  assert.equal(m.get(), 1000);
  m.track(METRIC_SAMPLES * 100, (METRIC_SAMPLES + 1) * 100); // one idle sample
  assert.equal(m.get(), Math.floor((1000 * (METRIC_SAMPLES - 1)) / METRIC_SAMPLES));
  m.reset();
  assert.equal(m.get(), 0);
  const s = new InfoSampler(500);
  s.sample(0, 0, 0, 400, 0);
  assert.equal(s.peakMemoryBytes, 500);
  s.sample(10, 10, 10, 900, 100);
  assert.equal(s.peakMemoryBytes, 900);
  assert.equal(s.ops.get(), Math.floor(100 / METRIC_SAMPLES));
});

Deno.test("latency percentiles come from the LATENCY HISTOGRAM steps", () => {
  const entry = { latencyHistogram: null } as unknown as CommandEntry;
  for (let i = 0; i < 98; i++) recordLatency(entry, 0.5); // under 1.032 µs
  recordLatency(entry, 3); // the 2.064..4.128 µs step
  recordLatency(entry, 100);
  const steps = entry.latencyHistogram!;
  assert.equal(histogramPercentileUs(steps, 50), 1.031);
  assert.equal(histogramPercentileUs(steps, 99), 4.127);
  assert.equal(histogramPercentileUs(steps, 99.9), 132.095);
  assert.equal(histogramPercentileUs(new Float64Array(steps.length), 50), 0);
});
