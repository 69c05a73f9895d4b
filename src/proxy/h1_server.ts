/**
 * The proxy's front end: a plain TCP listener speaking HTTP/1.1 itself instead of Deno.serve.
 * A proxy only moves heads and bytes, and building Web Request/Response/Headers objects for
 * every exchange cost more CPU than everything else the proxy does. Per connection: read a
 * bounded head, hand the parsed request to the handler, write its reply, repeat (keep-alive,
 * pipelined requests answered in order); an accepted upgrade becomes byte piping.
 */
import { explainListenError } from "../lib/listen_error.ts";
import type { Logger } from "../observability/logger.ts";
import { formatHostPort, type HostPort } from "../lib/address.ts";
import type { ListeningServer } from "../lib/http_server.ts";
import { deadline } from "./deadlines.ts";
import {
  ConnReader,
  HeadError,
  InboundBody,
  type IncomingRequest,
  parseRequestHead,
  writeAll,
} from "./h1_request.ts";
import {
  encodeReply,
  isTunnel,
  problemReply,
  type ProxyReply,
  type Scratch,
  type Tunnel,
  writeReply,
  writeReplyStream,
} from "./reply.ts";
import { AppError } from "../errors/mod.ts";

/** A connection waiting this long for (the rest of) a request head is closed. */
export const KEEP_ALIVE_IDLE_MS = 60_000;
/** Output buffer per connection, created at its first answer. */
const SCRATCH_BYTES = 4096;
const EMPTY = new Uint8Array(0);
/** A deadline far enough away to mean "not armed" while a request is being answered. */
const PAUSED_MS = 2 ** 31;

export type H1Handler = (
  request: IncomingRequest,
  peer: string,
  body: ReadableStream<Uint8Array> | null,
) => Promise<ProxyReply | Tunnel>;

export interface H1ServerOptions {
  address: HostPort;
  handler: H1Handler;
  logger: Logger;
  /** Names the listener in the "Listening" log line. */
  name: string;
}

interface ConnState {
  conn: Deno.Conn;
  /** Output buffer for answers, reused once each write completed (allocated on first use). */
  scratch: Scratch;
  /** Waiting for a request head with nothing buffered: safe to close on shutdown. */
  idle: boolean;
}

export function serveH1(options: H1ServerOptions): ListeningServer {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: options.address.hostname, port: options.address.port });
  } catch (error) {
    throw explainListenError(error, options.name, options.address);
  }
  const addr = listener.addr as Deno.NetAddr;
  const address = { hostname: addr.hostname, port: addr.port };
  options.logger.info("Listening", {
    listener: options.name,
    address: formatHostPort(address),
    tls: false,
  });
  const conns = new Set<ConnState>();
  let closing = false;
  let allClosed: (() => void) | null = null;
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing) return;
        if (error instanceof Deno.errors.BadResource) return;
        options.logger.warn("Accept failed", { listener: options.name, error });
        continue;
      }
      const state: ConnState = { conn, idle: true, scratch: { bytes: EMPTY } };
      conns.add(state);
      serveConnection(state, options, () => closing).finally(() => {
        conns.delete(state);
        closeQuietly(conn);
        if (conns.size === 0) allClosed?.();
      });
    }
  })();
  const finished = accepting.then(() => {});
  return {
    address,
    finished,
    async close(drainMs = 5000) {
      closing = true;
      closeQuietly(listener);
      await accepting;
      for (const state of conns) if (state.idle) closeQuietly(state.conn);
      if (conns.size > 0) {
        const drained = new Promise<void>((resolve) => (allClosed = resolve));
        const timer = deadline(drainMs, () => allClosed?.());
        await drained;
        timer.cancel();
        for (const state of conns) closeQuietly(state.conn);
      }
    },
  };
}

/**
 * One client connection: heads read, requests answered in order. The exchange is written out
 * here, each socket operation awaited directly (no helper async functions per request: each
 * would cost a promise, a saved frame and a microtask hop).
 */
async function serveConnection(
  state: ConnState,
  options: H1ServerOptions,
  closing: () => boolean,
): Promise<void> {
  const conn = state.conn as Deno.TcpConn;
  conn.setNoDelay(true);
  const peer = (conn.remoteAddr as Deno.NetAddr).hostname;
  const reader = new ConnReader(conn);
  const idle = deadline(KEEP_ALIVE_IDLE_MS, () => closeQuietly(conn));
  try {
    for (;;) {
      idle.extend(KEEP_ALIVE_IDLE_MS);
      state.idle = reader.available === 0;
      let request: IncomingRequest;
      try {
        let text = reader.nextHead();
        while (text === null) {
          const n = await reader.read();
          if (n === null) {
            if (reader.available === 0) return; // closed between requests
            throw new HeadError(400, "connection closed inside the request head");
          }
          reader.received(n);
          text = reader.nextHead();
        }
        request = parseRequestHead(text);
      } catch (error) {
        if (error instanceof HeadError) await answerBadHead(conn, error);
        return;
      }
      state.idle = false;
      idle.extend(PAUSED_MS);
      const body = request.contentLength !== 0 ? new InboundBody(reader, request) : null;
      let reply: ProxyReply | Tunnel;
      try {
        reply = await options.handler(request, peer, body?.stream ?? null);
      } catch (error) {
        options.logger.error("Unhandled proxy error", { listener: options.name, error });
        reply = await problemReply(new AppError("internal", 500, "Internal error"));
      }
      if (body !== null && body.malformed && !isTunnel(reply)) {
        // The client's chunked framing broke mid-body: its error, whatever the upstream made
        // of the cut-off request (the connection closes: the body was not read to its end).
        if (reply.body instanceof ReadableStream) reply.body.cancel().catch(() => {});
        reply = await problemReply(
          new AppError("bad_request", 400, "Bad request", { detail: "malformed chunked body" }),
        );
      }
      if (isTunnel(reply)) {
        idle.cancel();
        await pipeTunnel(conn, reader, reply);
        return;
      }
      if (state.scratch.bytes.length === 0) state.scratch.bytes = new Uint8Array(SCRATCH_BYTES);
      const encoded = encodeReply(reply, {
        scratch: state.scratch,
        head: request.method === "HEAD",
        keepAlive: request.keepAlive && (body === null || body.finished) && !closing(),
        http10: request.http10,
      });
      let again: boolean;
      try {
        const written = await conn.write(encoded.bytes);
        if (written < encoded.bytes.length) {
          await writeAll(conn, encoded.bytes.subarray(written));
        }
        again = encoded.stream === null ? encoded.keepAlive : await writeReplyStream(conn, encoded);
      } catch {
        encoded.stream?.cancel().catch(() => {});
        return;
      }
      if (!again || closing()) return;
    }
  } catch (error) {
    // A reset or closed socket ends the connection; anything else is worth a log line.
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      options.logger.debug("Client connection ended", { listener: options.name, error });
    }
  } finally {
    idle.cancel();
  }
}

async function answerBadHead(conn: Deno.Conn, error: HeadError): Promise<void> {
  const reply = await problemReply(
    new AppError(
      "bad_request",
      error.status,
      error.status === 431
        ? "Headers too large"
        : error.status === 414
        ? "URI too long"
        : error.status === 501
        ? "Not implemented"
        : "Bad request",
      {
        detail: error.message,
      },
    ),
  );
  await writeReply(conn, reply, { head: false, keepAlive: false, http10: false }).catch(() => {});
}

/** Pipes bytes both ways until either side ends, then closes both. */
async function pipeTunnel(client: Deno.Conn, reader: ConnReader, tunnel: Tunnel): Promise<void> {
  try {
    const head = new Uint8Array(tunnel.head.length + tunnel.leftover.length);
    head.set(tunnel.head);
    head.set(tunnel.leftover, tunnel.head.length);
    await writeAll(client, head);
    if (reader.available > 0) await writeAll(tunnel.upstream, reader.take(reader.available));
  } catch {
    closeQuietly(tunnel.upstream);
    closeQuietly(client);
    tunnel.closed();
    return;
  }
  // Either side ending (or failing) ends the tunnel; closing both ends the other copy too.
  const up = copy(client, tunnel.upstream).catch(() => {});
  const down = copy(tunnel.upstream, client).catch(() => {});
  await Promise.race([up, down]);
  closeQuietly(tunnel.upstream);
  closeQuietly(client);
  await Promise.all([up, down]);
  tunnel.closed();
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const n = await from.read(buffer);
    if (n === null) return;
    await writeAll(to, buffer.subarray(0, n));
  }
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}
