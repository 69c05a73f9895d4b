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
    if (this.closed || this.idle.length >= IDLE_CONNECTIONS_MAX) pooled.close();
    else this.idle.push(pooled);
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
      const reused = this.idle.length > 0 && attempt === 0;
      const pooled = reused
        ? this.idle.pop()!
        : new PooledConn(await this.connect(connectTimeoutMs));
      const conn = pooled.conn;
      pooled.armHeaderDeadline(headerTimeoutMs);
      let buffer: Uint8Array = pooled.buffer;
      let filled = 0;
      let parsed: ParsedHead;
      try {
        // The head is written from the connection's read buffer: the answer is read into it
        // only after the write completed (no buffer allocated per request).
        const head = headText.length <= buffer.length
          ? buffer.subarray(0, latin1Into(headText, buffer, 0))
          : latin1Bytes(headText);
        let written: number;
        try {
          written = await conn.write(head);
        } catch (error) {
          throw new StaleConnection(`write failed: ${(error as Error).message}`);
        }
        if (written < head.length) await writeAll(conn, head.subarray(written));
        for (;;) {
          if (filled === buffer.length) buffer = pooled.growBuffer();
          let n: number | null;
          try {
            // The whole buffer when it is empty (the common case): no view to allocate.
            n = await conn.read(filled === 0 ? buffer : buffer.subarray(filled));
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
          const end = findHeadEnd(buffer, from, filled);
          if (end < 0) continue;
          parsed = parseHeadBytes(buffer, end) ?? parseHead(latin1(buffer, 0, end - 4), end);
          if (parsed.status >= 100 && parsed.status < 200 && parsed.status !== 101) {
            // Informational (100 Continue, 103 Early Hints): skip it and read the final head.
            buffer.copyWithin(0, end, filled);
            filled -= end;
            continue;
          }
          break;
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
  /** Set when the header deadline fired (it closed the connection). */
  timedOut = false;
  headerDeadline: Deadline | null = null;

  constructor(readonly conn: Deno.TcpConn) {}

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

function findHeadEnd(buffer: Uint8Array, from: number, to: number): number {
  for (let i = Math.max(3, from); i < to; i++) {
    if (buffer[i] === 10 && buffer[i - 1] === 13 && buffer[i - 2] === 10 && buffer[i - 3] === 13) {
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
 * The common case without strings: the status line and every kept header line are copied as
 * bytes; only dropped names are looked at closely. Returns null (the caller parses text) when
 * Connection lists names to drop beyond close/keep-alive.
 */
function parseHeadBytes(buf: Uint8Array, end: number): ParsedHead | null {
  let eol = lineEnd(buf, 0, end);
  if (
    eol < 12 || buf[0] !== 72 || buf[1] !== 84 || buf[2] !== 84 || buf[3] !== 80 ||
    buf[4] !== 47 || buf[5] !== 49 || buf[6] !== 46 || buf[8] !== 32
  ) {
    throw new UpstreamError("malformed status line", "other");
  }
  const status = digit(buf[9]) * 100 + digit(buf[10]) * 10 + digit(buf[11]);
  if (!(status >= 100 && status <= 599)) throw new UpstreamError("malformed status", "other");
  let keepAlive = buf[7] === 49;
  let contentLength = -1;
  let chunked = false;
  const out = allocBytes(end);
  let o = 0;
  // Kept lines are copied in runs: [run, pos) is kept and not yet copied.
  let run = 0;
  for (let pos = eol + 2; pos < end - 2; pos = eol + 2) {
    eol = lineEnd(buf, pos, end);
    let colon = pos;
    while (colon < eol && buf[colon] !== 58) colon++;
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
      chunked = value.split(",").map((t) => t.trim()).includes("chunked");
    } else if (name === "connection") {
      for (const token of value.split(",")) {
        const t = token.trim();
        if (t === "close") keepAlive = false;
        else if (t === "keep-alive") keepAlive = true;
        else if (t !== "") return null;
      }
    }
  }
  copyRange(buf, run, end - 2, out, o);
  o += end - 2 - run;
  return {
    status,
    statusText: "",
    headers: [],
    rawHead: out.subarray(0, o),
    headBytes: end,
    contentLength: chunked ? -1 : contentLength,
    chunked,
    keepAlive,
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

/** The index of the CR of the CRLF ending the line at `from` (a bare LF is malformed). */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (buf[i] === 10) {
      if (i === from || buf[i - 1] !== 13) break;
      return i - 1;
    }
  }
  throw new UpstreamError("malformed response head", "other");
}

function digit(byte: number): number {
  return byte >= 48 && byte <= 57 ? byte - 48 : NaN;
}

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
  let keepAlive = statusLine.startsWith("HTTP/1.1");
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
      chunked = value.toLowerCase().split(",").map((s) => s.trim()).includes("chunked");
    } else if (name === "connection") {
      const tokens = value.toLowerCase().split(",").map((s) => s.trim());
      if (tokens.includes("close")) keepAlive = false;
      if (tokens.includes("keep-alive")) keepAlive = true;
      (listed ??= []).push(...tokens);
    }
    if (DROPPED.has(name)) continue;
    headers.push([name, value]);
  }
  if (chunked) contentLength = -1;
  return {
    status,
    statusText: statusLine.slice(13),
    headers: listed === null ? headers : headers.filter(([name]) => !listed.includes(name)),
    headBytes,
    contentLength,
    chunked,
    keepAlive,
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

/** Incremental chunked transfer-coding decoder (trailers are read and dropped). */
export class ChunkedDecoder {
  done = false;
  leftover = 0;
  private state: "size" | "data" | "data_crlf" | "trailer" = "size";
  private line = "";
  private remaining = 0;

  push(input: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = [];
    let i = 0;
    while (i < input.length && !this.done) {
      if (this.state === "data") {
        const take = Math.min(this.remaining, input.length - i);
        parts.push(input.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "data_crlf";
        continue;
      }
      const byte = input[i++];
      if (byte !== 10) {
        if (byte !== 13) this.line += String.fromCharCode(byte);
        if (this.line.length > 4096) throw new Error("chunk line too long");
        continue;
      }
      const line = this.line;
      this.line = "";
      if (this.state === "data_crlf") {
        this.state = "size";
      } else if (this.state === "size") {
        const size = parseInt(line.split(";")[0].trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error("bad chunk size");
        if (size === 0) this.state = "trailer";
        else {
          this.remaining = size;
          this.state = "data";
        }
      } else if (line === "") {
        this.done = true;
      }
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
