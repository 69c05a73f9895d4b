/**
 * Coarse deadlines for the hot path. A Deno setTimeout + clearTimeout pair costs several
 * microseconds — a visible share of a proxied request — and every exchange needs one or two.
 * Here all deadlines share one interval that ticks every `RESOLUTION_MS` while any deadline is
 * pending (and stops when none is, so idle processes and tests hold no timer). A deadline fires
 * between 0 and RESOLUTION_MS late, which is fine for timeouts measured in seconds.
 */
export const RESOLUTION_MS = 50;

export interface Deadline {
  /** Cancels the deadline; calling it again (or after it fired) does nothing. */
  cancel(): void;
  /** Moves the deadline to `ms` from now (idle timeouts re-arm on every chunk). */
  extend(ms: number): void;
}

interface Entry {
  atMs: number;
  fire: () => void;
}

const pending = new Set<Entry>();
let ticker: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  const now = Date.now();
  for (const entry of pending) {
    if (entry.atMs > now) continue;
    pending.delete(entry);
    entry.fire();
  }
  if (pending.size === 0) stop();
}

function stop(): void {
  clearInterval(ticker);
  ticker = undefined;
}

/** Calls `fire` once, about `ms` from now, unless cancelled first. */
export function deadline(ms: number, fire: () => void): Deadline {
  const entry: Entry = { atMs: Date.now() + ms, fire };
  pending.add(entry);
  ticker ??= setInterval(sweep, RESOLUTION_MS);
  return {
    cancel() {
      if (pending.delete(entry) && pending.size === 0) stop();
    },
    extend(extraMs) {
      entry.atMs = Date.now() + extraMs;
    },
  };
}

/** Deadlines not yet fired or cancelled (for tests). */
export function pendingDeadlines(): number {
  return pending.size;
}
