/**
 * JobService: the queue's domain API over an AtlasClient. It stamps time and jitter seeds into the
 * JOB.* commands, turns their replies into views and typed errors, long-polls claims, runs the
 * periodic reaper, and counts metrics. The same code runs embedded and against atlasd or a cluster.
 */
import {
  AppError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "../errors/app_error.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricsRegistry } from "../observability/metrics.ts";
import { type AtlasClient, isErrorValue, type Value } from "../storage/atlas_client.ts";
import { QUEUE_LIMITS, TASKS_MARKER } from "./limits.ts";
import { QueueMetrics } from "./metrics.ts";
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from "./settings.ts";
import type {
  BackoffPolicy,
  ClaimedJob,
  EnqueueOutcome,
  EnqueueSpec,
  ExpiredByQueue,
  HeartbeatOutcome,
  JobPage,
  JobRecord,
  JobStatus,
  NackOutcome,
  QueueStats,
  ReapOutcome,
} from "./types.ts";
import { type JobView, metaView, recordView } from "./view.ts";
import { ClaimWaiters } from "./waiters.ts";

export interface EnqueueInput {
  queue?: string;
  task?: string;
  payload: unknown;
  priority?: number;
  delay_ms?: number;
  /** Epoch ms; wins over delay_ms. */
  run_at_ms?: number;
  max_attempts?: number;
  backoff?: Partial<BackoffPolicy>;
  idempotency_key?: string;
  dedupe_window_ms?: number;
}

export interface ClaimInput {
  worker: string;
  queues: string[];
  max?: number;
  wait_ms?: number;
  lease_ms?: number;
  /** Only jobs of these tasks (what the worker has handlers for); absent or empty: any task. */
  tasks?: string[];
}

export interface LeaseRef {
  worker: string;
  attempt: number;
}

export interface JobServiceOptions {
  client: AtlasClient;
  settings?: Partial<QueueSettings>;
  clock?: Clock;
  logger?: Logger;
  metrics?: MetricsRegistry;
  /** How often a waiting claim re-polls the store (other gateways, due delayed jobs). */
  claimPollMs?: number;
  claimWaitersMax?: number;
}

export class JobService {
  readonly settings: QueueSettings;
  private readonly client: AtlasClient;
  private readonly clock: Clock;
  private readonly waiters: ClaimWaiters;
  private readonly metrics: QueueMetrics | null;
  private reaper: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: JobServiceOptions) {
    this.client = options.client;
    this.settings = { ...DEFAULT_QUEUE_SETTINGS, ...options.settings };
    this.clock = options.clock ?? systemClock;
    this.waiters = new ClaimWaiters(options.claimPollMs ?? 200, options.claimWaitersMax ?? 1000);
    this.metrics = options.metrics ? new QueueMetrics(options.metrics, () => this.queues()) : null;
  }

  async enqueue(input: EnqueueInput): Promise<EnqueueOutcome> {
    const nowMs = this.clock.nowMs();
    const spec = this.specOf(input, nowMs);
    const payload = JSON.stringify(input.payload ?? null);
    const out = await this.run<EnqueueOutcome>(
      "JOB.ENQUEUE",
      nowMs,
      newJobId(nowMs),
      JSON.stringify(spec),
      payload,
    );
    if (!out.deduplicated) {
      this.metrics?.enqueued.inc({ queue: spec.queue });
      if (out.status === "PENDING") this.waiters.notify();
    }
    return out;
  }

  /**
   * Enqueues many jobs in one store round trip (one transaction, one fsync). Each item gets its
   * own outcome or error; a bad item does not stop the others.
   */
  async enqueueMany(inputs: EnqueueInput[]): Promise<(EnqueueOutcome | { error: Error })[]> {
    const nowMs = this.clock.nowMs();
    const specs = inputs.map((input) => this.specOf(input, nowMs));
    const commands = inputs.map((input, i) => [
      "JOB.ENQUEUE",
      nowMs,
      newJobId(nowMs),
      JSON.stringify(specs[i]),
      JSON.stringify(input.payload ?? null),
    ]);
    const outs = await this.runMany<EnqueueOutcome>(commands);
    let pending = false;
    outs.forEach((out, i) => {
      if ("error" in out || out.deduplicated) return;
      this.metrics?.enqueued.inc({ queue: specs[i].queue });
      pending ||= out.status === "PENDING";
    });
    if (pending) this.waiters.notify();
    return outs;
  }

  /** Acks many attempts in one store round trip; each gets its own status or error. */
  async ackMany(
    worker: string,
    acks: { id: string; attempt: number; result?: unknown }[],
  ): Promise<({ status: JobStatus } | { error: Error })[]> {
    const nowMs = this.clock.nowMs();
    const commands = acks.map((a) => [
      "JOB.ACK",
      nowMs,
      a.id,
      worker,
      a.attempt,
      a.result === undefined ? "" : JSON.stringify(a.result),
    ]);
    const outs = await this.runMany<AckOutcome>(commands);
    return outs.map((out) => {
      if ("error" in out) return out;
      this.countAck(out);
      return { status: out.status };
    });
  }

  async get(id: string): Promise<JobView> {
    const record = await this.run<JobRecord | null>("JOB.GET", id);
    if (!record) throw new NotFoundError(`Job "${id}" does not exist`, "job_not_found");
    return recordView(record);
  }

  async list(filter: {
    queue?: string;
    status?: JobStatus;
    cursor?: string;
    limit?: number;
  }): Promise<{ jobs: JobView[]; next_cursor: string | null }> {
    const page = await this.run<JobPage>(
      "JOB.LIST",
      filter.queue ?? "",
      filter.status ?? "",
      filter.cursor ?? "",
      filter.limit ?? 100,
    );
    return { jobs: page.jobs.map(metaView), next_cursor: page.next_cursor };
  }

  async cancel(id: string): Promise<{ id: string; status: JobStatus; cancel_requested: boolean }> {
    const out = await this.run<{ id: string; status: JobStatus; cancel_requested: boolean }>(
      "JOB.CANCEL",
      this.clock.nowMs(),
      id,
    );
    return out;
  }

  async retry(id: string): Promise<{ id: string; status: JobStatus }> {
    const out = await this.run<{ id: string; status: JobStatus }>(
      "JOB.RETRY",
      this.clock.nowMs(),
      id,
    );
    this.waiters.notify();
    return out;
  }

  /**
   * Leases up to `max` jobs. With `wait_ms` > 0 and nothing claimable, waits (long-poll) until a
   * job arrives or the wait ends. `signal` says the caller is gone (client disconnected,
   * shutdown): it ends a wait early, no claim is made once it fired, and jobs a claim leased
   * while it fired are released at once (the attempt does not count) instead of sitting leased
   * to nobody until their lease expires. A store call can take seconds (a Raft election), time
   * enough for a worker to be killed. Pass a Deno.serve request's signal read as the request
   * starts: Deno reports a disconnect reliably only on a signal read before it (read later, it
   * is not aborted yet). Under deno.json's `no-legacy-abort` reading it costs nothing measurable
   * (it is no longer aborted with a new DOMException on every response).
   */
  async claim(input: ClaimInput, signal?: AbortSignal): Promise<ClaimedJob[]> {
    const max = input.max ?? 1;
    const leaseMs = input.lease_ms ?? this.settings.visibilityTimeoutMs;
    const waitMs = Math.min(input.wait_ms ?? 0, this.settings.claimWaitMsMax);
    const deadline = this.clock.nowMs() + waitMs;
    const filter = input.tasks !== undefined && input.tasks.length > 0
      ? [TASKS_MARKER, ...input.tasks]
      : [];
    for (let round = 0;; round++) {
      // A caller that is gone must not be handed jobs: they would sit leased until expiry.
      if (signal?.aborted) return [];
      // Re-polls look first with a read: an idle long-poll writes nothing.
      if (
        round > 0 &&
        !(await this.run<boolean>("JOB.PEEK", this.clock.nowMs(), ...input.queues, ...filter))
      ) {
        const left = deadline - this.clock.nowMs();
        if (left <= 0 || this.waiters.full) return [];
        await this.waiters.wait(left, signal);
        continue;
      }
      if (signal?.aborted) return []; // gone while the peek was answered
      const { jobs, expired_by_queue } = await this.run<
        { jobs: ClaimedJob[]; expired_by_queue: ExpiredByQueue }
      >(
        "JOB.CLAIM",
        this.clock.nowMs(),
        seed(),
        input.worker,
        leaseMs,
        max,
        ...input.queues,
        ...filter,
      );
      this.countExpired(expired_by_queue);
      if (signal?.aborted) {
        // Gone while the claim was applied: give the jobs back rather than leave them leased.
        await this.releaseUnclaimed(input.worker, jobs);
        return [];
      }
      const left = deadline - this.clock.nowMs();
      if (jobs.length > 0 || left <= 0) return jobs;
      if (this.waiters.full) return jobs;
      await this.waiters.wait(left, signal);
    }
  }

  /** Releases jobs a claim leased for a caller that is gone (best effort: else they expire). */
  private async releaseUnclaimed(worker: string, jobs: ClaimedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const nowMs = this.clock.nowMs();
    try {
      const outs = await this.runMany<{ status: JobStatus }>(
        jobs.map((job) => ["JOB.RELEASE", nowMs, job.id, worker, job.attempt]),
      );
      const failed = outs.filter((out) => "error" in out).length;
      if (failed > 0) {
        this.options.logger?.warn("Could not release jobs claimed for a caller that left", {
          worker,
          failed,
        });
      }
    } catch (error) {
      this.options.logger?.warn("Could not release jobs claimed for a caller that left", {
        worker,
        jobs: jobs.length,
        error,
      });
    }
    this.waiters.notify();
  }

  async heartbeat(
    id: string,
    lease: LeaseRef & { lease_ms?: number; progress?: unknown },
  ): Promise<HeartbeatOutcome> {
    const progress = lease.progress === undefined ? "" : JSON.stringify(lease.progress);
    return await this.run<HeartbeatOutcome>(
      "JOB.HEARTBEAT",
      this.clock.nowMs(),
      id,
      lease.worker,
      lease.attempt,
      lease.lease_ms ?? "",
      progress,
    );
  }

  async ack(id: string, lease: LeaseRef & { result?: unknown }): Promise<{ status: JobStatus }> {
    const result = lease.result === undefined ? "" : JSON.stringify(lease.result);
    const out = await this.run<AckOutcome>(
      "JOB.ACK",
      this.clock.nowMs(),
      id,
      lease.worker,
      lease.attempt,
      result,
    );
    this.countAck(out);
    return { status: out.status };
  }

  async nack(
    id: string,
    lease: LeaseRef & { error: string; retry_in_ms?: number; fatal?: boolean },
  ): Promise<NackOutcome> {
    const out = await this.run<NackOutcome>(
      "JOB.NACK",
      this.clock.nowMs(),
      seed(),
      id,
      lease.worker,
      lease.attempt,
      lease.fatal ? "fatal" : "failed",
      lease.retry_in_ms ?? "",
      lease.error,
    );
    this.countFailure(out.queue, out.status);
    if (out.status === "PENDING") this.waiters.notify();
    return out;
  }

  async release(id: string, lease: LeaseRef): Promise<{ status: JobStatus }> {
    const out = await this.run<{ status: JobStatus }>(
      "JOB.RELEASE",
      this.clock.nowMs(),
      id,
      lease.worker,
      lease.attempt,
    );
    this.waiters.notify();
    return out;
  }

  async queues(): Promise<QueueStats[]> {
    return await this.run<QueueStats[]>("JOB.QUEUES", this.clock.nowMs());
  }

  async dead(queue: string, cursor?: string, limit?: number) {
    return await this.list({ queue, status: "DEAD", cursor, limit });
  }

  async redrive(
    queue: string,
    input: { ids?: string[]; max?: number },
  ): Promise<{ redriven: number }> {
    const ids = input.ids ?? [];
    const max = input.max ?? (ids.length > 0 ? ids.length : 1000);
    const out = await this.run<{ redriven: number }>(
      "JOB.DEAD.REDRIVE",
      this.clock.nowMs(),
      queue,
      max,
      ...ids,
    );
    if (out.redriven > 0) this.waiters.notify();
    return out;
  }

  async purge(
    queue: string,
    input: { before_ms?: number; max?: number },
  ): Promise<{ purged: number }> {
    const before = input.before_ms ?? this.clock.nowMs();
    return await this.run<{ purged: number }>("JOB.DEAD.PURGE", queue, input.max ?? 1000, before);
  }

  /** One reaper pass: promote due jobs, expire leases, apply retention. */
  async reap(): Promise<ReapOutcome> {
    const r = this.settings.retention;
    const out = await this.run<ReapOutcome>(
      "JOB.REAP",
      this.clock.nowMs(),
      seed(),
      r.age_ms,
      r.count,
      r.dead_age_ms,
    );
    this.countExpired(out.expired_by_queue);
    if (out.promoted > 0 || out.retried > 0) this.waiters.notify();
    return out;
  }

  /** Starts the periodic reaper (every settings.reapIntervalMs). */
  startReaper(): void {
    if (this.reaper !== null || this.settings.reapIntervalMs <= 0) return;
    let busy = false;
    this.reaper = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        await this.reap();
      } catch (error) {
        this.options.logger?.warn("Job reaper pass failed", { error });
      } finally {
        busy = false;
      }
    }, this.settings.reapIntervalMs);
  }

  /** Stops the reaper and releases waiting claims. */
  close(): void {
    if (this.reaper !== null) clearInterval(this.reaper);
    this.reaper = null;
    this.waiters.close();
  }

  /** Metrics for leases the store reaped (during a claim or a reaper pass). */
  private countExpired(byQueue: ExpiredByQueue): void {
    if (!this.metrics) return;
    for (const [queue, counts] of Object.entries(byQueue)) {
      const expired = counts.retried + counts.dead + counts.cancelled;
      this.metrics.leaseExpired.inc({ queue }, expired);
      if (counts.retried > 0) this.metrics.retried.inc({ queue }, counts.retried);
      if (counts.dead > 0) {
        this.metrics.dead.inc({ queue }, counts.dead);
        this.metrics.completed.inc({ queue, result: "dead" }, counts.dead);
      }
      if (counts.cancelled > 0) {
        this.metrics.completed.inc({ queue, result: "cancelled" }, counts.cancelled);
      }
    }
  }

  private countAck(out: AckOutcome): void {
    if (!this.metrics) return;
    this.metrics.completed.inc({ queue: out.queue, result: "completed" });
    this.metrics.duration.observe(
      { queue: out.queue },
      (out.finished_at_ms - out.started_at_ms) / 1000,
    );
  }

  private countFailure(queue: string, status: JobStatus): void {
    if (!this.metrics) return;
    if (status === "DEAD") {
      this.metrics.dead.inc({ queue });
      this.metrics.completed.inc({ queue, result: "dead" });
    } else if (status === "CANCELLED") {
      this.metrics.completed.inc({ queue, result: "cancelled" });
    } else this.metrics.retried.inc({ queue });
  }

  private specOf(input: EnqueueInput, nowMs: number): EnqueueSpec {
    const s = this.settings;
    const payloadTask = (input.payload as { task?: unknown } | null)?.task;
    return {
      queue: input.queue ?? "default",
      task: input.task ?? (typeof payloadTask === "string" ? payloadTask : "default"),
      priority: input.priority ?? 0,
      max_attempts: input.max_attempts ?? s.maxAttempts,
      backoff: { ...s.backoff, ...input.backoff },
      run_at_ms: input.run_at_ms ?? nowMs + (input.delay_ms ?? 0),
      idempotency_key: input.idempotency_key ?? null,
      dedupe_window_ms: input.dedupe_window_ms ?? s.dedupeWindowMs,
    };
  }

  /** Runs JOB.* commands as one transaction; per command its parsed reply or typed error. */
  private async runMany<T>(commands: (string | number)[][]): Promise<(T | { error: Error })[]> {
    if (commands.length === 0) return [];
    let values: Value[];
    try {
      values = await this.client.transaction(commands);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new UnavailableError(
        `Job store unavailable: ${(error as Error).message}`,
        "store_unavailable",
      );
    }
    return values.map((value) =>
      isErrorValue(value)
        ? { error: errorFromReply(value.error) }
        : JSON.parse(value as string) as T
    );
  }

  /** Runs a JOB.* command and parses its JSON reply, or throws the matching typed error. */
  private async run<T>(command: string, ...args: (string | number)[]): Promise<T> {
    let value: Value;
    try {
      value = await this.client.call(command, ...args);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new UnavailableError(
        `Job store unavailable: ${(error as Error).message}`,
        "store_unavailable",
      );
    }
    if (isErrorValue(value)) throw errorFromReply(value.error);
    return (value === null ? null : JSON.parse(value as string)) as T;
  }
}

interface AckOutcome {
  queue: string;
  status: JobStatus;
  started_at_ms: number;
  finished_at_ms: number;
}

/** Maps a JOB.* error reply (`CODE message`) to the HTTP error. */
export function errorFromReply(text: string): Error {
  const space = text.indexOf(" ");
  const code = space < 0 ? text : text.slice(0, space);
  const message = space < 0 ? text : text.slice(space + 1);
  switch (code) {
    case "NOJOB":
      return new NotFoundError(message, "job_not_found");
    case "JOBSTATE":
      return new ConflictError(message, "job_state_conflict");
    case "LEASELOST":
      return new ConflictError(message, "lease_lost");
    case "INVALID":
      return new ValidationError(message);
    case "LIMIT":
      return new AppError("limit_exceeded", 413, "Limit exceeded", { detail: message });
    default:
      return new UnavailableError(`Job store error: ${text}`, "store_error");
  }
}

/**
 * Random bytes for job ids and jitter seeds, drawn from a pooled buffer: one getRandomValues call
 * per 4 KiB instead of one per job (the call is most of an id's cost).
 */
const randomPool = new Uint8Array(4096);
let randomAt = randomPool.length;

function randomByte(): number {
  if (randomAt === randomPool.length) {
    crypto.getRandomValues(randomPool);
    randomAt = 0;
  }
  return randomPool[randomAt++];
}

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Job ids sort by creation time: "j_" + 9 base36 chars of ms + 8 random base36 chars.
 */
export function newJobId(nowMs: number): string {
  let random = "";
  for (let i = 0; i < 8; i++) random += BASE36[randomByte() % 36];
  return `j_${nowMs.toString(36).padStart(9, "0")}${random}`;
}

function seed(): number {
  return ((randomByte() << 24) | (randomByte() << 16) | (randomByte() << 8) | randomByte()) >>> 0;
}

export { QUEUE_LIMITS };
