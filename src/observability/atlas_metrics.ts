/**
 * Exposes ATLAS's own counters (which atlas/ keeps as plain stats, importing nothing of ours) as
 * Prometheus metrics. Gauges read the stats at scrape time; fsync and snapshot durations arrive
 * through the engine's hooks into histograms.
 */
import type { MetricsRegistry } from "./metrics.ts";

/** The facts this module reads; AtlasEngine and AtlasServer satisfy them structurally. */
export interface AtlasEngineFacts {
  readonly stats: {
    readonly keys: number;
    readonly expiredKeysTotal: number;
    readonly evictedKeysTotal: number;
    readonly usedMemoryBytes: number;
    readonly aofSizeBytes: number;
    readonly lastSnapshotTimestampSeconds: number;
  };
}

export interface AtlasServerFacts {
  readonly stats: {
    readonly connectedClients: number;
    readonly rejectedConnections?: number;
    readonly clientsMemoryBytes?: number;
    readonly evictedClients?: number;
    commands(): readonly { command: string; calls: number; durationSeconds: number }[];
  };
}

export interface AtlasMetricHooks {
  onFsync(seconds: number): void;
  onSnapshot(seconds: number): void;
}

/** Histograms fed by the engine's hooks; create them before opening the engine. */
export function atlasEngineHooks(metrics: MetricsRegistry): AtlasMetricHooks {
  const fsync = metrics.histogram({
    name: "atlas_aof_fsync_duration_seconds",
    help: "Duration of AOF fsyncs in seconds",
  });
  const snapshot = metrics.histogram({
    name: "atlas_snapshot_duration_seconds",
    help: "Duration of snapshots in seconds",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  });
  return { onFsync: (s) => fsync.observe(s), onSnapshot: (s) => snapshot.observe(s) };
}

/** Gauges and counters over the engine's stats, read at scrape time. */
export function registerAtlasEngineMetrics(
  metrics: MetricsRegistry,
  engine: () => AtlasEngineFacts | null,
): void {
  const stat = <K extends keyof AtlasEngineFacts["stats"]>(key: K) => engine()?.stats[key] ?? 0;
  const gauge = (name: string, help: string, read: () => number) =>
    metrics.gauge({
      name,
      help,
      collect() {
        this.set(read());
      },
    });
  gauge("atlas_store_keys", "Keys in the keyspace", () => stat("keys"));
  gauge(
    "atlas_used_memory_bytes",
    "Estimated memory used by the keyspace in bytes",
    () => stat("usedMemoryBytes"),
  );
  gauge(
    "atlas_aof_size_bytes",
    "Size of the live append-only file parts in bytes",
    () => stat("aofSizeBytes"),
  );
  gauge(
    "atlas_last_snapshot_timestamp_seconds",
    "Unix time of the last successful snapshot (0 before the first)",
    () => stat("lastSnapshotTimestampSeconds"),
  );
  const counter = (name: string, help: string, read: () => number) => {
    // A counter whose value lives elsewhere: reset and add the current total at scrape time.
    metrics.counter({
      name,
      help,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  counter(
    "atlas_expired_keys_total",
    "Keys deleted because their TTL passed",
    () => stat("expiredKeysTotal"),
  );
  counter(
    "atlas_evicted_keys_total",
    "Keys evicted under maxmemory",
    () => stat("evictedKeysTotal"),
  );
}

/** Per-command and connection metrics over the RESP server's stats. */
export function registerAtlasServerMetrics(
  metrics: MetricsRegistry,
  server: () => AtlasServerFacts | null,
): void {
  metrics.gauge({
    name: "atlas_connected_clients",
    help: "RESP client connections open now",
    collect() {
      this.set(server()?.stats.connectedClients ?? 0);
    },
  });
  metrics.counter({
    name: "atlas_rejected_connections_total",
    help: "RESP connections refused (maxclients, protected mode)",
    collect() {
      this.reset();
      this.inc(server()?.stats.rejectedConnections ?? 0);
    },
  });
  metrics.gauge({
    name: "atlas_clients_memory_bytes",
    help: "Memory RESP clients hold now: buffers, MULTI queues (counted against maxmemory)",
    collect() {
      this.set(server()?.stats.clientsMemoryBytes ?? 0);
    },
  });
  metrics.counter({
    name: "atlas_evicted_clients_total",
    help: "RESP clients closed because the clients held maxmemory-clients or more",
    collect() {
      this.reset();
      this.inc(server()?.stats.evictedClients ?? 0);
    },
  });
  metrics.counter({
    name: "atlas_commands_total",
    help: "RESP commands processed, by command",
    labelNames: ["command"],
    collect() {
      this.reset();
      for (const stat of server()?.stats.commands() ?? []) {
        this.inc({ command: stat.command }, stat.calls);
      }
    },
  });
  metrics.counter({
    name: "atlas_command_duration_seconds_total",
    help: "Total time spent executing RESP commands in seconds, by command",
    labelNames: ["command"],
    collect() {
      this.reset();
      for (const stat of server()?.stats.commands() ?? []) {
        this.inc({ command: stat.command }, stat.durationSeconds);
      }
    },
  });
}
