/**
 * What a worker needs from the queue: the worker protocol. Two implementations: over HTTP to a
 * gateway (`helios worker`), and in-process over a JobService (`helios serve`'s embedded worker).
 */
import type { JobService } from "../service.ts";
import { parseStored } from "../view.ts";

export interface WorkerJob {
  id: string;
  queue: string;
  task: string;
  attempt: number;
  max_attempts: number;
  lease_expires_at_ms: number;
  payload: unknown;
}

export interface ClaimRequest {
  worker: string;
  queues: string[];
  max: number;
  wait_ms: number;
  lease_ms?: number;
  /** Only jobs of these tasks (the handlers the worker has); absent: any. */
  tasks?: string[];
}

export interface LeaseHold {
  worker: string;
  attempt: number;
}

export interface AckItem {
  id: string;
  attempt: number;
  result?: unknown;
}

export interface WorkerJobApi {
  claim(request: ClaimRequest, signal?: AbortSignal): Promise<WorkerJob[]>;
  heartbeat(
    id: string,
    lease: LeaseHold & { lease_ms?: number; progress?: unknown },
  ): Promise<{ cancelled: boolean }>;
  ack(id: string, lease: LeaseHold & { result?: unknown }): Promise<void>;
  /** Acks many attempts in one call; per ack `null` (done) or the error. Optional. */
  ackMany?(worker: string, acks: AckItem[]): Promise<(Error | null)[]>;
  nack(
    id: string,
    lease: LeaseHold & { error: string; retry_in_ms?: number; fatal?: boolean },
  ): Promise<void>;
  release(id: string, lease: LeaseHold): Promise<void>;
}

/** The worker protocol straight over a JobService (no HTTP): the embedded worker. */
export class InProcessJobApi implements WorkerJobApi {
  constructor(private readonly jobs: JobService) {}

  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<WorkerJob[]> {
    const claimed = await this.jobs.claim(request, signal);
    return claimed.map((job) => ({ ...job, payload: parseStored(job.payload) }));
  }
  async heartbeat(id: string, lease: LeaseHold & { lease_ms?: number; progress?: unknown }) {
    const out = await this.jobs.heartbeat(id, lease);
    return { cancelled: out.cancelled };
  }
  async ack(id: string, lease: LeaseHold & { result?: unknown }): Promise<void> {
    await this.jobs.ack(id, lease);
  }
  async ackMany(worker: string, acks: AckItem[]): Promise<(Error | null)[]> {
    const outs = await this.jobs.ackMany(worker, acks);
    return outs.map((out) => ("error" in out ? out.error : null));
  }
  async nack(
    id: string,
    lease: LeaseHold & { error: string; retry_in_ms?: number; fatal?: boolean },
  ) {
    await this.jobs.nack(id, lease);
  }
  async release(id: string, lease: LeaseHold): Promise<void> {
    await this.jobs.release(id, lease);
  }
}
