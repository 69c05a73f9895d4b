/**
 * Starts ATLAS inside a daemon: the durable engine on the data directory, the module commands
 * Helios registers into it, and the RESP listener. Shared by `atlasd` and `serve`.
 */
import {
  AclFileError,
  AofCorruptError,
  AofLayoutError,
  AofTruncatedError,
  AtlasEngine,
  type AtlasServer,
  DataDirLockedError,
  engineHooks,
  SnapshotCorruptError,
  startAtlasServer,
  type Store,
} from "../../atlas/mod.ts";
import { formatHostPort, parseHostPort } from "../lib/address.ts";
import {
  atlasEngineHooks,
  registerAtlasEngineMetrics,
  registerAtlasServerMetrics,
} from "../observability/atlas_metrics.ts";
import { TracingExecutor } from "../observability/tracing.ts";
import { engineOptionsFromConfig } from "../storage/engine_options.ts";
import type { Daemon } from "./runtime.ts";

/** Module commands (JOB.*, RL.*) registered into every store Helios opens. */
export type StoreModule = (store: Store) => void;

export interface AtlasNode {
  engine: AtlasEngine;
  /** The bound RESP address, or null when no listener was asked for. */
  respAddress: string | null;
}

/**
 * A start failure the operator must act on (storage that cannot be recovered as it is, an ACL
 * file with errors); the message says what and how.
 */
export class StorageStartError extends Error {
  override name = "StorageStartError";
}

export async function startAtlasNode(
  daemon: Daemon,
  options: { listen: string | null; modules?: StoreModule[] },
): Promise<AtlasNode> {
  const { config, metrics } = daemon;
  const atlas = config.atlas;
  const logger = daemon.logger.child("atlas");
  registerAtlasEngineMetrics(metrics, () => engine);
  let engine: AtlasEngine | null = null;
  // The RESP server, once listening, takes the engine's latency events (LATENCY LATEST).
  let server: AtlasServer | null = null;
  const metricHooks = atlasEngineHooks(metrics);
  try {
    engine = await AtlasEngine.open({
      ...engineOptionsFromConfig(atlas),
      logger,
      hooks: {
        ...metricHooks,
        onFsync: (seconds, mode) => {
          metricHooks.onFsync(seconds);
          if (mode === "every") server?.latencyEvent("aof-fsync-always", seconds * 1000);
        },
        onExpireCycle: (seconds) => server?.latencyEvent("expire-cycle", seconds * 1000),
      },
      // Module commands must exist before recovery replays the AOF, which holds them.
      extend: (store) => {
        for (const register of options.modules ?? []) register(store);
      },
    });
  } catch (error) {
    if (
      error instanceof AofCorruptError || error instanceof AofTruncatedError ||
      error instanceof AofLayoutError || error instanceof SnapshotCorruptError ||
      error instanceof DataDirLockedError
    ) {
      throw new StorageStartError(error.message, { cause: error });
    }
    throw error;
  }
  const opened = engine;
  daemon.onStop("atlas engine", () => opened.close());
  if (options.listen === null) return { engine: opened, respAddress: null };

  const address = parseHostPort(options.listen)!;
  try {
    server = startAtlasServer({
      executor: new TracingExecutor(opened),
      store: opened.store,
      persistence: engineHooks(opened, atlas.data_dir),
      hostname: address.hostname,
      port: address.port,
      requirepass: atlas.requirepass,
      aclfile: atlas.aclfile || undefined,
      protectedMode: atlas.protected_mode,
      maxclients: atlas.maxclients,
      maxmemoryClients: atlas.maxmemory_clients,
      timeout: atlas.timeout,
      notifyKeyspaceEvents: atlas.notify_keyspace_events,
      shutdown: () => daemon.stop("SHUTDOWN command"),
      logger,
    });
  } catch (error) {
    if (error instanceof AclFileError) throw new StorageStartError(error.message, { cause: error });
    throw error;
  }
  const listening = server;
  registerAtlasServerMetrics(metrics, () => listening);
  const bound = formatHostPort({ hostname: listening.addr.hostname, port: listening.addr.port });
  logger.info("Listening", { listener: "resp", address: bound, tls: false });
  daemon.onStop("resp listener", () => listening.close());
  return { engine: opened, respAddress: bound };
}
