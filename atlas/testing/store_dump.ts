/** Test helpers: a store's whole state as plain data, for exact comparisons. */
import type { Store } from "../store/store.ts";

export type StoreDump = Map<string, { payload: string; expireAtMs: number | null }>;

/** Every key with its payload and deadline (expired-but-present keys included). */
export function dumpStore(store: Store): StoreDump {
  const out: StoreDump = new Map();
  const view = store.snapshotView();
  for (const entry of view) {
    out.set(entry.key, { payload: entry.payload, expireAtMs: entry.expireAtMs });
  }
  view.close();
  return out;
}

/** Sorted, for assert.deepEqual across stores whose insertion order differs. */
export function sortedDump(
  store: Store,
): [string, { payload: string; expireAtMs: number | null }][] {
  return [...dumpStore(store)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
