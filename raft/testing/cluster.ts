import { NotLeaderError, RaftError } from "../core/errors.ts";
import { Prng } from "../core/prng.ts";
import type { TestingKnobs } from "../core/raft.ts";
import { RawNode, type Ready } from "../core/raw_node.ts";
import type { Entry, Message, NodeId, ReadState } from "../core/types.ts";
import type { MemoryStorage } from "../storage/memory.ts";
import { type ConfChange, decodeConfChange } from "../core/conf_change.ts";
import { SafetyChecker } from "./checkers.ts";
import { EventQueue } from "./event_queue.ts";
import { decodeCommand, encodeCommand, type KvOp, type KvResult, KvStore } from "./kv.ts";
import { SimDisk } from "./sim_disk.ts";
import { SimNetwork } from "./sim_network.ts";

export interface ClusterOptions {
  nodeCount: number;
  seed: number;
  tickMs?: number;
  electionTicks?: number;
  /** Each node's tick period is tickMs plus a fixed drift in [-max, +max] (clock rate skew). */
  tickDriftMsMax?: number;
  heartbeatTicks?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Take a snapshot and compact after this many applied entries (0: never). */
  snapshotEveryEntries?: number;
  diskLatencyMsMax?: number;
  msgBytesMax?: number;
  inflightMsgsMax?: number;
  testingKnobs?: TestingKnobs;
  /** Deliberate bug for checker tests: send persist-first messages before the disk sync. */
  unsafeSendBeforeSync?: boolean;
  /** Deliberate bug for checker tests: serve ReadIndex gets from local state at once. */
  unsafeLocalReads?: boolean;
  /** Node ids beyond the initial voters that exist (as empty, non-member nodes) for conf changes. */
  spareNodes?: number;
}

/** The outcome a simulated client sees. */
export type Reply = (status: "ok" | "fail", result: KvResult, leaderHint: NodeId | null) => void;

class SimNode {
  up = true;
  busy = false;
  incarnation = 0;
  raw!: RawNode;
  storage!: MemoryStorage;
  kv!: KvStore;
  pending = new Map<string, Reply>();
  readWaits = new Map<string, { key: string; reply: Reply }>();
  readyReads: { index: number; key: string; reply: Reply }[] = [];
  /** The last term this node was seen leading. */
  leaderTerm = 0;
  /** A paused node (a long GC or VM stall) handles nothing until this time. */
  pausedUntil = 0;
  constructor(readonly id: NodeId, readonly disk: SimDisk, readonly tickMs: number) {}
}

/**
 * A deterministic simulated cluster: nodes running RawNode over a simulated disk, network and
 * clock, all driven by one seed. Scenario tests drive it directly; the simulator adds faults and a
 * client workload. Every node input goes through `#after`, which checks safety and pumps Ready.
 */
export class SimCluster {
  readonly queue = new EventQueue();
  readonly random: Prng;
  readonly net: SimNetwork;
  readonly ids: NodeId[];
  readonly nodes = new Map<NodeId, SimNode>();
  readonly checker = new SafetyChecker();
  readonly opts: Required<Omit<ClusterOptions, "testingKnobs">> & { testingKnobs: TestingKnobs };
  #nextOpId = 0;
  /** Entries applied, per node (scenario tests inspect them). */
  readonly applied = new Map<NodeId, Entry[]>();
  recordApplied = false;
  /** Optional event log for replaying a seed by eye (`deno task sim --seed n --trace`). */
  trace: ((line: string) => void) | null = null;
  /** Called when a node starts writing a batch of entries (a fault injector may tear it). */
  onBatchWritten: ((id: NodeId) => void) | null = null;
  /** Called once when a node is first seen leading a term (fault injectors hook in here). */
  onLeaderElected: ((id: NodeId, term: number) => void) | null = null;
  /** Nodes whose removal some node applied (committed): an operator would shut them down. */
  readonly removed = new Set<NodeId>();

  constructor(options: ClusterOptions) {
    this.opts = {
      tickMs: 10,
      electionTicks: 10,
      heartbeatTicks: 2,
      tickDriftMsMax: 1,
      preVote: true,
      checkQuorum: true,
      snapshotEveryEntries: 0,
      diskLatencyMsMax: 2,
      msgBytesMax: 64 * 1024,
      inflightMsgsMax: 16,
      spareNodes: 0,
      unsafeLocalReads: false,
      unsafeSendBeforeSync: false,
      ...options,
      testingKnobs: options.testingKnobs ?? {},
    };
    this.random = new Prng(options.seed);
    this.net = new SimNetwork(this.queue, this.random.fork(), (m) => this.#deliver(m));
    const total = options.nodeCount + this.opts.spareNodes;
    this.ids = Array.from({ length: total }, (_, i) => `node-${i + 1}`);
    const voters = this.ids.slice(0, options.nodeCount);
    for (const id of this.ids) {
      const drift = this.random.range(-this.opts.tickDriftMsMax, this.opts.tickDriftMsMax);
      const node = new SimNode(
        id,
        new SimDisk(voters.includes(id) ? voters : []),
        this.opts.tickMs + drift,
      );
      this.nodes.set(id, node);
      this.applied.set(id, []);
      this.#boot(node);
    }
  }

  log(line: string): void {
    this.trace?.(`${String(this.now).padStart(6)}ms ${line}`);
  }

  get now(): number {
    return this.queue.now;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`Unknown node "${id}"`);
    return n;
  }

  #boot(node: SimNode): void {
    node.storage = node.disk.recover();
    const snap = node.storage.snapshot();
    node.kv = KvStore.restore(snap.data, snap.meta.index);
    node.raw = new RawNode({
      id: node.id,
      storage: node.storage,
      electionTicks: this.opts.electionTicks,
      heartbeatTicks: this.opts.heartbeatTicks,
      random: this.random.fork(),
      preVote: this.opts.preVote,
      checkQuorum: this.opts.checkQuorum,
      msgBytesMax: this.opts.msgBytesMax,
      inflightMsgsMax: this.opts.inflightMsgsMax,
      testingKnobs: this.opts.testingKnobs,
    });
    node.up = true;
    node.busy = false;
    const inc = ++node.incarnation;
    const tick = () => {
      if (node.incarnation !== inc || !node.up) return;
      // A paused process misses its ticks (like a stalled timer), then resumes.
      if (node.pausedUntil <= this.now) {
        node.raw.tick();
        this.#after(node);
      }
      this.queue.after(node.tickMs, tick);
    };
    this.queue.after(this.random.range(1, node.tickMs), tick);
  }

  // ---- fault controls ----------------------------------------------------------------------

  crash(id: NodeId): void {
    const node = this.node(id);
    if (!node.up) return;
    this.log(`crash ${id}`);
    node.up = false;
    node.incarnation++;
    node.disk.crash(this.random);
    node.pending.clear();
    node.readWaits.clear();
    node.readyReads = [];
  }

  /** Restarts a crashed node (decommissioned, removed nodes stay down). */
  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.up || this.removed.has(id)) return;
    this.log(`restart ${id}`);
    this.#boot(node);
  }

  /** Stalls a node's process for ms: its messages, ticks and disk completions wait. */
  pause(id: NodeId, ms: number): void {
    const node = this.node(id);
    this.log(`pause ${id} for ${ms}ms`);
    node.pausedUntil = Math.max(node.pausedUntil, this.now + ms);
  }

  isolate(id: NodeId): void {
    this.log(`isolate ${id}`);
    this.net.isolate(id, this.ids);
  }

  reconnect(id: NodeId): void {
    this.log(`reconnect ${id}`);
    this.net.reconnect(id, this.ids);
  }

  upIds(): NodeId[] {
    return this.ids.filter((id) => this.nodes.get(id)!.up);
  }

  // ---- running -----------------------------------------------------------------------------

  run(ms: number): void {
    this.queue.runUntil(this.now + ms);
  }

  /** Runs until pred() holds (checked after each event) or maxMs pass; returns pred(). */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    if (pred()) return true;
    return this.queue.runUntil(this.now + maxMs, pred);
  }

  /** The up node that believes it leads with the highest term, if any. */
  leader(): NodeId | null {
    let best: NodeId | null = null;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      if (n.up && n.raw.raft.state === "leader" && n.raw.raft.term > bestTerm) {
        best = n.id;
        bestTerm = n.raw.raft.term;
      }
    }
    return best;
  }

  /** Up nodes that believe they lead (a cut-off old leader may still be among them). */
  leaders(): NodeId[] {
    return this.upIds().filter((id) => this.node(id).raw.raft.state === "leader");
  }

  // ---- client requests ---------------------------------------------------------------------

  /** A client request arriving at `id`: writes (and gets, unless readIndex) go through the log. */
  submit(id: NodeId, op: KvOp, useReadIndex: boolean, reply: Reply): void {
    const node = this.node(id);
    if (!node.up) return;
    if (node.pausedUntil > this.now) {
      this.queue.after(node.pausedUntil - this.now, () => this.submit(id, op, useReadIndex, reply));
      return;
    }
    const opId = `op-${this.#nextOpId++}`;
    try {
      if (op.kind === "get" && useReadIndex && this.opts.unsafeLocalReads) {
        reply("ok", node.kv.get(op.key), node.id);
      } else if (op.kind === "get" && useReadIndex) {
        node.raw.readIndex(new TextEncoder().encode(opId));
        node.readWaits.set(opId, { key: op.key, reply });
      } else {
        node.raw.propose(encodeCommand({ id: opId, op }));
        node.pending.set(opId, reply);
      }
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
      reply("fail", null, e instanceof NotLeaderError ? e.leaderHint : null);
    }
    this.#after(node);
  }

  proposeConfChange(id: NodeId, cc: ConfChange): number {
    const node = this.node(id);
    this.log(`propose ${cc.type} ${cc.nodeId} at ${id}`);
    const index = node.raw.proposeConfChange(cc);
    this.#after(node);
    return index;
  }

  transferLeader(from: NodeId, to: NodeId): void {
    const node = this.node(from);
    if (!node.up) return;
    this.log(`transfer leadership ${from} -> ${to}`);
    try {
      node.raw.transferLeader(to);
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
    }
    this.#after(node);
  }

  /** Lets a test poke a node's RawNode and then pumps it. */
  poke(id: NodeId, fn: (raw: RawNode) => void): void {
    const node = this.node(id);
    fn(node.raw);
    this.#after(node);
  }

  // ---- the Ready loop ----------------------------------------------------------------------

  #deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (!node || !node.up) return;
    if (node.pausedUntil > this.now) {
      this.queue.after(node.pausedUntil - this.now, () => this.#deliver(m));
      return;
    }
    node.raw.step(m);
    this.#after(node);
  }

  #after(node: SimNode): void {
    const r = node.raw.raft;
    if (r.state === "leader") {
      this.checker.onLeader(node.id, r.term, r.log);
      if (node.leaderTerm !== r.term) {
        node.leaderTerm = r.term;
        this.log(`${node.id} leads term ${r.term} (last index ${r.log.lastIndex()})`);
        this.onLeaderElected?.(node.id, r.term);
      }
    }
    this.#pump(node);
  }

  #pump(node: SimNode): void {
    if (!node.up || node.busy) return;
    const rd = node.raw.ready();
    if (!rd) return;
    node.busy = true;
    if (rd.snapshot) {
      node.storage.applySnapshot(rd.snapshot);
      node.disk.write({ kind: "installSnapshot", snapshot: rd.snapshot });
    }
    if (rd.entries.length > 0) {
      node.storage.append(rd.entries);
      node.disk.write({ kind: "entries", entries: rd.entries });
      if (rd.entries.length > 1) this.onBatchWritten?.(node.id);
    }
    if (rd.hardState) {
      node.storage.setHardState(rd.hardState);
      node.disk.write({ kind: "hardState", hardState: rd.hardState });
    }
    for (const m of rd.messages) this.net.send(m);
    if (this.opts.unsafeSendBeforeSync) {
      for (const m of rd.persistedMessages) this.net.send(m);
      rd.persistedMessages = [];
    }
    const inc = node.incarnation;
    this.queue.after(this.random.int(this.opts.diskLatencyMsMax + 1), () => {
      if (node.incarnation !== inc) return;
      const wait = node.pausedUntil - this.now;
      if (wait <= 0) this.#finishReady(node, rd);
      else this.queue.after(wait, () => node.incarnation === inc && this.#finishReady(node, rd));
    });
  }

  #finishReady(node: SimNode, rd: Ready): void {
    node.disk.sync();
    for (const m of rd.persistedMessages) this.net.send(m);
    if (rd.snapshot) node.kv = KvStore.restore(rd.snapshot.data, rd.snapshot.meta.index);
    for (const e of rd.committedEntries) this.#apply(node, e);
    for (const rs of rd.readStates) this.#onReadState(node, rs);
    node.raw.advance(rd);
    node.busy = false;
    this.#maybeSnapshot(node);
    this.#serveReads(node);
    this.#after(node);
  }

  #apply(node: SimNode, e: Entry): void {
    this.checker.onApply(node.id, e);
    if (this.recordApplied) this.applied.get(node.id)!.push(e);
    if (e.type === "confChange") {
      const cc = decodeConfChange(e.data);
      if (cc.type === "removeNode" && !this.removed.has(cc.nodeId)) {
        // The removal is committed: the operator decommissions the node. (Left running, a removed
        // node that missed its removal disrupts elections without PreVote/CheckQuorum.)
        this.removed.add(cc.nodeId);
        this.queue.after(0, () => this.crash(cc.nodeId));
      }
    }
    if (e.type !== "normal" || e.data.length === 0) {
      node.kv.appliedIndex = e.index;
      return;
    }
    const cmd = decodeCommand(e.data);
    const result = node.kv.apply(e.index, cmd.op);
    const reply = node.pending.get(cmd.id);
    if (reply) {
      node.pending.delete(cmd.id);
      reply("ok", result, node.id);
    }
  }

  #onReadState(node: SimNode, rs: ReadState): void {
    const opId = new TextDecoder().decode(rs.context);
    const w = node.readWaits.get(opId);
    if (!w) return;
    node.readWaits.delete(opId);
    node.readyReads.push({ index: rs.index, key: w.key, reply: w.reply });
  }

  #serveReads(node: SimNode): void {
    if (node.readyReads.length === 0) return;
    const keep = [];
    for (const r of node.readyReads) {
      if (node.kv.appliedIndex >= r.index) r.reply("ok", node.kv.get(r.key), node.id);
      else keep.push(r);
    }
    node.readyReads = keep;
  }

  #maybeSnapshot(node: SimNode): void {
    const every = this.opts.snapshotEveryEntries;
    if (every <= 0) return;
    const applied = node.raw.raft.log.applied;
    if (applied - node.storage.snapshot().meta.index < every) return;
    const confState = node.raw.raft.confState();
    const data = node.kv.snapshot();
    node.storage.createSnapshot(applied, confState, data);
    node.storage.compact(applied);
    node.disk.write({ kind: "createSnapshot", index: applied, confState, data });
  }

  /** Runs the log-matching check across every up node. */
  checkLogs(): void {
    const logs = new Map();
    for (const n of this.nodes.values()) if (n.up) logs.set(n.id, n.raw.raft.log);
    this.checker.checkLogMatching(logs);
  }
}
