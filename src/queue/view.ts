/** The HTTP/JSON view of a job: ISO times, parsed payload/result/progress. */
import type { FailureReason, JobMeta, JobRecord } from "./types.ts";

export interface JobView {
  id: string;
  queue: string;
  task: string;
  status: JobMeta["status"];
  priority: number;
  attempt: number;
  max_attempts: number;
  runs: number;
  backoff: JobMeta["backoff"];
  created_at: string;
  updated_at: string;
  run_at: string;
  started_at: string | null;
  finished_at: string | null;
  lease: { worker: string; expires_at: string } | null;
  idempotency_key: string | null;
  cancel_requested: boolean;
  progress: unknown;
  errors: {
    attempt: number;
    run: number;
    worker: string;
    started_at: string;
    ended_at: string;
    reason: FailureReason;
    error: string;
  }[];
  redrives: number;
  lease_expiries: number;
  payload?: unknown;
  result?: unknown;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** Parses stored JSON text; text that is not JSON (written over RESP) comes back as a string. */
export function parseStored(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch (_error) {
    return text;
  }
}

export function metaView(meta: JobMeta): JobView {
  return {
    id: meta.id,
    queue: meta.queue,
    task: meta.task,
    status: meta.status,
    priority: meta.priority,
    attempt: meta.attempt,
    max_attempts: meta.max_attempts,
    runs: meta.runs,
    backoff: meta.backoff,
    created_at: iso(meta.created_at_ms),
    updated_at: iso(meta.updated_at_ms),
    run_at: iso(meta.run_at_ms),
    started_at: isoOrNull(meta.started_at_ms),
    finished_at: isoOrNull(meta.finished_at_ms),
    lease: meta.lease
      ? { worker: meta.lease.worker, expires_at: iso(meta.lease.expires_at_ms) }
      : null,
    idempotency_key: meta.idempotency_key,
    cancel_requested: meta.cancel_requested,
    progress: parseStored(meta.progress),
    errors: meta.errors.map((e) => ({
      attempt: e.attempt,
      run: e.run,
      worker: e.worker,
      started_at: iso(e.started_at_ms),
      ended_at: iso(e.ended_at_ms),
      reason: e.reason,
      error: e.error,
    })),
    redrives: meta.redrives,
    lease_expiries: meta.lease_expiries,
  };
}

export function recordView(record: JobRecord): JobView {
  return {
    ...metaView(record.meta),
    payload: parseStored(record.payload),
    result: parseStored(record.result),
  };
}
