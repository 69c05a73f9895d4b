/**
 * A real-process ATLAS Raft cluster for tests: N `helios atlasd --raft` processes on loopback,
 * every peer link through its own FaultProxy so tests can partition any set of nodes, kill -9 and
 * restart nodes, pause them (SIGSTOP / SIGCONT), remove and add them back as members, and find
 * the leader through GET /raft/status.
 */
import { RespConnection, RespReplyTimeoutError } from "../../src/storage/resp_connection.ts";
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
  /** Stopped with SIGSTOP (pause()) and not resumed yet. */
  paused: boolean;
  /** Added back with ADD-PEER after a removal: restarts with --raft-join, as its operator would. */
  joined: boolean;
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
  /**
   * hubs[to]: one more proxy in front of each node, the address ADD-PEER announces when a node is
   * added back. The announced address is replicated, so every member dials that one address
   * from then on; partitions cut a hub when its node is outside the largest group.
   */
  readonly hubs: (FaultProxy | null)[] = [];

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
        paused: false,
        joined: false,
      });
    }
    for (let from = 0; from < options.size; from++) {
      cluster.proxies.push(
        cluster.nodes.map((to) =>
          from === to.index || options.direct ? null : FaultProxy.start(to.raftPort)
        ),
      );
      cluster.hubs.push(options.direct ? null : FaultProxy.start(cluster.nodes[from].raftPort));
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
      ...(node.joined && !extraArgs.includes("--raft-join") ? ["--raft-join"] : []),
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
    node.paused = false;
  }

  /** kill -9: no shutdown, nothing flushed beyond what was fsynced. */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node.process) return;
    await node.process.stop("SIGKILL");
    node.process = null;
    node.paused = false;
  }

  /**
   * SIGSTOP: the process stops where it is (Jepsen's pause): its connections stay open and its
   * timers stop, so when resumed it first acts on what it believed before.
   */
  pause(index: number): void {
    const node = this.nodes[index];
    if (!node.process || node.paused) return;
    node.process.child.kill("SIGSTOP");
    node.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(index: number): void {
    const node = this.nodes[index];
    if (!node.process || !node.paused) return;
    node.process.child.kill("SIGCONT");
    node.paused = false;
  }

  /** Resumes every paused node. */
  resumeAll(): void {
    for (const node of this.nodes) this.resume(node.index);
  }

  /** The Raft address to announce with ADD-PEER when adding `index` back (its hub proxy). */
  memberAddress(index: number): string {
    return `127.0.0.1:${this.hubs[index]?.port ?? this.nodes[index].raftPort}`;
  }

  /**
   * HELIOS.CLUSTER REMOVE-PEER / ADD-PEER through node `via` (a follower passes it on to the
   * leader). Returns the reply's text, or the error that prevented one. A node answers within its
   * request timeout (2 s here) even when the change's outcome is unknown: no reply in
   * `timeoutMs` throws (a stuck command).
   */
  async clusterCommand(via: number, argv: string[], timeoutMs = 10_000): Promise<string> {
    const node = this.nodes[via];
    if (!node.process || node.paused) return `-node ${via} is down`;
    let connection: RespConnection | null = null;
    try {
      connection = await RespConnection.open({
        hostname: "127.0.0.1",
        port: node.respPort,
        connectTimeoutMs: 2000,
        replyTimeoutMs: timeoutMs,
      });
      const reply = await connection.send(["HELIOS.CLUSTER", ...argv]);
      if (reply.kind === "error") return `-${reply.value}`;
      return "value" in reply ? String(reply.value) : reply.kind;
    } catch (cause) {
      if (cause instanceof RespReplyTimeoutError && !node.paused && node.process) {
        throw new Error(
          `HELIOS.CLUSTER ${argv.join(" ")} through ${node.id}: no reply in ${timeoutMs} ms`,
        );
      }
      return `-${(cause as Error).message}`;
    } finally {
      connection?.close();
    }
  }

  async stop(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node.process) return;
    this.resume(index); // a stopped process would hold SIGINT until SIGCONT
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
    const largest = groups.reduce(
      (best, group, g) => group.length > groups[best].length ? g : best,
      0,
    );
    for (const [to, hub] of this.hubs.entries()) {
      if (!hub) continue;
      if (groupOf.get(to) === largest) hub.unblock();
      else if (how === "close") hub.block();
      else hub.stall();
    }
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
    for (const hub of this.hubs) hub?.unblock();
  }

  async status(index: number): Promise<RaftStatus | null> {
    const node = this.nodes[index];
    if (!node.process || node.paused) return null;
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
    for (const hub of this.hubs) await hub?.close();
    await Deno.remove(this.root, { recursive: true });
  }
}
