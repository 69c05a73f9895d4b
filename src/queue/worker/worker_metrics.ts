/** Worker-side metrics: jobs run by this process, by task and outcome, and how long they took. */
import type { Gauge, Histogram, MetricsRegistry } from "../../observability/metrics.ts";
import type { Counter } from "../../observability/metrics.ts";

export class WorkerMetrics {
  readonly runs: Counter;
  readonly duration: Histogram;
  readonly inFlight: Gauge;

  constructor(registry: MetricsRegistry) {
    this.runs = registry.counter({
      name: "worker_jobs_total",
      help:
        "Job attempts run by this worker, by task and outcome (ack, nack, fatal, skip, release)",
      labelNames: ["task", "outcome"],
    });
    this.duration = registry.histogram({
      name: "worker_job_run_seconds",
      help: "Handler run time of one attempt",
      labelNames: ["task"],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    });
    this.inFlight = registry.gauge({ name: "worker_jobs_in_flight", help: "Jobs running now" });
  }

  observe(task: string, outcome: string, seconds: number): void {
    this.runs.inc({ task, outcome });
    this.duration.observe({ task }, seconds);
  }
}
