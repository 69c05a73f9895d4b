/**
 * Coarse deadlines for the hot path. A Deno setTimeout + clearTimeout pair costs several
 * microseconds — a visible share of a proxied request — and every exchange needs one or two.
 * Here all deadlines share one interval that ticks every `RESOLUTION_MS` while any deadline is
 * pending (and stops when none is, so idle processes and tests hold no timer). A deadline fires
 * between 0 and RESOLUTION_MS late, which is fine for timeouts measured in seconds.
 *
 * Pending deadlines form an intrusive doubly linked list rather than a Set. The registry lives
 * as long as the process, so a Set's hash table sits in V8's old generation, and V8 allocates
 * the replacement table of a rehash (a Set regrows or shrinks every few dozen adds and deletes
 * under churn) in the old generation too: one deadline per request made that table garbage a
 * steady source of old-generation growth, and so of mark-compact pauses. Linking and unlinking
 * allocate nothing.
 */
export const RESOLUTION_MS = 50;

export interface Deadline {
  /** Cancels the deadline; calling it again (or after it fired) does nothing. */
  cancel(): void;
  /** Moves the deadline to `ms` from now (idle timeouts re-arm on every chunk). */
  extend(ms: number): void;
  /** Arms it again, `ms` from now, whether it is pending, cancelled or has fired. */
  restart(ms: number): void;
}

class Pending implements Deadline {
  prev: Pending | null = null;
  next: Pending | null = null;
  /** In the list: not yet fired or cancelled. */
  linked = false;

  constructor(public atMs: number, readonly fire: () => void) {}

  cancel(): void {
    if (!this.linked) return;
    unlink(this);
    if (count === 0) stop();
  }

  extend(ms: number): void {
    this.atMs = Date.now() + ms;
  }

  restart(ms: number): void {
    this.atMs = Date.now() + ms;
    if (this.linked) return;
    link(this);
    ticker ??= setInterval(sweep, RESOLUTION_MS);
  }
}

let head: Pending | null = null;
let count = 0;
let ticker: ReturnType<typeof setInterval> | undefined;

function link(entry: Pending): void {
  entry.next = head;
  if (head !== null) head.prev = entry;
  head = entry;
  entry.linked = true;
  count++;
}

function unlink(entry: Pending): void {
  if (entry.prev !== null) entry.prev.next = entry.next;
  else head = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
  entry.prev = entry.next = null;
  entry.linked = false;
  count--;
}

function sweep(): void {
  const now = Date.now();
  // Collected first, fired after: a callback may cancel or add deadlines while the list is walked.
  let due: Pending[] | null = null;
  for (let entry = head; entry !== null; entry = entry.next) {
    if (entry.atMs <= now) (due ??= []).push(entry);
  }
  if (due !== null) {
    for (const entry of due) {
      // Skipped when an earlier callback of this sweep cancelled it.
      if (!entry.linked) continue;
      unlink(entry);
      entry.fire();
    }
  }
  if (count === 0) stop();
}

function stop(): void {
  clearInterval(ticker);
  ticker = undefined;
}

/** Calls `fire` once, about `ms` from now, unless cancelled first. */
export function deadline(ms: number, fire: () => void): Deadline {
  const entry = new Pending(Date.now() + ms, fire);
  link(entry);
  ticker ??= setInterval(sweep, RESOLUTION_MS);
  return entry;
}

/** Deadlines not yet fired or cancelled (for tests). */
export function pendingDeadlines(): number {
  return count;
}
