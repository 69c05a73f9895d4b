/**
 * What the proxy answers with, and how the raw HTTP/1.1 front end writes it: the status line
 * and headers serialised once, a buffered body in the same write, a streamed body with its
 * upstream length or chunked (each chunk flushed as it comes, for SSE), and a WebSocket
 * tunnel as plain byte piping once the upstream said 101.
 */
import { problemResponse } from "../errors/mod.ts";
import type { ProblemContext } from "../errors/problem.ts";
import { writeAll } from "./h1_request.ts";
import { latin1Into } from "./latin1.ts";
import { allocBytes } from "./slab.ts";

export interface ProxyReply {
  status: number;
  /** The reason phrase ("" picks the standard one). */
  statusText: string;
  /** Lower-case names; never hop-by-hop, Content-Length, Transfer-Encoding or X-Request-Id. */
  headers: [string, string][];
  /** The body length when known (kept for HEAD answers without a body); null otherwise. */
  contentLength: number | null;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Sent as X-Request-Id. */
  requestId?: string;
  /**
   * The status line and header lines exactly as the upstream sent them (each ending in CRLF,
   * hop-by-hop, framing and X-Request-Id lines already left out). When set it is written
   * instead of status/statusText/headers: the fast path copies bytes instead of building
   * strings.
   */
  rawHead?: Uint8Array;
}

/** An upgraded exchange: the upstream accepted (101) and the two sockets are piped. */
export interface Tunnel {
  kind: "tunnel";
  upstream: Deno.Conn;
  /** The upstream's 101 head as received, passed to the client unchanged. */
  head: Uint8Array;
  /** Upstream bytes that arrived after the head. */
  leftover: Uint8Array;
  /** Called once when the tunnel ends. */
  closed(): void;
}

export function isTunnel(reply: ProxyReply | Tunnel): reply is Tunnel {
  return (reply as Tunnel).kind === "tunnel";
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  414: "URI Too Long",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** A Response (problem details, mostly) as a reply; its small body is read whole. */
export async function replyFromResponse(response: Response): Promise<ProxyReply> {
  const headers: [string, string][] = [];
  let requestId: string | undefined;
  for (const [name, value] of response.headers) {
    if (name === "x-request-id") requestId = value;
    else if (name !== "content-length") headers.push([name, value]);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    statusText: response.statusText,
    headers,
    contentLength: body.length,
    body,
    requestId,
  };
}

export function problemReply(error: unknown, context: ProblemContext = {}): Promise<ProxyReply> {
  return replyFromResponse(problemResponse(error, context));
}

/** A connection's reusable output buffer: free again once the write using it completed. */
export interface Scratch {
  bytes: Uint8Array;
}

export interface WriteOptions {
  /** The request was HEAD: headers only. */
  head: boolean;
  /** Keep the connection open afterwards (client allows it and the request body was read). */
  keepAlive: boolean;
  http10: boolean;
  /** The connection's output buffer, used when the head and an inline body fit. */
  scratch?: Scratch;
}

/** A reply made ready to write: its head (and inline body) as bytes, and what follows them. */
export interface EncodedReply {
  /** The head, followed by the body when it is sent in the same write. */
  bytes: Uint8Array;
  /** The connection may carry another request afterwards (a streamed body: once sent whole). */
  keepAlive: boolean;
  /** A body to stream after `bytes` (null when none, or when it is not sent: HEAD, 204, 304). */
  stream: ReadableStream<Uint8Array> | null;
  chunked: boolean;
  /** The length announced for `stream`, checked against what it delivers. */
  contentLength: number | null;
}

/**
 * Writes `reply` to the client. Returns true when the connection can carry another request:
 * keep-alive was allowed and the whole answer went out with a length the client can frame.
 */
export async function writeReply(
  conn: Deno.Conn,
  reply: ProxyReply,
  options: WriteOptions,
): Promise<boolean> {
  const encoded = encodeReply(reply, options);
  try {
    await writeAll(conn, encoded.bytes);
  } catch {
    encoded.stream?.cancel().catch(() => {});
    return false;
  }
  return encoded.stream === null ? encoded.keepAlive : await writeReplyStream(conn, encoded);
}

/** The streamed rest of an encoded reply whose bytes were written; as writeReply's result. */
export async function writeReplyStream(conn: Deno.Conn, encoded: EncodedReply): Promise<boolean> {
  const sent = await writeStream(conn, encoded.stream!, encoded.chunked);
  if (sent < 0) return false;
  return encoded.keepAlive &&
    (encoded.contentLength === null || sent === encoded.contentLength);
}

/** The reply as bytes to write (no I/O: the front end awaits the socket write itself). */
export function encodeReply(reply: ProxyReply, options: WriteOptions): EncodedReply {
  const { status, body } = reply;
  let keepAlive = options.keepAlive;
  const raw = reply.rawHead;
  // The head is written as bytes piece by piece: the fast path (an upstream head copied as
  // bytes, a request id, a length) builds no string at all.
  let statusAndHeaders = "";
  if (raw === undefined) {
    statusAndHeaders = `HTTP/1.1 ${status} ${reply.statusText || REASONS[status] || ""}\r\n`;
    for (let i = 0; i < reply.headers.length; i++) {
      statusAndHeaders += `${reply.headers[i][0]}: ${reply.headers[i][1]}\r\n`;
    }
  }
  const requestId = reply.requestId;
  const bodiless = status < 200 || status === 204 || status === 304;
  let chunked = false;
  // The Content-Length to send, or -1 for none.
  let length = -1;
  if (bodiless) {
    // No framing headers at all.
  } else if (reply.contentLength !== null) {
    length = reply.contentLength;
  } else if (body === null || body instanceof Uint8Array) {
    length = body === null ? 0 : body.length;
  } else if (options.http10) {
    keepAlive = false; // the end of the body is the end of the connection
  } else {
    chunked = true;
  }
  const connection = !keepAlive ? CONNECTION_CLOSE : options.http10 ? CONNECTION_KEEP_ALIVE : "";
  const stream = body instanceof ReadableStream ? body : null;
  const inline = body instanceof Uint8Array && !options.head && !bodiless ? body : null;
  const total = (raw?.length ?? 0) + statusAndHeaders.length +
    (requestId === undefined ? 0 : REQUEST_ID_PREFIX.length + requestId.length + 2) +
    (length >= 0 ? CONTENT_LENGTH_PREFIX.length + decimalDigits(length) + 2 : 0) +
    (chunked ? CHUNKED.length : 0) + connection.length + 2 + (inline?.length ?? 0);
  const scratch = options.scratch?.bytes;
  const bytes = scratch !== undefined && total <= scratch.length
    ? scratch.subarray(0, total)
    : allocBytes(total);
  let o = 0;
  if (raw !== undefined) {
    bytes.set(raw);
    o = raw.length;
  } else {
    o = latin1Into(statusAndHeaders, bytes, 0);
  }
  if (requestId !== undefined) {
    o = putAscii(bytes, o, REQUEST_ID_PREFIX);
    o = putAscii(bytes, o, requestId);
    bytes[o++] = 13;
    bytes[o++] = 10;
  }
  if (length >= 0) {
    o = putAscii(bytes, o, CONTENT_LENGTH_PREFIX);
    o = putDecimal(bytes, o, length);
    bytes[o++] = 13;
    bytes[o++] = 10;
  }
  if (chunked) o = putAscii(bytes, o, CHUNKED);
  o = putAscii(bytes, o, connection);
  bytes[o++] = 13;
  bytes[o++] = 10;
  if (inline !== null) bytes.set(inline, o);
  let sentStream = stream;
  if (stream !== null && (options.head || bodiless)) {
    stream.cancel().catch(() => {});
    sentStream = null;
  }
  return {
    bytes,
    keepAlive,
    stream: sentStream,
    chunked,
    contentLength: reply.contentLength,
  };
}

const REQUEST_ID_PREFIX = "x-request-id: ";
const CONTENT_LENGTH_PREFIX = "content-length: ";
const CHUNKED = "transfer-encoding: chunked\r\n";
const CONNECTION_CLOSE = "connection: close\r\n";
const CONNECTION_KEEP_ALIVE = "connection: keep-alive\r\n";

/** Writes short ASCII text at `o`; returns the offset after it. */
function putAscii(bytes: Uint8Array, o: number, text: string): number {
  for (let i = 0; i < text.length; i++) bytes[o + i] = text.charCodeAt(i);
  return o + text.length;
}

function decimalDigits(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/** Writes a non-negative integer in decimal at `o`; returns the offset after it. */
function putDecimal(bytes: Uint8Array, o: number, n: number): number {
  const end = o + decimalDigits(n);
  for (let i = end - 1; i >= o; i--) {
    bytes[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

/** Streams a body; returns the body bytes sent, or -1 when the stream or the client failed. */
async function writeStream(
  conn: Deno.Conn,
  stream: ReadableStream<Uint8Array>,
  chunked: boolean,
): Promise<number> {
  const reader = stream.getReader();
  let sent = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length === 0) continue;
      sent += value.length;
      if (!chunked) {
        await writeAll(conn, value);
        continue;
      }
      const size = `${value.length.toString(16)}\r\n`;
      const framed = allocBytes(size.length + value.length + 2);
      latin1Into(size, framed, 0);
      framed.set(value, size.length);
      framed[framed.length - 2] = 13;
      framed[framed.length - 1] = 10;
      await writeAll(conn, framed);
    }
    if (chunked) await writeAll(conn, LAST_CHUNK);
    return sent;
  } catch {
    reader.cancel().catch(() => {});
    return -1;
  }
}
