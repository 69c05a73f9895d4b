/**
 * Counters INFO reports the way Redis computes them: the instantaneous rates (a sample every
 * 100 ms, the mean of the last 16), the error statistics by error prefix, the memory peak, and
 * Redis's bytesToHuman formatting.
 */

/** Redis's STATS_METRIC_SAMPLES: the rate is the mean of this many samples. */
export const METRIC_SAMPLES = 16;
/** Redis samples the rates from serverCron every 100 ms. */
export const METRIC_PERIOD_MS = 100;
/** Redis keeps at most this many distinct error prefixes (errorstats). */
export const ERROR_PREFIXES_MAX = 128;

/** One sampled rate (Redis's inst_metric): per-second deltas between samples, averaged. */
export class InstantaneousMetric {
  readonly #samples = new Float64Array(METRIC_SAMPLES);
  #idx = 0;
  #lastMs = -1;
  #lastValue = 0;

  /** A reading of the running total `value` at `nowMs` (trackInstantaneousMetric). */
  track(value: number, nowMs: number): void {
    if (this.#lastMs >= 0) {
      const t = nowMs - this.#lastMs;
      this.#samples[this.#idx] = t > 0 ? Math.floor(((value - this.#lastValue) * 1000) / t) : 0;
      this.#idx = (this.#idx + 1) % METRIC_SAMPLES;
    }
    this.#lastMs = nowMs;
    this.#lastValue = value;
  }

  /** The mean of the samples, in whole units per second (getInstantaneousMetric). */
  get(): number {
    let sum = 0;
    for (const s of this.#samples) sum += s;
    return Math.floor(sum / METRIC_SAMPLES);
  }

  /** CONFIG RESETSTAT. */
  reset(): void {
    this.#samples.fill(0);
    this.#idx = 0;
    this.#lastMs = -1;
    this.#lastValue = 0;
  }
}

/** What INFO samples between calls: the rates and the memory peak. */
export class InfoSampler {
  readonly ops = new InstantaneousMetric();
  readonly netInput = new InstantaneousMetric();
  readonly netOutput = new InstantaneousMetric();
  /** Highest used_memory seen (Redis's stat_peak_memory). */
  peakMemoryBytes = 0;

  constructor(
    /** used_memory when the server started (used_memory_startup). */
    readonly startupMemoryBytes: number,
  ) {
    this.peakMemoryBytes = startupMemoryBytes;
  }

  /** One tick of the 100 ms cron: totals so far and the memory in use now. */
  sample(commands: number, netIn: number, netOut: number, usedMemory: number, nowMs: number) {
    this.ops.track(commands, nowMs);
    this.netInput.track(netIn, nowMs);
    this.netOutput.track(netOut, nowMs);
    this.notePeak(usedMemory);
  }

  notePeak(usedMemory: number): void {
    if (usedMemory > this.peakMemoryBytes) this.peakMemoryBytes = usedMemory;
  }

  reset(): void {
    this.ops.reset();
    this.netInput.reset();
    this.netOutput.reset();
  }
}

/**
 * The errorstats key of an error reply: its first word when a space comes within the first 32
 * characters, else "ERR" (Redis's afterErrorReply).
 */
export function errorPrefix(text: string): string {
  const space = text.indexOf(" ");
  return space > 0 && space < 32 ? text.slice(0, space) : "ERR";
}

/** Error counters of INFO stats / errorstats (total_error_replies, errorstat_<PREFIX>). */
export interface ErrorCounters {
  errorReplies: number;
  readonly errors: Map<string, number>;
}

/** Counts one error reply sent to a client. */
export function countErrorReply(stats: ErrorCounters, text: string): void {
  stats.errorReplies++;
  const prefix = errorPrefix(text);
  const n = stats.errors.get(prefix);
  if (n !== undefined) stats.errors.set(prefix, n + 1);
  else if (stats.errors.size < ERROR_PREFIXES_MAX) stats.errors.set(prefix, 1);
}

/** Redis's bytesToHuman: 100B, 1.50K, 2.00M, ... (two decimals from 1024 on). */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let scale = 1024;
  for (const unit of units) {
    if (n < scale * 1024) return `${(n / scale).toFixed(2)}${unit}`;
    scale *= 1024;
  }
  return `${n}B`;
}

/** Redis's `%.2f` of a ratio, 0 when the divisor is 0. */
export function ratio(a: number, b: number): string {
  return (b === 0 ? 0 : a / b).toFixed(2);
}
