/**
 * The inbound side of the raw HTTP/1.1 front end: a buffered connection reader, a bounded
 * request-head parser (RFC 9112) and request bodies (Content-Length or chunked) streamed from
 * the connection. Anything that could smuggle a second request or header past the proxy —
 * bare CR/LF in a line, obs-fold, Content-Length with Transfer-Encoding, conflicting lengths,
 * codings other than chunked — is refused with a 4xx before any byte goes upstream, and so is
 * anything the proxy and the upstream could route differently: an invalid Host, control bytes
 * or "#" in the target, dot segments hidden behind "%2f", "\" or ";" (other dot segments are
 * resolved before routing).
 */
import { ChunkedDecoder, ChunkedError, TCHAR } from "./h1_client.ts";
import type { HeaderSource } from "./headers.ts";
import { latin1Decoder } from "./latin1.ts";
import { allocBytes } from "./slab.ts";

/** A request head (request line + headers) larger than this is answered 431. */
export const REQUEST_HEAD_BYTES_MAX = 64 * 1024;
/** More header lines than this is answered 431. */
export const REQUEST_HEADERS_MAX = 256;
const READ_BUFFER_BYTES = 16 * 1024;
/** Body bytes read from the socket per chunk handed upstream. */
const BODY_CHUNK_BYTES_MAX = 64 * 1024;

export class HeadError extends Error {
  override name = "HeadError";
  constructor(readonly status: 400 | 414 | 417 | 431 | 501 | 505, message: string) {
    super(message);
  }
}

/** The client's headers in wire order with lower-case names; `get` joins repeats with ", ". */
export class HeaderList implements HeaderSource {
  constructor(readonly entries: [string, string][]) {}

  get(name: string): string | null {
    let out: string | null = null;
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i][0] === name) out = out === null ? entries[i][1] : `${out}, ${entries[i][1]}`;
    }
    return out;
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entries[Symbol.iterator]();
  }
}

export interface IncomingRequest {
  method: string;
  /** Origin-form path and query ("*" for a server-wide OPTIONS). */
  target: string;
  http10: boolean;
  headers: HeaderList;
  /** The Host header ("" only for HTTP/1.0 without one). */
  host: string;
  /** Body length; -1 with `chunked`; 0 for no body. */
  contentLength: number;
  chunked: boolean;
  /** The client allows the connection to stay open after this exchange. */
  keepAlive: boolean;
  expectContinue: boolean;
  /** `Upgrade: websocket` was asked for. */
  websocket: boolean;
}

/**
 * Reads from a connection into one reusable buffer. `start..end` holds bytes read but not yet
 * consumed (a pipelined next request stays there for the next head).
 */
export class ConnReader {
  buffer = new Uint8Array(READ_BUFFER_BYTES);
  start = 0;
  end = 0;
  /** Bytes after `start` already known not to end a head (not scanned again). */
  private scanned = 0;
  /**
   * Decodes heads from `buffer`. Kept per connection: with many connections taking turns,
   * latin1()'s last-buffer cache would make a new decoder for nearly every request.
   */
  private decoder = latin1Decoder(this.buffer);

  constructor(readonly conn: Deno.Conn) {}

  get available(): number {
    return this.end - this.start;
  }

  /** Reads more bytes; false at end of stream. */
  async fill(): Promise<boolean> {
    const n = await this.read();
    if (n === null) return false;
    this.received(n);
    return true;
  }

  /** Frees space after `end`: rewinds when empty, compacts, or doubles the buffer. */
  private makeRoom(): void {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end < this.buffer.length) return;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    } else {
      const bigger = new Uint8Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
      this.decoder = latin1Decoder(bigger);
    }
  }

  /**
   * Reads more bytes into the buffer: the caller awaits the socket read itself and passes its
   * result to received() (no async frame of the reader's own per request).
   */
  read(): Promise<number | null> {
    this.makeRoom();
    // The whole buffer when it is empty (the common case): no view to allocate.
    return this.conn.read(this.end === 0 ? this.buffer : this.buffer.subarray(this.end));
  }

  /** Accounts for `n` bytes that read() put into the buffer. */
  received(n: number): void {
    this.end += n;
  }

  /**
   * The next request head as text (without the blank line) when the buffer holds all of it,
   * else null (read more, then ask again). Throws HeadError 431 past the size bound.
   */
  nextHead(): string | null {
    // Leading empty lines before a request line are ignored (RFC 9112 §2.2).
    while (
      this.available >= 2 && this.buffer[this.start] === 13 && this.buffer[this.start + 1] === 10
    ) {
      this.start += 2;
      this.scanned = 0;
    }
    const end = findHeadEnd(this.buffer, this.start + Math.max(3, this.scanned - 3), this.end);
    if (end >= 0) {
      if (end - this.start > REQUEST_HEAD_BYTES_MAX) throw this.tooLarge();
      const text = this.decoder.latin1Slice(this.start, end - 4);
      this.start = end;
      this.scanned = 0;
      return text;
    }
    if (this.available > REQUEST_HEAD_BYTES_MAX) throw this.tooLarge();
    this.scanned = this.available;
    return null;
  }

  /** 414 when the request line alone passes the bound (RFC 9112 §3), else 431. */
  private tooLarge(): HeadError {
    const limit = Math.min(this.end, this.start + REQUEST_HEAD_BYTES_MAX);
    for (let i = this.start; i < limit; i++) {
      if (this.buffer[i] === 10) return new HeadError(431, "request head too large");
    }
    return new HeadError(414, "request line too long");
  }

  /** Up to `max` pending bytes, copied out and consumed. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.available);
    const out = allocBytes(n);
    out.set(this.buffer.subarray(this.start, this.start + n));
    this.start += n;
    return out;
  }
}

/** The index after "\r\n\r\n" ending at or after `from` (>= start + 3), or -1. */
function findHeadEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/** A non-empty token. A loop, not a regex: names are short, and this runs per header line. */
function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * A field value: the line's text after the colon without leading and trailing OWS (SP and
 * HTAB only, RFC 9110 §5.5: String.trim() would also take VT, FF and latin-1 NBSP, changing the
 * bytes passed on and letting "Content-Length: \x0b5" or "Transfer-Encoding: chunked\xa0"
 * through). NUL, CR and LF anywhere in it, edges included, are refused: checked before
 * trimming, so "X:\nContent-Length: 5" cannot hide a bare LF that an LF-tolerant hop in front
 * of the proxy reads as a line break.
 */
function fieldValue(text: string, from: number, to: number): string {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 13 || c === 10) throw new HeadError(400, "invalid header value");
  }
  let c = text.charCodeAt(from);
  while (from < to && (c === 32 || c === 9)) c = text.charCodeAt(++from);
  c = text.charCodeAt(to - 1);
  while (to > from && (c === 32 || c === 9)) c = text.charCodeAt(--to - 1);
  return text.slice(from, to);
}

/**
 * Parses a request head (as returned by ConnReader.nextHead). Throws HeadError. Lines are
 * walked with indexOf rather than split: no arrays of lines or words per request.
 */
export function parseRequestHead(text: string): IncomingRequest {
  let eol = text.indexOf("\r\n");
  if (eol < 0) eol = text.length;
  // The request line: exactly three words separated by single spaces.
  const sp1 = text.indexOf(" ");
  const sp2 = sp1 < 0 || sp1 >= eol ? -1 : text.indexOf(" ", sp1 + 1);
  if (sp2 < 0 || sp2 >= eol - 1) throw new HeadError(400, "malformed request line");
  const sp3 = text.indexOf(" ", sp2 + 1);
  if (sp3 >= 0 && sp3 < eol) throw new HeadError(400, "malformed request line");
  const method = text.slice(0, sp1);
  const target = text.slice(sp1 + 1, sp2);
  const version = text.slice(sp2 + 1, eol);
  if (!isToken(method)) throw new HeadError(400, "malformed request line");
  // A later 1.x is answered as 1.1, the highest minor version spoken (RFC 9110 §6.2).
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0" && !/^HTTP\/1\.\d$/.test(version)) {
    throw new HeadError(/^HTTP\/\d(\.\d)?$/.test(version) ? 505 : 400, "unsupported version");
  }
  const http10 = version === "HTTP/1.0";
  const entries: [string, string][] = [];
  let host: string | null = null;
  let contentLength = -1;
  let transferEncoding: string | null = null;
  let connection = "";
  let expect: string | null = null;
  let upgrade = "";
  let count = 0;
  for (let pos = eol + 2; pos < text.length + 2; pos = eol + 2) {
    eol = text.indexOf("\r\n", pos);
    if (eol < 0) eol = text.length;
    if (++count > REQUEST_HEADERS_MAX) throw new HeadError(431, "too many headers");
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon > eol) throw new HeadError(400, "malformed header line");
    const raw = text.slice(pos, colon);
    if (!isToken(raw)) throw new HeadError(400, "malformed header name");
    const value = fieldValue(text, colon + 1, eol);
    const name = raw.toLowerCase();
    switch (name) {
      case "host":
        if (host !== null) throw new HeadError(400, "more than one Host");
        host = value;
        break;
      case "content-length":
        contentLength = parseLength(value, contentLength);
        break;
      case "transfer-encoding":
        transferEncoding = transferEncoding === null ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection = connection === "" ? value : `${connection}, ${value}`;
        break;
      case "expect":
        expect = value;
        break;
      case "upgrade":
        upgrade = value;
        break;
    }
    entries.push([name, value]);
  }
  return finishHead(method, target, http10, entries, {
    host,
    contentLength,
    transferEncoding,
    connection,
    expect,
    upgrade,
  });
}

function parseLength(value: string, previous: number): number {
  // Repeated identical values ("5, 5" or two lines) are one length; anything else is refused.
  let length = previous;
  for (const part of value.split(",")) {
    // OWS (SP, HTAB) around each member, nothing else: String.trim() would take "\x0b5" as 5.
    const digits = /^[ \t]*(\d{1,15})[ \t]*$/.exec(part);
    if (digits === null) throw new HeadError(400, "invalid Content-Length");
    const n = Number(digits[1]);
    if (length >= 0 && length !== n) throw new HeadError(400, "conflicting Content-Length");
    length = n;
  }
  return length;
}

interface Framing {
  host: string | null;
  contentLength: number;
  transferEncoding: string | null;
  connection: string;
  expect: string | null;
  upgrade: string;
}

function finishHead(
  method: string,
  target: string,
  http10: boolean,
  entries: [string, string][],
  f: Framing,
): IncomingRequest {
  if (f.host === null && !http10) throw new HeadError(400, "missing Host");
  // A Host that is not uri-host [":" port] is refused (RFC 9112 §3.2): it is routed on and
  // passed on in X-Forwarded-Host and inside Forwarded's quoted host="...".
  if (f.host !== null && !isAuthority(f.host)) throw new HeadError(400, "invalid Host");
  // CONNECT asks for a tunnel to any host: not something a reverse proxy offers.
  if (method === "CONNECT") throw new HeadError(501, "CONNECT is not supported");
  let host = f.host ?? "";
  let pathAndQuery: string;
  if (target.charCodeAt(0) === 47 /* / */) {
    pathAndQuery = originForm(target);
  } else if (target === "*") {
    if (method !== "OPTIONS") throw new HeadError(400, "asterisk-form is for OPTIONS only");
    pathAndQuery = target;
  } else {
    // Absolute form (RFC 9112 §3.2.2): its authority replaces Host, for routing and upstream.
    const match = /^https?:\/\/([^/?#]*)(.*)$/i.exec(target);
    if (match === null || !isAuthority(match[1])) {
      throw new HeadError(400, "invalid request target");
    }
    host = match[1];
    const rest = match[2];
    pathAndQuery = rest === "" ? "/" : originForm(rest.charCodeAt(0) === 63 ? `/${rest}` : rest);
    let replaced = false;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i][0] === "host") {
        entries[i][1] = host;
        replaced = true;
      }
    }
    if (!replaced) entries.push(["host", host]);
  }
  let chunked = false;
  let contentLength = f.contentLength;
  if (f.transferEncoding !== null) {
    if (contentLength >= 0) throw new HeadError(400, "Content-Length with Transfer-Encoding");
    if (http10) throw new HeadError(400, "Transfer-Encoding in HTTP/1.0");
    // Values were trimmed of OWS only: "chunked" in any case, nothing else.
    if (f.transferEncoding.toLowerCase() !== "chunked") {
      throw new HeadError(501, "unsupported Transfer-Encoding");
    }
    chunked = true;
  } else if (contentLength < 0) {
    contentLength = 0;
  }
  const tokens = f.connection.toLowerCase();
  const keepAlive = tokens === ""
    ? !http10
    : http10
    ? /\bkeep-alive\b/.test(tokens)
    : !/\bclose\b/.test(tokens);
  let expectContinue = false;
  if (f.expect !== null) {
    if (f.expect.toLowerCase() !== "100-continue") {
      throw new HeadError(417, "unsupported expectation");
    }
    expectContinue = !http10;
  }
  return {
    method,
    target: pathAndQuery,
    http10,
    headers: new HeaderList(entries),
    host,
    contentLength: chunked ? -1 : contentLength,
    chunked,
    keepAlive,
    expectContinue,
    // A WebSocket handshake only (RFC 6455 §4.1, RFC 9110 §7.8): an HTTP/1.1 GET without a
    // body whose Connection names "upgrade". Anything else with an Upgrade header is an
    // ordinary request (Upgrade is hop-by-hop and dropped), never a tunnel: a POST's body must
    // not become raw bytes on an upstream connection that was sent a bodyless GET.
    websocket: f.upgrade !== "" && !http10 && method === "GET" && !chunked &&
      contentLength === 0 && f.upgrade.toLowerCase() === "websocket" &&
      /(?:^|,)[ \t]*upgrade[ \t]*(?:,|$)/.test(tokens),
  };
}

/** Characters of a reg-name (RFC 3986: unreserved, pct-encoded, sub-delims) by char code. */
const REG_NAME = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=") {
  REG_NAME[c.charCodeAt(0)] = 1;
}

/**
 * uri-host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2): a non-empty reg-name or IPv4 address,
 * or an IP literal in brackets, then optionally ":" and digits. No userinfo, no spaces, quotes,
 * slashes or backslashes.
 */
export function isAuthority(text: string): boolean {
  let i = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf("]");
    if (close < 3) return false;
    for (i = 1; i < close; i++) {
      const c = text.charCodeAt(i);
      // IPv6 (hex digits, ":" and a dotted IPv4 tail) or IPvFuture ("v" hex "." ...).
      if (!(c === 58 || c === 46 || (c < 128 && REG_NAME[c] === 1))) return false;
    }
    i = close + 1;
  } else {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c >= 128 || REG_NAME[c] === 0) break;
      i++;
    }
    if (i === 0) return false;
  }
  if (i === text.length) return true;
  if (text.charCodeAt(i) !== 58 /* : */) return false;
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Validates an origin-form target and returns it as it is routed and sent upstream. Refused:
 * control bytes, space, DEL and "#" (no fragment in a request target). When the path may hold
 * a dot segment or a percent-encoding ("/." "%" "\"; most paths have neither, and are returned
 * as they are), it is normalised (normalizePath); the query is never touched.
 */
function originForm(target: string): string {
  let query = -1;
  let suspect = false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 35 /* # */) {
      throw new HeadError(400, "invalid request target");
    }
    if (query >= 0) continue;
    if (c === 63 /* ? */) query = i;
    else if (c === 37 /* % */ || c === 92 /* \ */) suspect = true;
    else if (c === 46 /* . */ && target.charCodeAt(i - 1) === 47) suspect = true;
  }
  if (!suspect) return target;
  const path = normalizePath(query < 0 ? target : target.slice(0, query));
  return query < 0 ? path : path + target.slice(query);
}

/** Unreserved characters (RFC 3986 §2.3) by char code: their percent-encodings are decoded. */
const UNRESERVED = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * RFC 3986 §6.2.2 normalisation of a path, so that the route chosen here is the resource the
 * upstream serves: percent-encoded unreserved characters are decoded ("%2e" is ".", "%61" is
 * "a") and dot segments removed (§5.2.4: "/api/../admin" is "/admin", "/.." stays at "/").
 * Upstreams resolve these themselves (Deno.serve's URL does, so does Go's mux), and the proxy
 * used to route "/api/../admin" or "/api/%2e%2e/admin" on its "/api" prefix: a route could be
 * left for any path of its upstream. The normalised path is what goes upstream. Refused (400):
 * a malformed percent-encoding, and a dot segment hidden behind a separator that some
 * upstreams split on and others do not — "..%2f", "..%5c", "..\" (WHATWG URLs treat "\" as
 * "/") or "..;" (path parameters, Tomcat) — where no single reading is safe.
 */
export function normalizePath(path: string): string {
  let decoded = "";
  let from = 0;
  for (let i = path.indexOf("%"); i >= 0; i = path.indexOf("%", i + 1)) {
    const high = hexValue(path.charCodeAt(i + 1));
    const low = hexValue(path.charCodeAt(i + 2));
    if (high < 0 || low < 0) throw new HeadError(400, "invalid percent-encoding in the path");
    const byte = high * 16 + low;
    if (byte < 128 && UNRESERVED[byte] === 1) {
      decoded += path.slice(from, i) + String.fromCharCode(byte);
      from = i + 3;
    }
    i += 2;
  }
  if (from > 0) path = decoded + path.slice(from);
  const segments = path.split("/");
  const out: string[] = [];
  for (let s = 1; s < segments.length; s++) {
    const segment = segments[s];
    const last = s === segments.length - 1;
    if (segment === "." || segment === "..") {
      if (segment === "..") out.pop();
      if (last) out.push("");
      continue;
    }
    if (segment.includes(".") && hidesDotSegment(segment)) {
      throw new HeadError(400, "ambiguous dot segment in the path");
    }
    out.push(segment);
  }
  return "/" + out.join("/");
}

/** A "." or ".." between "\", "%2f", "%5c" or before ";" inside one segment. */
function hidesDotSegment(segment: string): boolean {
  const parts = segment.replace(/%2f|%5c|\\/gi, "/").split("/");
  for (let p = 0; p < parts.length; p++) {
    const semicolon = parts[p].indexOf(";");
    const name = semicolon < 0 ? parts[p] : parts[p].slice(0, semicolon);
    if (name === "." || name === "..") return true;
  }
  return false;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * The request body as a stream pulled from the connection (fixed length or chunked).
 * `finished` turns true once the whole body was read, so the connection can serve the next
 * request; a body left unread means the connection closes after the response.
 */
export class InboundBody {
  finished = false;
  /** The client's chunked framing was malformed: the exchange is answered 400. */
  malformed = false;
  private remaining: number;
  private readonly decoder: ChunkedDecoder | null;
  private continueSent = false;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(private readonly reader: ConnReader, private readonly req: IncomingRequest) {
    this.remaining = req.contentLength;
    this.decoder = req.chunked ? new ChunkedDecoder() : null;
    this.stream = new ReadableStream<Uint8Array>({
      pull: (controller) => this.pull(controller),
    }, { highWaterMark: 0 });
  }

  private async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      if (this.req.expectContinue && !this.continueSent) {
        this.continueSent = true;
        await writeAll(this.reader.conn, CONTINUE);
      }
      for (;;) {
        if (this.reader.available === 0 && !(await this.reader.fill())) {
          throw new Error("client closed the connection inside the request body");
        }
        if (this.decoder === null) {
          const chunk = this.reader.take(Math.min(this.remaining, BODY_CHUNK_BYTES_MAX));
          this.remaining -= chunk.length;
          controller.enqueue(chunk);
          if (this.remaining === 0) this.end(controller);
          return;
        }
        const r = this.reader;
        const input = r.buffer.subarray(r.start, Math.min(r.end, r.start + BODY_CHUNK_BYTES_MAX));
        const out = this.decoder.push(input);
        r.start += this.decoder.done ? input.length - this.decoder.leftover : input.length;
        if (out.length > 0) controller.enqueue(out);
        if (this.decoder.done) {
          this.end(controller);
          return;
        }
        if (out.length > 0) return;
      }
    } catch (error) {
      if (error instanceof ChunkedError) this.malformed = true;
      controller.error(error);
    }
  }

  private end(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.finished = true;
    controller.close();
  }
}

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
