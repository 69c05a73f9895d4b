/**
 * A real-process ATLAS Raft cluster for tests: N `helios atlasd --raft` processes on loopback,
 * every peer link through its own FaultProxy so tests can partition any set of nodes, kill -9 and
 * restart nodes, pause them (SIGSTOP / SIGCONT), remove and add them back as members, and find
 * the leader through GET /raft/status. With `fullPartitions`, the connections a follower forwards
 * writes over (RESP, to the leader) go through per-link proxies too, so a partition cuts all
 * traffic between its sides.
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
  /**
   * Partitions cut all traffic between their sides, as a real one (a firewall, a dropped route)
   * does: every node also forwards writes to a leader over a link of its own, a proxy named as
   * that peer's `resp_addr` in its peer list, and partitions cut those links with the Raft
   * ones. Default false: forwarding dials the leader's announced RESP address directly, so a
   * partitioned follower still reaches the leader that way. Test clients connect to nodes
   * directly either way.
   */
  fullPartitions?: boolean;
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
  /**
   * respProxies[from][to]: the link `from` forwards writes over to `to`'s RESP listener while
   * `to` leads (fullPartitions only; null otherwise).
   */
  readonly respProxies: (FaultProxy | null)[][] = [];

  private constructor(readonly root: string, private readonly options: ClusterOptions) {}

  /** Partitions cut the forwarding links too (fullPartitions, with proxies). */
  get fullPartitions(): boolean {
    return this.respProxies.some((row) => row.some((proxy) => proxy !== null));
  }

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
      // Their targets are set as the nodes start (RESP listens on a port of the system's choice).
      cluster.respProxies.push(
        cluster.nodes.map((to) =>
          from === to.index || options.direct || !options.fullPartitions
            ? null
            : FaultProxy.start(0)
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
    const peers = this.nodes.filter((n) => n.index !== index).map((n) => {
      const forwarding = this.respProxies[index][n.index];
      return {
        id: n.id,
        addr: `127.0.0.1:${this.proxies[index][n.index]?.port ?? n.raftPort}`,
        ...(forwarding ? { resp_addr: `127.0.0.1:${forwarding.port}` } : {}),
      };
    });
    // With resp_addr, the peer list goes as config (JSON is YAML); --raft-peers has no syntax for it.
    const peerConfig: Record<string, string> = peers.some((p) => p.resp_addr)
      ? { HELIOS_ATLAS__RAFT__PEERS: JSON.stringify(peers) }
      : {};
    const peerFlag = peerConfig.HELIOS_ATLAS__RAFT__PEERS
      ? []
      : ["--raft-peers", peers.map((p) => `${p.id}=${p.addr}`).join(",")];
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
      ...peerFlag,
      ...(node.joined && !extraArgs.includes("--raft-join") ? ["--raft-join"] : []),
      ...extraArgs,
    ], {
      HELIOS_ATLAS__RAFT__SECRET: "test-cluster-secret",
      HELIOS_ATLAS__RAFT__HEARTBEAT_TIMEOUT: "20ms",
      HELIOS_ATLAS__RAFT__ELECTION_TIMEOUT: "200ms",
      ...peerConfig,
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
    for (const row of this.respProxies) row[index]?.retarget(node.respPort);
  }

  /** kill -9: no shutdown, nothing flushed beyond what was fsynced. */
  async kill(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node.process) return;
    for (const row of this.respProxies) row[index]?.retarget(0);
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
    for (const row of this.respProxies) row[index]?.retarget(0);
    await node.process.stop("SIGINT");
    node.process = null;
  }

  /**
   * Cuts every link between the groups (both directions); links inside a group stay up. The
   * Raft links, and with fullPartitions the forwarding links too.
   */
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
        for (const proxy of [this.proxies[from][to], this.respProxies[from][to]]) {
          if (!proxy) continue;
          if (groupOf.get(from) === groupOf.get(to)) proxy.unblock();
          else if (how === "close") proxy.block();
          else proxy.stall();
        }
      }
    }
  }

  heal(): void {
    for (const row of [...this.proxies, ...this.respProxies]) {
      for (const proxy of row) proxy?.unblock();
    }
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
    for (const row of [...this.proxies, ...this.respProxies]) {
      for (const proxy of row) await proxy?.close();
    }
    for (const hub of this.hubs) await hub?.close();
    await Deno.remove(this.root, { recursive: true });
  }
}
