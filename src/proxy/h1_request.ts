/**
 * The inbound side of the raw HTTP/1.1 front end: a buffered connection reader, a bounded
 * request-head parser (RFC 9112) and request bodies (Content-Length or chunked) streamed from
 * the connection. Anything that could smuggle a second request or header past the proxy —
 * bare CR/LF in a line, obs-fold, Content-Length with Transfer-Encoding, conflicting lengths,
 * codings other than chunked — is refused with a 4xx before any byte goes upstream.
 */
import { ChunkedDecoder } from "./h1_client.ts";
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
  constructor(readonly status: 400 | 417 | 431 | 501 | 505, message: string) {
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
      if (end - this.start > REQUEST_HEAD_BYTES_MAX) {
        throw new HeadError(431, "request head too large");
      }
      const text = this.decoder.latin1Slice(this.start, end - 4);
      this.start = end;
      this.scanned = 0;
      return text;
    }
    if (this.available > REQUEST_HEAD_BYTES_MAX) {
      throw new HeadError(431, "request head too large");
    }
    this.scanned = this.available;
    return null;
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

/** tchar (RFC 9110 §5.6.2) by char code: header names and methods are tokens. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
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

/** NUL, CR or LF: never allowed inside a value or the request target. */
function hasBadByte(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 13 || c === 10) return true;
  }
  return false;
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
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
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
    const value = text.slice(colon + 1, eol).trim();
    if (hasBadByte(value)) throw new HeadError(400, "invalid header value");
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
    const digits = part.trim();
    if (!/^\d{1,15}$/.test(digits)) throw new HeadError(400, "invalid Content-Length");
    const n = Number(digits);
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
  let chunked = false;
  let contentLength = f.contentLength;
  if (f.transferEncoding !== null) {
    if (contentLength >= 0) throw new HeadError(400, "Content-Length with Transfer-Encoding");
    if (http10) throw new HeadError(400, "Transfer-Encoding in HTTP/1.0");
    if (f.transferEncoding.trim().toLowerCase() !== "chunked") {
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
    target: originForm(target),
    http10,
    headers: new HeaderList(entries),
    host: f.host ?? "",
    contentLength: chunked ? -1 : contentLength,
    chunked,
    keepAlive,
    expectContinue,
    websocket: f.upgrade.toLowerCase() === "websocket",
  };
}

function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */ || target === "*") {
    if (hasBadByte(target)) throw new HeadError(400, "invalid request target");
    return target;
  }
  // Absolute form (RFC 9112 §3.2.2): keep the path and query.
  const match = /^https?:\/\/[^/?#]+([^#]*)/i.exec(target);
  if (match === null) throw new HeadError(400, "invalid request target");
  return match[1] === "" ? "/" : match[1].startsWith("?") ? `/${match[1]}` : match[1];
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * The request body as a stream pulled from the connection (fixed length or chunked).
 * `finished` turns true once the whole body was read, so the connection can serve the next
 * request; a body left unread means the connection closes after the response.
 */
export class InboundBody {
  finished = false;
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
