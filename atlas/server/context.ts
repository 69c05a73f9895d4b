/** State shared by every connection of one server: settings, registries, counters. */
import type { ClientsMemory, ClientsMemoryLimit } from "./client_memory.ts";
import type { MigrateSockets } from "./migrate_sockets.ts";
import type { OutputLimits } from "./output_limits.ts";
import type { CommandExecutor } from "../executor.ts";
import type { RespLimits } from "../resp/limits.ts";
import type { AclUsers } from "./acl_users.ts";
import type { Client } from "./client.ts";
import type { Blocking } from "./blocking.ts";
import type { InfoSampler } from "./info_stats.ts";
import type { ClientPause } from "./client_pause.ts";
import type { Tracking } from "./client_tracking.ts";
import type { CommandTiming } from "./command_timing.ts";
import type { IdleTimeout } from "./idle_timeout.ts";
import type { KeyspaceEvents } from "./keyspace_events.ts";
import type { Monitors } from "./monitor.ts";
import type { PubSub } from "./pubsub.ts";
import type { CommandTable } from "./table.ts";
import type { Watches } from "./watches.ts";
import type { PersistenceHooks, ReplicationHooks, ServerLogger, StoreHooks } from "./types.ts";

/** Settings CONFIG SET may change at run time. */
export interface Settings {
  requirepass: string;
  protectedMode: boolean;
  maxclients: number;
  /** Redis's tcp-keepalive: 0 leaves SO_KEEPALIVE off on new connections (default 300). */
  tcpKeepaliveSeconds: number;
  /**
   * A client whose unparsed input grows past this many bytes is closed (Redis's
   * client-query-buffer-limit, 1 GiB by default).
   */
  queryBufferBytesMax: number;
  /** client-output-buffer-limit by client class (output_limits.ts). */
  outputLimits: OutputLimits;
  /** maxmemory-clients: past it the largest clients are closed (client_memory.ts). */
  maxmemoryClients: ClientsMemoryLimit;
  /** Shared with every client's parser: CONFIG SET proto-max-bulk-len applies at once. */
  limits: { -readonly [K in keyof RespLimits]: RespLimits[K] };
}

/** Counters for INFO stats and the lead's Prometheus wiring. */
export interface ServerStats {
  totalConnections: number;
  rejectedConnections: number;
  netInputBytes: number;
  netOutputBytes: number;
  pubsubMessages: number;
  /** Socket reads that gave data (INFO total_reads_processed). */
  reads: number;
  /** Socket writes of clients gone (the live ones count their own; total_writes_processed). */
  writes: number;
  /** Error replies sent (INFO total_error_replies). */
  errorReplies: number;
  /** Error replies by prefix ("ERR", "WRONGTYPE"...): INFO errorstats. */
  readonly errors: Map<string, number>;
  /** RDB transfers started by SYNC / PSYNC (INFO sync_full), and PSYNCs for another replid. */
  syncFull: number;
  syncPartialErr: number;
  /** Clients closed for maxmemory-clients (INFO evicted_clients). */
  evictedClients: number;
}

export interface ServerContext {
  readonly executor: CommandExecutor;
  readonly store: StoreHooks | undefined;
  /** How many databases SELECT can choose from (the store's; 1 without one). */
  readonly databases: number;
  readonly settings: Settings;
  readonly clients: Map<number, Client>;
  /** What the clients hold in memory, kept as they change (client_memory.ts). */
  readonly clientsMemory: ClientsMemory;
  /** MIGRATE's connections kept between calls (migrate_sockets.ts). */
  readonly migrateSockets: MigrateSockets;
  readonly table: CommandTable;
  /** ACL users (ACL SETUSER); `default`'s password is requirepass. */
  readonly users: AclUsers;
  /**
   * The client whose command is running while that client's user is restricted: a script it runs
   * checks each call against that user (null otherwise).
   */
  scriptCaller: Client | null;
  readonly pubsub: PubSub;
  readonly blocking: Blocking;
  readonly watches: Watches;
  /** CLIENT PAUSE state; dispatch reads `pause.type` (0: not paused). */
  readonly pause: ClientPause;
  /** CLIENT TRACKING (client-side caching invalidations). */
  readonly tracking: Tracking;
  readonly monitors: Monitors;
  /** notify-keyspace-events: publishes the store's keyspace events. */
  readonly keyspaceEvents: KeyspaceEvents;
  /** Slow log, latency monitor and latency histograms (fed with each command's duration). */
  readonly timing: CommandTiming;
  /** Redis's `timeout`: idle clients closed by the server's cron. */
  readonly idleTimeout: IdleTimeout;
  /** DEBUG PAUSE-CRON 1: the server's cron (INFO samples, the idle-client sweep) is stopped. */
  cronPaused: boolean;
  /** Replicas (a Raft cluster) for WAIT and ROLE; undefined on a standalone server. */
  readonly replication: ReplicationHooks | undefined;
  readonly stats: ServerStats;
  /** INFO's sampled rates (instantaneous_ops_per_sec...) and memory peak. */
  readonly sampler: InfoSampler;
  readonly persistence: PersistenceHooks;
  /** Extra INFO sections by lower-case name (e.g. "raft" in cluster mode), after the built-in ones. */
  readonly infoSections: Readonly<Record<string, () => Record<string, string | number>>>;
  readonly logger: ServerLogger;
  readonly startedMs: number;
  /** The address listened on (CONFIG SET bind moves it). */
  hostname: string;
  /** The port listened on; 0 after CONFIG SET port 0 closed the listener. */
  port: number;
  /**
   * Moves the listener to another port on the same address (CONFIG SET port); returns an error
   * text, or null. Null where the listener may not move (a Raft member) and once the server is
   * closing.
   */
  moveListener: ((port: number, hostname?: string) => string | null) | null;
  /** Stops the server's process (SHUTDOWN); undefined when embedded in an application. */
  readonly shutdown: (() => void) | undefined;
  /** Releases everything a client holds and closes its socket (idempotent). */
  disconnect(client: Client): void;
}

export function newStats(): ServerStats {
  return {
    totalConnections: 0,
    rejectedConnections: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    pubsubMessages: 0,
    reads: 0,
    writes: 0,
    errorReplies: 0,
    errors: new Map(),
    syncFull: 0,
    syncPartialErr: 0,
    evictedClients: 0,
  };
}
