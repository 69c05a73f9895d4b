/**
 * SCAN-family cursors. JS Maps and Sets do not expose buckets, so a cursor names a live iterator
 * kept in a bounded cache: Map/Set iterators visit entries added during iteration and skip deleted
 * ones, which gives SCAN's guarantee (an element present for the whole scan is returned). The cursor
 * number also encodes the position (cursor = position * 4096 + tag), so a cursor whose iterator was
 * dropped from the cache resumes by skipping `position` entries (may then miss or repeat elements
 * if the collection changed meanwhile, as SCAN allows for repeats but not misses: a documented
 * degradation past scanCursorsMax concurrent scans).
 */
const TAG_SPACE = 4096;

interface Live {
  source: object;
  iter: Iterator<unknown>;
  position: number;
}

export class ScanCursors {
  #live = new Map<number, Live>();
  #tag = 0;

  constructor(private readonly max: number) {}

  /**
   * Takes up to `count` items from `source` starting at `cursor`; returns the next cursor (0 when
   * the iteration ended) and the items.
   */
  scan<T>(
    source: object,
    makeIter: () => Iterator<T>,
    cursor: number,
    count: number,
  ): { cursor: number; items: T[] } {
    let live = cursor === 0 ? undefined : this.#live.get(cursor);
    if (live !== undefined) this.#live.delete(cursor);
    if (live === undefined || live.source !== source) {
      const position = Math.floor(cursor / TAG_SPACE);
      const iter = makeIter();
      for (let i = 0; i < position; i++) if (iter.next().done) break;
      live = { source, iter, position };
    }
    const items: T[] = [];
    let done = false;
    while (items.length < count) {
      const r = live.iter.next() as IteratorResult<T>;
      if (r.done) {
        done = true;
        break;
      }
      items.push(r.value);
    }
    if (done) return { cursor: 0, items };
    live.position += items.length;
    this.#tag = (this.#tag % (TAG_SPACE - 1)) + 1;
    const next = live.position * TAG_SPACE + this.#tag;
    this.#live.set(next, live);
    if (this.#live.size > this.max) {
      this.#live.delete(this.#live.keys().next().value as number);
    }
    return { cursor: next, items };
  }
}

const UINT64_MAX = 18446744073709551615n;

/**
 * Parses a SCAN cursor as Redis's strtoul does; null when invalid ("ERR invalid cursor"). The
 * text ends at its first NUL (a C string), so "" and "\0..." are cursor 0; an optional sign,
 * any number of digits (leading zeros too); "-n" wraps around modulo 2^64; past 2^64 - 1 either
 * way is ERANGE; leading whitespace or any other trailing byte is invalid.
 */
export function parseCursor(text: string): number | null {
  const nul = text.indexOf("\0");
  const s = nul < 0 ? text : text.slice(0, nul);
  if (s.length === 0) return 0;
  if (!/^[+-]?\d+$/.test(s)) return null;
  if (s.length <= 15 && s.charCodeAt(0) !== 45) return Number(s);
  const magnitude = BigInt(s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43 ? s.slice(1) : s);
  if (magnitude > UINT64_MAX) return null;
  const value = s.charCodeAt(0) === 45 && magnitude !== 0n
    ? UINT64_MAX + 1n - magnitude
    : magnitude;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
