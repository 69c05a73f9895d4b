/**
 * A point-in-time view of the keyspace that stays valid while writes continue, without copying
 * the keyspace up front: copy-on-write at key granularity. Before a key that the view has not
 * emitted yet changes, `preserve` saves its old payload (or "absent") into the view; the view
 * then emits that saved state instead of the live one. Memory: one Set entry per emitted key plus
 * the payloads of keys changed before their turn. Values are written by the view's encoder
 * (serializeValue for snapshots; the RDB object encoding for `redis-cli --rdb`, rdb_file.ts).
 */
import type { ChangeHook, Database, Value } from "./keyspace.ts";
import { serializeValue, TAG_DATABASE } from "./serialize.ts";

export interface SnapshotEntry {
  key: string;
  /**
   * The value as the view's encoder wrote it: by default a serializeValue payload (the same
   * format as Store.dumpValue); a store section's entry is TAG_SECTION + the section's payload.
   */
  payload: string;
  expireAtMs: number | null;
  /** Set when the value is a string and `payload` its serializeValue form (TAG_STRING + it). */
  stringValue?: string;
}

export interface SnapshotView extends Iterable<SnapshotEntry> {
  /** The next entry, or null when the view has emitted every key. */
  next(): SnapshotEntry | null;
  /** Up to `max` entries (empty when finished): for chunked writing across event-loop turns. */
  nextBatch(max: number): SnapshotEntry[];
  /** Number of keys the keyspace held when the view opened. */
  readonly keysAtOpen: number;
  /** Number of those keys that had a deadline. */
  readonly expiresAtOpen: number;
  /** Ends the view (idempotent); writes stop paying for it. */
  close(): void;
}

/** How a view writes each value: serializeValue, or e.g. the RDB object encoding. */
export type ValueEncoder = (value: Value) => string;

/** What every view derives from next(): batches and iteration. */
abstract class EntryStream {
  abstract next(): SnapshotEntry | null;

  nextBatch(max: number): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    while (out.length < max) {
      const entry = this.next();
      if (entry === null) break;
      out.push(entry);
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<SnapshotEntry> {
    for (let e = this.next(); e !== null; e = this.next()) yield e;
  }
}

export class KeyspaceView extends EntryStream implements SnapshotView, ChangeHook {
  readonly keysAtOpen: number;
  readonly expiresAtOpen: number;
  #keys: Iterator<string>;
  #saved = new Map<string, SnapshotEntry | null>();
  #savedIter: Iterator<[string, SnapshotEntry | null]> | null = null;
  #emitted = new Set<string>();
  #finished = false;
  /** Store sections captured at open (TAG_SECTION entries), emitted before the keys. */
  #sections: SnapshotEntry[];

  constructor(
    private readonly ks: Pick<Database, "data" | "expires">,
    private readonly onClose: (v: KeyspaceView) => void,
    sections: SnapshotEntry[] = [],
    private readonly encode: ValueEncoder = serializeValue,
  ) {
    super();
    this.keysAtOpen = ks.data.size;
    this.expiresAtOpen = ks.expires.size;
    this.#keys = ks.data.keys();
    this.#sections = sections;
  }

  preserve(key: string): void {
    if (this.#emitted.has(key) || this.#saved.has(key)) return;
    this.#saved.set(key, this.#current(key));
  }

  next(): SnapshotEntry | null {
    if (this.#finished) return null;
    const section = this.#sections.shift();
    if (section !== undefined) return section;
    if (this.#savedIter === null) {
      for (;;) {
        const r = this.#keys.next();
        if (r.done) break;
        const key = r.value;
        if (this.#emitted.has(key)) continue; // deleted and re-created after its turn
        this.#emitted.add(key);
        if (this.#saved.has(key)) {
          const entry = this.#saved.get(key) ?? null;
          this.#saved.delete(key);
          if (entry !== null) return entry;
          continue; // created after the view opened
        }
        return this.#current(key);
      }
      this.#savedIter = this.#saved.entries();
    }
    for (;;) {
      const r = this.#savedIter.next();
      if (r.done) break;
      const [key, entry] = r.value;
      if (entry === null || this.#emitted.has(key)) continue;
      this.#emitted.add(key);
      return entry; // deleted after the view opened, before its turn
    }
    this.close();
    return null;
  }

  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#saved.clear();
    this.#emitted.clear();
    this.#sections = [];
    this.onClose(this);
  }

  #current(key: string): SnapshotEntry | null {
    const value = this.ks.data.get(key);
    if (value === undefined) return null;
    const expireAtMs = this.ks.expires.get(key) ?? null;
    const payload = this.encode(value);
    // A string's serializeValue payload is the tag + the value: a cons string, which reading it
    // would copy whole. The snapshot writer writes the two parts instead (ChunkEncoder.add).
    return typeof value === "string" && this.encode === serializeValue
      ? { key, payload, expireAtMs, stringValue: value }
      : { key, payload, expireAtMs };
  }
}

/**
 * A view of every database: database 0's entries (and the store's sections) first, then, for each
 * other database that held keys at open, a TAG_DATABASE entry (key: its index) and its entries.
 * With one database in use this is exactly that database's view, so single-database snapshots
 * keep their format.
 */
export class DatabasesView extends EntryStream implements SnapshotView {
  readonly keysAtOpen: number;
  readonly expiresAtOpen: number;
  #at = 0;
  #markerDue = false;

  /** `views[i]`: database i's view, or null when it was empty at open (never for 0). */
  constructor(private readonly views: (KeyspaceView | null)[]) {
    super();
    let keys = 0;
    let expires = 0;
    for (const view of views) {
      keys += view?.keysAtOpen ?? 0;
      expires += view?.expiresAtOpen ?? 0;
    }
    this.keysAtOpen = keys;
    this.expiresAtOpen = expires;
  }

  next(): SnapshotEntry | null {
    const views = this.views;
    while (this.#at < views.length) {
      const view = views[this.#at];
      if (view === null) {
        this.#at++;
        this.#markerDue = true;
        continue;
      }
      if (this.#markerDue) {
        this.#markerDue = false;
        // The database's sizes ride along for an RDB file's RESIZEDB (a loader reads the tag only).
        const payload = `${TAG_DATABASE}${view.keysAtOpen},${view.expiresAtOpen}`;
        return { key: String(this.#at), payload, expireAtMs: null };
      }
      const entry = view.next();
      if (entry !== null) return entry;
      this.#at++;
      this.#markerDue = true;
    }
    return null;
  }

  close(): void {
    for (const view of this.views) view?.close();
    this.#at = this.views.length;
  }
}
