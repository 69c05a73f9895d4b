/** Queue policy defaults, from the `worker` config section. */
import type { WorkerConfig } from "../config/schema.ts";
import { parseDurationMs } from "../lib/duration.ts";
import type { BackoffPolicy, RetentionPolicy } from "./types.ts";

export interface QueueSettings {
  maxAttempts: number;
  /** Default lease (visibility timeout) of a claim; heartbeats extend it by as much. */
  visibilityTimeoutMs: number;
  backoff: BackoffPolicy;
  dedupeWindowMs: number;
  retention: RetentionPolicy;
  /** How often the gateway promotes due jobs, reaps expired leases and applies retention. */
  reapIntervalMs: number;
  /** Longest long-poll of one claim request. */
  claimWaitMsMax: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = Object.freeze({
  maxAttempts: 3,
  visibilityTimeoutMs: 300_000,
  backoff: Object.freeze({ type: "exponential", delay_ms: 1000, max_ms: 600_000 }),
  dedupeWindowMs: 24 * 3_600_000,
  retention: Object.freeze({
    age_ms: 24 * 3_600_000,
    count: 10_000,
    dead_age_ms: 7 * 24 * 3_600_000,
  }),
  reapIntervalMs: 1000,
  claimWaitMsMax: 30_000,
}) as QueueSettings;

function ms(text: string): number {
  return parseDurationMs(text) ?? 0;
}

export function queueSettingsFrom(worker: WorkerConfig): QueueSettings {
  return {
    maxAttempts: worker.max_attempts,
    visibilityTimeoutMs: ms(worker.visibility_timeout),
    backoff: {
      type: worker.backoff,
      delay_ms: ms(worker.backoff_delay),
      max_ms: ms(worker.backoff_max),
    },
    dedupeWindowMs: ms(worker.dedupe_window),
    retention: {
      age_ms: ms(worker.retention_age),
      count: worker.retention_count,
      dead_age_ms: ms(worker.dead_retention_age),
    },
    reapIntervalMs: ms(worker.reap_interval),
    claimWaitMsMax: DEFAULT_QUEUE_SETTINGS.claimWaitMsMax,
  };
}
