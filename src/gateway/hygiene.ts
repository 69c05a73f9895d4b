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
  return async function setSecurityHeaders(c, next) {
    await next();
    const isPage = options.htmlPrefixes.some((prefix) => c.req.path.startsWith(prefix));
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
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError(`Request body exceeds ${maxBytes} bytes`);
    },
  });
}

/**
 * Fails the request with 504 when the handler takes longer than `timeoutMs`. One shared ticker
 * (a tenth of the timeout, at least 10 ms) checks the deadlines of requests in flight, so a
 * request costs a Set insert and delete rather than a timer of its own.
 */
export function requestTimeout(timeoutMs: number): MiddlewareHandler {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`Invalid request timeout ${timeoutMs}`);
  }
  const tickMs = Math.max(10, Math.floor(timeoutMs / 10));
  const inflight = new Set<{ deadlineMs: number; expire: () => void }>();
  let ticker: ReturnType<typeof setInterval> | undefined;
  const tick = () => {
    const nowMs = performance.now();
    for (const entry of inflight) if (entry.deadlineMs <= nowMs) entry.expire();
  };
  return async function limitRequestTime(_c, next) {
    let entry!: { deadlineMs: number; expire: () => void };
    const expired = new Promise<never>((_, reject) => {
      entry = {
        deadlineMs: performance.now() + timeoutMs,
        expire: () => {
          inflight.delete(entry);
          reject(new GatewayTimeoutError(`Request took longer than ${timeoutMs} ms`));
        },
      };
    });
    inflight.add(entry);
    ticker ??= setInterval(tick, tickMs);
    try {
      await Promise.race([next(), expired]);
    } finally {
      inflight.delete(entry);
      if (inflight.size === 0 && ticker !== undefined) {
        clearInterval(ticker); // nothing left to watch: no timer outlives the last request
        ticker = undefined;
      }
    }
  };
}
