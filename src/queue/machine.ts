/**
 * The job state machine: every transition of a job, pure and deterministic. Time (`nowMs`) and
 * randomness (`random`, for backoff jitter) come in as arguments, so the ATLAS module can run it
 * from a command whose argv carries both: replaying the AOF or applying the Raft log gives the
 * same state on every node. Each method runs to completion with no await, so a store executing
 * one command at a time makes each transition atomic (two workers never hold one lease).
 *
 *   PENDING ──claim──▶ RUNNING ──ack──▶ COMPLETED
 *      ▲                 │ nack / lease expired
 *      │ due             ├──▶ SCHEDULED (retry with backoff) ──▶ PENDING
 *   SCHEDULED            ├──▶ DEAD (attempts used up, or fatal) ──retry/redrive──▶ PENDING
 *                        └──▶ CANCELLED (cancel seen at heartbeat)
 *   PENDING/SCHEDULED ──cancel──▶ CANCELLED ──retry──▶ PENDING
 */
import { retryDelayMs } from "./backoff.ts";
import { keys, type QueueData } from "./data.ts";
import { QueueError } from "./errors.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import { JobTable, type MetaCache } from "./table.ts";
import type {
  ClaimedJob,
  EnqueueOutcome,
  EnqueueSpec,
  FailureReason,
  HeartbeatOutcome,
  JobMeta,
  NackOutcome,
} from "./types.ts";
import { checkBytes, checkEnqueueSpec, checkInt, checkJobId, checkWorkerId } from "./validate.ts";

export interface Failure {
  reason: FailureReason;
  error: string;
  /** Overrides the backoff policy for this retry (nack `retry_in`). */
  retryInMs?: number | null;
}

export class QueueMachine {
  readonly table: JobTable;

  constructor(readonly data: QueueData, cache: MetaCache | null = null) {
    this.table = new JobTable(data, cache);
  }

  enqueue(nowMs: number, id: string, spec: EnqueueSpec, payload: string): EnqueueOutcome {
    checkJobId(id);
    checkEnqueueSpec(spec, nowMs);
    checkBytes("Payload", payload, QUEUE_LIMITS.payloadBytesMax);
    const key = spec.idempotency_key ?? null;
    const dedupe = key === null ? null : keys.idempotency(spec.queue, key);
    if (dedupe !== null) {
      const existing = this.data.get(dedupe);
      if (existing !== null) {
        const space = existing.indexOf(" ");
        const untilMs = Number(existing.slice(0, space));
        const existingId = existing.slice(space + 1);
        const job = untilMs > nowMs ? this.table.load(existingId) : null;
        if (job) return { id: job.id, status: job.status, deduplicated: true };
      }
    }
    if (this.table.load(id)) throw new QueueError("JOBSTATE", `Job "${id}" already exists`);
    this.table.ensureQueue(spec.queue);
    const meta = newMeta(nowMs, id, spec);
    meta.seq = this.table.nextSeq();
    this.data.set(keys.payload(id), payload);
    this.data.zadd(keys.index(spec.queue, "all"), meta.seq, id);
    this.table.place(meta, meta.run_at_ms > nowMs ? "SCHEDULED" : "PENDING", nowMs, true);
    if (dedupe !== null && spec.dedupe_window_ms > 0) {
      const untilMs = nowMs + spec.dedupe_window_ms;
      this.data.setExpiring(dedupe, `${untilMs} ${id}`, untilMs);
    }
    return { id, status: meta.status, deduplicated: false };
  }

  /**
   * Leases up to `max` jobs from the queues, highest priority first within a queue. Due scheduled
   * jobs are promoted and expired leases reaped first, so what is claimable is up to date; the
   * reaped jobs are added to `reaped` (for metrics). With `tasks`, only jobs of those tasks are
   * leased (a worker claims what it has handlers for); the others stay PENDING for other workers,
   * and the scan past them is bounded by the per-command work budget.
   */
  claim(
    nowMs: number,
    random: () => number,
    worker: string,
    leaseMs: number,
    max: number,
    queues: string[],
    reaped: JobMeta[] = [],
    tasks: ReadonlySet<string> | null = null,
  ): ClaimedJob[] {
    checkWorkerId(worker);
    checkInt("lease", leaseMs, QUEUE_LIMITS.leaseMsMin, QUEUE_LIMITS.leaseMsMax);
    checkInt("claim count", max, 1, QUEUE_LIMITS.claimBatchMax);
    checkInt("queue count", queues.length, 1, QUEUE_LIMITS.queuesPerClaimMax);
    const budget = { left: QUEUE_LIMITS.workPerCommandMax };
    for (const queue of queues) {
      this.promoteDue(queue, nowMs, budget);
      reaped.push(...this.reapExpired(queue, nowMs, random, budget));
    }
    const claimed: ClaimedJob[] = [];
    const start = Math.floor(random() * queues.length);
    for (let i = 0; i < queues.length && claimed.length < max; i++) {
      const queue = queues[(start + i) % queues.length];
      const picked = this.pickPending(queue, max - claimed.length, tasks, budget);
      for (const job of picked) claimed.push(this.startLease(job, nowMs, worker, leaseMs));
    }
    return claimed;
  }

  /**
   * The first `wanted` PENDING jobs of `queue` in claim order, of `tasks` only when given. They
   * are loaded first and leased after, since a lease takes the job out of the index being read;
   * with a filter the index is read in chunks and each job looked at costs one unit of `budget`.
   */
  private pickPending(
    queue: string,
    wanted: number,
    tasks: ReadonlySet<string> | null,
    budget: { left: number },
  ): JobMeta[] {
    const index = keys.index(queue, "pending");
    const picked: JobMeta[] = [];
    for (let offset = 0;;) {
      if (tasks !== null && budget.left <= 0) return picked;
      const chunk = tasks === null ? wanted : Math.min(Math.max(wanted, 32), budget.left);
      const ids = this.data.zrangeByScore(index, -Infinity, Infinity, offset, chunk);
      for (const [id] of ids) {
        const job = this.table.mustLoad(id);
        if (tasks !== null) budget.left--;
        if (tasks !== null && !tasks.has(job.task)) continue;
        picked.push(job);
        if (picked.length === wanted) return picked;
      }
      offset += ids.length;
      if (tasks === null || ids.length < chunk || budget.left <= 0) return picked;
    }
  }

  heartbeat(
    nowMs: number,
    id: string,
    worker: string,
    attempt: number,
    leaseMs: number | null,
    progress: string | null,
  ): HeartbeatOutcome {
    const meta = this.leased(id, worker, attempt, "heartbeat");
    if (meta.cancel_requested) {
      this.fail(meta, nowMs, () => 0, { reason: "cancelled", error: "Cancelled while running" });
      return { status: meta.status, lease_expires_at_ms: null, cancelled: true };
    }
    if (progress !== null) {
      meta.progress = checkBytes("Progress", progress, QUEUE_LIMITS.progressBytesMax);
    }
    const lease = meta.lease!;
    if (leaseMs !== null) {
      lease.lease_ms = checkInt("lease", leaseMs, QUEUE_LIMITS.leaseMsMin, QUEUE_LIMITS.leaseMsMax);
    }
    lease.expires_at_ms = nowMs + lease.lease_ms;
    meta.updated_at_ms = nowMs;
    this.table.extendLease(meta);
    return { status: meta.status, lease_expires_at_ms: lease.expires_at_ms, cancelled: false };
  }

  ack(nowMs: number, id: string, worker: string, attempt: number, result: string | null): JobMeta {
    const meta = this.leased(id, worker, attempt, "ack");
    // COMPLETED is final, so no earlier result can be there; an absent result reads as null.
    if (result !== null && result !== "null") {
      this.data.set(keys.result(id), checkBytes("Result", result, QUEUE_LIMITS.resultBytesMax));
    }
    meta.lease = null;
    this.table.place(meta, "COMPLETED", nowMs);
    return meta;
  }

  /** A failed attempt reported by its worker; `fatal` skips the remaining attempts. */
  nack(
    nowMs: number,
    random: () => number,
    id: string,
    worker: string,
    attempt: number,
    failure: Failure,
  ): NackOutcome {
    const meta = this.leased(id, worker, attempt, "nack");
    this.fail(meta, nowMs, random, failure);
    return {
      queue: meta.queue,
      status: meta.status,
      run_at_ms: meta.status === "SCHEDULED" ? meta.run_at_ms : null,
    };
  }

  /** Gives a job back without counting the attempt (worker shutting down). */
  release(nowMs: number, id: string, worker: string, attempt: number): JobMeta {
    const meta = this.leased(id, worker, attempt, "release");
    if (meta.cancel_requested) {
      this.fail(meta, nowMs, () => 0, { reason: "cancelled", error: "Cancelled while running" });
      return meta;
    }
    this.recordError(meta, nowMs, "released", "Released by the worker");
    meta.attempt -= 1;
    meta.lease = null;
    meta.run_at_ms = nowMs;
    this.table.place(meta, "PENDING", nowMs);
    return meta;
  }

  /** Moves due SCHEDULED jobs of a queue to PENDING, in run_at order. */
  promoteDue(queue: string, nowMs: number, budget: { left: number }): number {
    if (budget.left <= 0) return 0;
    const due = this.data.zrangeByScore(
      keys.index(queue, "scheduled"),
      -Infinity,
      nowMs,
      0,
      budget.left,
    );
    for (const [id] of due) {
      const meta = this.table.mustLoad(id);
      this.table.place(meta, "PENDING", nowMs);
    }
    budget.left -= due.length;
    return due.length;
  }

  /** Ends every attempt whose lease expired: it counts, and the job retries or dies by policy. */
  reapExpired(
    queue: string,
    nowMs: number,
    random: () => number,
    budget: { left: number },
  ): JobMeta[] {
    if (budget.left <= 0) return [];
    const expired = this.data.zrangeByScore(
      keys.index(queue, "running"),
      -Infinity,
      nowMs,
      0,
      budget.left,
    );
    budget.left -= expired.length;
    return expired.map(([id]) => {
      const meta = this.table.mustLoad(id);
      meta.lease_expiries += 1;
      const worker = meta.lease?.worker ?? "?";
      this.fail(meta, nowMs, random, {
        reason: "lease_expired",
        error: `Lease expired: worker "${worker}" neither finished nor heartbeated in time`,
      });
      return meta;
    });
  }

  /** Ends the current attempt without success and decides what comes next. */
  fail(meta: JobMeta, nowMs: number, random: () => number, failure: Failure): void {
    this.recordError(meta, nowMs, failure.reason, failure.error);
    meta.lease = null;
    if (meta.cancel_requested || failure.reason === "cancelled") {
      this.table.place(meta, "CANCELLED", nowMs);
    } else if (failure.reason === "fatal" || meta.attempt >= meta.max_attempts) {
      this.table.place(meta, "DEAD", nowMs);
    } else {
      const delayMs = failure.retryInMs ?? retryDelayMs(meta.backoff, meta.attempt, random);
      meta.run_at_ms = nowMs + delayMs;
      this.table.place(meta, delayMs > 0 ? "SCHEDULED" : "PENDING", nowMs);
    }
  }

  private startLease(meta: JobMeta, nowMs: number, worker: string, leaseMs: number): ClaimedJob {
    meta.attempt += 1;
    meta.runs += 1;
    meta.started_at_ms = nowMs;
    meta.lease = { worker, expires_at_ms: nowMs + leaseMs, lease_ms: leaseMs };
    this.table.place(meta, "RUNNING", nowMs);
    return {
      id: meta.id,
      queue: meta.queue,
      task: meta.task,
      attempt: meta.attempt,
      max_attempts: meta.max_attempts,
      lease_expires_at_ms: nowMs + leaseMs,
      payload: this.table.payload(meta.id),
    };
  }

  /** The job, if `worker` still holds the lease of `attempt`; otherwise LEASELOST. */
  private leased(id: string, worker: string, attempt: number, action: string): JobMeta {
    const meta = this.table.mustLoad(id);
    if (meta.status !== "RUNNING" || meta.lease?.worker !== worker || meta.attempt !== attempt) {
      throw new QueueError(
        "LEASELOST",
        `Cannot ${action} job "${id}": worker "${worker}" no longer holds attempt ${attempt} (job is ${meta.status})`,
      );
    }
    return meta;
  }

  private recordError(meta: JobMeta, nowMs: number, reason: FailureReason, error: string): void {
    meta.errors.push({
      attempt: meta.attempt,
      run: meta.runs,
      worker: meta.lease?.worker ?? "",
      started_at_ms: meta.started_at_ms ?? nowMs,
      ended_at_ms: nowMs,
      reason,
      error: error.slice(0, QUEUE_LIMITS.errorBytesMax),
    });
    if (meta.errors.length > QUEUE_LIMITS.errorHistoryMax) meta.errors.shift();
  }
}

function newMeta(nowMs: number, id: string, spec: EnqueueSpec): JobMeta {
  return {
    id,
    queue: spec.queue,
    task: spec.task,
    status: "PENDING",
    priority: spec.priority,
    max_attempts: spec.max_attempts,
    attempt: 0,
    runs: 0,
    backoff: { ...spec.backoff },
    seq: 0,
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
    run_at_ms: Math.max(spec.run_at_ms, nowMs),
    started_at_ms: null,
    finished_at_ms: null,
    lease: null,
    idempotency_key: spec.idempotency_key ?? null,
    cancel_requested: false,
    progress: null,
    errors: [],
    redrives: 0,
    lease_expiries: 0,
  };
}
