/**
 * WebSocket proxying as byte piping: dial the target and send it the client's upgrade request
 * (forwarding headers applied, Sec-WebSocket-* passed through); when it answers 101, that
 * head goes back to the client unchanged and the front end pipes the two sockets. Frames,
 * subprotocols, extensions and close codes are the two ends' business. A target that is down or
 * refuses the upgrade gives a clean 502 before the client is switched.
 */
import { noTarget, upstreamFailed } from "./errors.ts";
import { requestHead } from "./h1_client.ts";
import { latin1, latin1Bytes } from "./latin1.ts";
import { problemReply, type ProxyReply, type Tunnel } from "./reply.ts";
import type { Upstream } from "./upstream.ts";

/** The target's handshake answer may not be larger than this. */
export const WS_HANDSHAKE_BYTES_MAX = 16 * 1024;

export interface WebSocketForward {
  upstream: Upstream;
  pathAndQuery: string;
  /** Rewritten header lines (RewrittenRequest.lines: hop-by-hop removed, forwarding applied). */
  lines: string;
  /** The client's Host, sent when the upstream preserves it. */
  host: string;
  requestId: string;
  hashKey: string | undefined;
}

export async function proxyWebSocket(fw: WebSocketForward): Promise<ProxyReply | Tunnel> {
  const lease = fw.upstream.pick(null, fw.hashKey);
  if (lease === null || lease === "busy") {
    return await problemReply(noTarget(fw.upstream.name), { requestId: fw.requestId });
  }
  const base = new URL(lease.target.base);
  const host = fw.upstream.config.preserve_host && fw.host !== "" ? fw.host : base.host;
  const path = base.pathname.replace(/\/$/, "") + fw.pathAndQuery;
  const head = requestHead(
    "GET",
    path,
    fw.lines + "connection: upgrade\r\nupgrade: websocket\r\n",
    host,
  );
  const timings = fw.upstream.timings;
  let conn: Deno.Conn | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn?.close();
    } catch { /* already closed */ }
  }, timings.connectMs + timings.responseHeaderMs);
  try {
    conn = await dial(base);
    if (timedOut) throw new Error("websocket connect timeout");
    await writeAll(conn, latin1Bytes(head));
    const answer = await readHandshake(conn);
    if (answer === null) throw new Error("websocket handshake refused");
    clearTimeout(timer);
    // The handshake counts as the request; the tunnel keeps holding a connection slot.
    fw.upstream.release(lease, true);
    const target = lease.target;
    target.connections++;
    return {
      kind: "tunnel",
      upstream: conn,
      head: answer.head,
      leftover: answer.leftover,
      closed: () => target.connections--,
    };
  } catch (error) {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* already closed */ }
    fw.upstream.release(lease, false);
    lease.target.lastError = String(error);
    const reason = timedOut ? "websocket connect timeout" : "websocket handshake failed";
    return await problemReply(upstreamFailed(fw.upstream.name, reason), {
      requestId: fw.requestId,
    });
  }
}

async function dial(base: URL): Promise<Deno.Conn> {
  const hostname = base.hostname.startsWith("[") ? base.hostname.slice(1, -1) : base.hostname;
  const tls = base.protocol === "https:";
  const port = base.port === "" ? (tls ? 443 : 80) : Number(base.port);
  if (tls) return await Deno.connectTls({ hostname, port });
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  return conn;
}

/** Reads the target's answer head; the head and any bytes after it when it is 101, else null. */
async function readHandshake(
  conn: Deno.Conn,
): Promise<{ head: Uint8Array; leftover: Uint8Array } | null> {
  const buffer = new Uint8Array(WS_HANDSHAKE_BYTES_MAX);
  let filled = 0;
  for (;;) {
    if (filled === buffer.length) throw new Error("websocket handshake answer too large");
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) throw new Error("target closed during the websocket handshake");
    filled += n;
    const text = latin1(buffer, 0, filled);
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) continue;
    if (!/^HTTP\/1\.1 101\b/.test(text)) return null;
    return { head: buffer.slice(0, end + 4), leftover: buffer.slice(end + 4, filled) };
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
