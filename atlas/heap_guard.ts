/**
 * The V8 heap's ceiling, turned from a crash into refused writes.
 *
 * Everything ATLAS stores lives in V8's heap, and V8 aborts the whole process ("Fatal JavaScript
 * out of memory") once live data reaches its limit (`--max-old-space-size`, about 4 GiB by default
 * whatever the machine has). Where Redis would go on using RAM, atlasd died — and, its data already
 * durable, died again while loading it back. The guard watches the heap from the engine's timer:
 * once live data (measured after a full collection, so garbage does not count) passes
 * `fullRatio` of the limit, the store refuses memory-growing writes with an OOM error, as
 * maxmemory with noeviction does; reads, deletes and everything else go on. Writes come back once
 * live data is under `resumeRatio` again. A server that needs more data raises the limit with
 * `--v8-flags=--max-old-space-size=MiB` (docs/atlasd.md "Memory").
 */
import v8 from "node:v8";
import vm from "node:vm";

/** How often callers measure (HeapGuard.check): one heap-statistics call each time. */
export const HEAP_CHECK_INTERVAL_MS = 100;

export interface HeapGuardOptions {
  /**
   * The old generation's limit in bytes, where V8 aborts (default: the running isolate's
   * heap_size_limit less its young generation's reservation).
   */
  limitBytes?: number;
  /** Heap bytes in use, garbage included (default: V8's used_heap_size). */
  usedBytes?: () => number;
  /** A full collection, or null when none can be forced (default: V8's gc, exposed at start). */
  collect?: (() => void) | null;
  /** Writes stop once live data passes this share of the limit (default 0.8). */
  fullRatio?: number;
  /** ... and come back under this share (default 0.7). */
  resumeRatio?: number;
  /**
   * Past this share (default 0.9) writes stop without waiting for a collection to tell live data
   * from garbage: the limit is too close to let writes run until the next one.
   */
  hardRatio?: number;
  /** Least time between two forced collections (default 2000 ms): each stops the loop a while. */
  collectEveryMs?: number;
  /**
   * ATLAS's estimate of its data, in bytes. While writes are refused only deletes free memory, so
   * a collection is forced once this estimate dropped 5% since the last one — or, without it or
   * without deletes, once a minute (default: none).
   */
  dataBytes?: () => number;
  /** While full and nothing was deleted: the least time between forced collections (60 000). */
  fullRecheckMs?: number;
  clock?: () => number;
}

/** What a check found, for the caller's log line; null when nothing changed. */
export type HeapGuardChange = { full: boolean; liveBytes: number; limitBytes: number };

export class HeapGuard {
  readonly limitBytes: number;
  #full = false;
  #lastCollectMs = -Infinity;
  readonly #used: () => number;
  readonly #collect: (() => void) | null;
  readonly #fullBytes: number;
  readonly #resumeBytes: number;
  readonly #hardBytes: number;
  readonly #collectEveryMs: number;
  readonly #fullRecheckMs: number;
  readonly #data: (() => number) | null;
  #dataAtCollect = 0;
  /** Doubles (to fullRecheckMs) each time a collection found only garbage over the mark. */
  #garbageBackoffMs: number;
  readonly #clock: () => number;

  constructor(options: HeapGuardOptions = {}) {
    this.limitBytes = options.limitBytes ?? oldGenerationLimit();
    this.#used = options.usedBytes ?? (() => v8.getHeapStatistics().used_heap_size);
    this.#collect = options.collect === undefined ? exposedGc() : options.collect;
    this.#fullBytes = this.limitBytes * (options.fullRatio ?? 0.8);
    this.#resumeBytes = this.limitBytes * (options.resumeRatio ?? 0.7);
    this.#hardBytes = this.limitBytes * (options.hardRatio ?? 0.9);
    this.#collectEveryMs = options.collectEveryMs ?? 2000;
    this.#fullRecheckMs = options.fullRecheckMs ?? 60_000;
    this.#garbageBackoffMs = this.#collectEveryMs;
    this.#data = options.dataBytes ?? null;
    this.#clock = options.clock ?? Date.now;
  }

  /** Whether memory-growing writes are refused now. */
  get full(): boolean {
    return this.#full;
  }

  /**
   * Measures the heap (call it periodically). Cheap while the heap is well under the limit; past
   * the full mark it forces a collection (at most once per collectEveryMs) so that only live data
   * decides. While full, collections come only once deletes show in dataBytes (or a minute
   * passed): writes are refused, so nothing else frees memory, and each collection of a heap this
   * size stops the loop a while. Between collections the last verdict stands, unless the heap
   * passes the hard mark.
   */
  check(): HeapGuardChange | null {
    let used = this.#used();
    const mark = this.#full ? this.#resumeBytes : this.#fullBytes;
    if (used < mark) return this.#set(false, used);
    if (this.#collect !== null && this.#collectDue()) {
      this.#lastCollectMs = this.#clock();
      this.#collect();
      this.#dataAtCollect = this.#data?.() ?? 0;
      used = this.#used();
      if (!this.#full) {
        // Only garbage over the mark: live data sits near it, and V8 collects often there on its
        // own; back off rather than add a full collection every few seconds.
        this.#garbageBackoffMs = used >= mark
          ? this.#collectEveryMs
          : Math.min(this.#garbageBackoffMs * 2, this.#fullRecheckMs);
      }
    } else if (this.#collect !== null && used < this.#hardBytes) {
      return null; // measured with garbage: keep the last verdict until the next collection
    }
    return this.#set(used >= mark, used);
  }

  #collectDue(): boolean {
    const sinceMs = this.#clock() - this.#lastCollectMs;
    if (!this.#full) return sinceMs >= this.#garbageBackoffMs;
    const deleted = this.#data !== null && this.#data() < this.#dataAtCollect * 0.95;
    return sinceMs >= (deleted ? this.#collectEveryMs : this.#fullRecheckMs);
  }

  #set(full: boolean, liveBytes: number): HeapGuardChange | null {
    if (full === this.#full) return null;
    this.#full = full;
    return { full, liveBytes, limitBytes: this.limitBytes };
  }
}

/** The log lines a change of verdict deserves: a warning when writes stop, a note when they resume. */
export function logHeapChange(
  logger: {
    warn(message: string, fields?: Record<string, unknown>): void;
    info(message: string, fields?: Record<string, unknown>): void;
  },
  change: HeapGuardChange,
): void {
  const fields = {
    liveMiB: Math.round(change.liveBytes / 2 ** 20),
    limitMiB: Math.round(change.limitBytes / 2 ** 20),
  };
  if (change.full) {
    logger.warn(
      "V8 heap near its limit: refusing memory-growing writes (OOM) until data is deleted; " +
        "raise the limit with --v8-flags=--max-old-space-size=MiB",
      fields,
    );
  } else logger.info("V8 heap back under its mark: writes accepted again", fields);
}

/**
 * V8 reserves three semi-spaces of the young generation (32 MiB each on 64-bit by default) on top
 * of --max-old-space-size in heap_size_limit; the process aborts when the old generation alone
 * reaches its own limit (measured: 160 → 256 MiB, 512 → 608, the 4096 default → 4192).
 */
const YOUNG_GENERATION_RESERVE_BYTES = 3 * 32 * 2 ** 20;

function oldGenerationLimit(): number {
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  return Math.max(heapLimit / 2, heapLimit - YOUNG_GENERATION_RESERVE_BYTES);
}

/** Made once per process: each call to exposedGc would otherwise keep a V8 context alive. */
let processGc: (() => void) | null | undefined;

/** V8's gc(), made callable by turning --expose-gc on in a fresh context; null if refused. */
function exposedGc(): (() => void) | null {
  if (processGc !== undefined) return processGc;
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    processGc = typeof gc === "function" ? () => gc() : null;
  } catch {
    processGc = null;
  }
  return processGc;
}
