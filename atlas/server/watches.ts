/** WATCH bookkeeping: key (in its database) -> watching clients; a modification marks them dirty. */
import type { Client } from "./client.ts";

/**
 * A watched key as one string: `<db>:<key>`. The index holds no colon, so the first one splits
 * it back (client.watched holds these).
 */
export function watchId(db: number, key: string): string {
  return `${db}:${key}`;
}

/** The key of a watchId. */
export function watchedKey(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

export class Watches {
  #byId = new Map<string, Set<Client>>();
  #watchers = new Set<Client>();

  get size(): number {
    return this.#byId.size;
  }

  watch(client: Client, key: string, db = client.db): void {
    const id = watchId(db, key);
    if (client.watched === null) client.watched = new Set();
    if (client.watched.has(id)) return;
    client.watched.add(id);
    let set = this.#byId.get(id);
    if (set === undefined) this.#byId.set(id, set = new Set());
    set.add(client);
    this.#watchers.add(client);
  }

  unwatchAll(client: Client): void {
    client.watchDirty = false;
    client.watchDeadlineMs = Infinity;
    if (client.watched === null) return;
    for (const id of client.watched) {
      const set = this.#byId.get(id);
      if (set === undefined) continue;
      set.delete(client);
      if (set.size === 0) this.#byId.delete(id);
    }
    client.watched = null;
    this.#watchers.delete(client);
  }

  /**
   * Whether the store reports flushes ahead (`flushing`). Then null in `touched` (everything,
   * after FLUSHALL / FLUSHDB) dirties nobody more: a watched key that did not exist is still
   * absent, so its transaction may run (Redis 7). Otherwise every watcher of the database is
   * dirtied.
   */
  flushesReported = false;

  /** `key` of database `db` changed (null: every key, e.g. FLUSHDB; db -1: of every database). */
  touched(key: string | null, db = 0): void {
    if (this.#watchers.size === 0) return; // every write calls this; WATCH is rare
    if (key === null) {
      if (this.flushesReported) return;
      const prefix = `${db}:`;
      for (const [id, clients] of this.#byId) {
        if (db >= 0 && !id.startsWith(prefix)) continue;
        for (const client of clients) client.watchDirty = true;
      }
      return;
    }
    const set = this.#byId.get(watchId(db, key));
    if (set !== undefined) { for (const client of set) client.watchDirty = true; }
  }

  /**
   * A flush (or SWAPDB) is about to change every key of database `db`: watchers of its keys that
   * `existed` become dirty.
   */
  flushing(existed: (key: string) => boolean, db = 0): void {
    const prefix = `${db}:`;
    for (const [id, clients] of this.#byId) {
      if (!id.startsWith(prefix) || !existed(id.slice(prefix.length))) continue;
      for (const client of clients) client.watchDirty = true;
    }
  }
}
