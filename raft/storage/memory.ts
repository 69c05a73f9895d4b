import {
  assert,
  CompactedError,
  SnapshotOutOfDateError,
  UnavailableError,
} from "../core/errors.ts";
import type { ConfState, Entry, HardState, Snapshot } from "../core/types.ts";
import { emptySnapshot } from "../core/types.ts";
import type { WritableStorage } from "./storage.ts";
import { limitSize } from "../core/log.ts";
import { encodeConfChange } from "../core/conf_change.ts";

/** The reference in-memory storage. ents[0] is a dummy entry at the snapshot's index and term. */
export class MemoryStorage implements WritableStorage {
  #hardState: HardState = { term: 0, vote: "", commit: 0 };
  #snapshot: Snapshot = emptySnapshot();
  #ents: Entry[] = [dummy(0, 0)];

  /**
   * A storage for a founding member of a new cluster: like etcd, the initial membership is written
   * as committed conf-change entries (term 1, indexes 1..n), so a node added later learns it by
   * replicating the log like any other entry.
   */
  static bootstrap(voters: string[]): MemoryStorage {
    const s = new MemoryStorage();
    const ents: Entry[] = [...voters].sort().map((nodeId, i) => ({
      term: 1,
      index: i + 1,
      type: "confChange",
      data: encodeConfChange({ type: "addVoter", nodeId }),
    }));
    s.append(ents);
    s.setHardState({ term: 1, vote: "", commit: ents.length });
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    const cs = this.#snapshot.meta.confState;
    return {
      hardState: { ...this.#hardState },
      confState: { voters: [...cs.voters], learners: [...cs.learners] },
    };
  }

  setHardState(hs: HardState): void {
    this.#hardState = { ...hs };
  }

  #offset(): number {
    return this.#ents[0].index;
  }

  firstIndex(): number {
    return this.#offset() + 1;
  }

  lastIndex(): number {
    return this.#offset() + this.#ents.length - 1;
  }

  term(index: number): number {
    const offset = this.#offset();
    if (index < offset) throw new CompactedError(index, this.firstIndex());
    if (index - offset >= this.#ents.length) throw new UnavailableError(index, this.lastIndex());
    return this.#ents[index - offset].term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.#offset();
    if (lo <= offset) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    assert(lo <= hi, `entries: lo ${lo} > hi ${hi}`);
    return limitSize(this.#ents.slice(lo - offset, hi - offset), maxBytes);
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  applySnapshot(snap: Snapshot): void {
    const current = this.#snapshot.meta.index;
    if (snap.meta.index <= current && current > 0) {
      throw new SnapshotOutOfDateError(snap.meta.index, current);
    }
    this.#snapshot = snap;
    this.#ents = [dummy(snap.meta.index, snap.meta.term)];
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.#snapshot.meta.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.#snapshot = {
      meta: {
        index,
        term: this.term(index),
        confState: { voters: [...confState.voters], learners: [...confState.learners] },
      },
      data,
    };
    return this.#snapshot;
  }

  compact(index: number): void {
    const offset = this.#offset();
    if (index <= offset) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const rest = this.#ents.slice(index - offset + 1);
    this.#ents = [dummy(index, this.term(index)), ...rest];
  }

  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1].index;
    if (last < first) return;
    if (first > entries[0].index) entries = entries.slice(first - entries[0].index);
    const at = entries[0].index - this.#offset();
    if (at > this.#ents.length) {
      throw new UnavailableError(entries[0].index, this.lastIndex());
    }
    // In place: appending at the end is the common case and must not copy the whole log.
    this.#ents.length = at;
    for (const entry of entries) this.#ents.push(entry);
  }
}

function dummy(index: number, term: number): Entry {
  return { index, term, type: "normal", data: new Uint8Array(0) };
}
