/** Read-only views: one job, a page of jobs, per-queue depths. They change nothing. */
import { keys, type QueueData } from "./data.ts";
import { invalid } from "./errors.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import type { QueueMachine } from "./machine.ts";
import { indexOf, PRIORITY_STRIDE } from "./table.ts";
import type { JobMeta, JobPage, JobRecord, JobStatus, QueueStats } from "./types.ts";
import { checkInt, checkQueueName } from "./validate.ts";

export function getJob(m: QueueMachine, id: string): JobRecord | null {
  const meta = m.table.load(id);
  if (!meta) return null;
  return { meta, payload: m.table.payload(id), result: m.data.get(keys.result(id)) };
}

/** Where the next page starts: after (score, member) in queue `q`'s index. */
interface Cursor {
  q: string;
  s: number;
  m: string;
}

/**
 * A page of jobs, filtered by queue and/or status. Without a status the queue's `all` index is
 * used (enqueue order); with one, that status's index (its own order: priority, run_at, lease
 * expiry or finish time). Without a queue, queues are walked in name order.
 */
export function listJobs(
  m: QueueMachine,
  queue: string | null,
  status: JobStatus | null,
  cursorText: string | null,
  limit: number,
): JobPage {
  checkInt("limit", limit, 1, QUEUE_LIMITS.listLimitMax);
  if (queue !== null) checkQueueName(queue);
  const cursor = cursorText ? decodeCursor(cursorText) : null;
  const queues = queue !== null ? [queue] : m.table.queues();
  const jobs: JobMeta[] = [];
  let last: Cursor | null = null;
  for (const q of queues) {
    if (cursor && q < cursor.q) continue;
    const key = keys.index(q, status === null ? "all" : indexOf(status));
    const after = cursor && cursor.q === q ? cursor : null;
    for (const [id, score] of rangeAfter(m.data, key, after, limit - jobs.length)) {
      const meta = m.table.load(id);
      if (meta) jobs.push(meta);
      last = { q, s: score, m: id };
    }
    if (jobs.length >= limit) break;
  }
  return { jobs, next_cursor: jobs.length >= limit && last ? encodeCursor(last) : null };
}

export function queueStats(m: QueueMachine, nowMs: number): QueueStats[] {
  return m.table.queues().map((queue) => {
    const count = (index: Parameters<typeof keys.index>[1]) =>
      m.data.zcard(keys.index(queue, index));
    const oldestMs = oldestPendingMs(m, queue);
    return {
      queue,
      pending: count("pending"),
      scheduled: count("scheduled"),
      running: count("running"),
      completed: count("completed"),
      dead: count("dead"),
      cancelled: count("cancelled"),
      oldest_pending_age_ms: oldestMs === null ? 0 : Math.max(0, nowMs - oldestMs),
    };
  });
}

/**
 * When the longest-waiting PENDING job became claimable. Within a priority band the first job
 * (lowest seq) waited longest, so one lookup per band present finds it: a handful of reads,
 * not an extra index written on every transition.
 */
function oldestPendingMs(m: QueueMachine, queue: string): number | null {
  const key = keys.index(queue, "pending");
  let oldest: number | null = null;
  let min = -Infinity;
  for (let bands = 0; bands <= QUEUE_LIMITS.priorityMax + 1; bands++) {
    const [first] = m.data.zrangeByScore(key, min, Infinity, 0, 1);
    if (!first) break;
    const meta = m.table.load(first[0]);
    if (meta && (oldest === null || meta.run_at_ms < oldest)) oldest = meta.run_at_ms;
    min = (Math.floor(first[1] / PRIORITY_STRIDE) + 1) * PRIORITY_STRIDE;
  }
  return oldest;
}

/** Entries strictly after `after` in (score, member) order; ties on score are skipped by member. */
function rangeAfter(
  data: QueueData,
  key: string,
  after: Cursor | null,
  limit: number,
): [string, number][] {
  if (!after) return data.zrangeByScore(key, -Infinity, Infinity, 0, limit);
  const out: [string, number][] = [];
  const batch = Math.max(limit, 64);
  // Skip members with the cursor's score up to and including the cursor's member. Bounded: at
  // most `workPerCommandMax` batches are read before giving up on very long runs of equal scores.
  for (let offset = 0, rounds = 0; rounds < QUEUE_LIMITS.workPerCommandMax; rounds++) {
    const entries = data.zrangeByScore(key, after.s, Infinity, offset, batch);
    for (const entry of entries) {
      if (entry[1] === after.s && entry[0] <= after.m) continue;
      out.push(entry);
      if (out.length >= limit) return out;
    }
    if (entries.length < batch) return out;
    offset += batch;
  }
  return out;
}

function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.q, cursor.s, cursor.m]))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

function decodeCursor(text: string): Cursor {
  try {
    const padded = text.replaceAll("-", "+").replaceAll("_", "/");
    const [q, s, m] = JSON.parse(atob(padded)) as [unknown, unknown, unknown];
    if (typeof q === "string" && typeof s === "number" && typeof m === "string") return { q, s, m };
  } catch (_error) {
    // Falls through to the typed error below: any malformed cursor is the caller's mistake.
  }
  throw invalid(`Invalid cursor "${text.slice(0, 80)}"`);
}

/**
 * Whether a claim on `queues` could lease something now: a PENDING job, a due SCHEDULED one, or
 * an expired lease to reap. Read-only, so an idle worker's long-poll does not write (or, in a
 * cluster, append a Raft entry) every time it looks. With `tasks`, only PENDING jobs of those
 * tasks count (looking at most at the claim's work budget of them).
 */
export function claimable(
  m: QueueMachine,
  nowMs: number,
  queues: string[],
  tasks: ReadonlySet<string> | null = null,
): boolean {
  checkInt("queue count", queues.length, 1, QUEUE_LIMITS.queuesPerClaimMax);
  for (const queue of queues) {
    checkQueueName(queue);
    if (hasPending(m, queue, tasks)) return true;
    for (const index of ["scheduled", "running"] as const) {
      if (m.data.zrangeByScore(keys.index(queue, index), -Infinity, nowMs, 0, 1).length > 0) {
        return true;
      }
    }
  }
  return false;
}

/** PENDING jobs in `queue` (of `tasks`, looking at most at the work budget's worth of them). */
function hasPending(m: QueueMachine, queue: string, tasks: ReadonlySet<string> | null): boolean {
  const index = keys.index(queue, "pending");
  if (tasks === null) return m.data.zcard(index) > 0;
  const chunk = 32;
  for (let offset = 0; offset < QUEUE_LIMITS.workPerCommandMax; offset += chunk) {
    const ids = m.data.zrangeByScore(index, -Infinity, Infinity, offset, chunk);
    if (ids.some(([id]) => tasks.has(m.table.mustLoad(id).task))) return true;
    if (ids.length < chunk) return false;
  }
  return false;
}
