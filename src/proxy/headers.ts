/**
 * Header rewriting for both directions. Order matters (Go issue 50580): hop-by-hop headers,
 * including every name the client listed in Connection, are removed FIRST; only then does the
 * proxy add X-Forwarded-For/-Proto/-Host and Forwarded, so a client cannot make the proxy strip
 * its own forwarding headers. Inbound forwarding headers survive only from trusted proxies.
 */
import type { CidrSet } from "./cidr.ts";
import { latin1 } from "./latin1.ts";

/** RFC 9110 §7.6.1 plus the legacy ones proxies still see. */
export const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
];

/** Removes hop-by-hop headers and the names listed in Connection. Mutates `headers`. */
export function stripHopByHop(headers: Headers): void {
  const connection = headers.get("connection");
  if (connection !== null) {
    for (const token of connection.split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "") headers.delete(name);
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
}

/** What the rewrite reads: a Headers object or the raw front end's header list. */
export interface HeaderSource {
  /** The value, repeats joined with ", "; null when absent. Names are lower case. */
  get(name: string): string | null;
  [Symbol.iterator](): Iterator<[string, string]>;
}

export interface ForwardingContext {
  /** The TCP peer address. */
  peer: string;
  /** "http" or "https" as seen by this proxy. */
  proto: string;
  /** The Host the client sent (with port). */
  host: string;
  trusted: CidrSet;
}

/** The client address as far as trust allows: the peer, or the first untrusted hop in XFF. */
export function clientAddress(headers: HeaderSource, ctx: ForwardingContext): string {
  if (!ctx.trusted.contains(ctx.peer)) return ctx.peer;
  const xff = headers.get("x-forwarded-for");
  if (xff === null) return ctx.peer;
  const hops = xff.split(",").map((h) => h.trim()).filter((h) => h !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!ctx.trusted.contains(hops[i])) return hops[i];
  }
  return hops[0] ?? ctx.peer;
}

function forwardedNode(address: string): string {
  return address.includes(":") ? `"[${address}]"` : address;
}

const HOP_SET = new Set(HOP_BY_HOP);
/** Headers this proxy sets itself, by their dashed names. */
const PROXY_SET = new Set([
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-request-id",
]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The request headers to send upstream, as the rewrite made them. */
export class RewrittenRequest {
  private pairs: [string, string][] | null = null;

  constructor(
    /**
     * The header lines, each "name: value\r\n" with a lower-case name, in order; without Host
     * (each forwarder writes the Host it chose) and Content-Length (the forwarder frames the body).
     */
    readonly lines: string,
    readonly requestId: string,
    /** The client's Host header ("" when absent). */
    readonly host: string,
    /** The client's Content-Length value, if it sent one. */
    readonly contentLength: string | null,
  ) {}

  /**
   * The same headers as [name, value] pairs, Host and Content-Length included; made on first
   * use (fetch and tests need them, the raw forwarding path sends `lines` as they are).
   */
  get headers(): [string, string][] {
    if (this.pairs !== null) return this.pairs;
    const pairs: [string, string][] = [];
    if (this.host !== "") pairs.push(["host", this.host]);
    if (this.contentLength !== null) pairs.push(["content-length", this.contentLength]);
    // Names are tokens (no ":") and values hold no CR or LF (h1_request.ts), so this is exact.
    for (let from = 0; from < this.lines.length;) {
      const eol = this.lines.indexOf("\r\n", from);
      const colon = this.lines.indexOf(": ", from);
      pairs.push([this.lines.slice(from, colon), this.lines.slice(colon + 2, eol)]);
      from = eol + 2;
    }
    return this.pairs = pairs;
  }
}

/**
 * The whole request-header rewrite in one pass over the client's headers (the proxy's hot
 * path: the result is the header block as text, no pairs or Headers object). Names must be
 * lower case:
 * 1. hop-by-hop headers and every name listed in Connection are dropped;
 * 2. inbound Forwarded/X-Forwarded-* are kept only from a trusted peer;
 * 3. only then are the proxy's X-Forwarded-For/-Proto/-Host and Forwarded added, so a client
 *    cannot make the proxy strip its own forwarding headers (Go issue 50580);
 * 4. a well-formed X-Request-Id and traceparent are kept, otherwise generated; `traceparent`
 *    (the proxy's own span, when tracing) replaces the client's.
 */
export function rewriteRequestHeaders(
  source: HeaderSource,
  ctx: ForwardingContext,
  traceparentOverride: string | null = null,
): RewrittenRequest {
  const connection = source.get("connection");
  const listed = connection === null ? null : new Set(
    connection.split(",").map((token) => token.trim().toLowerCase()).filter((t) => t !== ""),
  );
  const trusted = ctx.trusted.size > 0 && ctx.trusted.contains(ctx.peer);
  let lines = "";
  let xff: string | null = null;
  let proto: string | null = null;
  let xfh: string | null = null;
  let forwarded: string | null = null;
  let requestId: string | null = null;
  let traceparent: string | null = null;
  let tracestate: string | null = null;
  let contentLength: string | null = null;
  let host = "";
  // A plain array is walked by index: destructuring allocates an iterator per pair.
  const entries = (source as { entries?: unknown }).entries;
  const pairs = Array.isArray(entries) ? entries as [string, string][] : [...source];
  for (let i = 0; i < pairs.length; i++) {
    const name = pairs[i][0];
    const value = pairs[i][1];
    // Host is never a connection option (RFC 9110 §7.6.1): listing it must not make the
    // upstream see another Host than the one the route was chosen on.
    if (HOP_SET.has(name) || (listed !== null && listed.has(name) && name !== "host")) continue;
    switch (name) {
      case "host":
        host = value;
        break;
      case "content-length":
        contentLength = value;
        break;
      case "x-forwarded-for":
        // Repeated lines are one list (a Headers source has joined them already).
        if (trusted) xff = xff === null ? value : `${xff}, ${value}`;
        break;
      case "x-forwarded-proto":
        if (trusted) proto = value;
        break;
      case "x-forwarded-host":
        if (trusted) xfh = value;
        break;
      case "forwarded":
        if (trusted) forwarded = forwarded === null ? value : `${forwarded}, ${value}`;
        break;
      case "x-request-id":
        if (REQUEST_ID.test(value)) requestId = value;
        break;
      case "traceparent":
        if (TRACEPARENT.test(value)) traceparent = value;
        break;
      case "tracestate":
        tracestate = value;
        break;
      default:
        // "X_Forwarded_For" and the like are dropped: CGI-style upstreams (WSGI, PHP, Rack)
        // map "_" and "-" to the same variable, so the client's copy could stand in for the
        // one this proxy sets (nginx drops every underscore name by default).
        if (name.indexOf("_") >= 0 && PROXY_SET.has(name.replaceAll("_", "-"))) break;
        // += rather than an array join: V8 builds a rope and flattens it once, when encoded.
        lines += name + ": " + value + "\r\n";
    }
  }
  const element = `for=${forwardedNode(ctx.peer)};host="${host}";proto=${ctx.proto}`;
  requestId ??= randomRequestId();
  lines += "x-forwarded-for: " + (xff === null ? ctx.peer : `${xff}, ${ctx.peer}`) +
    "\r\nx-forwarded-proto: " + (proto ?? ctx.proto) +
    "\r\nx-forwarded-host: " + (xfh ?? host) +
    "\r\nforwarded: " + (forwarded === null ? element : `${forwarded}, ${element}`) +
    "\r\nx-request-id: " + requestId + "\r\n";
  if (traceparent === null) {
    lines += "traceparent: " +
      (traceparentOverride ?? randomTraceparent()) + "\r\n";
  } else {
    lines += "traceparent: " + (traceparentOverride ?? traceparent) + "\r\n";
    if (tracestate !== null) lines += "tracestate: " + tracestate + "\r\n";
  }
  return new RewrittenRequest(lines, requestId, host, contentLength);
}

/**
 * Request ids (UUID v4) and trace contexts are made in batches: one getRandomValues call and one
 * string per batch, written as bytes, each id a slice of it (a small object, no copying and no
 * per-id formatting). They need uniqueness, not secrecy.
 */
const ID_BATCH = 128;
const HEX_DIGIT = new TextEncoder().encode("0123456789abcdef");
const UUID_CHARS = 36;
/** "00-" + 32 hex trace id + "-" + 16 hex parent id + "-01" (sampled). */
const TRACEPARENT_CHARS = 55;

let uuids = "";
let nextUuid = ID_BATCH;
let traceparents = "";
let nextTraceparent = ID_BATCH;

/** `count` random bytes as hex into `out` at `o`; returns the offset after them. */
function putHex(out: Uint8Array, o: number, random: Uint8Array, from: number, count: number) {
  for (let b = from; b < from + count; b++) {
    out[o++] = HEX_DIGIT[random[b] >> 4];
    out[o++] = HEX_DIGIT[random[b] & 15];
  }
  return o;
}

function makeUuids(): void {
  const random = crypto.getRandomValues(new Uint8Array(16 * ID_BATCH));
  const out = new Uint8Array(UUID_CHARS * ID_BATCH);
  for (let i = 0; i < ID_BATCH; i++) {
    const r = i * 16;
    random[r + 6] = (random[r + 6] & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8] & 0x3f) | 0x80; // variant 10xx
    let o = putHex(out, i * UUID_CHARS, random, r, 4);
    out[o++] = 45; // "-"
    o = putHex(out, o, random, r + 4, 2);
    out[o++] = 45;
    o = putHex(out, o, random, r + 6, 2);
    out[o++] = 45;
    o = putHex(out, o, random, r + 8, 2);
    out[o++] = 45;
    putHex(out, o, random, r + 10, 6);
  }
  uuids = latin1(out, 0, out.length);
  nextUuid = 0;
}

function makeTraceparents(): void {
  const random = crypto.getRandomValues(new Uint8Array(24 * ID_BATCH));
  const out = new Uint8Array(TRACEPARENT_CHARS * ID_BATCH);
  const DASH = 45;
  const ZERO = 48;
  const ONE = 49;
  for (let i = 0; i < ID_BATCH; i++) {
    let o = i * TRACEPARENT_CHARS;
    out[o++] = ZERO;
    out[o++] = ZERO;
    out[o++] = DASH;
    o = putHex(out, o, random, i * 24, 16);
    out[o++] = DASH;
    o = putHex(out, o, random, i * 24 + 16, 8);
    out[o++] = DASH;
    out[o++] = ZERO;
    out[o++] = ONE;
  }
  traceparents = latin1(out, 0, out.length);
  nextTraceparent = 0;
}

/** A random UUID v4. */
export function randomRequestId(): string {
  if (nextUuid === ID_BATCH) makeUuids();
  const start = nextUuid++ * UUID_CHARS;
  return uuids.slice(start, start + UUID_CHARS);
}

/** A new sampled W3C trace context (random trace and parent ids). */
export function randomTraceparent(): string {
  if (nextTraceparent === ID_BATCH) makeTraceparents();
  const start = nextTraceparent++ * TRACEPARENT_CHARS;
  return traceparents.slice(start, start + TRACEPARENT_CHARS);
}
