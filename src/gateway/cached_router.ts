/**
 * Hono's TrieRouter with a bounded cache of match results by method and path. The gateway's
 * routes send Hono's default SmartRouter to the TrieRouter (its RegExpRouter refuses a static
 * route beside a parameter route with more segments, `/jobs/batch` beside `/jobs/:id/cancel`),
 * whose search walks the trie and allocates its result on every request: ~0.6 µs and ~2.5 KB
 * per request here, the largest allocation of an authenticated KV GET. Clients repeat paths
 * (a worker's claim and ack, a hot key), so most requests find their result in the cache.
 * Results are never changed by Hono (RegExpRouter hands out shared ones too); adding a route
 * empties the cache.
 */
import type { Result, Router } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";

/** Paths remembered; past it the cache starts over (a scan of many paths costs one miss each). */
export const ROUTE_CACHE_MAX = 1024;

export class CachedTrieRouter<T> implements Router<T> {
  readonly name = "CachedTrieRouter";
  readonly #inner = new TrieRouter<T>();
  readonly #cache = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#cache.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = method + " " + path;
    let result = this.#cache.get(key);
    if (result === undefined) {
      result = this.#inner.match(method, path);
      if (this.#cache.size >= ROUTE_CACHE_MAX) this.#cache.clear();
      this.#cache.set(key, result);
    }
    return result;
  }
}
