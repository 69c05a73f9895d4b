/**
 * Histogram observations kept as plain numbers until the next scrape. prom-client validates and
 * hashes the labels on every observe() (~160 ns here, more than a whole bucket search with the
 * label set resolved once); a hot path observes into a BufferedObservations for its label set,
 * and the counts are moved into the prom-client histogram by its `collect` hook, which every
 * scrape runs first. The exposition is prom-client's, unchanged.
 */
import type { Counter, Histogram } from "./metrics.ts";

/** What flushing needs of prom-client's Histogram (v15): its bounds and per-label-set values. */
interface HistogramInternals {
  upperBounds: readonly number[];
  hashMap: Record<string, HistogramEntry>;
}

interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** Observations of one label set not yet moved into the histogram. */
export class BufferedObservations {
  private count = 0;
  private sum = 0;
  private readonly buckets: Float64Array;
  private readonly upperBounds: readonly number[];
  private entryKey: string | null = null;

  constructor(private readonly histogram: Histogram, readonly labels: Record<string, string>) {
    this.upperBounds = (histogram as unknown as HistogramInternals).upperBounds;
    this.buckets = new Float64Array(this.upperBounds.length);
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.buckets[i]++;
        return;
      }
    }
  }

  /** Adds what was observed since the last flush to the histogram; returns that count. */
  flush(): number {
    const count = this.count;
    if (count === 0) return 0;
    const entry = this.entry();
    entry.count += count;
    entry.sum += this.sum;
    for (let i = 0; i < this.buckets.length; i++) {
      if (this.buckets[i] !== 0) entry.bucketValues[this.upperBounds[i]] += this.buckets[i];
    }
    this.count = 0;
    this.sum = 0;
    this.buckets.fill(0);
    return count;
  }

  /** This label set's histogram values, created (zeroed) if missing or reset since. */
  private entry(): HistogramEntry {
    const internals = this.histogram as unknown as HistogramInternals;
    const known = this.entryKey === null ? undefined : internals.hashMap[this.entryKey];
    if (known !== undefined && known.labels === this.labels) return known;
    this.histogram.zero(this.labels);
    for (const [key, entry] of Object.entries(internals.hashMap)) {
      if (entry.labels === this.labels) {
        this.entryKey = key;
        return entry;
      }
    }
    throw new Error("prom-client histogram did not keep the zeroed label set");
  }
}

/** A buffered child of `histogram` for `labels`, flushed before every read of the histogram. */
export function bufferedHistogram(
  histogram: Histogram,
  labels: Record<string, string>,
): BufferedObservations {
  const observations = new BufferedObservations(histogram, labels);
  onCollect(histogram, () => observations.flush());
  return observations;
}

type Collectable = { collect?: () => void | Promise<void> };

/** Flushers per metric: several components in one process may share one registry's metrics. */
const flushers = new WeakMap<Collectable, Array<() => void>>();

/** Runs `flush` before every read of `metric`, after the metric's own collect hook, if any. */
export function onCollect(metric: Counter | Histogram, flush: () => void): void {
  const target = metric as unknown as Collectable;
  let list = flushers.get(target);
  if (list === undefined) {
    const all: Array<() => void> = [];
    list = all;
    flushers.set(target, all);
    const previous = target.collect;
    target.collect = function () {
      for (const one of all) one();
      return previous?.call(this);
    };
  }
  list.push(flush);
}
