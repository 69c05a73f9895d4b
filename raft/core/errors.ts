import type { NodeId } from "./types.ts";

/** Base class of Raft's operating errors (things callers handle; bugs are assertion failures). */
export class RaftError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A proposal or read reached a node that is not the leader; `leaderHint` is who it believes leads. */
export class NotLeaderError extends RaftError {
  constructor(readonly leaderHint: NodeId | null) {
    super(
      "NOT_LEADER",
      leaderHint
        ? `Cannot propose: not the leader (leader is "${leaderHint}")`
        : "Cannot propose: no leader known",
    );
  }
}

/** The leader refused a proposal (transfer in progress, limits reached, pending conf change). */
export class ProposalDroppedError extends RaftError {
  constructor(readonly reason: string) {
    super("PROPOSAL_DROPPED", `Proposal dropped: ${reason}`);
  }
}

/** A storage read below the first available index (the log was compacted). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super("COMPACTED", `Cannot read index ${index}: log compacted up to ${firstIndex - 1}`);
  }
}

/** A storage read past the last index. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super("UNAVAILABLE", `Cannot read index ${index}: last index is ${lastIndex}`);
  }
}

/** A snapshot older than the one already held. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, current: number) {
    super(
      "SNAPSHOT_OUT_OF_DATE",
      `Snapshot at ${index} is older than current snapshot at ${current}`,
    );
  }
}

/** Programmer errors: invariants that must hold. They crash (raft is not meant to limp on). */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`raft invariant violated: ${msg}`);
}
