/**
 * The proxy as one object: holds the current snapshot, turns each inbound request into a
 * forward (or a WebSocket tunnel), runs active health checks and swaps configs atomically.
 */
import type { HostPort } from "../lib/address.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import type { ListeningServer } from "../lib/http_server.ts";
import type { Logger } from "../observability/logger.ts";
import type { MetricsRegistry } from "../observability/metrics.ts";
import { currentTraceparent, withRemoteParent } from "../observability/tracing.ts";
import type { RoutesFile } from "./config.ts";
import { noRoute } from "./errors.ts";
import { forward, type ForwardDeps } from "./forward.ts";
import type { IncomingRequest } from "./h1_request.ts";
import { serveH1 } from "./h1_server.ts";
import { clientAddress, type HeaderSource, rewriteRequestHeaders } from "./headers.ts";
import { ActiveHealthChecker } from "./health/active.ts";
import { ProxyMetrics } from "./metrics.ts";
import { problemReply, type ProxyReply, type Tunnel } from "./reply.ts";
import { hostOnly } from "./router.ts";
import { allTargets, buildSnapshot, type Snapshot } from "./state.ts";
import type { Target } from "./target.ts";
import type { Upstream } from "./upstream.ts";
import { proxyWebSocket } from "./websocket.ts";

export interface ProxyOptions {
  file: RoutesFile;
  logger: Logger;
  metrics: MetricsRegistry;
  /** proxy.circuit_breaker defaults, overridable per upstream. */
  failureThreshold: number;
  cooldownMs: number;
  healthCheckIntervalMs: number;
  /** "https" when this listener terminates TLS. */
  proto?: string;
  /**
   * Report a server span per request (default: when OTEL_DENO=true, Deno's OpenTelemetry
   * switch). The front end is not Deno.serve, so Deno does not make this span by itself.
   */
  tracing?: boolean;
  clock?: Clock;
  random?: () => number;
}

export class ProxyService {
  private current: Snapshot;
  private readonly client: Deno.HttpClient;
  private readonly metrics: ProxyMetrics;
  private readonly checker: ActiveHealthChecker;
  private readonly logger: Logger;
  private readonly proto: string;
  private readonly tracing: boolean;
  private readonly forwardDeps: ForwardDeps;

  constructor(private readonly options: ProxyOptions) {
    this.logger = options.logger;
    this.proto = options.proto ?? "http";
    this.tracing = options.tracing ?? otelEnabled();
    // allowHost lets the client's Host through (preserve_host); the pool reuses keep-alive
    // connections to every target.
    this.client = Deno.createHttpClient({ allowHost: true, poolIdleTimeout: 90_000 });
    this.current = this.build(options.file, null);
    this.metrics = new ProxyMetrics(options.metrics, () => allTargets(this.current));
    this.forwardDeps = { client: this.client, metrics: this.metrics, logger: this.logger };
    this.checker = new ActiveHealthChecker(
      () => this.current.upstreams,
      options.healthCheckIntervalMs,
      this.client,
      this.logger.child("proxy.health"),
    );
    this.checker.sync();
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  /** Replaces the config in one step. In-flight requests finish on the snapshot they began. */
  apply(file: RoutesFile): number {
    this.current = this.build(file, this.current);
    this.checker.sync();
    this.logger.info("Proxy config applied", {
      version: this.current.version,
      routes: file.routes.length,
      upstreams: Object.keys(file.upstreams).length,
    });
    return this.current.version;
  }

  async close(): Promise<void> {
    await this.checker.stop();
    for (const target of allTargets(this.current)) target.h1?.close();
    this.client.close();
  }

  /** Serves the proxy on `address` (plain HTTP/1.1, see h1_server.ts). */
  listen(address: HostPort): ListeningServer {
    return serveH1({ address, handler: this.handle, logger: this.logger, name: "proxy" });
  }

  /** One request from the front end: route it, then forward it or open a WebSocket tunnel. */
  handle = (
    req: IncomingRequest,
    peer: string,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<ProxyReply | Tunnel> => {
    if (!this.tracing) return this.route(req, peer, body);
    // A server span continuing the client's trace; upstreams get the proxy span as parent.
    return withRemoteParent(
      req.headers.get("traceparent") ?? "",
      `proxy ${req.method}`,
      () => this.route(req, peer, body),
    );
  };

  private route(
    req: IncomingRequest,
    peer: string,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<ProxyReply | Tunnel> {
    const snapshot = this.current;
    const pathAndQuery = req.target;
    const query = pathAndQuery.indexOf("?");
    const path = query < 0 ? pathAndQuery : pathAndQuery.slice(0, query);
    const host = req.host;
    const route = snapshot.router.match(req.method, hostOnly(host), path, req.headers);
    if (route === null) {
      this.metrics.request("none", 404);
      body?.cancel().catch(() => {});
      return problemReply(noRoute(req.method, path), { instance: path });
    }
    const upstream = snapshot.upstreams.get(route.upstream)!;
    const ctx = { peer, proto: this.proto, host, trusted: snapshot.trusted };
    const hashKey = hashKeyOf(upstream, req.headers, ctx);
    // When tracing, upstreams get the proxy's span as their parent.
    const rewritten = rewriteRequestHeaders(
      req.headers,
      ctx,
      this.tracing ? currentTraceparent() : null,
    );
    const requestId = rewritten.requestId;
    const outPath = route.stripPrefix && route.prefix !== "/"
      ? stripPrefix(pathAndQuery, route.prefix)
      : pathAndQuery;
    if (req.websocket) {
      const lines = rewritten.lines;
      return proxyWebSocket({ upstream, pathAndQuery: outPath, lines, host, requestId, hashKey })
        .then((reply) => this.count(route.name, "status" in reply ? reply.status : 101, reply));
    }
    // forward() counts the request in proxy_requests_total itself (one promise less).
    return forward(
      this.forwardDeps,
      route,
      upstream,
      { method: req.method, pathAndQuery: outPath, rewritten, body, requestId, hashKey },
    );
  }

  /** Targets with health, ejection and breaker state, for the admin status view. */
  status(): unknown {
    const snapshot = this.current;
    return {
      version: snapshot.version,
      upstreams: [...snapshot.upstreams.values()].map((upstream) => ({
        name: upstream.name,
        balancer: upstream.config.balancer,
        panic: upstream.inPanic(),
        targets: upstream.targets.map(targetStatus),
      })),
    };
  }

  private count<T>(route: string, status: number, reply: T): T {
    this.metrics.request(route, status);
    return reply;
  }

  private build(file: RoutesFile, previous: Snapshot | null): Snapshot {
    return buildSnapshot(
      file,
      previous,
      { failureThreshold: this.options.failureThreshold, cooldownMs: this.options.cooldownMs },
      this.options.clock ?? systemClock,
      {
        onBreakerChange: (target, state) =>
          this.logger.warn("Circuit state changed", {
            upstream: target.upstream,
            target: target.id,
            state,
          }),
        onEjected: (target) => {
          this.metrics.ejection(target);
          this.logger.warn("Target ejected", {
            upstream: target.upstream,
            target: target.id,
            until: new Date(target.outlier.ejectedUntil).toISOString(),
          });
        },
      },
      this.options.random,
    );
  }
}

function targetStatus(target: Target) {
  return {
    url: target.id,
    weight: target.weight,
    healthy: target.health.healthy,
    ejected: target.outlier.isEjected(),
    circuit: target.breaker.state,
    active: target.active,
    connections: target.connections,
    last_error: target.lastError,
  };
}

function otelEnabled(): boolean {
  try {
    return Deno.env.get("OTEL_DENO") === "true";
  } catch {
    return false; // no env permission: no telemetry either
  }
}

function stripPrefix(pathAndQuery: string, prefix: string): string {
  const rest = pathAndQuery.slice(prefix.endsWith("/") ? prefix.length - 1 : prefix.length);
  return rest.startsWith("/") ? rest : "/" + rest;
}

function hashKeyOf(
  upstream: Upstream,
  headers: HeaderSource,
  ctx: Parameters<typeof clientAddress>[1],
): string | undefined {
  if (upstream.config.balancer !== "consistent_hash") return undefined;
  const { source, name } = upstream.config.hash_on;
  if (source === "ip") return clientAddress(headers, ctx);
  if (source === "header") return headers.get(name) ?? "";
  const cookies = headers.get("cookie") ?? "";
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return "";
}
