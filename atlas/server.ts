/**
 * atlasd's RESP server: `Deno.listen` loop, per-connection state, and the server-level commands
 * (connection, transactions, pub/sub, blocking pops, INFO/CONFIG/COMMAND); every data command
 * runs on the given CommandExecutor. See docs/atlasd.md.
 */
import { OutputLimits, sweepOutputLimits } from "./server/output_limits.ts";
import {
  clientsLimitBytes,
  ClientsMemory,
  type ClientsMemoryLimit,
  evictClients,
} from "./server/client_memory.ts";
import { parseClientsLimit } from "./server/config_params.ts";
import { scriptAclPermits, scriptAclRefusal } from "./server/acl_check.ts";
import { AclFileError, readAclFile } from "./server/acl_file.ts";
export { AclFileError } from "./server/acl_file.ts";
import { AclUsers } from "./server/acl_users.ts";
import type { CommandExecutor } from "./executor.ts";
import { DEFAULT_RESP_LIMITS, type RespLimits } from "./resp/limits.ts";
import { error } from "./store/reply.ts";
import { Blocking } from "./server/blocking.ts";
import { BLOCKING_COMMANDS } from "./server/blocking_commands.ts";
import { STREAM_BLOCKING_COMMANDS } from "./server/stream_blocking_commands.ts";
import { Client, isLoopback } from "./server/client.ts";
import { CLIENT_COMMANDS } from "./server/client_command.ts";
import { ClientPause } from "./server/client_pause.ts";
import { Tracking } from "./server/client_tracking.ts";
import { COMMAND_COMMANDS } from "./server/command_command.ts";
import { CONFIG_COMMANDS } from "./server/config.ts";
import { CONNECTION_COMMANDS } from "./server/connection_commands.ts";
import { QUERY_BUFFER_BYTES_DEFAULT, serveConnection } from "./server/connection.ts";
import { newStats, type ServerContext, type ServerStats } from "./server/context.ts";
import { KeyspaceEvents } from "./server/keyspace_events.ts";
import { sampleInfo, serverMemory } from "./server/info.ts";
import { InfoSampler, METRIC_PERIOD_MS } from "./server/info_stats.ts";
import { MONITOR_COMMANDS, Monitors } from "./server/monitor.ts";
import { CommandTiming } from "./server/command_timing.ts";
import { LATENCY_COMMANDS } from "./server/latency.ts";
import { SLOWLOG_COMMANDS } from "./server/slowlog.ts";
import { SERVER_COMMANDS } from "./server/server_commands.ts";
import { MIGRATE_COMMAND } from "./server/migrate_command.ts";
import { MigrateSockets } from "./server/migrate_sockets.ts";
import { PubSub } from "./server/pubsub.ts";
import { PUBSUB_COMMANDS } from "./server/pubsub_commands.ts";
import { rejectionText } from "./server/rejections.ts";
import { REPLICATION_COMMANDS } from "./server/replication_commands.ts";
import { scriptServerHook } from "./server/script_server_commands.ts";
import { IdleTimeout } from "./server/idle_timeout.ts";
import { COUNTED_SUBCOMMANDS } from "./server/subcommands.ts";
import { CommandTable, specsOf } from "./server/table.ts";
import type {
  PersistenceHooks,
  ReplicationHooks,
  ServerLogger,
  StoreHooks,
} from "./server/types.ts";
import { TRANSACTION_COMMANDS } from "./server/transactions.ts";
import { Watches } from "./server/watches.ts";

export type {
  PersistenceHooks,
  ReplicationHooks,
  ServerLogger,
  StoreHooks,
} from "./server/types.ts";

export interface AtlasServerOptions {
  /** Runs every data command (the embedded engine, or a replicated executor). */
  readonly executor: CommandExecutor;
  /** Change notifications (WATCH, blocking pops), the command table and INFO keyspace facts. */
  readonly store?: StoreHooks;
  /** SAVE / BGSAVE / BGREWRITEAOF / LASTSAVE and INFO persistence (the durability engine). */
  readonly persistence?: PersistenceHooks;
  /** Extra INFO sections by lower-case name, listed in INFO's default output (e.g. "raft"). */
  readonly infoSections?: Record<string, () => Record<string, string | number>>;
  /** Replicas for WAIT and ROLE (a Raft cluster); absent on a standalone server. */
  readonly replication?: ReplicationHooks;
  /** Stops the process for SHUTDOWN (the daemon's orderly stop); absent: SHUTDOWN is refused. */
  readonly shutdown?: () => void;
  /** Default "127.0.0.1". */
  readonly hostname?: string;
  /** Default 6379; 0 picks a free port (see `addr`). */
  readonly port?: number;
  /** Empty or absent: no password. */
  readonly requirepass?: string;
  /**
   * Redis's `aclfile`: its users are loaded at start (an error in it stops the start, as in
   * Redis); ACL LOAD / SAVE read and write it.
   */
  readonly aclfile?: string;
  /** Default true: with no password and a non-loopback bind, only loopback clients are served. */
  readonly protectedMode?: boolean;
  /** Default 10000. */
  readonly maxclients?: number;
  /** maxmemory-clients: bytes, or "N%" of maxmemory (default 0: no client eviction). */
  readonly maxmemoryClients?: number | string;
  /** Redis's `timeout`: close a client idle this many seconds (default 0: never). */
  readonly timeout?: number;
  /** notify-keyspace-events flag letters (Redis's, e.g. "KEA"); default "" (off). */
  readonly notifyKeyspaceEvents?: string;
  readonly limits?: Partial<RespLimits>;
  readonly logger?: ServerLogger;
  /**
   * Called with the address once listening, and again after CONFIG SET port moved the listener
   * (with null when port 0 closed it, as Redis's port 0 stops TCP listening).
   */
  readonly onListen?: (addr: Deno.NetAddr | null) => void;
  /** Whether CONFIG SET port may move the listener (default true; a Raft member's may not). */
  readonly movableListener?: boolean;
}

/** Per-command counters (metrics: atlas_commands_total, atlas_command_duration_seconds). */
export interface CommandStat {
  readonly command: string;
  readonly calls: number;
  readonly durationSeconds: number;
  readonly failedCalls: number;
  readonly rejectedCalls: number;
}

/** Counters INFO shows but the embedding application's stats leave out. */
type InfoOnlyStats = "reads" | "writes" | "errorReplies" | "errors" | "syncFull" | "syncPartialErr";

export interface AtlasServerStats extends Readonly<Omit<ServerStats, InfoOnlyStats>> {
  readonly connectedClients: number;
  /** What the clients hold in memory now (client_memory.ts). */
  readonly clientsMemoryBytes: number;
  readonly blockedClients: number;
  commands(): CommandStat[];
}

export interface AtlasServer {
  readonly addr: Deno.NetAddr;
  readonly stats: AtlasServerStats;
  /**
   * Reports a latency event from outside the server (the engine's `expire-cycle`, its
   * `aof-fsync-always`): the latency monitor keeps it when at or over its threshold.
   */
  latencyEvent(event: string, ms: number): void;
  /** Stops accepting, closes every connection; resolves when all are gone. */
  close(): Promise<void>;
}

const NOOP_LOGGER: ServerLogger = { info() {}, warn() {}, error() {} };

export function startAtlasServer(options: AtlasServerOptions): AtlasServer {
  let hostname = options.hostname ?? "127.0.0.1";
  let listener: Deno.TcpListener | null = listenResp(hostname, options.port ?? 6379);
  let addr = listener.addr as Deno.NetAddr;
  const ctx = createContext(options, hostname, addr.port);
  const badEvents = ctx.keyspaceEvents.configure(options.notifyKeyspaceEvents ?? "");
  if (badEvents !== null) {
    listener.close();
    throw new RangeError(`notify-keyspace-events: ${badEvents}`);
  }
  const connections = new Set<Promise<void>>();
  let nextId = 1;
  options.store?.setModificationListener((key, db, expired) => {
    ctx.watches.touched(key, db);
    ctx.blocking.touched(key, db);
    // Tracking is by key name whatever the database, as in Redis; a flush empties its table
    // even while nobody tracks.
    if (ctx.tracking.count !== 0 || key === null) ctx.tracking.touched(key, expired === true);
  });
  options.store?.setScriptCommandHook?.(
    Object.assign(ctx.timing.scriptCommandHook(ctx), {
      refuse: scriptAclRefusal(ctx),
      permits: scriptAclPermits(ctx),
    }),
  );
  options.store?.setScriptServerHook?.(scriptServerHook(ctx));
  if (options.store?.setReadyListener) {
    options.store.setReadyListener((key, db) => ctx.blocking.signal(key, db));
    ctx.blocking.signalsReported = true;
  }
  options.store?.setServerMemory?.(() => serverMemory(ctx));
  // Not on a Raft node: every replica evicts on its own as it applies the log, so only what they
  // all hold alike (the data) may decide what goes, never one node's clients.
  if (options.replication === undefined) {
    options.store?.setClientsMemory?.(() => ctx.clientsMemory.bytes);
  }
  if (options.store?.setFlushListener) {
    options.store.setFlushListener((db, emptied, replacedWith) =>
      ctx.watches.flushing(db, emptied, replacedWith)
    );
    ctx.watches.flushesReported = true;
  }
  if (options.store?.holdsKey) {
    const store = options.store;
    ctx.watches.holdsKey = (key, db) => store.holdsKey!(key, db);
  }

  const accept = async (from: Deno.TcpListener) => {
    for await (const conn of from) {
      const rejection = rejectionText(ctx, conn);
      if (rejection !== null) {
        ctx.stats.rejectedConnections++;
        void refuse(conn, rejection);
        continue;
      }
      ctx.stats.totalConnections++;
      try {
        conn.setNoDelay(true);
        // Redis's tcp-keepalive: a peer whose host vanished (power loss, a dropped NAT entry)
        // is found dead and its connection, with any blocked command, goes away. Deno sets
        // SO_KEEPALIVE only, so the probes follow the OS's timing (net.ipv4.tcp_keepalive_*).
        // CONFIG SET tcp-keepalive 0 leaves it off, as in Redis.
        if (ctx.settings.tcpKeepaliveSeconds > 0) conn.setKeepAlive(true);
      } catch (err) {
        ctx.logger.warn("Socket options failed", { error: String(err) });
      }
      const client = new Client(
        nextId++,
        conn,
        ctx.settings.limits,
        ctx.users.defaultUser,
        ctx.users.openByDefault,
        Date.now(),
      );
      ctx.clients.set(client.id, client);
      ctx.clientsMemory.add(client);
      const done: Promise<void> = serveConnection(ctx, client).finally(() =>
        connections.delete(done)
      );
      connections.add(done);
      client.ended = done;
    }
  };
  // One accept loop per listener: CONFIG SET port starts the new one before closing the old.
  const accepting = new Set<Promise<void>>();
  const acceptFrom = (from: Deno.TcpListener) => {
    const loop: Promise<void> = accept(from)
      .catch((err) => ctx.logger.error("Accept loop failed", { error: String(err) }))
      .finally(() => accepting.delete(loop));
    accepting.add(loop);
  };
  acceptFrom(listener);
  // CONFIG SET port / bind (Redis's changeListenPort / changeBindAddr): the new listener is bound
  // before the old one closes, so a failed bind leaves the server where it was; connections
  // already open stay.
  if (options.movableListener !== false) {
    ctx.moveListener = (port: number, to = hostname): string | null => {
      if (port === ctx.port && to === hostname) return null;
      if (port === 0 && ctx.port === 0) {
        hostname = ctx.hostname = to; // not listening: the address is for a later CONFIG SET port
        return null;
      }
      const failed = (err: unknown) => {
        ctx.logger.warn("Cannot move the listener", {
          address: hostPort(to, port),
          error: String(err),
        });
        return to === hostname
          ? "Unable to listen on this port. Check server logs."
          : "Failed to bind to specified addresses.";
      };
      let next: Deno.TcpListener | null = null;
      if (port !== 0) {
        try {
          next = listenResp(to, port);
        } catch (err) {
          // Another address overlapping the one listened on, same port (127.0.0.1 to 0.0.0.0):
          // the port stays taken until the old listener's pending accept ends, an await that a
          // CONFIG SET cannot make. Refused; the listener stays where it was.
          if (err instanceof Deno.errors.AddrInUse && port === ctx.port && to !== hostname) {
            failed(err);
            return "Failed to bind to specified addresses. (an address overlapping the one " +
              "listened on cannot take over its port at run time: restart atlasd with --listen)";
          }
          return failed(err);
        }
      }
      const previous = hostPort(hostname, ctx.port);
      hostname = to;
      ctx.hostname = to;
      listener?.close();
      listener = next;
      if (next === null) {
        ctx.port = 0;
        ctx.logger.warn("Stopped listening (CONFIG SET port 0)", {
          listener: "resp",
          address: hostPort(hostname, addr.port),
        });
        options.onListen?.(null);
        return null;
      }
      addr = next.addr as Deno.NetAddr;
      ctx.port = addr.port;
      acceptFrom(next);
      ctx.logger.info("Listening", {
        listener: "resp",
        address: hostPort(hostname, addr.port),
        tls: false,
        previous,
      });
      options.onListen?.(addr);
      return null;
    };
  }
  options.onListen?.(addr);
  // Redis's serverCron samples: instantaneous_ops_per_sec / *_kbps, used_memory_peak.
  // And its clientsCron: clients' memory is recounted (the largest closed past maxmemory-clients),
  // idle clients past `timeout` are closed, and those over an output soft limit for longer than
  // allowed; MIGRATE's connections unused for 10 s are closed.
  const sampling = setInterval(() => {
    if (ctx.cronPaused) return;
    const nowMs = Date.now();
    ctx.clientsMemory.recount();
    evictClients(ctx);
    sampleInfo(ctx, nowMs);
    ctx.idleTimeout.sweep(ctx, nowMs);
    sweepOutputLimits(ctx, nowMs);
    ctx.migrateSockets.sweep(nowMs);
  }, METRIC_PERIOD_MS);
  Deno.unrefTimer(sampling);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sampling);
      listener?.close();
      listener = null;
      ctx.moveListener = null;
      await Promise.all([...accepting]);
      ctx.pause.close();
      ctx.migrateSockets.closeAll();
      ctx.blocking.cancelAll(error("ERR server is shutting down"));
      for (const client of [...ctx.clients.values()]) ctx.disconnect(client);
      await Promise.all([...connections]);
      options.store?.setModificationListener(null);
      options.store?.setReadyListener?.(null);
      options.store?.setScriptCommandHook?.(null);
      options.store?.setScriptServerHook?.(null);
      options.store?.setFlushListener?.(null);
      options.store?.setServerMemory?.(null);
      options.store?.setClientsMemory?.(null);
      ctx.keyspaceEvents.close();
      ctx.tracking.close();
    })();
    return closing;
  };
  const latencyEvent = (event: string, ms: number) => {
    const thresholdMs = ctx.timing.latency.thresholdMs;
    if (thresholdMs > 0 && ms >= thresholdMs) ctx.timing.latency.add(event, Math.floor(ms));
  };
  return {
    /** The address listened on (the last one, after CONFIG SET port 0). */
    get addr() {
      return addr;
    },
    stats: statsView(ctx),
    close,
    latencyEvent,
  };
}

function createContext(options: AtlasServerOptions, hostname: string, port: number): ServerContext {
  const store = options.store;
  const table = new CommandTable(specsOf(store?.commands), [
    ...CONNECTION_COMMANDS,
    ...CLIENT_COMMANDS,
    ...TRANSACTION_COMMANDS,
    ...PUBSUB_COMMANDS,
    ...BLOCKING_COMMANDS,
    ...STREAM_BLOCKING_COMMANDS,
    ...SERVER_COMMANDS,
    MIGRATE_COMMAND,
    ...REPLICATION_COMMANDS,
    ...MONITOR_COMMANDS,
    ...SLOWLOG_COMMANDS,
    ...LATENCY_COMMANDS,
    ...CONFIG_COMMANDS,
    ...COMMAND_COMMANDS,
  ], COUNTED_SUBCOMMANDS);
  const clients = new Map<number, Client>();
  const outputLimits = new OutputLimits();
  const pubsub = new PubSub(outputLimits);
  const tracking = new Tracking(clients);
  const ctx: ServerContext = {
    executor: options.executor,
    store,
    databases: store?.databases ?? 1,
    settings: {
      requirepass: options.requirepass ?? "",
      protectedMode: options.protectedMode ?? true,
      maxclients: options.maxclients ?? 10_000,
      tcpKeepaliveSeconds: 300,
      outputLimits,
      maxmemoryClients: clientsLimitOption(options.maxmemoryClients),
      queryBufferBytesMax: QUERY_BUFFER_BYTES_DEFAULT,
      limits: { ...DEFAULT_RESP_LIMITS, ...options.limits },
    },
    clients,
    clientsMemory: new ClientsMemory(
      clients,
      {
        clientsBytes: () => clientsLimitBytes(ctx),
        maxmemoryBytes: () => store?.maxmemoryBytes ?? 0,
      },
      () => void evictClients(ctx),
    ),
    migrateSockets: new MigrateSockets(),
    table,
    users: new AclUsers(options.requirepass ?? ""),
    scriptCaller: null,
    pubsub,
    blocking: new Blocking(options.executor, tracking),
    watches: new Watches(),
    // Paused clients see a constant dataset: the engine holds expiry meanwhile, as Redis does.
    pause: new ClientPause((held) => options.persistence?.holdExpiry?.(held)),
    tracking,
    monitors: new Monitors(outputLimits),
    keyspaceEvents: new KeyspaceEvents(pubsub, store),
    timing: new CommandTiming(),
    idleTimeout: Object.assign(new IdleTimeout(), { seconds: options.timeout ?? 0 }),
    cronPaused: false,
    replication: options.replication,
    shutdown: options.shutdown,
    stats: newStats(),
    // used_memory_startup: what the server counts before any data (Redis's startup figure).
    sampler: new InfoSampler(options.store?.stats?.baseMemoryBytes ?? 0),
    persistence: options.persistence ?? {},
    infoSections: options.infoSections ?? {},
    logger: options.logger ?? NOOP_LOGGER,
    startedMs: Date.now(),
    hostname,
    port,
    moveListener: null,
    disconnect(client) {
      if (client.closed && !ctx.clients.has(client.id)) return;
      client.closed = true;
      client.unblock?.();
      ctx.pubsub.removeClient(client);
      ctx.watches.unwatchAll(client);
      ctx.tracking.disable(client);
      ctx.monitors.remove(client);
      client.replicationFeed?.stop();
      ctx.clientsMemory.remove(client);
      if (ctx.clients.delete(client.id)) {
        ctx.stats.netOutputBytes += client.output.bytesWritten;
        ctx.stats.writes += client.output.writes;
      }
      try {
        client.conn.close();
      } catch {
        // Already closed by the peer or by an earlier disconnect.
      }
    },
  };
  if (options.aclfile !== undefined) {
    // Before listening: a server whose users cannot be read must not start (as Redis aborts).
    const loaded = readAclFile(options.aclfile, table);
    if (typeof loaded === "string") {
      throw new AclFileError(`Aborting startup because of ACL errors: ${loaded}`);
    }
    ctx.users.replaceAll(loaded);
    ctx.users.file = options.aclfile;
  }
  ctx.monitors.onOverflow = (client) => {
    ctx.logger.warn("Closing monitor over the output buffer limit", { addr: client.addr });
    ctx.disconnect(client);
  };
  ctx.pubsub.onOverflow = (client) => {
    ctx.logger.warn("Closing subscriber over the output buffer limit", { addr: client.addr });
    ctx.disconnect(client);
  };
  return ctx;
}

async function refuse(conn: Deno.Conn, text: string): Promise<void> {
  try {
    await conn.write(new TextEncoder().encode(`-${text}\r\n`));
  } catch {
    // The peer may already be gone; it is refused either way.
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

function statsView(ctx: ServerContext): AtlasServerStats {
  const s = ctx.stats;
  return {
    get totalConnections() {
      return s.totalConnections;
    },
    get rejectedConnections() {
      return s.rejectedConnections;
    },
    get netInputBytes() {
      return s.netInputBytes;
    },
    get netOutputBytes() {
      let n = s.netOutputBytes;
      for (const c of ctx.clients.values()) n += c.output.bytesWritten;
      return n;
    },
    get pubsubMessages() {
      return s.pubsubMessages;
    },
    get connectedClients() {
      return ctx.clients.size;
    },
    get clientsMemoryBytes() {
      return ctx.clientsMemory.bytes;
    },
    get evictedClients() {
      return s.evictedClients;
    },
    get blockedClients() {
      return ctx.blocking.blockedClients + ctx.pause.heldCount;
    },
    commands() {
      return [...ctx.table.allStats()].filter((e) => e.calls > 0 || e.rejectedCalls > 0).map((
        e,
      ) => ({
        command: e.name,
        calls: e.calls,
        durationSeconds: e.durationUs / 1e6,
        failedCalls: e.failedCalls,
        rejectedCalls: e.rejectedCalls,
      }));
    },
  };
}

export { isLoopback };

/** host:port, IPv6 hosts in brackets. */
function hostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/**
 * Deno.listen with the address in a bind failure's message (same error class): Deno's says only
 * "Address already in use", and `helios` prints this one line instead of a stack.
 */
function listenResp(hostname: string, port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname, port, transport: "tcp" });
  } catch (error) {
    if (
      !(error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable)
    ) {
      throw error;
    }
    const address = hostPort(hostname, port);
    const reason = error instanceof Deno.errors.AddrInUse
      ? "address already in use"
      : "address not available on this host";
    const ErrorClass = error.constructor as new (message: string, options?: ErrorOptions) => Error;
    throw new ErrorClass(`cannot listen on ${address} (resp): ${reason}`, { cause: error });
  }
}

/** The maxmemory-clients option as a limit (CONFIG SET's syntax); throws RangeError. */
function clientsLimitOption(value: number | string | undefined): ClientsMemoryLimit {
  if (value === undefined) return { bytes: 0 };
  const parsed = parseClientsLimit(String(value));
  if (typeof parsed === "string") throw new RangeError(`maxmemory-clients ${value}: ${parsed}`);
  return parsed;
}
