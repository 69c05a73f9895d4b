import type { Storage } from "../storage/storage.ts";
import { assert, RaftError } from "./errors.ts";
import type { Entry, Snapshot } from "./types.ts";
import { entrySizeBytes } from "./types.ts";

/** Keeps a prefix of `ents` whose total size is <= maxBytes, but always at least one entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySizeBytes(ents[0]);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySizeBytes(ents[n]);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * Entries and snapshot not yet persisted. `offset` is the index of entries[0]; an unstable
 * snapshot (from InstallSnapshot) comes before them.
 */
class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  constructor(public offset: number) {}

  term(index: number): number | undefined {
    if (index >= this.offset && index < this.offset + this.entries.length) {
      return this.entries[index - this.offset].term;
    }
    if (this.snapshot && index === this.snapshot.meta.index) return this.snapshot.meta.term;
    return undefined;
  }

  truncateAndAppend(ents: Entry[]): void {
    const first = ents[0].index;
    if (first === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (first <= this.offset) {
      this.offset = first;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, first - this.offset).concat(ents);
    }
  }

  stableTo(index: number, term: number): void {
    if (index < this.offset || index >= this.offset + this.entries.length) return;
    if (this.entries[index - this.offset].term !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }
}

/** The Raft log: storage (persisted) plus the unstable tail, with commit and apply indexes. */
export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(readonly storage: Storage, readonly maxApplyBytes: number) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    const snap = this.unstable.snapshot;
    return snap ? snap.meta.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    const u = this.unstable;
    if (u.entries.length > 0) return u.offset + u.entries.length - 1;
    if (u.snapshot) return u.snapshot.meta.index;
    return this.storage.lastIndex();
  }

  /** Highest index known durable (the leader counts itself only up to here). */
  stableLastIndex(): number {
    if (this.unstable.snapshot) return 0;
    return Math.min(this.storage.lastIndex(), this.unstable.offset - 1);
  }

  /** The term at `index`, or undefined if compacted away or beyond the log. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    const t = this.unstable.term(index);
    if (t !== undefined) return t;
    if (index >= this.unstable.offset) return undefined;
    try {
      return this.storage.term(index);
    } catch (e) {
      if (e instanceof RaftError) return undefined;
      throw e;
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, "last term must be readable");
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** A follower's append: returns the last new index, or null if (index, logTerm) does not match. */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      assert(conflict > this.committed, `conflict at ${conflict} <= committed ${this.committed}`);
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    assert(ents[0].index - 1 >= this.committed, "cannot overwrite committed entries");
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or that we lack), else 0. */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`, with that term.
   * A follower uses it to hint where the leader should probe next, skipping a whole term at once.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (;;) {
      const t = this.term(index);
      if (t === undefined) return { index, term: 0 };
      if (t <= term) return { index, term: t };
      index--;
    }
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Commits up to maxIndex if that entry is from `term` (Raft's Figure 8 rule). */
  maybeCommit(maxIndex: number, term: number, ignoreTerm: boolean): boolean {
    if (maxIndex <= this.committed) return false;
    if (!ignoreTerm && this.term(maxIndex) !== term) return false;
    this.commitTo(maxIndex);
    return true;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.committed && index >= this.applied, `bad applied ${index}`);
    this.applied = index;
  }

  /** Entries in [lo, hi) limited to maxBytes; undefined if lo was compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, `slice hi ${hi} beyond ${this.lastIndex()}`);
    const off = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < off) {
      const storedHi = Math.min(hi, off);
      try {
        out = this.storage.entries(lo, storedHi, maxBytes);
      } catch (e) {
        if (e instanceof RaftError) return undefined;
        throw e;
      }
      if (out.length < storedHi - lo) return out;
    }
    if (hi > off) {
      const u = this.unstable.entries.slice(Math.max(lo, off) - off, hi - off);
      out = out.length > 0 ? out.concat(u) : u;
    }
    return limitSize(out, maxBytes);
  }

  /** Entries from lo to the end, limited to maxBytes. */
  entriesFrom(lo: number, maxBytes: number): Entry[] | undefined {
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot) return false;
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxApplyBytes) ?? [];
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    const s = this.unstable.snapshot;
    if (s && s.meta.index === index) this.unstable.snapshot = undefined;
  }

  /** Replaces the log with a snapshot (InstallSnapshot on a follower). */
  restore(snap: Snapshot): void {
    this.committed = snap.meta.index;
    this.unstable.offset = snap.meta.index + 1;
    this.unstable.entries = [];
    this.unstable.snapshot = snap;
  }
}
