/**
 * The worker protocol and the producer calls straight over RESP: JOB.* module commands to
 * `helios atlasd` (or `helios serve`'s RESP listener, or a cluster) on pipelined connections,
 * with no gateway and no HTTP in between — how BullMQ talks to Redis. It is the JobService
 * itself running in the client, so leases, retries, the dead-letter queue and durability are
 * exactly those of the HTTP path: a reply (and so an enqueue or an ack) comes back only once the
 * store made the write durable under its sync mode.
 *
 * What differs from HTTP: access is store access (the RESP password, `atlas.requirepass`, not
 * an API token with RBAC rules), and the client's clock stamps `now_ms` into the commands (keep
 * hosts NTP-synced, as with a remote gateway). A claim that finds nothing re-polls the store
 * with JOB.PEEK (a read) every `claimPollMs`, since another process's enqueue cannot wake it.
 */
import type { Clock } from "../../lib/clock.ts";
import { parseNodeList, RespAtlasClient } from "../../storage/resp_client.ts";
import { type EnqueueInput, JobService } from "../service.ts";
import type { QueueSettings } from "../settings.ts";
import type { EnqueueOutcome } from "../types.ts";
import {
  type AckItem,
  type ClaimRequest,
  InProcessJobApi,
  type LeaseHold,
  type WorkerJob,
  type WorkerJobApi,
} from "./api.ts";

export interface RespJobApiOptions {
  /** ATLAS nodes, "host:port[,host:port...]" (the --atlas flag's form). */
  atlas: string;
  /** `atlas.requirepass` of the store, if set. */
  password?: string;
  /** Pipelined connections (default 2). */
  poolSize?: number;
  /** How often a waiting claim re-polls the store (default 50 ms). */
  claimPollMs?: number;
  /** Enqueue defaults (max attempts, backoff, dedupe window); the config's defaults otherwise. */
  settings?: Partial<QueueSettings>;
  clock?: Clock;
}

export class RespJobApi implements WorkerJobApi {
  /** The queue's domain API over this connection (enqueue, get, list, cancel, ...). */
  readonly service: JobService;
  private readonly client: RespAtlasClient;
  private readonly worker: InProcessJobApi;

  constructor(options: RespJobApiOptions) {
    this.client = new RespAtlasClient({
      nodes: parseNodeList(options.atlas),
      password: options.password,
      poolSize: options.poolSize ?? 2,
    });
    this.service = new JobService({
      client: this.client,
      settings: options.settings,
      clock: options.clock,
      claimPollMs: options.claimPollMs ?? 50,
    });
    this.worker = new InProcessJobApi(this.service);
  }

  /** Enqueues one job (resolves once it is durable). */
  enqueue(input: EnqueueInput): Promise<EnqueueOutcome> {
    return this.service.enqueue(input);
  }

  /** Enqueues many jobs in one transaction; per job its outcome or error. */
  enqueueMany(inputs: EnqueueInput[]): Promise<(EnqueueOutcome | { error: Error })[]> {
    return this.service.enqueueMany(inputs);
  }

  claim(request: ClaimRequest, signal?: AbortSignal): Promise<WorkerJob[]> {
    return this.worker.claim(request, signal);
  }
  heartbeat(id: string, lease: LeaseHold & { lease_ms?: number; progress?: unknown }) {
    return this.worker.heartbeat(id, lease);
  }
  ack(id: string, lease: LeaseHold & { result?: unknown }): Promise<void> {
    return this.worker.ack(id, lease);
  }
  ackMany(worker: string, acks: AckItem[]): Promise<(Error | null)[]> {
    return this.worker.ackMany(worker, acks);
  }
  nack(id: string, lease: LeaseHold & { error: string; retry_in_ms?: number; fatal?: boolean }) {
    return this.worker.nack(id, lease);
  }
  release(id: string, lease: LeaseHold): Promise<void> {
    return this.worker.release(id, lease);
  }

  /** Ends waiting claims and closes the connections. */
  async close(): Promise<void> {
    this.service.close();
    await this.client.close();
  }
}
