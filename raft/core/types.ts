/** Core Raft data types. Node ids are opaque strings ("node-1"). */
export type NodeId = string;

/** The empty node id: no leader known, no vote cast. */
export const NONE: NodeId = "";

export type EntryType = "normal" | "confChange";

/** One log entry. `data` is opaque to Raft (the application puts its commands in it). */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** Durable per-node state: it must be on stable storage before messages that depend on it go out. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

/** Volatile role information, reported when it changes. */
export type StateType = "follower" | "preCandidate" | "candidate" | "leader";

export interface SoftState {
  lead: NodeId;
  state: StateType;
}

/** Cluster membership: voters count toward quorums, learners only receive the log. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMeta {
  index: number;
  term: number;
  confState: ConfState;
}

/** An application snapshot covering the log up to and including `meta.index`. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

/** A linearizable read point: once applied >= index, the read tagged `context` may be served. */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

export type MessageType =
  | "app"
  | "appResp"
  | "vote"
  | "voteResp"
  | "preVote"
  | "preVoteResp"
  | "heartbeat"
  | "heartbeatResp"
  | "snap"
  | "readIndex"
  | "readIndexResp"
  | "transferLeader"
  | "timeoutNow";

/**
 * Every message type, in wire order: the transport encodes a type as its index here, so new
 * types are only ever appended.
 */
export const MESSAGE_TYPES: readonly MessageType[] = [
  "app",
  "appResp",
  "vote",
  "voteResp",
  "preVote",
  "preVoteResp",
  "heartbeat",
  "heartbeatResp",
  "snap",
  "readIndex",
  "readIndexResp",
  "transferLeader",
  "timeoutNow",
];

/** A peer message. Unused fields keep their zero values (see `message()`). */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm: number;
  index: number;
  commit: number;
  entries: Entry[];
  reject: boolean;
  rejectHint: number;
  snapshot?: Snapshot;
  context?: Uint8Array;
}

/** Builds a message with zero values for every field not given. */
export function message(fields: Partial<Message> & Pick<Message, "type">): Message {
  return {
    from: NONE,
    to: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

/** Approximate wire size of an entry, used for message and uncommitted-bytes limits. */
export function entrySizeBytes(e: Entry): number {
  return e.data.length + 24;
}

/** The zero snapshot: index 0, empty membership. */
export function emptySnapshot(): Snapshot {
  return {
    meta: { index: 0, term: 0, confState: { voters: [], learners: [] } },
    data: new Uint8Array(0),
  };
}
