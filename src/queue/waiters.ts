/**
 * Long-poll support: a claim that found nothing waits until a job may have become claimable.
 * Jobs made PENDING by this process wake waiters at once; anything else (another gateway, a due
 * delayed job, a reaped lease) is caught by re-polling every `pollMs`. Bounded: at most
 * `waitersMax` requests wait at a time.
 */
export class ClaimWaiters {
  private readonly waiting = new Set<() => void>();

  constructor(private readonly pollMs: number, private readonly waitersMax: number) {}

  get size(): number {
    return this.waiting.size;
  }

  get full(): boolean {
    return this.waiting.size >= this.waitersMax;
  }

  /** Wakes every waiter (they re-claim; the losers wait again). */
  notify(): void {
    for (const wake of [...this.waiting]) wake();
  }

  /** Resolves after `min(waitMs, pollMs)`, on notify, or on abort — whichever comes first. */
  wait(waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(waitMs, this.pollMs)));
      this.waiting.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Releases every waiter (shutdown). */
  close(): void {
    this.notify();
  }
}
