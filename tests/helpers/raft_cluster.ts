/**
 * A real-process ATLAS Raft cluster for tests: N `helios atlasd --raft` processes on loopback,
 * every peer link through its own FaultProxy so tests can partition any set of nodes, kill -9 and
 * restart nodes, and find the leader through GET /raft/status.
 */
import { RespConnection } from "../../src/storage/resp_connection.ts";
import { FaultProxy, freePort } from "./fault_proxy.ts";
import { HeliosProcess } from "./helios_process.ts";

export interface NodeHandle {
  index: number;
  id: string;
  raftPort: number;
  dataDir: string;
  process: HeliosProcess | null;
  respPort: number;
  metricsPort: number;
}

export interface RaftStatus {
  node_id: string;
  state: string;
  term: number;
  leader_id: string;
  commit_index: number;
  applied_index: number;
  snapshot_index: number;
  voters: string[];
  peers: { id: string; addr: string; match_index: number; healthy: boolean }[];
}

export interface ClusterOptions {
  size: number;
  /** Extra environment (HELIOS_ATLAS__RAFT__SNAPSHOT_THRESHOLD=50, ...). */
  env?: Record<string, string>;
  /** Peers dial each other directly, without fault proxies (benchmarks). Default false. */
  direct?: boolean;
}

export class RaftTestCluster {
  readonly nodes: NodeHandle[] = [];
  /** proxies[from][to]: the link `from` dials to reach `to`. */
  readonly proxies: (FaultProxy | null)[][] = [];

  private constructor(readonly root: string, private readonly options: ClusterOptions) {}

  static async start(options: ClusterOptions): Promise<RaftTestCluster> {
    const cluster = await RaftTestCluster.create(options);
    await cluster.startAll();
    return cluster;
  }

  /** Lays out ports, directories and proxies without starting anything (to seed data first). */
  static async create(options: ClusterOptions): Promise<RaftTestCluster> {
    const root = await Deno.makeTempDir({ prefix: "helios-raft-" });
    const cluster = new RaftTestCluster(root, options);
    for (let i = 0; i < options.size; i++) {
      cluster.nodes.push({
        index: i,
        id: `node-${i + 1}`,
        raftPort: freePort(),
        dataDir: `${root}/node-${i + 1}`,
        process: null,
        respPort: 0,
        metricsPort: 0,
      });
    }
    for (let from = 0; from < options.size; from++) {
      cluster.proxies.push(
        cluster.nodes.map((to) =>
          from === to.index || options.direct ? null : FaultProxy.start(to.raftPort)
        ),
      );
    }
    return cluster;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.startNode(node.index)));
  }

  /**
   * Starts (or restarts) a node with its data directory as it is. `samePorts`: on the RESP and
   * metrics ports it had, as a restarted server comes back, so clients reconnect to it.
   */
  async startNode(index: number, extraArgs: string[] = [], samePorts = false): Promise<void> {
    const node = this.nodes[index];
    const reuse = samePorts && node.respPort !== 0;
    const peers = this.nodes.filter((n) => n.index !== index)
      .map((n) => `${n.id}=127.0.0.1:${this.proxies[index][n.index]?.port ?? n.raftPort}`).join(
        ",",
      );
    node.process = HeliosProcess.start([
      "atlasd",
      "--data-dir",
      node.dataDir,
      "--listen",
      `127.0.0.1:${reuse ? node.respPort : 0}`,
      "--metrics-listen",
      `127.0.0.1:${reuse ? node.metricsPort : 0}`,
      "--raft",
      "--raft-node-id",
      node.id,
      "--raft-addr",
      `127.0.0.1:${node.raftPort}`,
      "--raft-peers",
      peers,
      ...extraArgs,
    ], {
      HELIOS_ATLAS__RAFT__SECRET: "test-cluster-secret",
      HELIOS_ATLAS__RAFT__HEARTBEAT_TIMEOUT: "20ms",
      HELIOS_ATLAS__RAFT__ELECTION_TIMEOUT: "200ms",
      ...this.options.env,
    });
    const resp = await node.process.address("resp", 20_000).catch(() => null);
    const metrics = await node.process.address("metrics", 20_000).catch(() => null);
    if (!resp || !metrics) {
      throw new Error(`${node.id} did not start: ${node.process.stderr.join("\n")}`);
    }
    node.respPort = Number(resp.split(":").pop());
    node.metricsPort = Number(metrics.split(":").pop());
  }

  /** kill -9: no shutdown, nothing flushed beyond what was fsynced. */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node.process) return;
    await node.process.stop("SIGKILL");
    node.process = null;
  }

  async stop(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node.process) return;
    await node.process.stop("SIGINT");
    node.process = null;
  }

  /** Cuts every link between the groups (both directions); links inside a group stay up. */
  partition(...groups: number[][]): void {
    this.#cut(groups, "close");
  }

  /**
   * Like partition(), but silently: connections between the groups stay open and carry nothing
   * (a black-holed path), so nodes notice only by timeouts.
   */
  partitionSilently(...groups: number[][]): void {
    this.#cut(groups, "stall");
  }

  #cut(groups: number[][], how: "close" | "stall"): void {
    const groupOf = new Map<number, number>();
    groups.forEach((group, g) => group.forEach((i) => groupOf.set(i, g)));
    for (let from = 0; from < this.nodes.length; from++) {
      for (let to = 0; to < this.nodes.length; to++) {
        const proxy = this.proxies[from][to];
        if (!proxy) continue;
        if (groupOf.get(from) === groupOf.get(to)) proxy.unblock();
        else if (how === "close") proxy.block();
        else proxy.stall();
      }
    }
  }

  heal(): void {
    for (const row of this.proxies) for (const proxy of row) proxy?.unblock();
  }

  async status(index: number): Promise<RaftStatus | null> {
    const node = this.nodes[index];
    if (!node.process) return null;
    try {
      const response = await fetch(`http://127.0.0.1:${node.metricsPort}/raft/status`, {
        signal: AbortSignal.timeout(1000),
      });
      return await response.json();
    } catch {
      return null;
    }
  }

  /** The index of the node that is leader (as it says itself) among `among`, waiting for one. */
  async leader(
    among: number[] = this.nodes.map((n) => n.index),
    timeoutMs = 15_000,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const i of among) {
        const status = await this.status(i);
        if (status?.state === "leader") return i;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `No leader among ${among.map((i) => this.nodes[i].id).join(", ")} within ${timeoutMs} ms`,
    );
  }

  async connect(index: number): Promise<RespConnection> {
    return await RespConnection.open({
      hostname: "127.0.0.1",
      port: this.nodes[index].respPort,
      connectTimeoutMs: 2000,
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.kill(node.index)));
    for (const row of this.proxies) for (const proxy of row) await proxy?.close();
    await Deno.remove(this.root, { recursive: true });
  }
}
