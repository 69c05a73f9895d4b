/**
 * WATCH bookkeeping: key (in its database) -> watching clients; a modification marks them dirty.
 *
 * A key that was already expired when watched (held, past its deadline, not yet deleted) is
 * "stale" for that client, as Redis 7.0's watchedKey.expired: its deletion (lazy expiry, DEL,
 * FLUSHDB) is no logical change and dirties nobody, and SWAPDB leaving it gone or still expired
 * neither; anything else done to it does. A SWAPDB that puts an expired key where none was makes
 * the watch stale rather than dirty.
 */
import type { DbKeys } from "../store/keyspace.ts";
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

  /** Whether a database holds a key, expired or not (Store.holdsKey); unset: stale keys dirty. */
  holdsKey: ((key: string, db: number) => boolean) | null = null;

  /** Watches `key`; `stale`: it is held but already past its deadline. */
  watch(client: Client, key: string, db = client.db, stale = false): void {
    const id = watchId(db, key);
    if (client.watched === null) client.watched = new Set();
    if (client.watched.has(id)) return;
    client.watched.add(id);
    if (stale) (client.watchedStale ??= new Set()).add(id);
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
    client.watchedStale = null;
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
    const id = watchId(db, key);
    const set = this.#byId.get(id);
    if (set === undefined) return;
    for (const client of set) {
      if (client.watchedStale?.has(id)) {
        client.watchedStale.delete(id);
        // The stale key is gone now: no logical change (and no longer stale). Written: a change.
        if (this.holdsKey !== null && !this.holdsKey(key, db)) continue;
      }
      client.watchDirty = true;
    }
  }

  /**
   * A flush (`replacedWith` null) or SWAPDB is about to replace every key of database `db`:
   * watchers of a key held before or after become dirty, but where an already expired key stays
   * gone or expired, or an expired key replaces none (Redis 7.0's touchAllWatchedKeysInDb).
   */
  flushing(db: number, emptied: DbKeys, replacedWith: DbKeys | null): void {
    const prefix = `${db}:`;
    const now = Date.now();
    const expiredIn = (keys: DbKeys, key: string) => (keys.expireAtMs(key) ?? Infinity) <= now;
    for (const [id, clients] of this.#byId) {
      if (!id.startsWith(prefix)) continue;
      const key = id.slice(prefix.length);
      const inEmptied = emptied.has(key);
      const inReplacement = replacedWith?.has(key) ?? false;
      if (!inEmptied && !inReplacement) continue;
      for (const client of clients) {
        if (client.watchedStale?.has(id)) {
          if (!inReplacement) {
            client.watchedStale.delete(id); // deleted: no logical change
            continue;
          }
          if (expiredIn(replacedWith!, key)) continue; // still expired
        } else if (!inEmptied && expiredIn(replacedWith!, key)) {
          (client.watchedStale ??= new Set()).add(id); // none replaced by an expired one
          continue;
        }
        client.watchDirty = true;
      }
    }
  }
}
