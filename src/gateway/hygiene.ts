/**
 * HTTP hygiene for every gateway response: security headers, CORS from config, a request body
 * limit (413 problem) and a per-request timeout (504 problem). Each is an options factory that
 * validates at boot and returns a named middleware, as Hono's own middleware does.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { cors as honoCors } from "hono/cors";
import { GatewayTimeoutError, PayloadTooLargeError } from "../errors/app_error.ts";
import { setResponseHeaders } from "../ratelimit/mod.ts";

export interface SecurityHeaderOptions {
  /** Sends Strict-Transport-Security (only meaningful over TLS). */
  hsts: boolean;
  /** Path prefixes that serve HTML (Swagger UI) and so get a page CSP instead of `none`. */
  htmlPrefixes: readonly string[];
}

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
// Swagger UI's page runs one inline bootstrap script and loads its bundle from our origin.
const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

export function securityHeaders(options: SecurityHeaderOptions): MiddlewareHandler {
  // CSP frame-ancestors replaces X-Frame-Options and CORP matters only for pages loading us:
  // API responses carry the three headers that matter, pages (Swagger UI) the full set.
  const hsts: Record<string, string> = options.hsts
    ? { "strict-transport-security": "max-age=31536000; includeSubDomains" }
    : {};
  const api: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": API_CSP,
    ...hsts,
  };
  const page: Record<string, string> = {
    ...api,
    "content-security-policy": PAGE_CSP,
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
  };
  const prefixes = [...options.htmlPrefixes];
  return async function setSecurityHeaders(c, next) {
    await next();
    const path = c.req.path;
    let isPage = false;
    for (let i = 0; i < prefixes.length && !isPage; i++) isPage = path.startsWith(prefixes[i]);
    setResponseHeaders(c, isPage ? page : api);
  };
}

/** Response headers a browser client may read (CORS exposes none by default). */
export const EXPOSED_HEADERS = [
  "ETag",
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "X-Request-Id",
  "Location",
];

/** CORS for the configured origins; `["*"]` allows any origin (without credentials). */
export function cors(origins: readonly string[]): MiddlewareHandler {
  for (const origin of origins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`Invalid CORS origin "${origin}": expected scheme://host[:port] or *`);
    }
  }
  return honoCors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "If-Match",
      "If-None-Match",
      "X-Request-Id",
      "Idempotency-Key",
    ],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}

export function bodyLimit(maxBytes: number): MiddlewareHandler {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new Error(`Invalid body limit ${maxBytes}`);
  }
  const tooLarge = () => {
    throw new PayloadTooLargeError(`Request body exceeds ${maxBytes} bytes`);
  };
  const limitStreamed = honoBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  // Hono's bodyLimit, with its common case first: a declared Content-Length (no chunking) is the
  // body's size, so that case needs no look at `raw.body`. Reading that getter on a Deno.serve
  // request turns the body into a ReadableStream, which json() then reads chunk by chunk instead
  // of in one piece: ~5% of a POST /api/v1/jobs in a CPU profile. Same answers as Hono's.
  return function limitBody(c, next) {
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    if (length === null || headers.has("transfer-encoding")) return limitStreamed(c, next);
    return parseInt(length, 10) > maxBytes && c.req.raw.body !== null ? tooLarge() : next();
  };
}

/**
 * Fails the request with 504 when the handler takes longer than `timeoutMs`. One shared ticker
 * (a tenth of the timeout, at least 10 ms) checks the requests in flight, so a request costs a
 * list link and unlink rather than a timer of its own. Requests are linked in arrival order, which
 * is deadline order (one timeout for all), so a tick looks only at the expired head of the list.
 * The ticker is unref'd (it never keeps a process alive) and stops at the first tick that finds
 * nothing in flight — not when the last request ends, which on a server would start and stop it
 * per request.
 */
export function requestTimeout(timeoutMs: number): MiddlewareHandler {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`Invalid request timeout ${timeoutMs}`);
  }
  const tickMs = Math.max(10, Math.floor(timeoutMs / 10));
  const inflight = new FlightList();
  let ticker: ReturnType<typeof setInterval> | undefined;
  const tick = () => {
    if (inflight.head === null) {
      clearInterval(ticker);
      ticker = undefined;
      return;
    }
    const nowMs = performance.now();
    for (
      let flight: Flight | null = inflight.head;
      flight !== null && flight.deadlineMs <= nowMs;
    ) {
      const expired = flight;
      flight = flight.next;
      inflight.unlink(expired);
      expired.reject(new GatewayTimeoutError(`Request took longer than ${timeoutMs} ms`));
    }
  };
  return function limitRequestTime(_c, next) {
    if (ticker === undefined) {
      const started = setInterval(tick, tickMs);
      Deno.unrefTimer(started);
      ticker = started;
    }
    // One promise per request: it settles with the handler, or is rejected by the ticker.
    return new Promise<void>((resolve, reject) => {
      const flight = inflight.append(performance.now() + timeoutMs, reject);
      next().then(
        () => {
          inflight.unlink(flight);
          resolve();
        },
        (error) => {
          inflight.unlink(flight);
          reject(error);
        },
      );
    });
  };
}

interface Flight {
  deadlineMs: number;
  reject(error: Error): void;
  prev: Flight | null;
  next: Flight | null;
  linked: boolean;
}

/** The requests in flight, oldest first (a doubly linked list: O(1) append and unlink). */
class FlightList {
  head: Flight | null = null;
  private tail: Flight | null = null;

  append(deadlineMs: number, reject: (error: Error) => void): Flight {
    const flight: Flight = { deadlineMs, reject, prev: this.tail, next: null, linked: true };
    if (this.tail === null) this.head = flight;
    else this.tail.next = flight;
    this.tail = flight;
    return flight;
  }

  unlink(flight: Flight): void {
    if (!flight.linked) return;
    flight.linked = false;
    if (flight.prev === null) this.head = flight.next;
    else flight.prev.next = flight.next;
    if (flight.next === null) this.tail = flight.prev;
    else flight.next.prev = flight.prev;
    flight.prev = null;
    flight.next = null;
  }
}
