/** WATCH bookkeeping: key -> watching clients; a modification marks them dirty. */
import type { Client } from "./client.ts";

export class Watches {
  #byKey = new Map<string, Set<Client>>();
  #watchers = new Set<Client>();

  get size(): number {
    return this.#byKey.size;
  }

  watch(client: Client, key: string): void {
    if (client.watched === null) client.watched = new Set();
    if (client.watched.has(key)) return;
    client.watched.add(key);
    let set = this.#byKey.get(key);
    if (set === undefined) this.#byKey.set(key, set = new Set());
    set.add(client);
    this.#watchers.add(client);
  }

  unwatchAll(client: Client): void {
    client.watchDirty = false;
    client.watchDeadlineMs = Infinity;
    if (client.watched === null) return;
    for (const key of client.watched) {
      const set = this.#byKey.get(key);
      if (set === undefined) continue;
      set.delete(client);
      if (set.size === 0) this.#byKey.delete(key);
    }
    client.watched = null;
    this.#watchers.delete(client);
  }

  /**
   * Whether the store reports flushes ahead (`flushing`). Then null in `touched` (everything,
   * after FLUSHALL / FLUSHDB) dirties nobody more: a watched key that did not exist is still
   * absent, so its transaction may run (Redis 7). Otherwise every watcher is dirtied.
   */
  flushesReported = false;

  /** `key` changed (null: every key, e.g. FLUSHALL). */
  touched(key: string | null): void {
    if (this.#watchers.size === 0) return; // every write calls this; WATCH is rare
    if (key === null) {
      if (!this.flushesReported) { for (const client of this.#watchers) client.watchDirty = true; }
      return;
    }

    const set = this.#byKey.get(key);
    if (set !== undefined) { for (const client of set) client.watchDirty = true; }
  }

  /** A flush is about to empty the keyspace: watchers of keys that exist now become dirty. */
  flushing(existed: (key: string) => boolean): void {
    for (const [key, clients] of this.#byKey) {
      if (existed(key)) { for (const client of clients) client.watchDirty = true; }
    }
  }
}
