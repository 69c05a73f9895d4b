/**
 * Header rewriting for both directions. Order matters (Go issue 50580): hop-by-hop headers,
 * including every name the client listed in Connection, are removed FIRST; only then does the
 * proxy add X-Forwarded-For/-Proto/-Host and Forwarded, so a client cannot make the proxy strip
 * its own forwarding headers. Inbound forwarding headers survive only from trusted proxies.
 */
import type { CidrSet } from "./cidr.ts";

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

const FORWARDING = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"];

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
export function clientAddress(headers: Headers, ctx: ForwardingContext): string {
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

/**
 * Adds forwarding headers after hop-by-hop removal. From an untrusted peer every inbound
 * forwarding header is dropped and rebuilt; from a trusted one the chain is extended.
 */
export function addForwarding(headers: Headers, ctx: ForwardingContext): void {
  const trusted = ctx.trusted.size > 0 && ctx.trusted.contains(ctx.peer);
  if (!trusted) {
    for (const name of FORWARDING) headers.delete(name);
  }
  const priorXff = headers.get("x-forwarded-for");
  headers.set("x-forwarded-for", priorXff ? `${priorXff}, ${ctx.peer}` : ctx.peer);
  if (!headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", ctx.proto);
  if (!headers.has("x-forwarded-host")) headers.set("x-forwarded-host", ctx.host);
  const element = `for=${forwardedNode(ctx.peer)};host="${ctx.host}";proto=${ctx.proto}`;
  const priorForwarded = headers.get("forwarded");
  headers.set("forwarded", priorForwarded ? `${priorForwarded}, ${element}` : element);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buffer) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

/** Keeps a well-formed X-Request-Id and traceparent or generates them. Returns the request id. */
export function ensureCorrelation(headers: Headers): string {
  let requestId = headers.get("x-request-id");
  if (requestId === null || !REQUEST_ID.test(requestId)) {
    requestId = crypto.randomUUID();
    headers.set("x-request-id", requestId);
  }
  const traceparent = headers.get("traceparent");
  if (traceparent === null || !TRACEPARENT.test(traceparent)) {
    headers.set("traceparent", `00-${randomHex(16)}-${randomHex(8)}-01`);
    headers.delete("tracestate");
  }
  return requestId;
}
