import type { Storage } from "../storage/storage.ts";
import {
  type ConfChange,
  decodeConfChange,
  encodeConfChange,
  validateConfChange,
} from "./conf_change.ts";
import { assert, NotLeaderError, ProposalDroppedError } from "./errors.ts";
import { RAFT_LIMITS } from "./limits.ts";
import { RaftLog } from "./log.ts";
import type { Prng } from "./prng.ts";
import { Progress } from "./progress.ts";
import { ReadOnly } from "./read_only.ts";
import {
  type ConfState,
  type Entry,
  entrySizeBytes,
  type Message,
  message,
  type MessageType,
  type NodeId,
  NONE,
  type ReadState,
  type Snapshot,
  type StateType,
} from "./types.ts";

/** Deliberate bugs, for tests that prove the simulator's checkers catch them. Never set in production. */
export interface TestingKnobs {
  /** Commit entries of earlier terms by counting replicas (violates Raft's Figure 8 rule). */
  countOldTermEntriesForCommit?: boolean;
  /** Grant votes without checking that the candidate's log is at least as up to date. */
  skipLogFreshnessCheckOnVote?: boolean;
}

export interface RaftConfig {
  id: NodeId;
  storage: Storage;
  /** Ticks without hearing from a leader before campaigning (randomized in [n, 2n)). */
  electionTicks: number;
  heartbeatTicks: number;
  /** Seeded randomness for election timeouts. */
  random: Prng;
  preVote?: boolean;
  checkQuorum?: boolean;
  msgBytesMax?: number;
  inflightMsgsMax?: number;
  inflightBytesMax?: number;
  uncommittedBytesMax?: number;
  committedBytesPerReadyMax?: number;
  testingKnobs?: TestingKnobs;
}

const TRANSFER_CONTEXT = new Uint8Array([0x74]);
const PERSIST_FIRST: ReadonlySet<MessageType> = new Set(["vote", "voteResp", "appResp"]);

/** The Raft algorithm for one node. Driven through RawNode; see raw_node.ts for the contract. */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: StateType = "follower";
  readonly log: RaftLog;
  prs = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  msgs: Message[] = [];
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  leadTransferee: NodeId = NONE;
  pendingConfIndex = 0;
  uncommittedBytes = 0;
  readonly readOnly = new ReadOnly();
  pendingReadIndex: Message[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  readonly cfg: Required<Omit<RaftConfig, "testingKnobs">> & { testingKnobs: TestingKnobs };

  constructor(config: RaftConfig) {
    assert(config.id !== NONE, "node id must not be empty");
    assert(config.heartbeatTicks > 0 && config.electionTicks > config.heartbeatTicks, "bad ticks");
    this.cfg = {
      preVote: false,
      checkQuorum: false,
      msgBytesMax: RAFT_LIMITS.msgBytesMax,
      inflightMsgsMax: RAFT_LIMITS.inflightMsgsMax,
      inflightBytesMax: RAFT_LIMITS.inflightBytesMax,
      uncommittedBytesMax: RAFT_LIMITS.uncommittedBytesMax,
      committedBytesPerReadyMax: RAFT_LIMITS.committedBytesPerReadyMax,
      ...config,
      testingKnobs: config.testingKnobs ?? {},
    };
    this.id = config.id;
    this.log = new RaftLog(config.storage, this.cfg.committedBytesPerReadyMax);
    const { hardState, confState } = config.storage.initialState();
    this.#restoreConf(confState);
    if (hardState.term > 0 || hardState.commit > 0) {
      this.term = hardState.term;
      this.vote = hardState.vote;
      // Commit is volatile in Raft; a torn tail may have lost entries it once covered.
      this.log.commitTo(Math.min(hardState.commit, this.log.lastIndex()));
    }
    this.becomeFollower(this.term, NONE);
  }

  // ---- membership -------------------------------------------------------------------------

  #newProgress(isLearner: boolean): Progress {
    const pr = new Progress(
      this.log.lastIndex() + 1,
      isLearner,
      this.cfg.inflightMsgsMax,
      this.cfg.inflightBytesMax,
    );
    pr.recentActive = true;
    return pr;
  }

  #restoreConf(cs: ConfState): void {
    this.prs = new Map();
    for (const id of cs.voters) this.prs.set(id, this.#newProgress(false));
    for (const id of cs.learners) this.prs.set(id, this.#newProgress(true));
  }

  confState(): ConfState {
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (const [id, pr] of this.prs) (pr.isLearner ? learners : voters).push(id);
    return { voters: voters.sort(), learners: learners.sort() };
  }

  #voters(): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, pr] of this.prs) if (!pr.isLearner) out.push(id);
    return out;
  }

  #quorum(): number {
    return Math.floor(this.#voters().length / 2) + 1;
  }

  promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.unstable.snapshot;
  }

  applyConfChange(cc: ConfChange): void {
    const pr = this.prs.get(cc.nodeId);
    if (cc.type === "addVoter") {
      if (pr) pr.isLearner = false;
      else this.prs.set(cc.nodeId, this.#newProgress(false));
    } else if (cc.type === "addLearner") {
      if (!pr) this.prs.set(cc.nodeId, this.#newProgress(true));
    } else {
      this.prs.delete(cc.nodeId);
      if (cc.nodeId === this.leadTransferee) this.leadTransferee = NONE;
    }
    if (this.state !== "leader") return;
    const self = this.prs.get(this.id);
    if (!self || self.isLearner) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.#maybeCommit()) this.bcastAppend();
  }

  // ---- role transitions ------------------------------------------------------------------

  #reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks +
      this.cfg.random.int(this.cfg.electionTicks);
    this.leadTransferee = NONE;
    this.votes.clear();
    for (const [id, pr] of this.prs) {
      const fresh = this.#newProgress(pr.isLearner);
      if (id === this.id) fresh.match = this.log.stableLastIndex();
      this.prs.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.lead = lead;
    this.state = "follower";
  }

  #becomePreCandidate(): void {
    assert(this.state !== "leader", "leader cannot become pre-candidate");
    this.votes.clear();
    this.lead = NONE;
    this.state = "preCandidate";
  }

  #becomeCandidate(): void {
    assert(this.state !== "leader", "leader cannot become candidate");
    this.#reset(this.term + 1);
    this.vote = this.id;
    this.state = "candidate";
  }

  #becomeLeader(): void {
    assert(this.state !== "follower", "follower cannot become leader directly");
    this.#reset(this.term);
    this.lead = this.id;
    this.state = "leader";
    this.prs.get(this.id)?.becomeReplicate();
    // Conf changes are refused until everything in the log at election time is applied.
    this.pendingConfIndex = this.log.lastIndex();
    this.#appendEntries([{ term: 0, index: 0, type: "normal", data: new Uint8Array(0) }]);
    this.uncommittedBytes = 0;
  }

  // ---- ticks -------------------------------------------------------------------------------

  tick(): void {
    if (this.state === "leader") this.#tickHeartbeat();
    else this.#tickElection();
  }

  #tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  #tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const [id, pr] of this.prs) {
      if (
        id !== this.id && pr.state === "snapshot" && ++pr.snapshotTicks > this.cfg.electionTicks
      ) {
        pr.becomeProbe(); // the snapshot was probably lost: retry
      }
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.#quorumActive()) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.#bcastHeartbeat(this.readOnly.lastPendingContext());
    }
  }

  /** Counts voters heard from since the last round, then clears the marks. */
  #quorumActive(): boolean {
    let active = 0;
    for (const [id, pr] of this.prs) {
      if (!pr.isLearner && (id === this.id || pr.recentActive)) active++;
      if (id !== this.id) pr.recentActive = false;
    }
    return active >= this.#quorum();
  }

  // ---- elections ---------------------------------------------------------------------------

  #hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const ents = this.log.slice(this.log.applied + 1, this.log.committed + 1, Infinity) ?? [];
    return ents.some((e) => e.type === "confChange");
  }

  hup(transfer: boolean): void {
    if (this.state === "leader" || !this.promotable() || this.#hasUnappliedConfChanges()) return;
    if (this.cfg.preVote && !transfer) this.#campaign("preVote", false);
    else this.#campaign("vote", transfer);
  }

  #campaign(kind: "preVote" | "vote", transfer: boolean): void {
    let term: number;
    if (kind === "preVote") {
      this.#becomePreCandidate();
      term = this.term + 1;
    } else {
      this.#becomeCandidate();
      term = this.term;
    }
    if (this.#poll(this.id, true) === "won") {
      if (kind === "preVote") this.#campaign("vote", false);
      else this.#becomeLeader();
      return;
    }
    for (const id of this.#voters().sort()) {
      if (id === this.id) continue;
      this.send(message({
        type: kind,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? TRANSFER_CONTEXT : undefined,
      }));
    }
  }

  #poll(id: NodeId, granted: boolean): "won" | "lost" | "pending" {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.#voters()) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = this.#quorum();
    if (yes >= q) return "won";
    if (no > this.#voters().length - q) return "lost";
    return "pending";
  }

  #handleVoteRequest(m: Message): void {
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) ||
      (m.type === "preVote" && m.term > this.term);
    const fresh = this.cfg.testingKnobs.skipLogFreshnessCheckOnVote ||
      this.log.isUpToDate(m.index, m.logTerm);
    const respType = m.type === "vote" ? "voteResp" : "preVoteResp";
    if (canVote && fresh) {
      this.send(message({ type: respType, to: m.from, term: m.term }));
      if (m.type === "vote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  // ---- sending -----------------------------------------------------------------------------

  send(m: Message): void {
    m.from = this.id;
    const isVoteKind = m.type === "vote" || m.type === "voteResp" || m.type === "preVote" ||
      m.type === "preVoteResp";
    if (isVoteKind) assert(m.term !== 0, `term must be set for ${m.type}`);
    else m.term = this.term;
    (PERSIST_FIRST.has(m.type) ? this.msgsAfterPersist : this.msgs).push(m);
  }

  /** Sends entries (or a snapshot) to `to` if flow control allows; true if something was sent. */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = this.log.entriesFrom(pr.next, this.cfg.msgBytesMax);
    if (prevTerm === undefined || ents === undefined) return this.#sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entrySizeBytes(e);
    this.send(message({
      type: "app",
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.log.committed,
    }));
    pr.sentEntries(ents.length, bytes, ents.length > 0 ? ents[ents.length - 1].index : prevIndex);
    return true;
  }

  #sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snap: Snapshot = this.log.snapshot();
    assert(snap.meta.index > 0, "need a snapshot but none exists");
    pr.becomeSnapshot(snap.meta.index);
    this.send(message({ type: "snap", to, snapshot: snap }));
    return true;
  }

  bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.maybeSendAppend(id, true);
  }

  #bcastHeartbeat(context: Uint8Array | undefined): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      this.send(message({
        type: "heartbeat",
        to: id,
        commit: Math.min(pr.match, this.log.committed),
        context,
      }));
    }
  }

  // ---- log ---------------------------------------------------------------------------------

  #appendEntries(ents: Entry[]): void {
    let li = this.log.lastIndex();
    for (const e of ents) {
      e.term = this.term;
      e.index = ++li;
    }
    this.log.append(ents);
  }

  #maybeCommit(): boolean {
    const matches: number[] = [];
    for (const pr of this.prs.values()) if (!pr.isLearner) matches.push(pr.match);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const mci = matches[this.#quorum() - 1];
    const hadCurrentTermCommit = this.#committedInCurrentTerm();
    const ok = this.log.maybeCommit(
      mci,
      this.term,
      this.cfg.testingKnobs.countOldTermEntriesForCommit === true,
    );
    if (ok && !hadCurrentTermCommit && this.#committedInCurrentTerm()) {
      const pending = this.pendingReadIndex;
      this.pendingReadIndex = [];
      for (const m of pending) this.#serveReadIndex(m);
    }
    return ok;
  }

  #committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Called once entries up to (index, term) are durable. */
  onEntriesStable(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.state !== "leader" || this.log.term(index) !== term) return;
    const self = this.prs.get(this.id);
    if (self && self.maybeUpdate(index) && this.#maybeCommit()) this.bcastAppend();
  }

  /** Called once committed entries up to `index` were applied by the application. */
  onApplied(ents: Entry[]): void {
    if (ents.length === 0) return;
    this.log.appliedTo(ents[ents.length - 1].index);
    for (const e of ents) {
      if (e.type === "confChange") this.applyConfChange(decodeConfChange(e.data));
      if (this.state === "leader") {
        this.uncommittedBytes = Math.max(0, this.uncommittedBytes - e.data.length);
      }
    }
  }

  // ---- client requests ---------------------------------------------------------------------

  propose(type: Entry["type"], data: Uint8Array): number {
    if (this.state !== "leader") throw new NotLeaderError(this.lead === NONE ? null : this.lead);
    if (!this.prs.has(this.id)) {
      throw new ProposalDroppedError("leader was removed from the cluster");
    }
    if (this.leadTransferee !== NONE) {
      throw new ProposalDroppedError(`leadership transfer to "${this.leadTransferee}" in progress`);
    }
    if (data.length > RAFT_LIMITS.entryBytesMax) {
      throw new ProposalDroppedError(
        `entry of ${data.length} bytes exceeds ${RAFT_LIMITS.entryBytesMax}`,
      );
    }
    if (
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + data.length > this.cfg.uncommittedBytesMax
    ) {
      throw new ProposalDroppedError("too many uncommitted bytes");
    }
    this.uncommittedBytes += data.length;
    const e: Entry = { term: 0, index: 0, type, data };
    this.#appendEntries([e]);
    this.bcastAppend();
    return e.index;
  }

  proposeConfChange(cc: ConfChange): number {
    if (this.state !== "leader") throw new NotLeaderError(this.lead === NONE ? null : this.lead);
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError("a configuration change is already pending");
    }
    const why = validateConfChange(this.confState(), cc);
    if (why) throw new ProposalDroppedError(`invalid configuration change: ${why}`);
    const index = this.propose("confChange", encodeConfChange(cc));
    this.pendingConfIndex = index;
    return index;
  }

  readIndex(context: Uint8Array): void {
    assert(context.length <= RAFT_LIMITS.readContextBytesMax, "read context too long");
    const m = message({ type: "readIndex", from: this.id, to: this.id, context });
    if (this.state === "leader") this.#handleReadIndex(m);
    else if (this.lead !== NONE) this.send({ ...m, to: this.lead });
    else throw new NotLeaderError(null);
  }

  #handleReadIndex(m: Message): void {
    if (this.#voters().length === 1 && this.prs.has(this.id)) {
      this.#respondRead(m, this.log.committed);
    } else if (!this.#committedInCurrentTerm()) {
      if (this.pendingReadIndex.length < RAFT_LIMITS.pendingReadsMax) this.pendingReadIndex.push(m);
    } else {
      this.#serveReadIndex(m);
    }
  }

  #serveReadIndex(m: Message): void {
    if (this.readOnly.size() >= RAFT_LIMITS.pendingReadsMax) return;
    this.readOnly.add(this.log.committed, m);
    this.readOnly.recvAck(this.id, m.context);
    this.#bcastHeartbeat(m.context);
  }

  #respondRead(req: Message, index: number): void {
    const context = req.context ?? new Uint8Array(0);
    if (req.from === this.id) this.readStates.push({ index, context });
    else this.send(message({ type: "readIndexResp", to: req.from, index, context }));
  }

  transferLeader(transferee: NodeId): void {
    if (this.state !== "leader") {
      if (this.lead === NONE) throw new NotLeaderError(null);
      this.send(message({ type: "transferLeader", to: this.lead, context: idBytes(transferee) }));
      return;
    }
    this.#handleTransfer(transferee);
  }

  #handleTransfer(transferee: NodeId): void {
    const pr = this.prs.get(transferee);
    if (!pr || pr.isLearner || transferee === this.id) return;
    if (this.leadTransferee === transferee) return;
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.log.lastIndex()) {
      this.send(message({ type: "timeoutNow", to: transferee }));
    } else {
      this.maybeSendAppend(transferee, true);
    }
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.state === "leader" && pr && pr.state === "replicate") pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.prs.get(id);
    if (this.state !== "leader" || !pr || pr.state !== "snapshot") return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for the follower's answer or the next heartbeat
  }

  // ---- message handling --------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.#stepHigherTerm(m)) return;
    } else if (m.term < this.term && m.term !== 0) {
      this.#stepLowerTerm(m);
      return;
    }
    if (m.type === "vote" || m.type === "preVote") {
      this.#handleVoteRequest(m);
      return;
    }
    if (this.state === "leader") this.#stepLeader(m);
    else if (this.state === "follower") this.#stepFollower(m);
    else this.#stepCandidate(m);
  }

  /** Returns false if the message must be ignored. */
  #stepHigherTerm(m: Message): boolean {
    if (m.type === "vote" || m.type === "preVote") {
      const forced = m.context !== undefined && m.context.length === 1 &&
        m.context[0] === TRANSFER_CONTEXT[0];
      const inLease = this.cfg.checkQuorum && this.lead !== NONE &&
        this.electionElapsed < this.cfg.electionTicks;
      if (!forced && inLease) return false;
    }
    if (m.type === "preVote") return true;
    if (m.type === "preVoteResp" && !m.reject) return true;
    const fromLeader = m.type === "app" || m.type === "heartbeat" || m.type === "snap";
    const elapsed = this.electionElapsed;
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    // Only a leader's message (or granting a vote) resets the election timer: otherwise candidates
    // with stale logs, bumping terms, could starve the one node able to win.
    if (!fromLeader) this.electionElapsed = elapsed;
    return true;
  }

  #stepLowerTerm(m: Message): void {
    if (m.type === "heartbeat" || m.type === "app") {
      // A stale leader: tell it our term so it steps down (Raft's AppendEntries reply). etcd only
      // does this with CheckQuorum/PreVote and otherwise relies on our vote requests reaching the
      // leader, but a node whose membership is stale may not send them to it (the simulator found
      // such a node stuck at a higher term forever).
      this.send(message({ type: "appResp", to: m.from }));
    } else if (m.type === "preVote") {
      this.send(message({ type: "preVoteResp", to: m.from, term: this.term, reject: true }));
    }
  }

  #stepLeader(m: Message): void {
    if (m.type === "readIndex") {
      this.#handleReadIndex(m);
      return;
    }
    if (m.type === "transferLeader") {
      this.#handleTransfer(idString(m.context));
      return;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    if (m.type === "appResp") this.#handleAppResp(m, pr);
    else if (m.type === "heartbeatResp") this.#handleHeartbeatResp(m, pr);
  }

  #handleAppResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let hint = m.rejectHint;
      if (m.logTerm > 0) hint = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    // A probe answered at the current match still proves the logs agree: start replicating.
    const probeConfirmed = pr.state === "probe" && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !probeConfirmed) return;
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === "replicate") pr.inflights.freeLE(m.index);
    if (this.#maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.maybeSendAppend(m.from, true);
    while (this.maybeSendAppend(m.from, false)) { /* pipeline while flow control allows */ }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send(message({ type: "timeoutNow", to: m.from }));
    }
  }

  #handleHeartbeatResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.maybeSendAppend(m.from, true);
    if (!m.context || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    let n = 0;
    for (const id of acks) if (this.prs.get(id)?.isLearner === false) n++;
    if (n < this.#quorum()) return;
    for (const rs of this.readOnly.advance(m.context)) this.#respondRead(rs.req, rs.index);
  }

  #stepCandidate(m: Message): void {
    const expected = this.state === "preCandidate" ? "preVoteResp" : "voteResp";
    if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
      this.becomeFollower(m.term, m.from);
      this.#stepFollower(m);
    } else if (m.type === expected) {
      const res = this.#poll(m.from, !m.reject);
      if (res === "won") {
        if (this.state === "preCandidate") this.#campaign("vote", false);
        else {
          this.#becomeLeader();
          this.bcastAppend();
        }
      } else if (res === "lost") {
        this.becomeFollower(this.term, NONE);
      }
    }
  }

  #stepFollower(m: Message): void {
    switch (m.type) {
      case "app":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.#handleAppend(m);
        break;
      case "heartbeat":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.send(message({ type: "heartbeatResp", to: m.from, context: m.context }));
        break;
      case "snap":
        this.electionElapsed = 0;
        this.lead = m.from;
        this.#handleSnapshot(m);
        break;
      case "transferLeader":
      case "readIndex":
        if (this.lead !== NONE) this.send({ ...m, to: this.lead });
        break;
      case "timeoutNow":
        this.hup(true);
        break;
      case "readIndexResp":
        this.readStates.push({ index: m.index, context: m.context ?? new Uint8Array(0) });
        break;
    }
  }

  #handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: "appResp", to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      this.send(message({ type: "appResp", to: m.from, index: lastNew }));
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send(message({
      type: "appResp",
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    }));
  }

  #handleSnapshot(m: Message): void {
    const snap = m.snapshot!;
    if (this.#restore(snap)) {
      this.send(message({ type: "appResp", to: m.from, index: this.log.lastIndex() }));
    } else {
      this.send(message({ type: "appResp", to: m.from, index: this.log.committed }));
    }
  }

  #restore(snap: Snapshot): boolean {
    if (snap.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(snap.meta.index, snap.meta.term)) {
      this.log.commitTo(snap.meta.index);
      return false;
    }
    this.log.restore(snap);
    this.#restoreConf(snap.meta.confState);
    return true;
  }
}

function idBytes(id: NodeId): Uint8Array {
  return new TextEncoder().encode(id);
}

function idString(b: Uint8Array | undefined): NodeId {
  return b ? new TextDecoder().decode(b) : NONE;
}
