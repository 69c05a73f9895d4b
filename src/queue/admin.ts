/**
 * Operator transitions: cancel, retry, dead-letter redrive and purge, and the periodic reap
 * (promote due jobs, expire leases, apply retention). Pure like machine.ts: time and randomness
 * come in as arguments.
 */
import { keys } from "./data.ts";
import { invalid, QueueError } from "./errors.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import type { QueueMachine } from "./machine.ts";
import type { ExpiredByQueue, JobMeta, JobStatus, ReapOutcome, RetentionPolicy } from "./types.ts";
import { checkInt, checkJobId, checkQueueName } from "./validate.ts";

/** PENDING/SCHEDULED: cancelled at once. RUNNING: flagged; the worker sees it at its heartbeat. */
export function cancelJob(m: QueueMachine, nowMs: number, id: string): JobMeta {
  const meta = m.table.mustLoad(id);
  switch (meta.status) {
    case "PENDING":
    case "SCHEDULED":
      meta.cancel_requested = true;
      m.table.place(meta, "CANCELLED", nowMs);
      return meta;
    case "RUNNING":
      meta.cancel_requested = true;
      meta.updated_at_ms = nowMs;
      m.table.save(meta);
      return meta;
    case "CANCELLED":
      return meta;
    default:
      throw stateError("cancel", meta);
  }
}

/**
 * DEAD or CANCELLED: back to PENDING for a new round of attempts, keeping payload and history.
 * SCHEDULED (waiting for a retry or delayed): runs now.
 */
export function retryJob(m: QueueMachine, nowMs: number, id: string): JobMeta {
  const meta = m.table.mustLoad(id);
  switch (meta.status) {
    case "DEAD":
    case "CANCELLED":
      redrive(m, meta, nowMs);
      return meta;
    case "SCHEDULED":
      meta.run_at_ms = nowMs;
      m.table.place(meta, "PENDING", nowMs);
      return meta;
    default:
      throw stateError("retry", meta);
  }
}

/**
 * Redrives the given DEAD jobs of a queue, or its oldest `max` when `ids` is empty. More ids than
 * `max` are refused (none is redriven) rather than cut silently; ids that are not DEAD jobs of
 * the queue are skipped and not counted.
 */
export function redriveDead(
  m: QueueMachine,
  nowMs: number,
  queue: string,
  max: number,
  ids: string[],
): number {
  checkQueueName(queue);
  checkInt("redrive count", max, 1, QUEUE_LIMITS.redriveBatchMax);
  if (ids.length > max) {
    throw invalid(`Too many job ids to redrive: ${ids.length} given, max is ${max}`);
  }
  for (const id of ids) checkJobId(id);
  const chosen = ids.length > 0
    ? ids
    : m.data.zrangeByScore(keys.index(queue, "dead"), -Infinity, Infinity, 0, max).map(([id]) =>
      id
    );
  let count = 0;
  for (const id of chosen) {
    const meta = m.table.load(id);
    if (!meta || meta.queue !== queue || meta.status !== "DEAD") continue;
    redrive(m, meta, nowMs);
    count++;
  }
  return count;
}

/** Deletes up to `max` DEAD jobs of a queue that died at or before `beforeMs`. */
export function purgeDead(m: QueueMachine, queue: string, max: number, beforeMs: number): number {
  checkQueueName(queue);
  checkInt("purge count", max, 1, QUEUE_LIMITS.redriveBatchMax);
  const victims = m.data.zrangeByScore(keys.index(queue, "dead"), -Infinity, beforeMs, 0, max);
  for (const [id] of victims) m.table.delete(m.table.mustLoad(id));
  return victims.length;
}

/** The periodic sweep over every queue, bounded by `workMax` changes in total. */
export function reap(
  m: QueueMachine,
  nowMs: number,
  random: () => number,
  retention: RetentionPolicy,
  workMax: number = QUEUE_LIMITS.workPerCommandMax,
): ReapOutcome {
  let promoted = 0;
  let deleted = 0;
  const expired: JobMeta[] = [];
  const budget = { left: workMax };
  for (const queue of m.table.queues()) {
    promoted += m.promoteDue(queue, nowMs, budget);
    expired.push(...m.reapExpired(queue, nowMs, random, budget));
    deleted += applyRetention(m, queue, nowMs, retention, budget);
    if (budget.left <= 0) break;
  }
  const byQueue = expiredByQueue(expired);
  const sum = (field: "retried" | "dead" | "cancelled") =>
    Object.values(byQueue).reduce((total, counts) => total + counts[field], 0);
  return {
    promoted,
    expired: expired.length,
    retried: sum("retried"),
    dead: sum("dead"),
    cancelled: sum("cancelled"),
    deleted,
    expired_by_queue: byQueue,
  };
}

/** Counts reaped jobs per queue by where they went (retry, dead-letter, cancelled). */
export function expiredByQueue(reaped: JobMeta[]): ExpiredByQueue {
  const out: ExpiredByQueue = {};
  for (const meta of reaped) {
    const counts = out[meta.queue] ??= { retried: 0, dead: 0, cancelled: 0 };
    if (meta.status === "DEAD") counts.dead++;
    else if (meta.status === "CANCELLED") counts.cancelled++;
    else counts.retried++;
  }
  return out;
}

function applyRetention(
  m: QueueMachine,
  queue: string,
  nowMs: number,
  retention: RetentionPolicy,
  budget: { left: number },
): number {
  let deleted = 0;
  const sweep = (index: "completed" | "cancelled" | "dead", maxScore: number, n: number) => {
    const take = Math.min(n, budget.left);
    if (take <= 0) return;
    const victims = m.data.zrangeByScore(keys.index(queue, index), -Infinity, maxScore, 0, take);
    for (const [id] of victims) m.table.delete(m.table.mustLoad(id));
    budget.left -= victims.length;
    deleted += victims.length;
  };
  for (const index of ["completed", "cancelled"] as const) {
    sweep(index, nowMs - retention.age_ms, budget.left);
    const excess = m.data.zcard(keys.index(queue, index)) - retention.count;
    if (excess > 0) sweep(index, Infinity, excess);
  }
  sweep("dead", nowMs - retention.dead_age_ms, budget.left);
  return deleted;
}

function redrive(m: QueueMachine, meta: JobMeta, nowMs: number): void {
  meta.attempt = 0;
  meta.redrives += 1;
  meta.cancel_requested = false;
  meta.finished_at_ms = null;
  meta.run_at_ms = nowMs;
  m.table.place(meta, "PENDING", nowMs);
}

function stateError(action: string, meta: { id: string; status: JobStatus }): QueueError {
  return new QueueError("JOBSTATE", `Cannot ${action} job "${meta.id}": job is ${meta.status}`);
}
