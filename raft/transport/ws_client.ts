/**
 * The dialling side of a Raft peer link: a minimal RFC 6455 WebSocket client over Deno.connect /
 * Deno.connectTls, written for one reason: the socket must have TCP_NODELAY.
 *
 * Deno's `WebSocket` client leaves Nagle's algorithm on. A link carries traffic one way only
 * (answers come back on the link the peer dialled), so nothing piggybacks the TCP ACK: once a
 * small frame is in flight, the next one waits for the receiver's delayed ACK, up to 40 ms on
 * Linux. That showed up as a 40 ms mode in write latency under load.
 *
 * Only what a peer link needs: binary messages out (masked, as a client must), binary messages
 * in (answers to pings), ping/pong/close control frames, bounded frames and handshake.
 */
const HANDSHAKE_BYTES_MAX = 16 * 1024;
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_CONTINUATION = 0x0;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

export interface DialOptions {
  /** "host:port" or "[v6]:port", exactly as configured. */
  addr: string;
  path: string;
  tls: boolean;
  protocol: string;
  headers: Record<string, string>;
  /** Inbound frames (and reassembled messages) above this close the link. */
  frameBytesMax: number;
  /** A dial that has not completed its handshake by then fails. */
  timeoutMs: number;
}

export class DialError extends Error {}

/** An open WebSocket connection we dialled. Callbacks are set by the owner right after dial. */
export class DialedWebSocket {
  onmessage: (data: Uint8Array) => void = () => {};
  onclose: () => void = () => {};
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  #closed = false;

  private constructor(private readonly conn: Deno.Conn, private readonly frameBytesMax: number) {}

  /** Connects, upgrades and starts reading; rejects with DialError on any failure. */
  static async dial(options: DialOptions): Promise<DialedWebSocket> {
    const { hostname, port } = splitAddr(options.addr);
    let conn: Deno.Conn | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        conn?.close();
      } catch { /* already closed */ }
    }, options.timeoutMs);
    try {
      const tcp = await Deno.connect({ hostname, port });
      conn = tcp;
      if (timedOut) throw new DialError("timed out");
      tcp.setNoDelay(true);
      if (options.tls) conn = await Deno.startTls(tcp, { hostname });
      const leftover = await handshake(conn, options);
      const socket = new DialedWebSocket(conn, options.frameBytesMax);
      socket.#readLoop(leftover);
      return socket;
    } catch (error) {
      try {
        conn?.close();
      } catch { /* already closed */ }
      if (error instanceof DialError) throw error;
      throw new DialError(timedOut ? "timed out" : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  get open(): boolean {
    return !this.#closed;
  }

  /** Bytes handed to send() and not yet written to the socket. */
  get bufferedAmount(): number {
    return this.#queuedBytes;
  }

  /** Sends one binary message (one frame). */
  send(payload: Uint8Array): void {
    this.#enqueue(encodeClientFrame(OPCODE_BINARY, payload));
  }

  close(): void {
    if (this.#closed) return;
    // Best effort: a close frame if the socket can take it now; the peer also copes without.
    this.#enqueue(encodeClientFrame(OPCODE_CLOSE, new Uint8Array(0)));
    this.#shutdown();
  }

  #enqueue(frame: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    if (!this.#writing) this.#writeLoop();
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const frames = this.#queue;
        this.#queue = [];
        const bytes = frames.length === 1 ? frames[0] : concat(frames);
        let written = 0;
        while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
        this.#queuedBytes -= bytes.length;
      }
    } catch {
      this.#shutdown();
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop(initial: Uint8Array): Promise<void> {
    const reader = new FrameReader(this.frameBytesMax);
    reader.push(initial);
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (!this.#closed) {
        for (let frame = reader.next(); frame; frame = reader.next()) {
          if (frame.opcode === OPCODE_PING) {
            this.#enqueue(encodeClientFrame(OPCODE_PONG, frame.data));
          } else if (frame.opcode === OPCODE_CLOSE) return;
          else if (frame.opcode === OPCODE_BINARY) this.onmessage(frame.data);
        }
        const n = await this.conn.read(chunk);
        if (n === null) return;
        reader.push(chunk.subarray(0, n));
      }
    } catch {
      // A broken connection or a malformed frame: either way the link is over.
    } finally {
      this.#shutdown();
    }
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Let a queued close frame go out first when the writer is idle; otherwise just close.
    const pending = this.#queue;
    this.#queue = [];
    const closeConn = () => {
      try {
        this.conn.close();
      } catch { /* already closed */ }
    };
    if (!this.#writing && pending.length > 0) {
      this.conn.write(concat(pending)).catch(() => {}).finally(closeConn);
    } else {
      closeConn();
    }
    this.onclose();
  }
}

/** Sends the upgrade request and checks the 101 answer; returns bytes read past the head. */
async function handshake(conn: Deno.Conn, options: DialOptions): Promise<Uint8Array> {
  const key = encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
  const lines = [
    `GET ${options.path} HTTP/1.1`,
    `Host: ${options.addr}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
    `Sec-WebSocket-Protocol: ${options.protocol}`,
    ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  const request = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
  let written = 0;
  while (written < request.length) written += await conn.write(request.subarray(written));

  let received: Uint8Array = new Uint8Array(0);
  let headEnd = -1;
  const chunk = new Uint8Array(4096);
  while (headEnd < 0) {
    const n = await conn.read(chunk);
    if (n === null) throw new DialError("closed during the handshake");
    received = concat([received, chunk.subarray(0, n)]);
    headEnd = indexOfHeadEnd(received);
    if (headEnd < 0 && received.length > HANDSHAKE_BYTES_MAX) {
      throw new DialError("handshake answer too large");
    }
  }
  const head = new TextDecoder().decode(received.subarray(0, headEnd));
  const [statusLine, ...headerLines] = head.split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  if (status !== 101) throw new DialError(`upgrade refused: ${statusLine}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + WEBSOCKET_GUID),
  );
  if (headers.get("sec-websocket-accept") !== encodeBase64(new Uint8Array(digest))) {
    throw new DialError("upgrade answer has a wrong Sec-WebSocket-Accept");
  }
  if (headers.get("sec-websocket-protocol") !== options.protocol) {
    throw new DialError("peer did not agree to the Raft subprotocol");
  }
  return received.slice(headEnd + 4);
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** A client frame: FIN set, masked with a fresh random key (RFC 6455 §5.3). */
export function encodeClientFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerBytes = 2 + lengthBytes + 4;
  const frame = new Uint8Array(headerBytes + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, 2 + lengthBytes);
  const body = headerBytes;
  for (let i = 0; i < length; i++) frame[body + i] = payload[i] ^ mask[i & 3];
  return frame;
}

interface Frame {
  opcode: number;
  data: Uint8Array;
}

/** Incremental frame parser for what a server sends: bounded, fragments reassembled. */
export class FrameReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #fragments: Uint8Array[] = [];
  #fragmentsBytes = 0;
  #fragmentOpcode = 0;

  constructor(private readonly frameBytesMax: number) {}

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#buffer = this.#buffer.length === 0 ? bytes.slice() : concat([this.#buffer, bytes]);
  }

  /** The next complete message or control frame, or null until more bytes arrive. */
  next(): Frame | null {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return null;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return null;
        length = (b[2] << 8) | b[3];
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return null;
        const big = new DataView(b.buffer, b.byteOffset).getBigUint64(2);
        if (big > BigInt(this.frameBytesMax)) throw new Error("frame too large");
        length = Number(big);
        offset = 10;
      }
      if (length > this.frameBytesMax) throw new Error("frame too large");
      const maskAt = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) return null;
      const data = b.slice(offset, offset + length);
      if (masked) { for (let i = 0; i < length; i++) data[i] ^= b[maskAt + (i & 3)]; }
      this.#buffer = b.subarray(offset + length);
      if (opcode >= 0x8) return { opcode, data }; // control frames are never fragmented
      const message = this.#assemble(fin, opcode, data);
      if (message) return message;
    }
  }

  #assemble(fin: boolean, opcode: number, data: Uint8Array): Frame | null {
    if (opcode !== OPCODE_CONTINUATION) {
      if (fin) return { opcode, data };
      this.#fragmentOpcode = opcode;
      this.#fragments = [data];
      this.#fragmentsBytes = data.length;
      return null;
    }
    if (this.#fragments.length === 0) throw new Error("continuation without a first fragment");
    this.#fragments.push(data);
    this.#fragmentsBytes += data.length;
    if (this.#fragmentsBytes > this.frameBytesMax) throw new Error("message too large");
    if (!fin) return null;
    const message = { opcode: this.#fragmentOpcode, data: concat(this.#fragments) };
    this.#fragments = [];
    this.#fragmentsBytes = 0;
    return message;
  }
}

function splitAddr(addr: string): { hostname: string; port: number } {
  const colon = addr.lastIndexOf(":");
  const port = Number(addr.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DialError(`not a host:port address: ${addr}`);
  }
  const host = addr.slice(0, colon);
  return { hostname: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

/** Base64 of a few bytes (keys and digests of the handshake). */
function encodeBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
