/**
 * The worker loop: claim (long-poll) as many jobs as there are free slots, run each through its
 * handler with an AbortSignal, heartbeat while it runs, then ack or nack. The signal fires when a
 * heartbeat says the job was cancelled or the lease is gone, and on shutdown. `stop()` stops
 * claiming, waits up to the shutdown timeout for running jobs, then aborts and releases the rest.
 * Calls to the queue that fail for transport reasons (gateway restarting) are retried until the
 * lease would have expired anyway.
 */
import type { Logger } from "../../observability/logger.ts";
import type { MetricsRegistry } from "../../observability/metrics.ts";
import { QUEUE_LIMITS } from "../limits.ts";
import type { WorkerJob, WorkerJobApi } from "./api.ts";
import { AckBatcher } from "./ack_batcher.ts";
import { WorkerApiError } from "./http_api.ts";
import { type HandlerRegistry, type JobContext, JobFailure } from "./registry.ts";
import { WorkerMetrics } from "./worker_metrics.ts";

export interface WorkerOptions {
  api: WorkerJobApi;
  registry: HandlerRegistry;
  workerId: string;
  queues: string[];
  concurrency: number;
  /** Long-poll wait of one claim. */
  pollIntervalMs: number;
  /** Lease asked for on claim and heartbeat; heartbeats run every third of it. */
  leaseMs: number;
  shutdownTimeoutMs: number;
  logger: Logger;
  metrics?: MetricsRegistry;
}

/** Why a job's signal fired. */
export type AbortReason = "cancelled" | "lease_lost" | "shutdown";

interface Running {
  job: WorkerJob;
  controller: AbortController;
  done: Promise<void>;
  progress: unknown;
  /** Set once the attempt's end was reported (or given up), so it is reported once. */
  settled: boolean;
}

export class WorkerRunner {
  /** Running handlers by lease (job id + attempt: a job lost and re-claimed runs twice here). */
  private readonly running = new Map<string, Running>();
  /** Attempts whose handler ended and whose result is being reported. */
  private readonly settling = new Set<Running>();
  private readonly claimAbort = new AbortController();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private slotFreed: (() => void) | null = null;
  private readonly metrics: WorkerMetrics | null;
  private readonly acks: AckBatcher | null;

  constructor(private readonly options: WorkerOptions) {
    this.metrics = options.metrics ? new WorkerMetrics(options.metrics) : null;
    const api = options.api;
    this.acks = api.ackMany
      ? new AckBatcher((items) => api.ackMany!(options.workerId, items))
      : null;
  }

  get inFlight(): number {
    return this.running.size;
  }

  start(): void {
    if (this.loop) return;
    this.options.logger.info("Worker started", {
      worker_id: this.options.workerId,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      tasks: this.options.registry.tasks,
    });
    this.loop = this.claimLoop();
  }

  /** Stops claiming; waits for running jobs up to the timeout; aborts and releases the rest. */
  async stop(): Promise<void> {
    if (this.stopping) return await this.loop?.catch(() => {});
    this.stopping = true;
    this.claimAbort.abort("shutdown");
    this.slotFreed?.();
    await this.loop?.catch(() => {});
    const entries = [...this.running.values(), ...this.settling];
    const all = Promise.all(entries.map((r) => r.done));
    const finished = await within(all, this.options.shutdownTimeoutMs);
    if (!finished) {
      this.options.logger.warn("Shutdown timeout: releasing running jobs", {
        jobs: this.running.size,
      });
      for (const r of this.running.values()) r.controller.abort("shutdown");
      // Handlers that honour their signal release through their own path; the rest are released here.
      await within(all, Math.min(1000, this.options.shutdownTimeoutMs));
      await Promise.all([...this.running.values()].map((r) => this.settle(r, "release")));
      // Releases still under way (a handler's own path) finish before the worker stops: one cut
      // off here would leave its job RUNNING until the lease expires. Bounded, for a gateway
      // that is gone (settle retries until the lease runs out).
      await within(all, RELEASE_WAIT_MS);
    }
    this.options.logger.info("Worker stopped", { worker_id: this.options.workerId });
  }

  private async claimLoop(): Promise<void> {
    const o = this.options;
    let failures = 0;
    while (!this.stopping) {
      const free = o.concurrency - this.running.size;
      // Claim in batches: with jobs running, wait until a quarter of the slots are free rather
      // than claiming one job per freed slot; and wait while too many results are in flight.
      const busy = this.running.size > 0 && free < Math.ceil(o.concurrency / 4);
      if (free <= 0 || busy || this.settling.size >= 4 * o.concurrency) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let jobs: WorkerJob[];
      try {
        jobs = await o.api.claim(
          {
            worker: o.workerId,
            queues: o.queues,
            max: free,
            wait_ms: o.pollIntervalMs,
            lease_ms: o.leaseMs,
            // Only what this worker can run: other tasks stay PENDING for workers that can.
            tasks: o.registry.tasks,
          },
          this.claimAbort.signal,
        );
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures++;
        o.logger.warn("Claim failed; retrying", { error, failures });
        await sleep(Math.min(100 * 2 ** Math.min(failures, 5), o.pollIntervalMs, 3000));
        continue;
      }
      for (const job of jobs) this.launch(job);
    }
  }

  private launch(job: WorkerJob): void {
    const controller = new AbortController();
    const entry: Running = {
      job,
      controller,
      done: Promise.resolve(),
      progress: undefined,
      settled: false,
    };
    this.running.set(leaseKey(job), entry);
    this.metrics?.inFlight.set(this.running.size);
    entry.done = this.execute(entry).finally(() => {
      this.freeSlot(entry);
      this.settling.delete(entry);
      this.wake();
    });
  }

  /**
   * A slot is taken while the handler runs; reporting the result (ack/nack) happens after the
   * slot is free, so a worker keeps `concurrency` handlers busy while results are in flight.
   * At most 4 × `concurrency` results may be in flight at once (backpressure when the gateway is
   * slow), so claiming the next batch overlaps reporting the last one.
   */
  private freeSlot(entry: Running): void {
    if (!this.running.delete(leaseKey(entry.job))) return;
    this.metrics?.inFlight.set(this.running.size);
    this.wake();
  }

  private wake(): void {
    this.slotFreed?.();
    this.slotFreed = null;
  }

  private async execute(entry: Running): Promise<void> {
    const { job, controller } = entry;
    const handler = this.options.registry.get(job.task);
    const startedMs = performance.now();
    const beat = this.startHeartbeats(entry);
    let outcome: "ack" | "nack" | "fatal" | "skip" | "release" = "ack";
    let result: unknown;
    let error: unknown;
    try {
      if (!handler) {
        throw new JobFailure(`No handler registered for task "${job.task}"`, { retry: false });
      }
      result = await handler(this.context(entry));
    } catch (e) {
      error = e;
      outcome = e instanceof JobFailure && !e.retry ? "fatal" : "nack";
    } finally {
      clearInterval(beat);
    }
    const reason = controller.signal.reason as AbortReason | undefined;
    if (controller.signal.aborted) outcome = reason === "shutdown" ? "release" : "skip";
    this.metrics?.observe(job.task, outcome, (performance.now() - startedMs) / 1000);
    this.settling.add(entry);
    this.freeSlot(entry);
    await this.settle(entry, outcome, result, error);
  }

  /** Reports the attempt's end; transport failures are retried until the lease runs out. */
  private async settle(
    entry: Running,
    outcome: "ack" | "nack" | "fatal" | "skip" | "release",
    result?: unknown,
    error?: unknown,
  ): Promise<void> {
    if (outcome === "skip" || entry.settled) return;
    entry.settled = true;
    const { job } = entry;
    const api = this.options.api;
    const lease = { worker: this.options.workerId, attempt: job.attempt };
    const call = () => {
      switch (outcome) {
        case "ack":
          return this.acks
            ? this.acks.ack({ id: job.id, attempt: job.attempt, result: result ?? null })
            : api.ack(job.id, { ...lease, result: result ?? null });
        case "release":
          return api.release(job.id, lease);
        default: {
          const failure = error instanceof JobFailure ? error : null;
          return api.nack(job.id, {
            ...lease,
            error: errorText(error),
            fatal: outcome === "fatal",
            ...(failure?.retryInMs === undefined
              ? {}
              : { retry_in_ms: Math.round(failure.retryInMs) }),
          });
        }
      }
    };
    for (let attempt = 1;; attempt++) {
      try {
        await call();
        return;
      } catch (e) {
        const status = statusOf(e);
        if ((status === 413 || status === 400) && outcome === "ack") {
          // A result over the bound would be refused on every retry: fail the job for good.
          outcome = "fatal";
          error = new JobFailure(`Result refused by the queue: ${errorText(e)}`, { retry: false });
          continue;
        }
        if (status !== null && status < 500) {
          // 409 lease lost / 404 gone: the queue already moved on (expired lease, cancel).
          this.options.logger.warn("Job result refused", { job_id: job.id, outcome, error: e });
          return;
        }
        if (Date.now() > job.lease_expires_at_ms + this.options.leaseMs || attempt >= 50) {
          this.options.logger.error("Giving up reporting a job result", {
            job_id: job.id,
            outcome,
            error: e,
          });
          return;
        }
        await sleep(Math.min(50 * 2 ** Math.min(attempt, 6), 2000));
      }
    }
  }

  private startHeartbeats(entry: Running): ReturnType<typeof setInterval> {
    const { job, controller } = entry;
    const o = this.options;
    const intervalMs = Math.max(50, Math.floor(o.leaseMs / 3));
    return setInterval(async () => {
      if (controller.signal.aborted) return;
      try {
        const out = await o.api.heartbeat(job.id, {
          worker: o.workerId,
          attempt: job.attempt,
          lease_ms: o.leaseMs,
          ...(entry.progress === undefined ? {} : { progress: entry.progress }),
        });
        job.lease_expires_at_ms = Date.now() + o.leaseMs;
        if (out.cancelled) controller.abort("cancelled");
      } catch (error) {
        const status = statusOf(error);
        if (status === 409 || status === 404) {
          controller.abort("lease_lost");
        } else {
          o.logger.warn("Heartbeat failed", { job_id: job.id, error });
        }
      }
    }, intervalMs);
  }

  private context(entry: Running): JobContext {
    const { job } = entry;
    return {
      id: job.id,
      queue: job.queue,
      task: job.task,
      attempt: job.attempt,
      max_attempts: job.max_attempts,
      payload: job.payload,
      signal: entry.controller.signal,
      progress: (value) => (entry.progress = value),
    };
  }
}

function leaseKey(job: WorkerJob): string {
  return `${job.id}#${job.attempt}`;
}

/**
 * The HTTP status of a refused call: WorkerApiError over HTTP, AppError in-process; null for a
 * transport failure (gateway down), which is worth retrying.
 */
function statusOf(error: unknown): number | null {
  if (error instanceof WorkerApiError) return error.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : null;
}

/** The error message recorded for a failed attempt (the store keeps 2 KiB of it). */
function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.slice(0, QUEUE_LIMITS.errorBytesMax);
}

/** Whether `promise` settled within `ms` (the timer is cleared either way). */
/** How long stop() waits for releases under way once the shutdown timeout has passed. */
const RELEASE_WAIT_MS = 10_000;

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
