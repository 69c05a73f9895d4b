/**
 * One member of a replicated ATLAS cluster: the store as Raft's state machine, the Raft driver
 * with file storage and the WebSocket transport, the replicated executor the RESP server runs
 * against, and the leader's duties (announcing its RESP address, ticking the logical clock for
 * expiry). The only place that joins raft/ and atlas/.
 */
import { error, type Reply, simple, type Store, utf8ToBinary } from "../../atlas/mod.ts";
import {
  FileStorage,
  type NodeStatus,
  type PeerStatus,
  RaftNode,
  type RaftNodeHooks,
  WebSocketTransport,
} from "../../raft/mod.ts";
import { explainListenError } from "../lib/listen_error.ts";
import type { Logger } from "../observability/logger.ts";
import { encodeEntry } from "./command_codec.ts";
import { LeaderForwarder, leaderRespAddress } from "./forwarder.ts";
import {
  type ReadConsistency,
  ReplicatedExecutor,
  type ReplicatedExecutorOptions,
} from "./replicated_executor.ts";
import { AtlasStateMachine } from "./state_machine.ts";
import { FounderGuardTransport } from "./founder_guard.ts";

export interface ClusterNodeOptions {
  nodeId: string;
  /** Where to listen for peers. */
  raftListen: { hostname: string; port: number };
  /**
   * The other voters of a new cluster, dialled exactly at these addresses. `resp_addr`: where
   * this node dials the peer's RESP listener to forward writes while it leads (a proxy, NAT);
   * by default the address the peer announces (its own bound RESP address).
   */
  peers: { id: string; addr: string; resp_addr?: string }[];
  dataDir: string;
  /** True for a node joining an existing cluster (added with ADD-PEER): it starts with no log. */
  join: boolean;
  secret: string;
  tls?: { cert: string; key: string };
  heartbeatMs: number;
  electionMs: number;
  snapshotThreshold: number;
  readConsistency: ReadConsistency;
  /** RESP password, used when forwarding to the leader. */
  password: string;
  store: Store;
  /** Whether V8's heap is near its limit: client writes that grow memory are refused (OOM). */
  heapFull?: () => boolean;
  logger: Logger;
  hooks?: RaftNodeHooks & {
    onProposal?: ReplicatedExecutorOptions["onProposal"];
    onLeaderChange?(): void;
  };
}

/** How often the leader advances the logical clock while keys with a TTL exist. */
const EXPIRY_TICK_MS = 100;

export class ClusterNode {
  readonly executor: ReplicatedExecutor;
  readonly node: RaftNode;
  readonly machine: AtlasStateMachine;
  readonly transport: WebSocketTransport;
  #respAddress = "";
  #ticker: ReturnType<typeof setInterval> | null = null;
  #announcedTerm = -1;
  readonly #forwarder: LeaderForwarder;
  /** This node's own snapshots since it started (INFO persistence, LASTSAVE). */
  readonly #snapshots = { lastMs: Date.now(), count: 0, lastSeconds: 0 };
  /** Node id → the peer's resp_addr from this node's peer list. */
  readonly #respRoutes: Map<string, string>;
  /** How long a command may wait for a commit (the executor's, and membership changes'). */
  readonly #requestTimeoutMs: number;

  private constructor(
    private readonly options: ClusterNodeOptions,
    raftBound: (a: string) => void,
  ) {
    const { logger } = options;
    this.transport = new WebSocketTransport({
      id: options.nodeId,
      hostname: options.raftListen.hostname,
      port: options.raftListen.port,
      secret: options.secret,
      // Every member applies the log to a store with as many databases (a command for database
      // 20 must run everywhere or nowhere): a member configured otherwise is refused as a peer.
      sharedSettings: `databases=${options.store.databases}`,
      tls: options.tls,
      logger: logger.child("raft-transport"),
      onListen: (addr) => raftBound(`${addr.hostname}:${addr.port}`),
    });
    for (const peer of options.peers) this.transport.setPeer(peer.id, peer.addr);
    this.#respRoutes = new Map(
      options.peers.flatMap((peer) => peer.resp_addr ? [[peer.id, peer.resp_addr]] : []),
    );
    this.machine = new AtlasStateMachine(options.store, (id, address) => {
      if (id !== options.nodeId) this.transport.setPeer(id, address);
    });
    const voters = [options.nodeId, ...options.peers.map((p) => p.id)];
    const storage = FileStorage.openSync(options.dataDir, {
      bootstrap: options.join ? undefined : { voters, learners: [] },
      onTornTail: (file, offset, droppedBytes) =>
        logger.warn("Truncated a torn Raft log tail", {
          file,
          offset,
          dropped_bytes: droppedBytes,
        }),
      onBackgroundError: (error) =>
        logger.error("Writing a Raft snapshot failed; the log still covers it", { error }),
    });
    const hooks = options.hooks ?? {};
    this.node = new RaftNode({
      id: options.nodeId,
      storage,
      // A one-node cluster takes no other cluster's messages (founder_guard.ts).
      transport: new FounderGuardTransport(
        this.transport,
        () => this.node.isSoleMember,
        logger.child("raft-transport"),
      ),
      stateMachine: this.machine,
      tickMs: options.heartbeatMs,
      heartbeatTicks: 1,
      electionTicks: Math.max(2, Math.round(options.electionMs / options.heartbeatMs)),
      snapshotThreshold: options.snapshotThreshold,
      // Keep a short tail behind each snapshot for a briefly slow follower, but never more than
      // half the threshold: a node down longer than snapshot_threshold entries gets a snapshot.
      catchUpEntries: Math.min(1000, Math.max(1, Math.floor(options.snapshotThreshold / 2))),
      hooks: {
        ...hooks,
        onSnapshot: (seconds) => {
          hooks.onSnapshot?.(seconds);
          this.#snapshots.lastMs = Date.now();
          this.#snapshots.count++;
          this.#snapshots.lastSeconds = seconds;
        },
        onSnapshotFailed: (error) =>
          logger.error("Taking a Raft snapshot failed; the log still covers it", { error }),
        onSoftState: (state) => {
          hooks.onSoftState?.(state);
          logger.info("Raft state changed", { state: state.state, leader_id: state.lead });
          if (state.state === "leader") this.#announce();
        },
        onConfChange: (change) => {
          hooks.onConfChange?.(change);
          logger.info("Raft membership changed", { change: change.type, peer_id: change.nodeId });
          if (change.type === "removeNode" && change.nodeId !== options.nodeId) {
            this.transport.removePeer(change.nodeId);
          }
        },
      },
    });
    const requestTimeoutMs = Math.max(2000, options.electionMs * 4);
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#forwarder = new LeaderForwarder({
      password: options.password,
      connectTimeoutMs: 1000,
      // The leader answers within its own request timeout; twice that without a reply is a dead path.
      replyTimeoutMs: 2 * requestTimeoutMs,
    });
    this.executor = new ReplicatedExecutor({
      node: this.node,
      machine: this.machine,
      store: options.store,
      forwarder: this.#forwarder,
      readConsistency: options.readConsistency,
      requestTimeoutMs,
      admin: (argv) => this.#admin(argv),
      respAddressOf: (id) => this.#respAddressOf(id),
      onProposal: hooks.onProposal,
      heapFull: options.heapFull,
    });
  }

  /** Opens storage (recovering from disk), starts the transport and the Raft clock. */
  static async start(
    options: ClusterNodeOptions,
  ): Promise<{ cluster: ClusterNode; raftAddress: string }> {
    let raftAddress = "";
    const cluster = new ClusterNode(options, (address) => (raftAddress = address));
    try {
      await cluster.node.start();
    } catch (failure) {
      throw explainListenError(failure, "raft", options.raftListen);
    }
    cluster.#ticker = setInterval(() => cluster.#leaderTick(), EXPIRY_TICK_MS);
    return { cluster, raftAddress };
  }

  /** Where this node serves RESP; the leader announces it so followers can forward writes. */
  setRespAddress(address: string): void {
    this.#respAddress = address;
    if (this.node.isLeader) this.#announce();
  }

  /**
   * Where to forward to `nodeId` while it leads, once it has announced its RESP address: at the
   * resp_addr this node's peer list gives it, or the announced one (on the host of the peer's
   * Raft address when it announced all interfaces, leaderRespAddress).
   */
  #respAddressOf(nodeId: string): string | undefined {
    const announced = this.machine.respAddresses.get(nodeId);
    if (!announced) return undefined;
    const raftAddress = this.transport.peers().find((peer) => peer.id === nodeId)?.addr;
    return this.#respRoutes.get(nodeId) ?? leaderRespAddress(announced, raftAddress);
  }

  /**
   * SAVE / BGSAVE / BGREWRITEAOF on this node: a snapshot of its applied state now, and its Raft
   * log compacted behind it (the log is this node's AOF, its snapshots its RDB files). Node-local,
   * as Redis's are: the other members snapshot by their own threshold.
   */
  snapshotNow(): Promise<void> {
    return this.node.snapshotNow();
  }

  /** When this node last wrote a snapshot (its start until the first, as Redis's LASTSAVE). */
  get lastSnapshotMs(): number {
    return this.#snapshots.lastMs;
  }

  /** INFO persistence's fields for this node's snapshots, in Redis's names. */
  persistenceInfo(): Record<string, number | string> {
    const { appliedIndex, snapshotIndex } = this.node.status();
    const failure = this.node.lastSnapshotError;
    return {
      rdb_changes_since_last_save: Math.max(0, appliedIndex - snapshotIndex),
      rdb_bgsave_in_progress: this.node.snapshotting ? 1 : 0,
      rdb_last_bgsave_status: failure === null ? "ok" : "err",
      rdb_last_bgsave_time_sec: this.#snapshots.count > 0
        ? Math.round(this.#snapshots.lastSeconds)
        : -1,
      rdb_saves: this.#snapshots.count,
    };
  }

  status(): NodeStatus & { peers: PeerStatus[] } {
    return { ...this.node.status(), peers: this.node.peers() };
  }

  async stop(): Promise<void> {
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#forwarder.close();
    await this.node.stop();
  }

  #announce(): void {
    const term = this.node.status().term;
    if (!this.#respAddress || this.#announcedTerm === term) return;
    this.#announcedTerm = term;
    const entry = encodeEntry({
      kind: "node",
      nowMs: Date.now(),
      seed: 0,
      nodeId: this.options.nodeId,
      respAddress: this.#respAddress,
      raftAddress: "",
    });
    this.#proposeInBackground(entry).catch((cause) => {
      this.#announcedTerm = -1; // retried on the next leader tick
      this.options.logger.warn("Could not announce the leader's address", { error: cause });
    });
  }

  #leaderTick(): void {
    if (!this.node.isLeader) return;
    if (this.#announcedTerm !== this.node.status().term) this.#announce();
    if (this.options.store.stats.volatileKeys === 0) return;
    const nowMs = Math.max(Date.now(), this.machine.logicalNowMs);
    const seed = Math.floor(Math.random() * 2 ** 32);
    this.#proposeInBackground(encodeEntry({ kind: "tick", nowMs, seed })).catch(() => {
      // A lost tick is harmless: the next one carries a later time.
    });
  }

  /**
   * A proposal nobody awaits (a tick, the leader's announcement), run from a timer. RaftNode's
   * propose throws at once when the leader cannot take a proposal now (a leadership transfer
   * under way, the leader removed from the cluster): as a rejection here, or it would escape
   * the timer and end the process. While any key has a TTL (the job queue's idempotency keys)
   * the leader ticks ten times a second, so `cluster transfer-leader` killed it often.
   */
  #proposeInBackground(entry: Uint8Array): Promise<unknown> {
    try {
      return this.node.propose(entry);
    } catch (cause) {
      return Promise.reject(cause);
    }
  }

  /** HELIOS.CLUSTER STATUS | ADD-PEER id raftAddr | REMOVE-PEER id | TRANSFER-LEADER id. */
  async #admin(argv: string[]): Promise<Reply> {
    const sub = (argv[1] ?? "").toUpperCase();
    if (sub === "STATUS") {
      return { kind: "bulk", value: utf8ToBinary(JSON.stringify(this.status())) };
    }
    if (!this.node.isLeader) {
      const leader = this.node.leaderId;
      const address = leader ? this.#respAddressOf(leader) : undefined;
      if (!address) return error("CLUSTERDOWN No Raft leader is elected; retry shortly");
      return await this.#forwarder.send(address, argv);
    }
    // One request timeout for the whole command, as for a write (ADD-PEER proposes twice).
    const deadlineMs = Date.now() + this.#requestTimeoutMs;
    try {
      switch (sub) {
        case "ADD-PEER": {
          if (argv.length !== 4) {
            return error("ERR usage: HELIOS.CLUSTER ADD-PEER <id> <raft-address>");
          }
          const [id, raftAddress] = [argv[2], argv[3]];
          const announcement = encodeEntry({
            kind: "node",
            nowMs: Date.now(),
            seed: 0,
            nodeId: id,
            respAddress: "",
            raftAddress,
          });
          await this.#committed(this.node.propose(announcement), deadlineMs);
          return await this.#addVoter(id, deadlineMs);
        }
        case "REMOVE-PEER":
          if (argv.length !== 3) return error("ERR usage: HELIOS.CLUSTER REMOVE-PEER <id>");
          await this.#committed(
            this.node.changeMembership({ type: "removeNode", nodeId: argv[2] }),
            deadlineMs,
          );
          return simple("OK");
        case "TRANSFER-LEADER":
          if (argv.length !== 3) return error("ERR usage: HELIOS.CLUSTER TRANSFER-LEADER <id>");
          return await this.#transfer(argv[2]);
        default:
          return error(`ERR unknown HELIOS.CLUSTER subcommand '${argv[1] ?? ""}'`);
      }
    } catch (cause) {
      if (cause instanceof MembershipTimeoutError) return error(`TRYAGAIN ${cause.message}`);
      return error(`ERR ${(cause as Error).message}`);
    }
  }

  /**
   * A membership proposal, awaited until `deadlineMs` (the request timeout, as for writes). Its
   * promise settles only once this node applies the entry at its index; a leader that lost its
   * quorum mid-change may never apply it (the others commit the change without it: removing this
   * very node, it never hears from them again), and the operator's command waited forever.
   */
  async #committed<T>(proposal: Promise<T>, deadlineMs: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MembershipTimeoutError()),
        Math.max(0, deadlineMs - Date.now()),
      );
    });
    proposal.catch(() => {}); // settled after the timeout: nobody is listening any more
    try {
      return await Promise.race([proposal, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * ADD-PEER's membership change: the node joins as a learner first and becomes a voter only once
   * it has caught up with the leader, so it proves it follows this cluster before it counts toward
   * the quorum. Before, it was made a voter at once: a node that could not follow (not started
   * yet, or the founder of a one-node cluster of its own, as a node started without --raft-join
   * is) left a one-node cluster with two voters and no quorum for good — no write, no read, and
   * no REMOVE-PEER to undo it. A learner that has not caught up by the deadline stays a learner
   * (outside the quorum); ADD-PEER answers TRYAGAIN saying so, and running it again promotes it
   * once it has caught up.
   */
  async #addVoter(id: string, deadlineMs: number): Promise<Reply> {
    const { voters, learners } = this.node.status();
    if (voters.includes(id)) return simple("OK");
    if (!learners.includes(id)) {
      await this.#committed(
        this.node.changeMembership({ type: "addLearner", nodeId: id }),
        deadlineMs,
      );
    }
    // Caught up: the learner holds every entry committed when it was added (or found added).
    const target = this.node.status().commitIndex;
    const match = () => this.node.peers().find((p) => p.id === id)?.matchIndex ?? 0;
    while (match() < target) {
      if (!this.node.isLeader) {
        return error(
          `TRYAGAIN Leadership moved while "${id}" was catching up as a learner; run ADD-PEER again`,
        );
      }
      if (Date.now() >= deadlineMs) {
        return error(
          `TRYAGAIN "${id}" is a learner but has not caught up with the leader (it holds ` +
            `index ${match()} of ${target}), so it is not a voter yet; run ADD-PEER again once ` +
            `it has. A node that never catches up is not following this cluster: it must run ` +
            `with --raft-join and an empty Raft data directory (a node started without ` +
            `--raft-join founds a cluster of its own), and be reachable at its Raft address. ` +
            `REMOVE-PEER "${id}" takes the learner out.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.#committed(
      this.node.changeMembership({ type: "addVoter", nodeId: id }),
      deadlineMs,
    );
    return simple("OK");
  }

  async #transfer(target: string): Promise<Reply> {
    if (!this.node.status().voters.includes(target)) return error(`ERR "${target}" is not a voter`);
    this.node.transferLeadership(target);
    const deadline = Date.now() + this.options.electionMs * 4;
    while (Date.now() < deadline) {
      if (this.node.leaderId === target) return simple("OK");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return error(`TRYAGAIN Leadership did not move to "${target}" in time`);
  }
}

class MembershipTimeoutError extends Error {
  constructor() {
    super(
      "Timed out waiting for the Raft commit; the membership change may or may not have been " +
        "applied (see HELIOS.CLUSTER STATUS)",
    );
  }
}
