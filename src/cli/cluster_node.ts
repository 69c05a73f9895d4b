/**
 * Starts a replicated ATLAS node inside `helios atlasd --raft`: the cluster member (Raft over
 * WebSocket, the store as its state machine), the RESP listener on the replicated executor, the
 * raft_* metrics and GET /raft/status on the metrics listener.
 */
import { join } from "node:path";
import {
  AclFileError,
  AofCorruptError,
  AofLayoutError,
  AofTruncatedError,
  DataDirLockedError,
  HEAP_CHECK_INTERVAL_MS,
  HeapGuard,
  logHeapChange,
  SERVER_BASE_MEMORY_BYTES,
  SnapshotCorruptError,
  startAtlasServer,
  Store,
} from "../../atlas/mod.ts";
import {
  ClusterNode,
  foundFromStandaloneData,
  StandaloneDataError,
  standaloneDataLeftBehind,
} from "../cluster/mod.ts";
import { formatHostPort, parseHostPort } from "../lib/address.ts";
import { parseDurationMs } from "../lib/duration.ts";
import { registerAtlasServerMetrics } from "../observability/atlas_metrics.ts";
import { registerRaftMetrics } from "../observability/raft_metrics.ts";
import { StorageStartError, type StoreModule } from "./atlas_node.ts";
import { TracingExecutor } from "../observability/tracing.ts";
import type { Daemon } from "./runtime.ts";

export async function startClusterNode(
  daemon: Daemon,
  options: { listen: string; modules: StoreModule[] },
): Promise<ClusterNode> {
  const { atlas } = daemon.config;
  const raft = atlas.raft;
  const logger = daemon.logger.child("raft");
  if (atlas.maxmemory > 0 && !["noeviction", "volatile-ttl"].includes(atlas.maxmemory_policy)) {
    // Replicas see different reads, so LRU order (and anything sampled from it) would diverge.
    throw new StorageStartError(
      `maxmemory_policy "${atlas.maxmemory_policy}" is not deterministic across Raft replicas; ` +
        `use "noeviction" or "volatile-ttl" in cluster mode`,
    );
  }
  // Reads never delete expired keys here: replicas change state only through the log (the
  // leader's clock ticks run expiry on every replica at the same index).
  const store = new Store({
    databases: atlas.databases,
    maxmemoryBytes: atlas.maxmemory,
    baseMemoryBytes: SERVER_BASE_MEMORY_BYTES,
    maxmemoryPolicy: atlas.maxmemory_policy,
    readsHideExpired: true,
    processMemory: () => Deno.memoryUsage(),
  });
  for (const register of options.modules) register(store);
  const raftDir = raft.data_dir || join(atlas.data_dir, "raft");
  if (raft.join) {
    await warnOfStandaloneData(daemon, raftDir);
  } else {
    await carryStandaloneData(daemon, raftDir, options.modules);
  }

  // Near V8's heap limit the node refuses memory-growing client writes instead of aborting
  // (atlas/heap_guard.ts); at proposal, since applying must go alike on every replica.
  const heapGuard = new HeapGuard({ dataBytes: () => store.stats.usedMemoryBytes });
  const heapTimer = setInterval(() => {
    const change = heapGuard.check();
    if (change !== null) logHeapChange(daemon.logger.child("atlas"), change);
  }, HEAP_CHECK_INTERVAL_MS);
  daemon.onStop("heap guard", () => clearInterval(heapTimer));

  let cluster: ClusterNode | null = null;
  const hooks = registerRaftMetrics(daemon.metrics, () => cluster);
  let lastLeader = "";
  const started = await ClusterNode.start({
    nodeId: raft.node_id,
    raftListen: parseHostPort(raft.bind_addr)!,
    peers: raft.peers,
    dataDir: raftDir,
    join: raft.join,
    secret: raft.secret,
    tls: raft.tls_cert && raft.tls_key
      ? { cert: Deno.readTextFileSync(raft.tls_cert), key: Deno.readTextFileSync(raft.tls_key) }
      : undefined,
    heartbeatMs: parseDurationMs(raft.heartbeat_timeout)!,
    electionMs: parseDurationMs(raft.election_timeout)!,
    snapshotThreshold: raft.snapshot_threshold,
    readConsistency: raft.read_consistency,
    password: atlas.requirepass,
    store,
    heapFull: () => heapGuard.full,
    logger,
    hooks: {
      onFsync: hooks.onFsync,
      onAppend: hooks.onAppend,
      onSnapshot: hooks.onSnapshot,
      onProposal: hooks.onProposal,
      onSoftState: (state) => {
        if (state.lead !== lastLeader) hooks.onLeaderChange();
        lastLeader = state.lead;
      },
    },
  });
  cluster = started.cluster;
  const member = started.cluster;
  logger.info("Listening", {
    listener: "raft",
    address: started.raftAddress,
    tls: Boolean(raft.tls_cert),
  });
  daemon.onStop("raft", () => member.stop());

  const address = parseHostPort(options.listen)!;
  const server = (() => {
    try {
      return startAtlasServer({
        executor: new TracingExecutor(member.executor),
        store,
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
        logger: daemon.logger.child("atlas"),
        infoSections: { raft: () => raftInfo(member) },
        // SAVE / BGSAVE / BGREWRITEAOF take this node's Raft snapshot now (compacting its log);
        // LASTSAVE and INFO persistence tell of this node's snapshots.
        persistence: {
          save: () => member.snapshotNow(),
          bgsave: () => member.snapshotNow(),
          rewriteAof: () => member.snapshotNow(),
          lastSaveMs: () => member.lastSnapshotMs,
          info: () => member.persistenceInfo(),
          dir: atlas.data_dir,
        },
        // The members know each other's RESP address (member.setRespAddress): it stays put.
        movableListener: false,
        // WAIT: followers whose log holds the commit index seen at the call (known on the leader).
        replication: {
          offset: () => member.status().commitIndex,
          replicasAt: (offset) =>
            member.status().peers.filter((p) => p.matchIndex >= offset).length,
        },
      });
    } catch (error) {
      if (error instanceof AclFileError) {
        throw new StorageStartError(error.message, { cause: error });
      }
      throw error;
    }
  })();
  registerAtlasServerMetrics(daemon.metrics, () => server);
  const bound = formatHostPort({ hostname: server.addr.hostname, port: server.addr.port });
  daemon.logger.child("atlas").info("Listening", { listener: "resp", address: bound, tls: false });
  member.setRespAddress(bound);
  daemon.onStop("resp listener", () => server.close());
  daemon.extendMetrics((app) => app.get("/raft/status", (c) => c.json(raftStatus(member))));
  return member;
}

/**
 * A founder's first start on the data directory of a standalone node (`helios serve`, `atlasd`
 * without --raft): its data becomes the new cluster's first snapshot (src/cluster/seed.ts), so
 * growing from one node to a cluster keeps the data. Before, the node started empty beside it.
 */
async function carryStandaloneData(
  daemon: Daemon,
  raftDir: string,
  modules: StoreModule[],
): Promise<void> {
  const { atlas } = daemon.config;
  try {
    await foundFromStandaloneData({
      dataDir: atlas.data_dir,
      raftDir,
      nodeId: atlas.raft.node_id,
      peerIds: atlas.raft.peers.map((p) => p.id),
      extend: (store) => {
        for (const register of modules) register(store);
      },
      aofLoadTruncated: atlas.aof_load_truncated,
      databases: atlas.databases,
      logger: daemon.logger.child("atlas"),
    });
  } catch (error) {
    if (
      error instanceof StandaloneDataError || error instanceof AofCorruptError ||
      error instanceof AofTruncatedError || error instanceof AofLayoutError ||
      error instanceof SnapshotCorruptError || error instanceof DataDirLockedError
    ) {
      throw new StorageStartError(error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * A joining node serves the cluster's data, not what its data directory held as a standalone
 * node: say so on its first start, so an operator who meant to carry that data over (only a
 * founder does, see carryStandaloneData) finds out before the cluster's snapshot arrives. The
 * files are left as they were.
 */
async function warnOfStandaloneData(daemon: Daemon, raftDir: string): Promise<void> {
  const files = await standaloneDataLeftBehind(
    daemon.config.atlas.data_dir,
    raftDir,
    daemon.logger,
  );
  if (files.length === 0) return;
  daemon.logger.warn("Joining a cluster: the standalone data set here is not carried over", {
    files,
    reason: "a node started with --raft-join takes the cluster's data from its leader; only a " +
      "founder's first --raft start (without --raft-join or --raft-peers) carries a standalone " +
      "data set into the cluster (docs/cluster.md). The files are left as they were.",
  });
}

/** INFO raft: the same facts as /raft/status, in INFO's field:value form. */
export function raftInfo(cluster: ClusterNode): Record<string, string | number> {
  const s = raftStatus(cluster);
  return {
    raft_node_id: s.node_id,
    raft_state: s.state,
    raft_term: s.term,
    raft_leader_id: s.leader_id,
    raft_commit_index: s.commit_index,
    raft_applied_index: s.applied_index,
    raft_snapshot_index: s.snapshot_index,
    raft_voters: s.voters.join(","),
    raft_peers: s.peers.length,
    ...Object.fromEntries(s.peers.map((p, i) => [
      `peer${i}`,
      `id=${p.id},addr=${p.addr},match_index=${p.match_index},healthy=${p.healthy ? 1 : 0}`,
    ])),
  };
}

/** The documented /raft/status shape. */
export function raftStatus(cluster: ClusterNode) {
  const s = cluster.status();
  return {
    node_id: s.nodeId,
    state: s.state,
    term: s.term,
    leader_id: s.leaderId,
    commit_index: s.commitIndex,
    applied_index: s.appliedIndex,
    snapshot_index: s.snapshotIndex,
    voters: s.voters,
    learners: s.learners,
    peers: s.peers.map((p) => ({
      id: p.id,
      addr: p.addr,
      match_index: p.matchIndex,
      healthy: p.healthy,
    })),
  };
}
