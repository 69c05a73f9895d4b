/**
 * The Raft driver: owns the clock (ticks), the disk (a WritableStorage with group `sync`) and the
 * network (a Transport), and runs the pure core through the Ready contract of
 * core/raw_node.ts — persist, send, apply, advance — in one place:
 *
 *   1. messages that do not depend on local durability go out at once;
 *   2. snapshot, entries and hard state are written to storage;
 *   3. committed entries (durable on a quorum already) are applied to the state machine in
 *      order and proposals resolved; read states wait until the applied index reaches them;
 *   4. the storage is fsynced when the Ready says mustSync, and only then go the persisted
 *      messages (votes, vote grants, append acknowledgements); then `advance`.
 *
 * It also takes snapshots of the state machine every `snapshotThreshold` applied entries and
 * compacts the log, keeping `catchUpEntries` behind for slow followers.
 */
import { type ConfChange, decodeConfChange, encodeConfChange } from "./core/conf_change.ts";
import { NotLeaderError, RaftError } from "./core/errors.ts";
import { Prng } from "./core/prng.ts";
import { RawNode, type Ready } from "./core/raw_node.ts";
import type { ConfState, Entry, Message, NodeId, Snapshot, SoftState } from "./core/types.ts";
import type { WritableStorage } from "./storage/storage.ts";
import type { Transport } from "./transport/transport.ts";

/** The replicated application. Apply must be deterministic: same entries, same state. */
export interface StateMachine {
  /** Applies a committed normal entry; the result goes back to the proposer on this node. */
  apply(entry: Entry): unknown;
  /** The state as of the last applied entry. */
  snapshot(): Uint8Array;
  /**
   * Optional: the state as of the last applied entry, captured now but serialized in pieces
   * while entries keep being applied (a copy-on-write view), so a large state never stalls the
   * node. The driver uses it when present.
   */
  snapshotInBackground?(): Promise<Uint8Array>;
  /** Replaces the state with a snapshot's. */
  restore(snapshot: Snapshot): void;
}

/** Storage that can make its writes durable (FileStorage); memory storage has no `sync`. */
export type DriverStorage = WritableStorage & { sync?(): Promise<void>; close?(): Promise<void> };

export interface RaftNodeHooks {
  onFsync?(seconds: number): void;
  /** Time from a Ready with entries to their durability (raft_append_duration_seconds). */
  onAppend?(seconds: number): void;
  onSoftState?(state: SoftState): void;
  onSnapshot?(seconds: number): void;
  /** Taking or storing a snapshot of our own state failed (not fatal: the log covers it). */
  onSnapshotFailed?(error: unknown): void;
  /** A membership change was applied (the caller updates the transport's peers). */
  onConfChange?(change: ConfChange): void;
}

export interface RaftNodeOptions {
  id: NodeId;
  storage: DriverStorage;
  transport: Transport;
  stateMachine: StateMachine;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  /** Take a snapshot after this many applied entries since the last one. */
  snapshotThreshold: number;
  /** Entries kept behind a snapshot so a briefly slow follower needs no snapshot. */
  catchUpEntries?: number;
  seed?: number;
  hooks?: RaftNodeHooks;
}

/** A proposal whose entry was replaced by another leader's: it was not committed. */
export class ProposalLostError extends RaftError {
  constructor(index: number) {
    super(
      "PROPOSAL_LOST",
      `Proposal at index ${index} was superseded by a new leader; it was not applied`,
    );
  }
}

/** The node stopped before the proposal or read finished: its outcome is unknown. */
export class NodeStoppedError extends RaftError {
  constructor() {
    super("NODE_STOPPED", "The Raft node stopped; the outcome of the request is unknown");
  }
}

interface PendingProposal {
  term: number;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface PendingRead {
  index: number | null;
  resolve(): void;
  reject(error: Error): void;
}

export interface PeerStatus {
  id: NodeId;
  addr: string;
  matchIndex: number;
  healthy: boolean;
  rttSeconds: number | null;
}

export interface NodeStatus {
  nodeId: NodeId;
  state: SoftState["state"];
  term: number;
  leaderId: NodeId;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: NodeId[];
  learners: NodeId[];
}

export class RaftNode {
  readonly #raw: RawNode;
  readonly #options: RaftNodeOptions;
  /**
   * Proposals waiting for their index to apply. Several can wait on one index: a proposal made
   * in an earlier term whose entry was truncated, and this node's proposal at the same index
   * after it became leader again. The entry applied there settles all of them: the one of its
   * term is resolved, the others were certainly not applied.
   */
  readonly #proposals = new Map<number, PendingProposal[]>();
  readonly #reads = new Map<string, PendingRead>();
  #readSeq = 0;
  #ticker: ReturnType<typeof setInterval> | null = null;
  #scheduled = false;
  #processing: Promise<void> | null = null;
  #stopped = false;
  #applied: number;
  #soft: SoftState = { lead: "", state: "follower" };
  #sinceSnapshot = 0;
  /**
   * The failure of the last background snapshot (also given to hooks.onSnapshotFailed); null
   * once one succeeds again.
   */
  lastSnapshotError: unknown = null;
  /** A background snapshot in progress (at most one at a time). */
  #snapshotting: Promise<void> | null = null;

  constructor(options: RaftNodeOptions) {
    this.#options = options;
    this.#raw = new RawNode({
      id: options.id,
      storage: options.storage,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      random: new Prng(options.seed ?? seedFrom(options.id)),
      preVote: true,
      checkQuorum: true,
    });
    const snapshot = options.storage.snapshot();
    if (snapshot.meta.index > 0) options.stateMachine.restore(snapshot);
    this.#applied = snapshot.meta.index;
  }

  get id(): NodeId {
    return this.#options.id;
  }

  async start(): Promise<void> {
    await this.#options.transport.start((messages) => this.#receive(messages));
    this.#ticker = setInterval(() => this.#tick(), this.#options.tickMs);
    this.#schedule();
  }

  /** Proposes `data`; resolves with the state machine's result once applied on this node. */
  propose(data: Uint8Array): Promise<unknown> {
    if (this.#stopped) return Promise.reject(new NodeStoppedError());
    const index = this.#raw.propose(data); // throws NotLeaderError / ProposalDroppedError
    const term = this.#raw.status().term;
    this.#schedule();
    return new Promise((resolve, reject) => this.#track(index, { term, resolve, reject }));
  }

  /** Resolves once a read served locally now is linearizable (ReadIndex; works on followers). */
  readBarrier(): Promise<void> {
    if (this.#stopped) return Promise.reject(new NodeStoppedError());
    const key = `${this.#options.id}:${++this.#readSeq}`;
    this.#raw.readIndex(new TextEncoder().encode(key));
    this.#schedule();
    return new Promise((resolve, reject) => this.#reads.set(key, { index: null, resolve, reject }));
  }

  /** Proposes one membership change; resolves when it is applied here. */
  changeMembership(change: ConfChange): Promise<void> {
    if (this.#stopped) return Promise.reject(new NodeStoppedError());
    const index = this.#raw.proposeConfChange(change);
    const term = this.#raw.status().term;
    this.#schedule();
    return new Promise((resolve, reject) =>
      this.#track(index, { term, resolve: () => resolve(), reject })
    );
  }

  #track(index: number, proposal: PendingProposal): void {
    const waiting = this.#proposals.get(index);
    if (waiting === undefined) this.#proposals.set(index, [proposal]);
    else waiting.push(proposal);
  }

  transferLeadership(to: NodeId): void {
    this.#raw.transferLeader(to);
    this.#schedule();
  }

  /** Campaigns at once (operator tooling and tests). */
  campaign(): void {
    this.#raw.campaign();
    this.#schedule();
  }

  // Read straight from the core: status() copies and sorts the membership, and these are asked
  // on every command.
  get isLeader(): boolean {
    return this.#raw.raft.state === "leader";
  }

  get leaderId(): NodeId {
    return this.#raw.raft.lead;
  }

  /** True while this node's membership is exactly itself (a one-node cluster it founded). */
  get isSoleMember(): boolean {
    const members = this.#raw.raft.prs;
    return members.size === 1 && members.has(this.#options.id);
  }

  status(): NodeStatus {
    const s = this.#raw.status();
    return {
      nodeId: s.id,
      state: s.state,
      term: s.term,
      leaderId: s.lead,
      commitIndex: s.commit,
      appliedIndex: this.#applied,
      lastIndex: s.lastIndex,
      snapshotIndex: this.#options.storage.snapshot().meta.index,
      voters: [...s.confState.voters],
      learners: [...s.confState.learners],
    };
  }

  /** Peers with their replication progress (known on the leader) and link health. */
  peers(): PeerStatus[] {
    const progress = this.#raw.raft.prs;
    const links = new Map(this.#options.transport.peers().map((p) => [p.id, p]));
    const ids = new Set([...progress.keys(), ...links.keys()]);
    ids.delete(this.#options.id);
    return [...ids].sort().map((id) => ({
      id,
      addr: links.get(id)?.addr ?? "",
      matchIndex: progress.get(id)?.match ?? 0,
      healthy: links.get(id)?.connected ?? false,
      rttSeconds: links.get(id)?.rttSeconds ?? null,
    }));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#ticker !== null) clearInterval(this.#ticker);
    await this.#processing;
    await this.#snapshotting; // never rejects: failures are recorded in lastSnapshotError
    await this.#options.transport.close();
    await this.#options.storage.close?.();
    const stopped = new NodeStoppedError();
    for (const waiting of this.#proposals.values()) for (const p of waiting) p.reject(stopped);
    for (const r of this.#reads.values()) r.reject(stopped);
    this.#proposals.clear();
    this.#reads.clear();
  }

  #tick(): void {
    if (this.#stopped) return;
    for (const id of this.#options.transport.takeUnreachable()) this.#raw.reportUnreachable(id);
    this.#raw.tick();
    this.#schedule();
  }

  #receive(messages: Message[]): void {
    if (this.#stopped) return;
    for (const m of messages) this.#raw.step(m);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#processing) return; // the running loop picks the new work up
      this.#processing = this.#drain().finally(() => {
        this.#processing = null;
        if (this.#raw.hasReady() && !this.#stopped) this.#schedule();
      });
    });
  }

  async #drain(): Promise<void> {
    for (let rd = this.#raw.ready(); rd && !this.#stopped; rd = this.#raw.ready()) {
      await this.#handle(rd);
    }
  }

  async #handle(rd: Ready): Promise<void> {
    const { storage, transport, hooks } = { ...this.#options, hooks: this.#options.hooks ?? {} };
    this.#send(rd.messages);
    const startedMs = performance.now();
    if (rd.snapshot) storage.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    if (rd.softState) {
      this.#soft = rd.softState;
      hooks.onSoftState?.(rd.softState);
    }
    // Committed entries are already durable on a quorum (the leader counts itself only once its
    // own copy is stable), so they are applied now, while this node's fsync of the new entries
    // runs — not one fsync later (Raft thesis §10.2.1; etcd's server applies the same way).
    if (rd.snapshot) this.#restore(rd.snapshot);
    for (const entry of rd.committedEntries) this.#apply(entry);
    for (const rs of rd.readStates) {
      const read = this.#reads.get(new TextDecoder().decode(rs.context));
      if (read) read.index = rs.index;
    }
    this.#releaseReads();
    if (rd.mustSync && storage.sync) {
      const syncStartedMs = performance.now();
      await storage.sync();
      hooks.onFsync?.((performance.now() - syncStartedMs) / 1000);
    }
    if (rd.entries.length > 0) hooks.onAppend?.((performance.now() - startedMs) / 1000);
    if (this.#stopped) return;
    // Votes, vote grants and append acknowledgements promise what was just made durable.
    transport.send(rd.persistedMessages);
    this.#raw.advance(rd);
    await this.#maybeSnapshot();
  }

  #send(messages: Message[]): void {
    if (messages.length === 0) return;
    this.#options.transport.send(messages);
    for (const m of messages) {
      // Optimistic: a lost snapshot shows up as a rejected append, and the leader resends.
      if (m.type === "snap") this.#raw.reportSnapshot(m.to, true);
    }
  }

  #restore(snapshot: Snapshot): void {
    this.#options.stateMachine.restore(snapshot);
    this.#applied = snapshot.meta.index;
    this.#sinceSnapshot = 0;
    for (const [index, waiting] of this.#proposals) {
      if (index <= snapshot.meta.index) {
        // Replaced by a snapshot: it may or may not be in it, so the outcome is unknown.
        for (const proposal of waiting) proposal.reject(new NodeStoppedError());
        this.#proposals.delete(index);
      }
    }
  }

  #apply(entry: Entry): void {
    let result: unknown = undefined;
    if (entry.type === "confChange") {
      const change = decodeConfChange(entry.data);
      this.#options.hooks?.onConfChange?.(change);
    } else if (entry.data.length > 0) {
      result = this.#options.stateMachine.apply(entry);
    }
    this.#applied = entry.index;
    this.#sinceSnapshot++;
    const waiting = this.#proposals.get(entry.index);
    if (waiting) {
      this.#proposals.delete(entry.index);
      for (const proposal of waiting) {
        if (proposal.term === entry.term) proposal.resolve(result);
        else proposal.reject(new ProposalLostError(entry.index));
      }
    }
  }

  #releaseReads(): void {
    for (const [key, read] of this.#reads) {
      if (read.index !== null && read.index <= this.#applied) {
        this.#reads.delete(key);
        read.resolve();
      }
    }
  }

  async #maybeSnapshot(): Promise<void> {
    const { storage, stateMachine, snapshotThreshold } = this.#options;
    if (this.#snapshotting) return;
    if (this.#sinceSnapshot < snapshotThreshold || this.#applied <= storage.snapshot().meta.index) {
      return;
    }
    const taking = this.#takeSnapshot();
    // A background snapshot goes on while entries apply; its failure is recorded, not thrown.
    if (stateMachine.snapshotInBackground) taking.catch(() => {});
    else await taking;
  }

  /** Whether a snapshot is being taken in the background. */
  get snapshotting(): boolean {
    return this.#snapshotting !== null;
  }

  /**
   * Takes a snapshot of the applied state now, whatever snapshotThreshold says, and compacts the
   * log behind it (an operator's SAVE / BGSAVE on an ATLAS node). Resolves once it is durable, at
   * once when the last snapshot already covers every applied entry; rejects if it failed.
   */
  async snapshotNow(): Promise<void> {
    while (this.#snapshotting) await this.#snapshotting;
    if (this.#applied <= this.#options.storage.snapshot().meta.index) return;
    await this.#takeSnapshot();
  }

  /** A snapshot at the applied index: written, synced, the hooks told. */
  #takeSnapshot(): Promise<void> {
    const { storage, stateMachine } = this.#options;
    const startedMs = performance.now();
    const index = this.#applied;
    const confState = this.#raw.status().confState;
    this.#sinceSnapshot = 0;
    const done = async () => {
      await storage.sync?.();
      this.lastSnapshotError = null;
      this.#options.hooks?.onSnapshot?.((performance.now() - startedMs) / 1000);
    };
    if (!stateMachine.snapshotInBackground) {
      this.#installOwnSnapshot(index, confState, stateMachine.snapshot());
      return done();
    }
    const taking = stateMachine.snapshotInBackground().then(async (data) => {
      if (this.#stopped) return;
      this.#installOwnSnapshot(index, confState, data);
      await done();
    });
    this.#snapshotting = taking.catch((error) => {
      // Not fatal: the log still holds everything; the next threshold tries again.
      this.lastSnapshotError = error;
      this.#options.hooks?.onSnapshotFailed?.(error);
    }).finally(() => {
      this.#snapshotting = null;
    });
    return taking;
  }

  /** Records a snapshot of our own state at `index` and compacts the log behind it. */
  #installOwnSnapshot(index: number, confState: ConfState, data: Uint8Array): void {
    const { storage } = this.#options;
    // A leader's snapshot installed meanwhile may already cover this one.
    if (index <= storage.snapshot().meta.index) return;
    storage.createSnapshot(index, confState, data);
    const compactTo = index - (this.#options.catchUpEntries ?? 1000);
    if (compactTo >= storage.firstIndex()) storage.compact(compactTo);
  }
}

/** A stable per-node seed, so two nodes never share election timeouts by construction. */
function seedFrom(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h ^ Date.now()) >>> 0;
}

export { encodeConfChange, NotLeaderError };
export type { ConfChange };
