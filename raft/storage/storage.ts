import type { ConfState, Entry, HardState, Snapshot } from "../core/types.ts";

/**
 * The read side of Raft's stable storage: what the core needs to read back what the application
 * persisted. Reads are synchronous (a file-backed implementation keeps an in-memory index).
 *
 * Index layout: entries are available in [firstIndex(), lastIndex()]; term(firstIndex() - 1) is
 * also available (it is the snapshot's index and term). Reads below throw CompactedError, reads
 * above throw UnavailableError.
 */
export interface Storage {
  /** The saved hard state and membership (from the latest snapshot). */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), limited to about maxBytes (at least one entry when any exists). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

/** Storage plus the write operations an application performs while handling a Ready. */
export interface WritableStorage extends Storage {
  setHardState(hs: HardState): void;
  /** Appends entries, first discarding any existing entries at or after entries[0].index. */
  append(entries: Entry[]): void;
  /** Replaces all state with the snapshot (a follower installing the leader's snapshot). */
  applySnapshot(snap: Snapshot): void;
  /** Records a snapshot of the applied state at `index` (which must be in the log). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  /** Discards entries up to and including `index`. */
  compact(index: number): void;
}
