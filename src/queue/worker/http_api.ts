/**
 * The worker protocol over HTTP to a gateway, authenticated with an API token. Problem responses
 * become `WorkerApiError`s carrying status and code, so the runner can tell a lost lease (409)
 * from a gateway that is down (network error, 5xx).
 */
import type { AckItem, ClaimRequest, LeaseHold, WorkerJob, WorkerJobApi } from "./api.ts";

export class WorkerApiError extends Error {
  override name = "WorkerApiError";
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export interface HttpJobApiOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8443. */
  gateway: string;
  token: string;
  /** Per-request timeout beyond a claim's long-poll wait. */
  requestTimeoutMs?: number;
}

export class HttpJobApi implements WorkerJobApi {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpJobApiOptions) {
    this.base = options.gateway.replace(/\/+$/, "");
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<WorkerJob[]> {
    const body = {
      worker_id: request.worker,
      queues: request.queues,
      max: request.max,
      wait_ms: request.wait_ms,
      ...(request.lease_ms === undefined ? {} : { lease_ms: request.lease_ms }),
      ...(request.tasks === undefined ? {} : { tasks: request.tasks }),
    };
    const out = await this.post<
      { jobs: (Omit<WorkerJob, "lease_expires_at_ms"> & { lease_expires_at: string })[] }
    >(
      "/api/v1/jobs/claim",
      body,
      signal,
      request.wait_ms,
    );
    return out.jobs.map(({ lease_expires_at, ...job }) => ({
      ...job,
      lease_expires_at_ms: Date.parse(lease_expires_at),
    }));
  }

  async heartbeat(id: string, lease: LeaseHold & { lease_ms?: number; progress?: unknown }) {
    const { worker, ...rest } = lease;
    return await this.post<{ cancelled: boolean }>(`/api/v1/jobs/${id}/heartbeat`, {
      worker_id: worker,
      ...rest,
    });
  }

  async ack(id: string, lease: LeaseHold & { result?: unknown }): Promise<void> {
    const { worker, ...rest } = lease;
    await this.post(`/api/v1/jobs/${id}/ack`, { worker_id: worker, ...rest });
  }

  async ackMany(worker: string, acks: AckItem[]): Promise<(Error | null)[]> {
    const out = await this.post<
      { results: { error?: { status: number; code: string; detail: string } }[] }
    >(
      "/api/v1/jobs/ack",
      { worker_id: worker, acks },
    );
    return out.results.map((r) =>
      r.error ? new WorkerApiError(r.error.status, r.error.code, r.error.detail) : null
    );
  }

  async nack(
    id: string,
    lease: LeaseHold & { error: string; retry_in_ms?: number; fatal?: boolean },
  ) {
    const { worker, ...rest } = lease;
    await this.post(`/api/v1/jobs/${id}/nack`, { worker_id: worker, ...rest });
  }

  async release(id: string, lease: LeaseHold): Promise<void> {
    await this.post(`/api/v1/jobs/${id}/release`, {
      worker_id: lease.worker,
      attempt: lease.attempt,
    });
  }

  private async post<T>(
    path: string,
    body: unknown,
    signal?: AbortSignal,
    extraMs = 0,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs + extraMs);
    const response = await fetch(this.base + path, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.options.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (!response.ok) {
      let code = `http_${response.status}`;
      let detail = text.slice(0, 500);
      try {
        const problem = JSON.parse(text);
        code = problem.code ?? code;
        detail = problem.detail ?? problem.title ?? detail;
      } catch (_error) {
        // Not problem+json (a proxy's error page): keep the raw text as the detail.
      }
      throw new WorkerApiError(
        response.status,
        code,
        `POST ${path} failed with ${response.status}: ${detail}`,
      );
    }
    return JSON.parse(text) as T;
  }
}
