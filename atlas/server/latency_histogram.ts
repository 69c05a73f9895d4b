/**
 * Per-command latency histograms for LATENCY HISTOGRAM, in the buckets Redis 7 reports.
 *
 * Redis keeps an HDR histogram (1 ns .. 1 s, 2 significant digits) and reports it at powers of
 * two from 1024 ns. An HDR bucket at 1024·2^i ns is 8·2^i ns wide, so the report's step i counts
 * the calls under 1032·2^i ns and is labelled with that bound in µs (1, 2, 4, 8, 16, 33, 66...).
 * Counting straight into those 21 steps gives the same numbers without the HDR structure.
 */
import { integer, type Reply } from "../store/reply.ts";
import type { CommandStats } from "./types.ts";

/** Redis clamps recorded latencies to 1 s. */
const MAX_NS = 1e9;
const STEP_NS = 1032;
const STEPS = 32 - Math.clz32(Math.floor(MAX_NS / STEP_NS)) + 1;
/** The µs label of step i: the last nanosecond it holds, in whole µs. */
const STEP_LABELS = Array.from(
  { length: STEPS },
  (_, i) => Math.floor((STEP_NS * 2 ** i - 1) / 1000),
);

/**
 * Counts a call of `us` microseconds as `weight` calls (a sampled timing stands for several).
 * On the hot path: a few arithmetic operations.
 */
export function recordLatency(stats: CommandStats, us: number, weight = 1): void {
  const steps = stats.latencyHistogram ??= new Float64Array(STEPS);
  const q = Math.floor(Math.min(us * 1000, MAX_NS) / STEP_NS);
  steps[32 - Math.clz32(q)] += weight; // smallest i with ns < 1032·2^i
}

/** `{calls, histogram_usec: {bound: calls at or under it}}`, only the bounds where it grows. */
export function histogramReply(steps: Float64Array): Reply {
  const points: (readonly [Reply, Reply])[] = [];
  let total = 0;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i] === 0) continue;
    total += steps[i];
    points.push([integer(STEP_LABELS[i]), integer(total)]);
  }
  return {
    kind: "map",
    value: [
      [{ kind: "bulk", value: "calls" }, integer(total)],
      [{ kind: "bulk", value: "histogram_usec" }, { kind: "map", value: points }],
    ],
  };
}

/**
 * The latency at percentile `p` (0–100) in µs, as Redis's INFO latencystats reports it: the
 * upper bound of the step holding that call (HDR's highest equivalent value), 0 with no calls.
 */
export function histogramPercentileUs(steps: Float64Array, p: number): number {
  let total = 0;
  for (const n of steps) total += n;
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * total));
  let seen = 0;
  for (let i = 0; i < steps.length; i++) {
    seen += steps[i];
    if (seen >= rank) return (STEP_NS * 2 ** i - 1) / 1000;
  }
  return (STEP_NS * 2 ** (steps.length - 1) - 1) / 1000;
}
