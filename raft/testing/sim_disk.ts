import type { ConfState, Entry, HardState, Snapshot } from "../core/types.ts";
import type { Prng } from "../core/prng.ts";
import { MemoryStorage } from "../storage/memory.ts";

/** One write to the simulated write-ahead log. */
export type DiskRecord =
  | { kind: "hardState"; hardState: HardState }
  | { kind: "entries"; entries: Entry[] }
  | { kind: "installSnapshot"; snapshot: Snapshot }
  | { kind: "createSnapshot"; index: number; confState: ConfState; data: Uint8Array };

/**
 * A simulated disk holding a log of records. Writes are buffered until `sync()`; a crash keeps a
 * random prefix of the unsynced records, and may tear the first lost one (an entries record keeps
 * a prefix of its entries: per-entry checksums let recovery drop the torn tail).
 */
export class SimDisk {
  #synced: DiskRecord[] = [];
  #unsynced: DiskRecord[] = [];
  writes = 0;
  syncs = 0;
  tornWrites = 0;

  constructor(readonly voters: string[]) {}

  /** Writes not yet synced (a crash now loses or tears them). */
  unsyncedCount(): number {
    return this.#unsynced.length;
  }

  /** Entries among the unsynced writes (more than one: a crash may tear them). */
  unsyncedEntryCount(): number {
    let n = 0;
    for (const r of this.#unsynced) if (r.kind === "entries") n += r.entries.length;
    return n;
  }

  write(r: DiskRecord): void {
    this.writes++;
    this.#unsynced.push(r);
  }

  sync(): void {
    this.syncs++;
    for (const r of this.#unsynced) this.#synced.push(r);
    this.#unsynced = [];
    if (this.#synced.length > 256) this.#synced = this.#compactRecords();
  }

  /**
   * Power loss: unsynced writes are lost, except a random prefix of them. The cut falls at entry
   * granularity, so it may tear an entries record (per-entry checksums let recovery keep the
   * entries before the tear).
   */
  crash(random: Prng): void {
    let atoms = 0;
    for (const r of this.#unsynced) atoms += r.kind === "entries" ? r.entries.length : 1;
    let keep = random.int(atoms + 1);
    for (const r of this.#unsynced) {
      if (keep === 0) break;
      const size = r.kind === "entries" ? r.entries.length : 1;
      if (size <= keep) {
        this.#synced.push(r);
        keep -= size;
      } else {
        this.tornWrites++;
        this.#synced.push({
          kind: "entries",
          entries: (r as { entries: Entry[] }).entries.slice(0, keep),
        });
        keep = 0;
      }
    }
    this.#unsynced = [];
  }

  /** Recovery: replays the durable records into a fresh storage. */
  recover(): MemoryStorage {
    const s = this.voters.length > 0 ? MemoryStorage.bootstrap(this.voters) : new MemoryStorage();
    for (const r of this.#synced) replay(s, r);
    return s;
  }

  /** Rewrites the synced records as one equivalent state (keeps replay cheap). */
  #compactRecords(): DiskRecord[] {
    const s = this.recover();
    const out: DiskRecord[] = [];
    const snap = s.snapshot();
    if (snap.meta.index > 0) out.push({ kind: "installSnapshot", snapshot: snap });
    out.push({ kind: "hardState", hardState: s.initialState().hardState });
    if (s.lastIndex() >= s.firstIndex()) {
      out.push({
        kind: "entries",
        entries: s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity),
      });
    }
    return out;
  }
}

function replay(s: MemoryStorage, r: DiskRecord): void {
  switch (r.kind) {
    case "hardState":
      s.setHardState(r.hardState);
      break;
    case "entries":
      s.append(r.entries);
      break;
    case "installSnapshot":
      if (r.snapshot.meta.index > s.snapshot().meta.index) s.applySnapshot(r.snapshot);
      break;
    case "createSnapshot":
      if (r.index > s.snapshot().meta.index && r.index <= s.lastIndex()) {
        s.createSnapshot(r.index, r.confState, r.data);
        s.compact(r.index);
      }
      break;
  }
}
