/**
 * The built-in `http` task: webhook delivery. Payload `{method?, url, headers?, body?, timeout_ms?}`.
 * 2xx succeeds; 408, 429, 5xx, network errors and timeouts are retried (Retry-After honoured);
 * any other status fails without retry. Only http(s) URLs are allowed.
 */
import { type JobContext, JobFailure } from "./registry.ts";

export interface WebhookPayload {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeout_ms?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const TIMEOUT_MS_MAX = 300_000;
const RESPONSE_SNIPPET_BYTES = 512;

function checkPayload(payload: unknown): WebhookPayload {
  const p = payload as WebhookPayload | null;
  if (!p || typeof p !== "object" || typeof p.url !== "string") {
    throw new JobFailure("http task: payload needs a url", { retry: false });
  }
  let url: URL;
  try {
    url = new URL(p.url);
  } catch (_error) {
    throw new JobFailure(`http task: invalid url "${p.url.slice(0, 200)}"`, { retry: false });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new JobFailure(`http task: only http and https urls, not ${url.protocol}`, {
      retry: false,
    });
  }
  return p;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - Date.now(), 3_600_000));
}

export async function httpHandler(job: JobContext): Promise<unknown> {
  const p = checkPayload(job.payload);
  const timeoutMs = Math.min(Math.max(p.timeout_ms ?? DEFAULT_TIMEOUT_MS, 1), TIMEOUT_MS_MAX);
  const body = p.body === undefined
    ? undefined
    : typeof p.body === "string"
    ? p.body
    : JSON.stringify(p.body);
  const headers = new Headers(p.headers ?? {});
  if (body !== undefined && typeof p.body !== "string" && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  headers.set("x-helios-job-id", job.id);
  headers.set("x-helios-attempt", String(job.attempt));
  let response: Response;
  try {
    response = await fetch(p.url, {
      method: (p.method ?? "POST").toUpperCase(),
      headers,
      body,
      signal: AbortSignal.any([job.signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (error) {
    if (job.signal.aborted) throw error;
    const timedOut = (error as Error).name === "TimeoutError";
    throw new JobFailure(
      timedOut
        ? `Webhook timed out after ${timeoutMs} ms`
        : `Webhook request failed: ${(error as Error).message}`,
    );
  }
  const text = (await response.text()).slice(0, RESPONSE_SNIPPET_BYTES);
  const status = response.status;
  if (status >= 200 && status < 300) return { status };
  const message = `Webhook answered ${status}: ${text}`;
  if (status === 408 || status === 429 || status >= 500) {
    throw new JobFailure(message, { retryInMs: retryAfterMs(response.headers.get("retry-after")) });
  }
  throw new JobFailure(message, { retry: false });
}
