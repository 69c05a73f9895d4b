/**
 * The cross-protocol scripting guard Redis's processCommand has. A web page can make a browser
 * POST to 127.0.0.1:6379; a server that answered the request's "POST / HTTP/1.1" and "Host: ..."
 * lines with unknown-command errors and went on would run whatever commands the body carries. A
 * command named POST or Host: (any case) therefore closes the connection at once: nothing more of
 * its input runs, and none of its replies still waiting is sent. Logged at most once a minute per
 * process, so an attack cannot flood the log.
 */
import { error, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";

const WARN_INTERVAL_MS = 60_000;
let lastWarnedMs = -Infinity;

/** Whether a command name is an HTTP request line or header rather than a command. */
export function isHttpRequestLine(name: string): boolean {
  if (name.length !== 4 && name.length !== 5) return false;
  const lower = name.toLowerCase();
  return lower === "post" || lower === "host:";
}

/** Closes the client without sending anything more; the reply returned is never sent. */
export function abortHttpRequest(ctx: ServerContext, client: Client): Reply {
  const now = Date.now();
  if (now - lastWarnedMs > WARN_INTERVAL_MS) {
    lastWarnedMs = now;
    ctx.logger.warn(
      "Closing a connection that sent an HTTP request (POST or Host:): possibly a cross-protocol attack from a web page",
      { addr: client.addr },
    );
  }
  client.closeAfterFlush = true;
  client.output.failed = true;
  return error("ERR connection closed: HTTP request on the RESP port");
}
