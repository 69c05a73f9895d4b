/**
 * The job model shared by the state machine, the ATLAS module commands, the service and the API.
 * Times inside the store are epoch milliseconds (`_ms`); the HTTP view turns them into ISO text.
 */

export const JOB_STATUSES = [
  "PENDING",
  "SCHEDULED",
  "RUNNING",
  "COMPLETED",
  "DEAD",
  "CANCELLED",
] as const;
export type JobStatus = typeof JOB_STATUSES[number];

export const BACKOFF_TYPES = ["exponential", "fixed", "none"] as const;
export type BackoffType = typeof BACKOFF_TYPES[number];

export interface BackoffPolicy {
  type: BackoffType;
  /** Base delay: the fixed delay, or the first exponential step (doubled per attempt). */
  delay_ms: number;
  /** Cap on one computed delay. */
  max_ms: number;
}

/** Why an attempt ended without success; one entry per such attempt in `errors`. */
export type FailureReason = "failed" | "fatal" | "lease_expired" | "released" | "cancelled";

export interface AttemptError {
  /** Attempt number within the current round (1..max_attempts). */
  attempt: number;
  /** Claim number over the job's whole life (keeps growing across redrives). */
  run: number;
  worker: string;
  started_at_ms: number;
  ended_at_ms: number;
  reason: FailureReason;
  error: string;
}

export interface Lease {
  worker: string;
  expires_at_ms: number;
  lease_ms: number;
}

/** What the store keeps per job, besides the payload and result (kept in their own keys). */
export interface JobMeta {
  id: string;
  queue: string;
  task: string;
  status: JobStatus;
  priority: number;
  max_attempts: number;
  /** Attempts used in the current round; reset by a redrive. */
  attempt: number;
  /** Claims over the job's whole life. */
  runs: number;
  backoff: BackoffPolicy;
  /** Enqueue order, for FIFO within a priority. */
  seq: number;
  created_at_ms: number;
  updated_at_ms: number;
  /** When the job becomes (or became) claimable. */
  run_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  lease: Lease | null;
  idempotency_key: string | null;
  cancel_requested: boolean;
  /** Small JSON value reported by heartbeats (text, as sent). */
  progress: string | null;
  errors: AttemptError[];
  redrives: number;
  /** Lease expiries: each may have let the job run twice. */
  lease_expiries: number;
}

/** Enqueue options after defaults are applied (what the ENQUEUE command carries). */
export interface EnqueueSpec {
  queue: string;
  task: string;
  priority: number;
  max_attempts: number;
  backoff: BackoffPolicy;
  /** Absolute time the job becomes claimable; <= now means at once. */
  run_at_ms: number;
  idempotency_key: string | null;
  dedupe_window_ms: number;
}

export interface EnqueueOutcome {
  id: string;
  status: JobStatus;
  deduplicated: boolean;
}

/** A claimed job as handed to a worker. */
export interface ClaimedJob {
  id: string;
  queue: string;
  task: string;
  attempt: number;
  max_attempts: number;
  lease_expires_at_ms: number;
  /** The payload JSON text. */
  payload: string;
}

export interface HeartbeatOutcome {
  status: JobStatus;
  lease_expires_at_ms: number | null;
  /** True when the job was cancelled: the worker must stop. */
  cancelled: boolean;
}

export interface NackOutcome {
  queue: string;
  status: JobStatus;
  run_at_ms: number | null;
}

export interface RetentionPolicy {
  /** COMPLETED and CANCELLED jobs older than this are deleted. */
  age_ms: number;
  /** At most this many COMPLETED (and as many CANCELLED) jobs are kept per queue. */
  count: number;
  /** DEAD jobs older than this are deleted. */
  dead_age_ms: number;
}

/** Expired leases by what became of the job, per queue (only queues with any). */
export type ExpiredByQueue = Record<string, { retried: number; dead: number; cancelled: number }>;

export interface ReapOutcome {
  promoted: number;
  expired: number;
  retried: number;
  dead: number;
  cancelled: number;
  deleted: number;
  expired_by_queue: ExpiredByQueue;
}

export interface QueueStats {
  queue: string;
  pending: number;
  scheduled: number;
  running: number;
  completed: number;
  dead: number;
  cancelled: number;
  /** Age of the longest-waiting PENDING job, 0 when none. */
  oldest_pending_age_ms: number;
}

/** A full job as read back: meta plus payload and result texts. */
export interface JobRecord {
  meta: JobMeta;
  payload: string;
  result: string | null;
}

export interface JobPage {
  jobs: JobMeta[];
  next_cursor: string | null;
}
