/**
 * Raft peers over WebSocket. Each node listens on its Raft address (`ws[s]://HOST:PORT/raft/v1`)
 * and dials every peer at exactly the address it was given, so operators may put a proxy or a NAT
 * in between. Each direction uses its own connection: a node sends on the link it dialled and
 * receives on the links peers dialled to it. The dialling side is our own client (ws_client.ts),
 * because Deno's WebSocket client leaves Nagle's algorithm on.
 *
 * Peers authenticate with the shared cluster secret (`Authorization: Bearer <secret>`), checked
 * in constant time before the upgrade; a refused peer is logged. Messages queued in one turn go
 * out as one binary frame. A link that is down drops messages (Raft retries) and reconnects with
 * exponential backoff and jitter. Ping/pong frames measure the round trip for metrics.
 */
import type { Message, NodeId } from "../core/types.ts";
import { decodeFrame, encodeBatch, encodePing, FRAME_PONG, MalformedFrameError } from "./codec.ts";
import type { PeerLinkStatus, Transport } from "./transport.ts";
import { DialedWebSocket, DialError } from "./ws_client.ts";

export const RAFT_WS_PROTOCOL = "helios-raft.v1";
export const RAFT_WS_PATH = "/raft/v1";

export interface TransportLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface WebSocketTransportOptions {
  id: NodeId;
  /** Where to listen for peers. */
  hostname: string;
  port: number;
  /** Shared cluster secret; empty disables authentication (tests, trusted networks only). */
  secret: string;
  /**
   * Settings every member must share, as one string (ATLAS's: `databases=16`): a dialling peer
   * sends its own (`X-Raft-Settings`) and one that sends others is refused and logged, since the
   * same log applied under other settings would make the replicas differ. Empty: nothing is
   * checked. A peer that sends none (a version from before the header) is accepted.
   */
  sharedSettings?: string;
  tls?: { cert: string; key: string };
  logger?: TransportLogger;
  /** Told the bound address (port 0 picks a free one). */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** Frames above this are refused (a confused or hostile peer cannot make us buffer GBs). */
  frameBytesMax?: number;
  /** A link whose send buffer grows past this drops messages until it drains. */
  bufferedBytesMax?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pingIntervalMs?: number;
  /**
   * An outbound link that has heard nothing from its peer (not even a pong) for this long is
   * closed and dialled again (default 4 ping intervals). A black-holed network path (a dropped
   * route, a firewall DROP) leaves TCP connections open but silent; without this, a healed
   * partition would wait for TCP's own retransmission backoff, which grows to minutes.
   */
  silentLinkMs?: number;
}

/** A peer that accepts the TCP connection but never completes the upgrade is given up on. */
const DIAL_TIMEOUT_MS = 5000;

const NOOP_LOGGER: TransportLogger = { info() {}, warn() {} };

type ResolvedOptions =
  & Required<Omit<WebSocketTransportOptions, "tls" | "onListen">>
  & WebSocketTransportOptions;

export class WebSocketTransport implements Transport {
  readonly #options: ResolvedOptions;
  readonly #links = new Map<NodeId, PeerLink>();
  readonly #inbound = new Set<WebSocket>();
  readonly #unreachable = new Set<NodeId>();
  #deliver: (messages: Message[]) => void = () => {};
  #server: Deno.HttpServer<Deno.NetAddr> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(options: WebSocketTransportOptions) {
    this.#options = {
      logger: NOOP_LOGGER,
      frameBytesMax: 512 * 1024 * 1024,
      bufferedBytesMax: 64 * 1024 * 1024,
      reconnectMinMs: 50,
      reconnectMaxMs: 2000,
      pingIntervalMs: 1000,
      silentLinkMs: 4 * (options.pingIntervalMs ?? 1000),
      sharedSettings: "",
      ...options,
    };
  }

  /** The bound listener address (after start). */
  get address(): { hostname: string; port: number } {
    if (!this.#server) throw new Error("transport not started");
    return { hostname: this.#server.addr.hostname, port: this.#server.addr.port };
  }

  start(deliver: (messages: Message[]) => void): Promise<void> {
    this.#deliver = deliver;
    const { hostname, port, tls } = this.#options;
    this.#server = Deno.serve({
      hostname,
      port,
      ...(tls ?? {}),
      onListen: (addr) => this.#options.onListen?.({ hostname: addr.hostname, port: addr.port }),
    }, (request, info) => this.#accept(request, info.remoteAddr));
    // Deno.serve reports a NetAddr for TCP listeners.
    this.#pingTimer = setInterval(() => this.#ping(), this.#options.pingIntervalMs);
    return Promise.resolve();
  }

  send(messages: Message[]): void {
    if (this.#closed) return;
    for (const m of messages) {
      const link = this.#links.get(m.to);
      if (!link || !link.enqueue(m)) this.#unreachable.add(m.to);
    }
  }

  setPeer(id: NodeId, addr: string): void {
    if (id === this.#options.id) return;
    const existing = this.#links.get(id);
    if (existing?.addr === addr) return;
    existing?.close();
    this.#links.set(
      id,
      new PeerLink(id, addr, this.#options, (peer) => this.#unreachable.add(peer)),
    );
  }

  removePeer(id: NodeId): void {
    this.#links.get(id)?.close();
    this.#links.delete(id);
  }

  takeUnreachable(): NodeId[] {
    const ids = [...this.#unreachable];
    this.#unreachable.clear();
    return ids;
  }

  peers(): PeerLinkStatus[] {
    return [...this.#links.values()].map((l) => l.status());
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    for (const link of this.#links.values()) link.close();
    for (const socket of this.#inbound) closeQuietly(socket);
    this.#inbound.clear();
    await this.#server?.shutdown();
  }

  #ping(): void {
    for (const link of this.#links.values()) link.ping();
  }

  #accept(request: Request, remote: Deno.Addr): Response {
    const url = new URL(request.url);
    if (url.pathname !== RAFT_WS_PATH) return new Response("Not found", { status: 404 });
    // Headers must be read before the upgrade (they are gone afterwards).
    const from = request.headers.get("x-raft-from") ?? "";
    const auth = request.headers.get("authorization") ?? "";
    const remoteAddr = "hostname" in remote ? `${remote.hostname}:${remote.port}` : "unknown";
    if (!this.#authorized(auth)) {
      this.#options.logger.warn("Refused Raft peer: wrong or missing cluster secret", {
        remote_addr: remoteAddr,
        claimed_node_id: from,
      });
      return new Response("Unauthorized", { status: 401 });
    }
    const settings = request.headers.get("x-raft-settings");
    const ours = this.#options.sharedSettings ?? ""; // an explicit undefined overrides the default
    if (ours !== "" && settings !== null && settings !== ours) {
      this.#options.logger.warn("Refused Raft peer: its settings differ from this node's", {
        remote_addr: remoteAddr,
        claimed_node_id: from,
        peer_settings: settings,
        settings: ours,
      });
      return new Response("Conflict: the members' settings differ", { status: 409 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: RAFT_WS_PROTOCOL });
    socket.binaryType = "arraybuffer";
    this.#inbound.add(socket);
    socket.onmessage = (event) => this.#onInbound(socket, event.data, remoteAddr);
    socket.onclose = () => this.#inbound.delete(socket);
    socket.onerror = () => this.#inbound.delete(socket);
    return response;
  }

  #onInbound(socket: WebSocket, data: unknown, remoteAddr: string): void {
    if (!(data instanceof ArrayBuffer) || data.byteLength > this.#options.frameBytesMax) {
      this.#options.logger.warn("Closed Raft link: unexpected frame", { remote_addr: remoteAddr });
      closeQuietly(socket);
      return;
    }
    try {
      const frame = decodeFrame(new Uint8Array(data));
      if (frame.kind === "batch") this.#deliver(frame.messages);
      else if (frame.kind === "ping") socket.send(encodePing(FRAME_PONG, frame.sentAtMs));
    } catch (error) {
      if (!(error instanceof MalformedFrameError) && !(error instanceof SyntaxError)) throw error;
      this.#options.logger.warn("Closed Raft link: malformed frame", {
        remote_addr: remoteAddr,
        reason: error.message,
      });
      closeQuietly(socket);
    }
  }

  #authorized(header: string): boolean {
    const secret = this.#options.secret;
    if (secret === "") return true;
    return constantTimeEqual(header, `Bearer ${secret}`);
  }
}

/** One outbound connection to a peer, with its send queue and reconnect loop. */
class PeerLink {
  #socket: DialedWebSocket | null = null;
  #queue: Message[] = [];
  #flushScheduled = false;
  #backoffMs: number;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #rttSeconds: number | null = null;
  /** When the current socket last received anything (connect counts). */
  #lastHeardMs = 0;
  /** The peer's last refusal of our upgrade, logged once until a dial succeeds again. */
  #refusal = "";

  constructor(
    readonly id: NodeId,
    readonly addr: string,
    private readonly options: ResolvedOptions,
    private readonly onUnreachable: (id: NodeId) => void,
  ) {
    this.#backoffMs = options.reconnectMinMs;
    this.#connect();
  }

  /** Queues a message for the next frame; false when the link cannot take it now. */
  enqueue(m: Message): boolean {
    const socket = this.#socket;
    if (!socket?.open) return false;
    if (socket.bufferedAmount > this.options.bufferedBytesMax) return false;
    this.#queue.push(m);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return true;
  }

  /** Sends a ping; first closes the link if the peer has been silent too long (see silentLinkMs). */
  ping(): void {
    const socket = this.#socket;
    if (!socket?.open) return;
    const silentMs = performance.now() - this.#lastHeardMs;
    if (silentMs > this.options.silentLinkMs) {
      this.options.logger.warn("Raft peer link silent; reconnecting", {
        peer_id: this.id,
        addr: this.addr,
        silent_ms: Math.round(silentMs),
      });
      socket.close(); // its onclose marks the peer unreachable and schedules the reconnect
      return;
    }
    socket.send(encodePing(2, performance.now()));
  }

  status(): PeerLinkStatus {
    return {
      id: this.id,
      addr: this.addr,
      connected: this.#socket?.open ?? false,
      rttSeconds: this.#rttSeconds,
    };
  }

  close(): void {
    this.#closed = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#socket?.close();
    this.#socket = null;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const socket = this.#socket;
    if (!socket?.open) {
      this.onUnreachable(this.id);
      return;
    }
    socket.send(encodeBatch(batch));
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const headers: Record<string, string> = { "x-raft-from": this.options.id };
    if (this.options.secret) headers.authorization = `Bearer ${this.options.secret}`;
    if (this.options.sharedSettings) headers["x-raft-settings"] = this.options.sharedSettings;
    let socket: DialedWebSocket;
    try {
      socket = await DialedWebSocket.dial({
        addr: this.addr,
        path: RAFT_WS_PATH,
        tls: this.options.tls !== undefined,
        protocol: RAFT_WS_PROTOCOL,
        headers,
        frameBytesMax: this.options.frameBytesMax,
        timeoutMs: DIAL_TIMEOUT_MS,
      });
    } catch (error) {
      // Peers start in any order and come and go: a failed dial is retried quietly; the
      // "disconnected" warning below is what marks a link that was up going down. A peer that
      // answers and refuses us (another cluster secret, other shared settings) is said once, here
      // as well as in its own log: retrying will not change it.
      if (!(error instanceof DialError)) throw error;
      if (error.message.startsWith("upgrade refused") && error.message !== this.#refusal) {
        this.#refusal = error.message;
        this.options.logger.warn(
          "Raft peer refused this node (its cluster secret or shared settings differ: see its log)",
          { peer_id: this.id, addr: this.addr, reason: error.message },
        );
      }
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) {
      socket.close();
      return;
    }
    this.#socket = socket;
    this.#refusal = "";
    this.#lastHeardMs = performance.now();
    this.#backoffMs = this.options.reconnectMinMs;
    this.options.logger.info("Raft peer connected", { peer_id: this.id, addr: this.addr });
    socket.onmessage = (data) => {
      this.#lastHeardMs = performance.now();
      try {
        const frame = decodeFrame(data);
        if (frame.kind === "pong") this.#rttSeconds = (performance.now() - frame.sentAtMs) / 1000;
      } catch {
        // A peer answering garbage on our link: drop the frame; the reconnect logic copes.
      }
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.#socket = null;
      if (this.#closed) return;
      this.options.logger.warn("Raft peer disconnected", { peer_id: this.id, addr: this.addr });
      this.onUnreachable(this.id);
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    const delay = this.#backoffMs * (0.5 + Math.random() / 2);
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.options.reconnectMaxMs);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }
}

function closeQuietly(socket: WebSocket): void {
  try {
    socket.close();
  } catch {
    // Closing a socket that is already closing is not an error worth reporting.
  }
}

/** Compares without an early exit, so the time taken does not reveal the matching prefix. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
