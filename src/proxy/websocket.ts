/**
 * WebSocket proxying: dial the target first (so a dead target gives a clean 502 instead of an
 * accepted-then-closed socket), then upgrade the client with the subprotocol the target chose
 * and relay messages and closes both ways. Messages that arrive before the other side is open
 * are queued (bounded).
 */
import { problemResponse } from "../errors/mod.ts";
import { noTarget, upstreamFailed } from "./errors.ts";
import type { Upstream } from "./upstream.ts";

/** Messages held while one side is still opening; more than this closes the tunnel. */
export const WS_QUEUE_MAX = 1024;

export function isWebSocketUpgrade(headers: Headers): boolean {
  return headers.get("upgrade")?.toLowerCase() === "websocket";
}

export interface WebSocketForward {
  upstream: Upstream;
  pathAndQuery: string;
  /** Rewritten request headers (forwarding applied); sec-websocket-* removed here. */
  headers: [string, string][];
  requestId: string;
  hashKey: string | undefined;
}

type Message = string | ArrayBufferLike | Blob | ArrayBufferView;

export async function proxyWebSocket(req: Request, fw: WebSocketForward): Promise<Response> {
  const lease = fw.upstream.pick(null, fw.hashKey);
  if (lease === null || lease === "busy") {
    return problemResponse(noTarget(fw.upstream.name), { requestId: fw.requestId });
  }
  const protocols = (req.headers.get("sec-websocket-protocol") ?? "").split(",")
    .map((p) => p.trim()).filter((p) => p !== "");
  const headers: Record<string, string> = {};
  for (const [name, value] of fw.headers) {
    if (!name.startsWith("sec-websocket-") && name !== "host") headers[name] = value;
  }
  const url = lease.target.base.replace(/^http/, "ws") + fw.pathAndQuery;
  const target = new WebSocket(url, { protocols, headers });
  target.binaryType = "arraybuffer";
  const opened = await waitOpen(target, fw.upstream.timings.connectMs);
  if (opened !== true) {
    fw.upstream.release(lease, false);
    return problemResponse(
      upstreamFailed(
        fw.upstream.name,
        opened === "websocket connect timeout" ? opened : "websocket handshake failed",
      ),
      { requestId: fw.requestId },
    );
  }
  // The handshake counts as the request; the tunnel keeps holding a connection slot.
  fw.upstream.release(lease, true);
  lease.target.connections++;
  const { socket, response } = Deno.upgradeWebSocket(req, {
    ...(target.protocol ? { protocol: target.protocol } : {}),
  });
  socket.binaryType = "arraybuffer";
  relay(socket, target, () => lease.target.connections--);
  return response;
}

function waitOpen(socket: WebSocket, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve("websocket connect timeout");
    }, timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.onerror = (event) => {
      clearTimeout(timer);
      resolve((event as ErrorEvent).message || "websocket connect failed");
    };
  });
}

/** Close codes that may not be sent on the wire are replaced by 1000 or 1011. */
function sendableCode(code: number): number {
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) return code;
  return code === 1005 ? 1000 : 1011;
}

function relay(client: WebSocket, target: WebSocket, closed: () => void): void {
  const pending: Message[] = [];
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    closed();
  };
  const closeBoth = (code: number, reason: string) => {
    for (const ws of [client, target]) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        ws.close(sendableCode(code), reason.slice(0, 120));
      }
    }
    finish();
  };
  target.onmessage = (event) => {
    if (client.readyState === WebSocket.OPEN) client.send(event.data);
    else if (pending.length < WS_QUEUE_MAX) pending.push(event.data);
    else closeBoth(1011, "proxy queue full");
  };
  client.onopen = () => {
    for (const message of pending.splice(0)) client.send(message);
  };
  client.onmessage = (event) => {
    if (target.readyState === WebSocket.OPEN) target.send(event.data);
  };
  client.onclose = (event) => closeBoth(event.code, event.reason);
  target.onclose = (event) => closeBoth(event.code, event.reason);
  client.onerror = () => closeBoth(1011, "client error");
  target.onerror = () => closeBoth(1011, "upstream error");
}
