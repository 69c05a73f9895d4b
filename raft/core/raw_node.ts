import type { ConfChange } from "./conf_change.ts";
import { assert } from "./errors.ts";
import { Raft, type RaftConfig } from "./raft.ts";
import { invalidMessage } from "./validate.ts";
import type {
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Snapshot,
  SoftState,
} from "./types.ts";

/**
 * What the application must do next. THE CONTRACT, in this order:
 *
 * 1. **Persist**: write `snapshot` (if any), then `entries`, then `hardState` (if any) to stable
 *    storage; if `mustSync`, fsync before going on.
 * 2. **Send**: `messages` may be sent at any time, even before step 1 completes (they are the
 *    leader's appends and heartbeats, whose safety does not depend on local durability).
 *    `persistedMessages` (votes, vote grants, append acknowledgements) may only be sent after
 *    step 1 is durable: they promise the state just written.
 * 3. **Apply**: restore the state machine from `snapshot` (if any), then apply `committedEntries`
 *    in order. Serve reads in `readStates` once the applied index reaches their index.
 * 4. **Advance**: call `advance(ready)`. Only then may `ready()` be called again. The node may be
 *    ticked and stepped between `ready()` and `advance()`; that work shows up in the next Ready.
 *
 * Conf-change entries take effect when `advance` is called after they were applied.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  persistedMessages: Message[];
  readStates: ReadState[];
  mustSync: boolean;
}

export interface Status {
  id: NodeId;
  term: number;
  vote: NodeId;
  lead: NodeId;
  state: SoftState["state"];
  commit: number;
  applied: number;
  lastIndex: number;
  confState: ConfState;
}

/** The application's handle on a Raft node: inputs in, Ready out. Pure: no clock, no I/O. */
export class RawNode {
  readonly raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;
  #outstanding = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.#prevSoft = this.#softState();
    this.#prevHard = this.#hardState();
  }

  /** Advances the logical clock by one tick (election and heartbeat timers). */
  tick(): void {
    this.raft.tick();
  }

  /** Campaigns now (tests and operator tooling). */
  campaign(): void {
    this.raft.hup(false);
  }

  /**
   * Feeds a message from a peer. Returns null if it was stepped, or why it was dropped (addressed
   * to another node, or malformed: see validate.ts).
   */
  step(m: Message): string | null {
    if (m.to !== this.raft.id) return `message for "${m.to}" reached "${this.raft.id}"`;
    const why = invalidMessage(m);
    if (why) return why;
    this.raft.step(m);
    return null;
  }

  /** Proposes a normal entry; returns its index. Throws NotLeaderError / ProposalDroppedError. */
  propose(data: Uint8Array): number {
    return this.raft.propose("normal", data);
  }

  proposeConfChange(cc: ConfChange): number {
    return this.raft.proposeConfChange(cc);
  }

  /** Requests a linearizable read point; the answer arrives as a ReadState with this context. */
  readIndex(context: Uint8Array): void {
    this.raft.readIndex(context);
  }

  transferLeader(transferee: NodeId): void {
    this.raft.transferLeader(transferee);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  #softState(): SoftState {
    return { lead: this.raft.lead, state: this.raft.state };
  }

  #hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  hasReady(): boolean {
    if (this.#outstanding) return false;
    const r = this.raft;
    const hs = this.#hardState();
    const ss = this.#softState();
    return r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.readStates.length > 0 ||
      r.log.unstableEntries().length > 0 || r.log.unstable.snapshot !== undefined ||
      r.log.hasNextCommittedEnts() || !sameHard(hs, this.#prevHard) ||
      ss.lead !== this.#prevSoft.lead || ss.state !== this.#prevSoft.state;
  }

  /** The next batch of work, or null if there is none or the previous Ready was not advanced. */
  ready(): Ready | null {
    if (!this.hasReady()) return null;
    const r = this.raft;
    const hs = this.#hardState();
    const ss = this.#softState();
    const rd: Ready = {
      entries: r.log.unstableEntries().slice(),
      snapshot: r.log.unstable.snapshot,
      committedEntries: r.log.nextCommittedEnts(),
      messages: r.msgs,
      persistedMessages: r.msgsAfterPersist,
      readStates: r.readStates,
      mustSync: false,
    };
    if (!sameHard(hs, this.#prevHard)) {
      rd.hardState = hs;
      rd.mustSync = hs.term !== this.#prevHard.term || hs.vote !== this.#prevHard.vote;
      this.#prevHard = hs;
    }
    if (ss.lead !== this.#prevSoft.lead || ss.state !== this.#prevSoft.state) {
      rd.softState = ss;
      this.#prevSoft = ss;
    }
    rd.mustSync ||= rd.entries.length > 0 || rd.snapshot !== undefined;
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    this.#outstanding = true;
    return rd;
  }

  /** Acknowledges that `rd` was persisted, sent and applied (see Ready). */
  advance(rd: Ready): void {
    assert(this.#outstanding, "advance without an outstanding Ready");
    this.#outstanding = false;
    const r = this.raft;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.meta.index);
      if (r.log.applied < rd.snapshot.meta.index) r.log.applied = rd.snapshot.meta.index;
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.onEntriesStable(last.index, last.term);
    }
    r.onApplied(rd.committedEntries);
  }

  status(): Status {
    const r = this.raft;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      state: r.state,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      confState: r.confState(),
    };
  }
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
