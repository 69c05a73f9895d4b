/**
 * A small HTTP/1.1 client for the proxy's hot path: pooled keep-alive TCP connections per
 * target, one write per request head, the response head parsed from the first read, and
 * fixed-size bodies read straight into one buffer. Measured on this machine it forwards about
 * twice the requests per second of `fetch`, whose Request/Headers/webidl layers dominate a
 * proxy's per-request cost. It handles bodyless requests to http:// targets; everything else
 * (request bodies, https, upgrades) goes through fetch.
 */
import { type Deadline, deadline } from "./deadlines.ts";
import { HOP_BY_HOP } from "./headers.ts";
import { latin1, latin1Bytes, latin1Into } from "./latin1.ts";
import type { ProxyReply } from "./reply.ts";
import { allocBytes, copyBytes, copyRange } from "./slab.ts";

/** Bounds: a response head larger than this is an upstream error. */
export const RESPONSE_HEAD_BYTES_MAX = 64 * 1024;
/** Bodies up to this size are read whole; larger or chunked ones stream. */
export const BUFFERED_BODY_BYTES_MAX = 256 * 1024;
/** Idle connections kept per target. */
export const IDLE_CONNECTIONS_MAX = 256;

/** A deadline far enough away to mean "not armed". */
const IDLE_PAUSED_MS = 2 ** 31;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export class UpstreamError extends Error {
  override name = "UpstreamError";
  constructor(message: string, readonly kind: "connect" | "timeout" | "other") {
    super(message);
  }
}

export interface H1Target {
  hostname: string;
  port: number;
  /** "host:port" for the Host header when the client's is not preserved. */
  authority: string;
}

export function h1TargetOf(base: string): H1Target | null {
  const url = new URL(base);
  if (url.protocol !== "http:" || (url.pathname !== "/" && url.pathname !== "")) return null;
  const port = url.port === "" ? 80 : Number(url.port);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port, authority: url.host };
}

export interface H1Exchange {
  reply: ProxyReply;
  /** True when the body is still streaming from the connection. */
  streaming: boolean;
}

export class H1Pool {
  private readonly idle: PooledConn[] = [];
  private closed = false;

  constructor(readonly target: H1Target) {}

  close(): void {
    this.closed = true;
    for (const pooled of this.idle.splice(0)) pooled.close();
  }

  private release(pooled: PooledConn): void {
    if (this.closed || this.idle.length >= IDLE_CONNECTIONS_MAX) {
      pooled.close();
    } else {
      pooled.watch();
      this.idle.push(pooled);
    }
  }

  /**
   * An idle connection to reuse, or null. One on which the upstream sent anything (or which it
   * closed) while idle is dropped: those bytes belong to no request, and read as the next
   * answer they would hand one client's request another response (response queue poisoning).
   */
  private takeIdle(): PooledConn | null {
    for (;;) {
      const pooled = this.idle.pop();
      if (pooled === undefined) return null;
      if (!pooled.spoiled) return pooled;
      pooled.close();
    }
  }

  private async connect(timeoutMs: number): Promise<Deno.TcpConn> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Deno.connect({ hostname: this.target.hostname, port: this.target.port });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UpstreamError("connect timeout", "timeout")), timeoutMs);
    });
    try {
      const conn = await Promise.race([connecting, timeout]);
      conn.setNoDelay(true);
      return conn;
    } catch (error) {
      connecting.then(closeQuietly, () => {});
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError(String(error), "connect");
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `head` (a complete request head, no body) and reads the response head within
   * `headerTimeoutMs`. A reused connection that the upstream had already closed is retried
   * once on a fresh one: the request never reached the application.
   *
   * One async function for the whole exchange, the socket operations awaited directly: every
   * nested async call costs a promise, a saved frame and a microtask hop per request.
   */
  async request(
    headText: string,
    method: string,
    connectTimeoutMs: number,
    headerTimeoutMs: number,
    idleTimeoutMs: number,
    onBodyDone: (ok: boolean) => void,
  ): Promise<H1Exchange> {
    for (let attempt = 0;; attempt++) {
      const idle = attempt === 0 ? this.takeIdle() : null;
      const reused = idle !== null;
      const pooled = idle ?? new PooledConn(await this.connect(connectTimeoutMs));
      const conn = pooled.conn;
      pooled.armHeaderDeadline(headerTimeoutMs);
      // A reused connection already has a read pending into its buffer (PooledConn.watch):
      // the answer arrives through it, so the head is written from a buffer of its own.
      let pending = pooled.takeIdleRead();
      let buffer: Uint8Array = pooled.buffer;
      let filled = 0;
      let parsed!: ParsedHead;
      try {
        const out = pooled.out;
        const head = headText.length <= out.length
          ? out.subarray(0, latin1Into(headText, out, 0))
          : latin1Bytes(headText);
        let written: number;
        try {
          written = await conn.write(head);
        } catch (error) {
          throw new StaleConnection(`write failed: ${(error as Error).message}`);
        }
        if (written < head.length) await writeAll(conn, head.subarray(written));
        let end = -1;
        for (;;) {
          if (filled === buffer.length) buffer = pooled.growBuffer();
          let n: number | null;
          try {
            // The whole buffer when it is empty (the common case): no view to allocate.
            if (pending !== null) {
              n = await pending;
              pending = null;
            } else {
              n = await conn.read(filled === 0 ? buffer : buffer.subarray(filled));
            }
          } catch (error) {
            const message = `read failed: ${(error as Error).message}`;
            if (filled === 0) throw new StaleConnection(message);
            throw new UpstreamError(message, "other");
          }
          if (n === null) {
            if (filled === 0) throw new StaleConnection("connection closed before a response");
            throw new UpstreamError("connection closed inside the response head", "other");
          }
          const from = filled - 3;
          filled += n;
          end = findHeadEnd(buffer, from, filled);
          // Informational answers (100 Continue, 103 Early Hints) are skipped; the final head
          // may have come in the same read.
          while (end >= 0) {
            parsed = parseHeadBytes(buffer, end) ?? parseHead(latin1(buffer, 0, end - 4), end);
            if (parsed.status >= 200) break;
            // The fast path never asks to upgrade: a 101 would turn the connection into
            // something the client was never offered.
            if (parsed.status === 101) throw new UpstreamError("unrequested 101", "other");
            buffer.copyWithin(0, end, filled);
            filled -= end;
            end = findHeadEnd(buffer, 0, filled);
          }
          if (end >= 0) break;
        }
      } catch (error) {
        pooled.close();
        if (pooled.timedOut) throw new UpstreamError("response header timeout", "timeout");
        // The upstream closed an idle connection under us: an idempotent request is resent on
        // a fresh one (it may have been received, which idempotency makes harmless).
        if (error instanceof StaleConnection && reused && IDEMPOTENT.has(method)) continue;
        if (error instanceof StaleConnection) throw new UpstreamError(error.message, "other");
        throw error;
      } finally {
        pooled.headerDeadline!.cancel();
      }
      const answered = this.answer(pooled, parsed, filled, method, idleTimeoutMs, onBodyDone);
      if (!(answered instanceof Promise)) return answered;
      try {
        return await answered;
      } catch (error) {
        pooled.close();
        throw error;
      }
    }
  }

  /** The reply for a parsed head: the body read whole when it is small, else streamed. */
  private answer(
    pooled: PooledConn,
    parsed: ParsedHead,
    filled: number,
    method: string,
    idleTimeoutMs: number,
    onBodyDone: (ok: boolean) => void,
  ): H1Exchange | Promise<H1Exchange> {
    const conn = pooled.conn;
    const buffer = pooled.buffer;
    const noBody = method === "HEAD" || parsed.status === 204 || parsed.status === 304;
    const reply: ProxyReply = {
      status: parsed.status,
      statusText: parsed.statusText,
      headers: parsed.headers,
      rawHead: parsed.rawHead,
      contentLength: parsed.contentLength >= 0 ? parsed.contentLength : null,
      body: null,
    };
    // Bytes read past the head: the body's start (or, from a misbehaving upstream, more).
    const extraBytes = filled - parsed.headBytes;
    if (noBody) {
      this.finish(pooled, parsed, extraBytes === 0);
      return { reply, streaming: false };
    }
    if (
      !parsed.chunked && parsed.contentLength >= 0 &&
      parsed.contentLength <= BUFFERED_BODY_BYTES_MAX
    ) {
      const fixed = readFixed(
        conn,
        buffer,
        parsed.headBytes,
        filled,
        parsed.contentLength,
        idleTimeoutMs,
      );
      if (fixed instanceof Promise) {
        return fixed.then((body) => this.fixedAnswer(pooled, parsed, reply, body));
      }
      return this.fixedAnswer(pooled, parsed, reply, fixed);
    }
    const extra = buffer.subarray(parsed.headBytes, filled);
    reply.body = streamBody(conn, extra, parsed, idleTimeoutMs, (reusable) => {
      if (reusable && parsed.keepAlive) this.release(pooled);
      else pooled.close();
      onBodyDone(reusable);
    });
    return { reply, streaming: true };
  }

  private fixedAnswer(
    pooled: PooledConn,
    parsed: ParsedHead,
    reply: ProxyReply,
    body: FixedBody,
  ): H1Exchange {
    this.finish(pooled, parsed, body.overflow === 0);
    reply.body = body.bytes;
    return { reply, streaming: false };
  }

  private finish(pooled: PooledConn, parsed: ParsedHead, clean: boolean): void {
    if (parsed.keepAlive && clean) this.release(pooled);
    else pooled.close();
  }
}

/**
 * A connection to the target with what its exchanges reuse: the read buffer (no 16 KiB
 * allocation per request) and the response-header deadline (re-armed per exchange instead of
 * a deadline and a closure made per request).
 */
class PooledConn {
  buffer: Uint8Array = new Uint8Array(16 * 1024);
  /** Request heads are written from here (the read buffer may have a read pending). */
  readonly out = new Uint8Array(4096);
  /** Set when the header deadline fired (it closed the connection). */
  timedOut = false;
  headerDeadline: Deadline | null = null;
  /** While idle in the pool: a read into `buffer`, the next request's answer when reused. */
  private idleRead: Promise<number | null> | null = null;
  /** The idle read settled while idle: the upstream sent bytes or closed; never reuse. */
  spoiled = false;

  constructor(readonly conn: Deno.TcpConn) {}

  /**
   * Starts the idle read (nginx's keepalive close handler, Go's background read). Its
   * settled-handler is registered before the request that reuses the connection awaits the
   * same promise, so it always runs first and sees the read as taken.
   */
  watch(): void {
    this.spoiled = false;
    const read = this.conn.read(this.buffer);
    this.idleRead = read;
    read.then(this.settledWhileIdle, this.settledWhileIdle);
  }

  private settledWhileIdle = (): void => {
    if (this.idleRead !== null) this.spoiled = true;
  };

  /** The pending idle read, handed to the request reusing the connection (null if new). */
  takeIdleRead(): Promise<number | null> | null {
    const read = this.idleRead;
    this.idleRead = null;
    return read;
  }

  armHeaderDeadline(ms: number): void {
    if (this.headerDeadline === null) {
      this.headerDeadline = deadline(ms, () => {
        this.timedOut = true;
        closeQuietly(this.conn);
      });
    } else {
      this.headerDeadline.restart(ms);
    }
  }

  /** A read buffer twice as large for a head that did not fit (bounded). */
  growBuffer(): Uint8Array {
    if (this.buffer.length >= RESPONSE_HEAD_BYTES_MAX) {
      throw new UpstreamError("response head too large", "other");
    }
    const bigger = new Uint8Array(this.buffer.length * 2);
    bigger.set(this.buffer);
    return this.buffer = bigger;
  }

  close(): void {
    this.headerDeadline?.cancel();
    closeQuietly(this.conn);
  }
}

class StaleConnection extends Error {
  override name = "StaleConnection";
}

function closeQuietly(conn: Deno.TcpConn): void {
  try {
    conn.close();
  } catch {
    // Already closed (by the upstream, a timeout or an earlier error): nothing to release.
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  try {
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch (error) {
    throw new StaleConnection(`write failed: ${(error as Error).message}`);
  }
}

interface ParsedHead {
  status: number;
  statusText: string;
  /** Hop-by-hop, Connection-listed, framing and X-Request-Id headers removed. */
  headers: [string, string][];
  /** When set: the status line and the kept header lines as received (see ProxyReply). */
  rawHead?: Uint8Array;
  headBytes: number;
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
}

/**
 * The index after the blank line ending a head ("\r\n\r\n"), or -1. Two LFs in a row end it
 * too, so that a head with bare LFs fails at once (lineEnd) instead of waiting for the
 * response-header timeout.
 */
function findHeadEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = Math.max(3, from); i < to; i++) {
    if (
      buffer[i] === 10 &&
      (buffer[i - 1] === 10 ||
        (buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13))
    ) {
      return i + 1;
    }
  }
  return -1;
}

/** Response headers the proxy never passes on as they came: framing and its own request id. */
const DROPPED = new Set([...HOP_BY_HOP, "content-length", "x-request-id"]);
/** DROPPED names as bytes by length: header names are matched without building strings. */
const DROPPED_BY_LENGTH: { bytes: Uint8Array; name: string }[][] = [];
for (const name of DROPPED) {
  (DROPPED_BY_LENGTH[name.length] ??= []).push({ bytes: new TextEncoder().encode(name), name });
}

/** The lower-case name if buf[from, to) is a DROPPED name in any case, else null. */
function droppedName(buf: Uint8Array, from: number, to: number): string | null {
  const candidates = DROPPED_BY_LENGTH[to - from];
  if (candidates === undefined) return null;
  for (let c = 0; c < candidates.length; c++) {
    const name = candidates[c].bytes;
    let i = 0;
    while (i < name.length && (buf[from + i] | 0x20) === name[i]) i++;
    // The table's own string: building the name from the bytes would allocate per header.
    if (i === name.length) return candidates[c].name;
  }
  return null;
}

/**
 * Validates the whole head and, in the common case, copies the status line and every kept
 * header line as bytes without building strings; only dropped names are looked at closely.
 * Returns null (the caller then parses the validated head as text) when Connection lists names
 * to drop beyond close/keep-alive.
 *
 * What is passed on must be exactly what was framed here (RFC 9112 §2.2, §5, RFC 9110 §5.5): a
 * header name that is not a token (" Content-Length", "Content-Length :", obs-fold), a NUL or a
 * bare CR anywhere, or a malformed status line fails the exchange (502) rather than reaching the
 * client, whose parser could read them as framing or as a second response. The status line
 * leaves with this proxy's own version (HTTP/1.1), which is what its framing is written for.
 */
function parseHeadBytes(buf: Uint8Array, end: number): ParsedHead | null {
  let eol = lineEnd(buf, 0, end);
  if (
    eol < 12 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 ||
    buf[4] !== 47 || buf[5] !== 49 || buf[6] !== 46 || !(buf[7] >= 48 && buf[7] <= 57) ||
    buf[8] !== 32 || (eol > 12 && buf[12] !== 32)
  ) {
    throw new UpstreamError("malformed status line", "other");
  }
  const status = digit(buf[9]) * 100 + digit(buf[10]) * 10 + digit(buf[11]);
  if (!(status >= 100 && status <= 599)) throw new UpstreamError("malformed status", "other");
  let keepAlive = buf[7] !== 48;
  let contentLength = -1;
  let chunked = false;
  let textNeeded = false;
  const out = allocBytes(end);
  let o = 0;
  // Kept lines are copied in runs: [run, pos) is kept and not yet copied.
  let run = 0;
  for (let pos = eol + 2; pos < end - 2; pos = eol + 2) {
    eol = lineEnd(buf, pos, end);
    let colon = pos;
    for (; colon < eol; colon++) {
      const b = buf[colon];
      if (b === 58) break;
      if (b >= 128 || TCHAR[b] === 0) throw new UpstreamError("malformed header name", "other");
    }
    if (colon === pos || colon === eol) throw new UpstreamError("malformed header line", "other");
    const name = droppedName(buf, pos, colon);
    if (name === null) continue;
    copyRange(buf, run, pos, out, o);
    o += pos - run;
    run = eol + 2;
    if (name === "content-length") {
      const length = contentLengthValue(buf, colon + 1, eol);
      if (length < 0 || (contentLength >= 0 && contentLength !== length)) {
        throw new UpstreamError("invalid content-length", "other");
      }
      contentLength = length;
      continue;
    }
    const value = latin1(buf, colon + 1, eol).trim().toLowerCase();
    if (name === "transfer-encoding") {
      // Only "chunked", once. Another coding ("gzip, chunked") would reach the client
      // decoded of its chunks but still coded, with no header saying so.
      if (chunked || value !== "chunked") {
        throw new UpstreamError("unsupported transfer-encoding", "other");
      }
      chunked = true;
    } else if (name === "connection") {
      for (const token of value.split(",")) {
        const t = token.trim();
        if (t === "close") keepAlive = false;
        else if (t === "keep-alive") keepAlive = true;
        else if (t !== "") textNeeded = true;
      }
    }
  }
  if (textNeeded) return null;
  copyRange(buf, run, end - 2, out, o);
  o += end - 2 - run;
  out[7] = 49; // HTTP/1.1
  return {
    status,
    statusText: "",
    headers: [],
    rawHead: out.subarray(0, o),
    headBytes: end,
    contentLength: chunked ? -1 : contentLength,
    chunked,
    // Content-Length with chunked: the chunks frame it (RFC 9112 §6.3), but such an upstream
    // is not trusted with another request on this connection.
    keepAlive: keepAlive && !(chunked && contentLength >= 0),
  };
}

/**
 * A Content-Length value read from the bytes, or -1 when it is not one: 1 to 15 digits with
 * optional spaces or tabs around them (RFC 9110's 1*DIGIT, and the bound the request parser
 * uses). Anything else ("+5", "0x10", "1e3"...) is refused: a proxy that guessed a length
 * differently from the next hop would frame the connection's following responses wrongly.
 */
function contentLengthValue(buf: Uint8Array, from: number, to: number): number {
  while (from < to && (buf[from] === 32 || buf[from] === 9)) from++;
  while (to > from && (buf[to - 1] === 32 || buf[to - 1] === 9)) to--;
  if (from === to || to - from > 15) return -1;
  let length = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    length = length * 10 + d;
  }
  return length;
}

/**
 * The index of the CR of the CRLF ending the line at `from`. A bare LF, a bare CR or a NUL
 * before it is malformed.
 */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const b = buf[i];
    if (b === 13) {
      if (buf[i + 1] === 10) return i;
      break;
    }
    if (b === 10 || b === 0) break;
  }
  throw new UpstreamError("malformed response head", "other");
}

function digit(byte: number): number {
  return byte >= 48 && byte <= 57 ? byte - 48 : NaN;
}

/** The head as text, once parseHeadBytes validated it: for heads whose Connection lists names. */
function parseHead(text: string, headBytes: number): ParsedHead {
  const lines = text.split("\r\n");
  const statusLine = lines[0];
  if (!statusLine.startsWith("HTTP/1.")) {
    throw new UpstreamError("malformed status line", "other");
  }
  const status = Number(statusLine.slice(9, 12));
  if (!(status >= 100 && status <= 599)) throw new UpstreamError("malformed status", "other");
  const headers: [string, string][] = [];
  let contentLength = -1;
  let chunked = false;
  let keepAlive = !statusLine.startsWith("HTTP/1.0");
  let listed: string[] | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) throw new UpstreamError("malformed header line", "other");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      const length = /^\d{1,15}$/.test(value) ? Number(value) : -1; // as contentLengthValue
      if (length < 0 || (contentLength >= 0 && contentLength !== length)) {
        throw new UpstreamError("invalid content-length", "other");
      }
      contentLength = length;
    } else if (name === "transfer-encoding") {
      chunked = true; // nothing but "chunked" passed parseHeadBytes
    } else if (name === "connection") {
      const tokens = value.toLowerCase().split(",").map((s) => s.trim());
      if (tokens.includes("close")) keepAlive = false;
      if (tokens.includes("keep-alive")) keepAlive = true;
      (listed ??= []).push(...tokens);
    }
    if (DROPPED.has(name)) continue;
    headers.push([name, value]);
  }
  return {
    status,
    statusText: statusLine.slice(13),
    headers: listed === null ? headers : headers.filter(([name]) => !listed.includes(name)),
    headBytes,
    contentLength: chunked ? -1 : contentLength,
    chunked,
    keepAlive: keepAlive && !(chunked && contentLength >= 0),
  };
}

interface FixedBody {
  bytes: Uint8Array<ArrayBuffer>;
  overflow: number;
}

/** The body, at once when the first read already held all of it (no promise). */
function readFixed(
  conn: Deno.TcpConn,
  buffer: Uint8Array,
  from: number,
  to: number,
  length: number,
  idleTimeoutMs: number,
): FixedBody | Promise<FixedBody> {
  const bytes = allocBytes(length);
  const have = Math.min(to - from, length);
  copyRange(buffer, from, from + have, bytes, 0);
  if (have === length) return { bytes, overflow: to - from - have };
  return readRest(conn, bytes, have, idleTimeoutMs);
}

async function readRest(
  conn: Deno.TcpConn,
  bytes: Uint8Array<ArrayBuffer>,
  have: number,
  idleTimeoutMs: number,
): Promise<FixedBody> {
  let filled = have;
  const timer = deadline(idleTimeoutMs, () => closeQuietly(conn));
  try {
    while (filled < bytes.length) {
      const n = await conn.read(bytes.subarray(filled));
      if (n === null) throw new UpstreamError("connection closed inside the body", "other");
      filled += n;
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`body read failed: ${(error as Error).message}`, "other");
  } finally {
    timer.cancel();
  }
  return { bytes, overflow: 0 };
}

/**
 * Streams a large, chunked or close-delimited body from the connection. `done(reusable)` is
 * called once: reusable only when the body ended exactly at a message boundary.
 */
function streamBody(
  conn: Deno.TcpConn,
  extra: Uint8Array,
  parsed: ParsedHead,
  idleTimeoutMs: number,
  done: (reusable: boolean) => void,
): ReadableStream<Uint8Array> {
  const decoder = parsed.chunked ? new ChunkedDecoder() : null;
  let remaining = parsed.contentLength; // -1: until close (when not chunked)
  let pending: Uint8Array | null = extra.length > 0 ? copyBytes(extra) : null;
  let finished = false;
  const timer = deadline(idleTimeoutMs, () => closeQuietly(conn));
  const finish = (reusable: boolean) => {
    if (finished) return;
    finished = true;
    timer.cancel();
    done(reusable);
  };
  const readMore = async (): Promise<Uint8Array | null> => {
    if (pending) {
      const chunk = pending;
      pending = null;
      return chunk;
    }
    timer.extend(idleTimeoutMs);
    const buffer = new Uint8Array(64 * 1024);
    const n = await conn.read(buffer);
    // Waiting for the client to pull (backpressure) is not upstream idleness.
    timer.extend(IDLE_PAUSED_MS);
    return n === null ? null : buffer.subarray(0, n);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const chunk = await readMore();
          if (chunk === null) {
            if (decoder !== null || remaining > 0) throw new Error("upstream closed mid-body");
            finish(false);
            controller.close();
            return;
          }
          if (decoder) {
            const out = decoder.push(chunk);
            if (out.length > 0) controller.enqueue(out);
            if (decoder.done) {
              finish(decoder.leftover === 0);
              controller.close();
              return;
            }
            if (out.length > 0) return;
            continue;
          }
          if (remaining >= 0) {
            const take = chunk.subarray(0, Math.min(chunk.length, remaining));
            remaining -= take.length;
            controller.enqueue(take);
            if (remaining === 0) {
              finish(chunk.length === take.length);
              controller.close();
            }
            return;
          }
          controller.enqueue(chunk);
          return;
        }
      } catch (error) {
        finish(false);
        controller.error(error);
      }
    },
    cancel() {
      finish(false);
    },
  }, { highWaterMark: 0 });
}

/** A malformed chunked body (from the client or the upstream). */
export class ChunkedError extends Error {
  override name = "ChunkedError";
}

/** Bounds of one chunk-size line with its extensions, and of the whole trailer section. */
const CHUNK_LINE_BYTES_MAX = 4096;
const TRAILER_BYTES_MAX = 64 * 1024;

const enum Chunk {
  Size,
  SizeSpace,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
}

/**
 * Incremental chunked transfer-coding decoder (RFC 9112 §7.1; trailers are checked and
 * dropped), strict: a chunk size is 1*HEXDIG (no sign, "0x" or trailing junk, at most 2^53),
 * optional whitespace then ";" extensions without control bytes, and every line ends in CRLF —
 * no bare LF or CR, exactly CRLF after each chunk's data. Where proxies disagree on such bytes
 * is where request smuggling and response desync live ("funky chunks"): parseInt read "0x5",
 * "5g" and "-0" as sizes, stray bytes after a chunk's data were skipped, and bare LFs or CRs
 * anywhere were taken as line ends. Throws ChunkedError.
 */
export class ChunkedDecoder {
  done = false;
  leftover = 0;
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private lineBytes = 0;
  private trailerBytes = 0;

  push(input: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = [];
    let i = 0;
    while (i < input.length && !this.done) {
      if (this.state === Chunk.Data) {
        const take = Math.min(this.remaining, input.length - i);
        parts.push(input.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = Chunk.DataCr;
        continue;
      }
      this.step(input[i++]);
    }
    if (this.done) this.leftover = input.length - i;
    if (parts.length === 1) return copyBytes(parts[0]);
    const total = parts.reduce((sum, p) => sum + p.length, 0);
    const out = allocBytes(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  /** One byte outside chunk data. */
  private step(byte: number): void {
    switch (this.state) {
      case Chunk.Size: {
        const digit = hexDigit(byte);
        if (digit >= 0) {
          this.size = this.size * 16 + digit;
          if (++this.digits > 16 || this.size > Number.MAX_SAFE_INTEGER) {
            throw new ChunkedError("chunk size too large");
          }
          return;
        }
        if (this.digits === 0) throw new ChunkedError("bad chunk size");
        if (byte === 13) this.state = Chunk.SizeLf;
        else if (byte === 59 /* ; */) this.state = Chunk.Extension;
        else if (byte === 32 || byte === 9) this.state = Chunk.SizeSpace;
        else throw new ChunkedError("bad chunk size");
        this.lineBytes = this.digits + 1;
        return;
      }
      case Chunk.SizeSpace:
        // BWS before an extension (RFC 9112 §7.1.1), nothing else.
        if (byte === 59) this.state = Chunk.Extension;
        else if (byte === 13) this.state = Chunk.SizeLf;
        else if (byte !== 32 && byte !== 9) throw new ChunkedError("bad chunk size");
        this.line();
        return;
      case Chunk.Extension:
        if (byte === 13) this.state = Chunk.SizeLf;
        else if (!isFieldByte(byte)) throw new ChunkedError("bad chunk extension");
        this.line();
        return;
      case Chunk.SizeLf:
        if (byte !== 10) throw new ChunkedError("chunk size line not ended by CRLF");
        if (this.size === 0) {
          this.state = Chunk.TrailerStart;
        } else {
          this.remaining = this.size;
          this.state = Chunk.Data;
        }
        this.size = 0;
        this.digits = 0;
        return;
      case Chunk.DataCr:
        if (byte !== 13) throw new ChunkedError("chunk data not followed by CRLF");
        this.state = Chunk.DataLf;
        return;
      case Chunk.DataLf:
        if (byte !== 10) throw new ChunkedError("chunk data not followed by CRLF");
        this.state = Chunk.Size;
        return;
      case Chunk.TrailerStart:
        if (byte === 13) {
          this.state = Chunk.FinalLf;
          return;
        }
        this.state = Chunk.TrailerName;
        this.lineBytes = 0;
        this.trailerName(byte);
        return;
      case Chunk.TrailerName:
        this.trailerName(byte);
        return;
      case Chunk.TrailerValue:
        this.trailer();
        if (byte === 13) this.state = Chunk.TrailerLf;
        else if (!isFieldByte(byte)) throw new ChunkedError("bad trailer field");
        return;
      case Chunk.TrailerLf:
        if (byte !== 10) throw new ChunkedError("trailer field not ended by CRLF");
        this.trailer();
        this.state = Chunk.TrailerStart;
        return;
      case Chunk.FinalLf:
        if (byte !== 10) throw new ChunkedError("chunked body not ended by CRLF");
        this.done = true;
        return;
    }
  }

  /** A byte of a trailer field's name: a token up to the colon. */
  private trailerName(byte: number): void {
    this.trailer();
    if (byte === 58 /* : */ && this.lineBytes > 1) this.state = Chunk.TrailerValue;
    else if (byte >= 128 || TCHAR[byte] === 0) throw new ChunkedError("bad trailer field");
  }

  private line(): void {
    if (++this.lineBytes > CHUNK_LINE_BYTES_MAX) throw new ChunkedError("chunk line too long");
  }

  private trailer(): void {
    this.lineBytes++;
    if (++this.trailerBytes > TRAILER_BYTES_MAX) throw new ChunkedError("trailers too large");
  }
}

function hexDigit(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** A byte allowed inside a field value or chunk extension: HTAB, visible ASCII, SP, obs-text. */
function isFieldByte(byte: number): boolean {
  return byte === 9 || (byte >= 32 && byte !== 127);
}

/** tchar (RFC 9110 §5.6.2) by byte: header names and methods are tokens. */
export const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/**
 * Serialises a request head. `lines` are rewritten header lines (RewrittenRequest.lines: each
 * ending in CRLF, hop-by-hop, Host and Content-Length already left out).
 */
export function requestHead(
  method: string,
  pathAndQuery: string,
  lines: string,
  host: string,
): string {
  return method + " " + pathAndQuery + " HTTP/1.1\r\nhost: " + host + "\r\n" + lines + "\r\n";
}
