/**
 * Deno.serve with the conventions every Helios HTTP listener shares: one "Listening" log line with
 * the bound address (port 0 picks a free port; the line shows the real one), TLS when given,
 * and a graceful shutdown that drains in-flight requests within a bounded time.
 */
import type { Logger } from "../observability/logger.ts";
import { formatHostPort, type HostPort } from "./address.ts";
import { explainListenError } from "./listen_error.ts";

export interface ListeningServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** Stops accepting, waits for in-flight requests up to `drainMs`, then aborts the rest. */
  close(drainMs?: number): Promise<void>;
  readonly finished: Promise<void>;
}

export interface ServeHttpOptions {
  address: HostPort;
  handler: (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>;
  logger: Logger;
  /** Names the listener in the log line: "gateway", "metrics", "proxy". */
  name: string;
  tls?: { cert: string; key: string };
}

export function serveHttp(options: ServeHttpOptions): ListeningServer {
  const abort = new AbortController();
  let bound: HostPort = options.address;
  const server = listening(options, () =>
    Deno.serve({
      hostname: options.address.hostname,
      port: options.address.port,
      signal: abort.signal,
      ...(options.tls ?? {}),
      onListen: (addr) => {
        bound = { hostname: addr.hostname, port: addr.port };
        options.logger.info("Listening", {
          listener: options.name,
          address: formatHostPort(bound),
          tls: Boolean(options.tls),
        });
      },
      onError: (error) => {
        options.logger.error("Unhandled HTTP error", { listener: options.name, error });
        return new Response("Internal Server Error", { status: 500 });
      },
    }, options.handler));
  bound = { hostname: server.addr.hostname, port: server.addr.port };
  return {
    get address() {
      return bound;
    },
    finished: server.finished,
    async close(drainMs = 5000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = server.shutdown();
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          abort.abort();
          resolve();
        }, drainMs);
      });
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      await server.finished;
    },
  };
}

function listening(options: ServeHttpOptions, serve: () => Deno.HttpServer<Deno.NetAddr>) {
  try {
    return serve();
  } catch (error) {
    throw explainListenError(error, options.name, options.address);
  }
}
