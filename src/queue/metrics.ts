/**
 * Queue metrics (issue 9 §4). Counters move when this process makes the transition; depth and
 * oldest-age gauges are read from the store at scrape time (cached briefly).
 */
import type { Counter, Gauge, Histogram, MetricsRegistry } from "../observability/metrics.ts";
import type { QueueStats } from "./types.ts";

const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];
const DEPTH_STATUSES = [
  "pending",
  "scheduled",
  "running",
  "completed",
  "dead",
  "cancelled",
] as const;

export class QueueMetrics {
  readonly enqueued: Counter;
  readonly completed: Counter;
  readonly retried: Counter;
  readonly dead: Counter;
  readonly leaseExpired: Counter;
  readonly duration: Histogram;
  readonly depth: Gauge;
  readonly oldestAge: Gauge;

  constructor(registry: MetricsRegistry, stats: () => Promise<QueueStats[]>) {
    this.enqueued = registry.counter({
      name: "jobs_enqueued_total",
      help: "Jobs enqueued (deduplicated enqueues not counted)",
      labelNames: ["queue"],
    });
    this.completed = registry.counter({
      name: "jobs_completed_total",
      help: "Jobs that reached a final state, by result: completed, dead or cancelled",
      labelNames: ["queue", "result"],
    });
    this.retried = registry.counter({
      name: "jobs_retried_total",
      help: "Failed attempts that were scheduled for another attempt",
      labelNames: ["queue"],
    });
    this.dead = registry.counter({
      name: "jobs_dead_total",
      help: "Jobs moved to the dead-letter queue",
      labelNames: ["queue"],
    });
    this.leaseExpired = registry.counter({
      name: "jobs_lease_expired_total",
      help: "Attempts whose lease expired before the worker finished (the job may run twice)",
      labelNames: ["queue"],
    });
    this.duration = registry.histogram({
      name: "job_duration_seconds",
      help: "Time from claim to ack of successful attempts",
      labelNames: ["queue"],
      buckets: DURATION_BUCKETS_S,
    });
    let cache: { atMs: number; stats: Promise<QueueStats[]> } | null = null;
    const current = () => {
      const now = Date.now();
      if (!cache || now - cache.atMs > 1000) cache = { atMs: now, stats: stats().catch(() => []) };
      return cache.stats;
    };
    this.depth = registry.gauge({
      name: "worker_job_queue_depth",
      help: "Jobs per queue and status",
      labelNames: ["queue", "status"],
      async collect() {
        this.reset();
        for (const s of await current()) {
          for (const status of DEPTH_STATUSES) this.set({ queue: s.queue, status }, s[status]);
        }
      },
    });
    this.oldestAge = registry.gauge({
      name: "jobs_oldest_age_seconds",
      help: "Age of the longest-waiting PENDING job per queue",
      labelNames: ["queue"],
      async collect() {
        this.reset();
        for (const s of await current()) {
          this.set({ queue: s.queue }, s.oldest_pending_age_ms / 1000);
        }
      },
    });
  }
}
