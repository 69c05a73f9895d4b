/**
 * One Prometheus registry per process, exposed on the metrics listener as GET /metrics.
 * Components get the registry injected and declare their metrics through getOrCreate helpers,
 * so two components (or two app instances in one test process) never register a name twice.
 * Names follow Prometheus conventions: component prefix, base units, counters end in _total,
 * bounded label values only (route templates, never raw paths or user ids).
 */
import client from "prom-client";
import { HELIOS_VERSION } from "../version.ts";

export type Counter = client.Counter<string>;
export type Gauge = client.Gauge<string>;
export type Histogram = client.Histogram<string>;

export interface MetricSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** Latency buckets in seconds, from 100 µs to 10 s. */
export const LATENCY_BUCKETS_S = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

const MISNAMED_DEFAULT_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export class MetricsRegistry {
  readonly registry = new client.Registry();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) {
      client.collectDefaultMetrics({ register: this.registry });
      // prom-client names these gauges *_total, which promtool rejects (only counters may end
      // in _total); the same information is in nodejs_active_handles / _requests / _resources.
      for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
    this.gauge({
      name: "helios_build_info",
      help: "Build information; the value is always 1",
      labelNames: ["version", "deno_version", "typescript_version"],
    }).set({
      version: HELIOS_VERSION,
      deno_version: Deno.version.deno,
      typescript_version: Deno.version.typescript,
    }, 1);
  }

  counter(spec: MetricSpec & { collect?: (this: Counter) => void }): Counter {
    return this.getOrCreate(
      spec.name,
      () =>
        new client.Counter({
          ...spec,
          labelNames: spec.labelNames ?? [],
          registers: [this.registry],
        }),
    );
  }

  gauge(spec: MetricSpec & { collect?: (this: Gauge) => void | Promise<void> }): Gauge {
    return this.getOrCreate(
      spec.name,
      () =>
        new client.Gauge({
          ...spec,
          labelNames: spec.labelNames ?? [],
          registers: [this.registry],
        }),
    );
  }

  histogram(spec: MetricSpec & { buckets?: number[] }): Histogram {
    return this.getOrCreate(spec.name, () =>
      new client.Histogram({
        ...spec,
        labelNames: spec.labelNames ?? [],
        buckets: spec.buckets ?? LATENCY_BUCKETS_S,
        registers: [this.registry],
      }));
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    return await this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private getOrCreate<T>(name: string, create: () => T): T {
    const existing = this.registry.getSingleMetric(name);
    return (existing as T | undefined) ?? create();
  }
}
