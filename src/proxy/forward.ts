/**
 * Forwards one HTTP request: rewrites headers, picks a target, streams the body up and the
 * response down, and retries on another target when that is safe — an idempotent method (or a
 * route marked retryable), the request body not yet sent, attempts left and room in the retry
 * budget. Failures map to 502 (upstream failed), 503 (nothing available) and 504 (timeout).
 */
import type { Logger } from "../observability/logger.ts";
import {
  badRequestBody,
  classifyFetchError,
  type FailureKind,
  noTarget,
  overloaded,
  upstreamFailed,
  upstreamTimeout,
} from "./errors.ts";
import { HOP_BY_HOP, type RewrittenRequest } from "./headers.ts";
import { type H1Exchange, type H1Pool, requestHead, UpstreamError } from "./h1_client.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { problemReply, type ProxyReply } from "./reply.ts";
import { RequestBody } from "./request_body.ts";
import { relayBody } from "./response_body.ts";
import type { CompiledRoute } from "./router.ts";
import type { Lease, Upstream } from "./upstream.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export interface ForwardDeps {
  client: Deno.HttpClient;
  metrics: ProxyMetrics;
  logger: Logger;
}

export interface OutboundRequest {
  method: string;
  /** Path and query as sent upstream (prefix already stripped). */
  pathAndQuery: string;
  /** Rewritten request headers (headers.ts), with the client's Host. */
  rewritten: RewrittenRequest;
  body: ReadableStream<Uint8Array> | null;
  requestId: string;
  hashKey: string | undefined;
  /** Aborts the upstream exchange (client gone); optional. */
  signal?: AbortSignal;
}

type AttemptResult =
  | { ok: true; reply: ProxyReply }
  | { ok: false; kind: FailureKind; status?: number; reason: string };

/** Forwards and counts the answer in proxy_requests_total{route,code}. */
export async function forward(
  deps: ForwardDeps,
  route: CompiledRoute,
  upstream: Upstream,
  outbound: OutboundRequest,
): Promise<ProxyReply> {
  upstream.budget.recordRequest();
  const body = outbound.body === null ? null : new RequestBody(outbound.body);
  const retryableMethod = route.retryable || IDEMPOTENT.has(outbound.method);
  const attempts = upstream.config.retries.attempts;
  // Targets already tried, made at the first retry (most requests need no list).
  let tried: Lease["target"][] | null = null;
  let previous: Lease["target"] | null = null;
  let last: AttemptResult | null = null;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) {
      // Never resend a body an upstream may have received; a refused connection received none.
      if (last !== null && !last.ok && last.kind === "client") break;
      const connectFailed = last !== null && !last.ok && last.kind === "connect";
      const safe = retryableMethod && (body === null || body.mayResend(connectFailed));
      if (!safe || !upstream.budget.tryRetry()) break;
      deps.metrics.retry(upstream.name);
      if (previous !== null) (tried ??= []).push(previous);
    }
    // pick() answers at once unless every target is at its limits: no await on the hot path.
    const picked = upstream.pick(tried, outbound.hashKey);
    const lease = picked === "busy" ? await leaseTarget(upstream, tried, outbound) : picked;
    if (lease === "busy") {
      return counted(deps, route, await fail(body, outbound, overloaded(upstream.name)));
    }
    if (lease === null) break;
    previous = lease.target;
    const canRetry = retryableMethod && attempt < attempts - 1;
    const pool = lease.target.h1;
    if (body === null && pool !== null) {
      // The fast path (a bodyless request over a pooled HTTP/1.1 connection, h1_client.ts),
      // awaited here rather than in a helper: one async frame less per request.
      const raw = new RawAttempt(upstream, lease);
      const timings = upstream.timings;
      try {
        const exchange = await pool.request(
          rawRequestHead(upstream, pool, outbound),
          outbound.method,
          timings.connectMs,
          timings.responseHeaderMs,
          timings.idleMs,
          raw.release,
        );
        last = raw.answered(deps, exchange, outbound, canRetry);
      } catch (error) {
        last = raw.failed(error);
      }
    } else {
      last = await attemptFetch(deps, upstream, lease, outbound, body, canRetry);
    }
    if (last.ok) return counted(deps, route, last.reply);
    if (last.kind !== "client") lease.target.lastError = last.reason;
  }
  if (last === null) {
    return counted(deps, route, await fail(body, outbound, noTarget(upstream.name)));
  }
  if (last.kind === "client") {
    return counted(deps, route, await fail(body, outbound, badRequestBody()));
  }
  deps.logger.warn("Upstream request failed", {
    request_id: outbound.requestId,
    upstream: upstream.name,
    reason: last.reason,
  });
  const error = last.kind === "timeout" ? upstreamTimeout(upstream.name) : upstreamFailed(
    upstream.name,
    last.kind === "connect" ? "could not connect" : "no valid answer",
  );
  return counted(deps, route, await fail(body, outbound, error));
}

function counted(deps: ForwardDeps, route: CompiledRoute, reply: ProxyReply): ProxyReply {
  deps.metrics.request(route.name, reply.status);
  return reply;
}

async function leaseTarget(
  upstream: Upstream,
  tried: Lease["target"][] | null,
  outbound: OutboundRequest,
): Promise<Lease | "busy" | null> {
  for (;;) {
    const lease = upstream.pick(tried, outbound.hashKey);
    if (lease !== "busy") return lease;
    if (!(await upstream.waitForSlot(outbound.signal))) return "busy";
  }
}

async function fail(
  body: RequestBody | null,
  outbound: OutboundRequest,
  error: Error,
): Promise<ProxyReply> {
  await body?.discard();
  return await problemReply(error, {
    requestId: outbound.requestId,
    instance: outbound.pathAndQuery,
  });
}

/** Any other request (a body, an https target or a base path) goes through fetch. */
async function attemptFetch(
  deps: ForwardDeps,
  upstream: Upstream,
  lease: Lease,
  outbound: OutboundRequest,
  body: RequestBody | null,
  canRetry: boolean,
): Promise<AttemptResult> {
  const headers = new Headers(outbound.rewritten.headers);
  if (!upstream.config.preserve_host) headers.delete("host");
  // Deno's fetch decodes gzip/br bodies but keeps Content-Encoding; ask for identity so the
  // bytes the client gets match the headers it gets.
  headers.set("accept-encoding", "identity");
  const abort = new AbortController();
  const onClientAbort = () => abort.abort(outbound.signal?.reason);
  outbound.signal?.addEventListener("abort", onClientAbort, { once: true });
  let timedOut = false;
  const timings = upstream.timings;
  const headerTimer = setTimeout(() => {
    timedOut = true;
    abort.abort(new DOMException("response header timeout", "TimeoutError"));
  }, timings.connectMs + timings.responseHeaderMs);
  const startedMs = performance.now();
  let response: Response;
  try {
    const init: RequestInit & { client: Deno.HttpClient; duplex: "half" } = {
      method: outbound.method,
      headers,
      body: body === null ? null : body.stream(),
      redirect: "manual",
      signal: abort.signal,
      client: deps.client,
      // Required by fetch for a streaming request body.
      duplex: "half",
    };
    response = await fetch(lease.target.base + outbound.pathAndQuery, init);
  } catch (error) {
    clearTimeout(headerTimer);
    outbound.signal?.removeEventListener("abort", onClientAbort);
    if (body !== null && body.clientFailed && !timedOut) {
      // The client's body broke off or was malformed: nothing the target did wrong.
      upstream.release(lease, null);
      return { ok: false, kind: "client", reason: String(error) };
    }
    upstream.release(lease, false);
    const kind = classifyFetchError(error, timedOut);
    return { ok: false, kind, reason: kind === "timeout" ? "timeout" : String(error) };
  }
  clearTimeout(headerTimer);
  deps.metrics.upstreamDuration(upstream.name, (performance.now() - startedMs) / 1000);
  const success = response.status < 500;
  if (!success && canRetry && (body === null || !body.touched) && hasAlternative(upstream, lease)) {
    // Another target may do better: drop this answer and let the caller retry.
    upstream.release(lease, false);
    outbound.signal?.removeEventListener("abort", onClientAbort);
    response.body?.cancel().catch(() => {});
    return {
      ok: false,
      kind: "other",
      status: response.status,
      reason: `status ${response.status}`,
    };
  }
  return {
    ok: true,
    reply: respond(response, upstream, lease, abort, success, outbound, onClientAbort),
  };
}

/** The head for the fast path: the client's Host when the upstream preserves it. */
function rawRequestHead(upstream: Upstream, pool: H1Pool, outbound: OutboundRequest): string {
  const rewritten = outbound.rewritten;
  const host = upstream.config.preserve_host && rewritten.host !== ""
    ? rewritten.host
    : pool.target.authority;
  return requestHead(outbound.method, outbound.pathAndQuery, rewritten.lines, host);
}

/** One fast-path attempt's bookkeeping: its timing and the lease, released exactly once. */
class RawAttempt {
  private readonly startedMs = performance.now();
  private success = true;
  private released = false;

  constructor(private readonly upstream: Upstream, private readonly lease: Lease) {}

  /** Called by the pool when a streamed body ends; at once otherwise. */
  release = (ok: boolean): void => {
    if (this.released) return;
    this.released = true;
    this.upstream.release(this.lease, this.success && ok);
  };

  answered(
    deps: ForwardDeps,
    exchange: H1Exchange,
    outbound: OutboundRequest,
    canRetry: boolean,
  ): AttemptResult {
    const upstream = this.upstream;
    deps.metrics.upstreamDuration(upstream.name, (performance.now() - this.startedMs) / 1000);
    const reply = exchange.reply;
    this.success = reply.status < 500;
    if (!this.success && canRetry && hasAlternative(upstream, this.lease)) {
      this.release(false);
      if (reply.body instanceof ReadableStream) reply.body.cancel().catch(() => {});
      return { ok: false, kind: "other", status: reply.status, reason: `status ${reply.status}` };
    }
    if (!exchange.streaming) this.release(true);
    reply.requestId = outbound.requestId;
    return { ok: true, reply };
  }

  failed(error: unknown): AttemptResult {
    this.success = false;
    this.release(false);
    const kind = error instanceof UpstreamError ? error.kind : "other";
    return { ok: false, kind, reason: kind === "timeout" ? "timeout" : String(error) };
  }
}

function hasAlternative(upstream: Upstream, lease: Lease): boolean {
  return upstream.targets.some((t) => t !== lease.target && t.breaker.canPass());
}

const RESPONSE_DROPPED = new Set([...HOP_BY_HOP, "content-length", "x-request-id"]);

/** A fetch Response as a reply: hop-by-hop headers out, the body relayed with idle timeout. */
function respond(
  response: Response,
  upstream: Upstream,
  lease: Lease,
  abort: AbortController,
  success: boolean,
  outbound: OutboundRequest,
  onClientAbort: () => void,
): ProxyReply {
  let released = false;
  const release = (ok: boolean) => {
    if (released) return;
    released = true;
    outbound.signal?.removeEventListener("abort", onClientAbort);
    upstream.release(lease, success && ok);
  };
  const listed = (response.headers.get("connection") ?? "").toLowerCase().split(",")
    .map((token) => token.trim());
  const headers: [string, string][] = [];
  for (const [name, value] of response.headers) {
    if (!RESPONSE_DROPPED.has(name) && !listed.includes(name)) headers.push([name, value]);
  }
  const length = response.headers.get("content-length");
  const reply: ProxyReply = {
    status: response.status,
    statusText: response.statusText,
    headers,
    contentLength: length === null || !/^\d+$/.test(length) ? null : Number(length),
    body: null,
    requestId: outbound.requestId,
  };
  if (response.body === null) {
    release(true);
    return reply;
  }
  reply.body = relayBody(response.body, upstream.timings.idleMs, abort, release);
  return reply;
}
