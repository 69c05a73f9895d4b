/** The leader's view of one follower's log, with flow control (etcd's tracker.Progress). */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** Append messages sent but not yet acknowledged, bounded by count and bytes. */
export class Inflights {
  #items: { index: number; bytes: number }[] = [];
  #bytes = 0;
  constructor(readonly countMax: number, readonly bytesMax: number) {}

  add(index: number, bytes: number): void {
    this.#items.push({ index, bytes });
    this.#bytes += bytes;
  }

  /** Frees every message whose last entry index is <= index. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.#items.length && this.#items[n].index <= index) {
      this.#bytes -= this.#items[n].bytes;
      n++;
    }
    if (n > 0) this.#items = this.#items.slice(n);
  }

  /** Frees the oldest message: a heartbeat response proves the link works, so unblock one send. */
  freeFirstOne(): void {
    const first = this.#items.shift();
    if (first) this.#bytes -= first.bytes;
  }

  full(): boolean {
    return this.#items.length >= this.countMax || this.#bytes >= this.bytesMax;
  }

  count(): number {
    return this.#items.length;
  }

  reset(): void {
    this.#items = [];
    this.#bytes = 0;
  }
}

export class Progress {
  match = 0;
  state: ProgressState = "probe";
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** In probe state: one append is outstanding; wait for its answer or a heartbeat response. */
  probeSent = false;
  /** Leader ticks spent in snapshot state, to retry a lost snapshot. */
  snapshotTicks = 0;
  readonly inflights: Inflights;

  constructor(public next: number, public isLearner: boolean, countMax: number, bytesMax: number) {
    this.inflights = new Inflights(countMax, bytesMax);
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      const pending = this.pendingSnapshot;
      this.#reset("probe");
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.#reset("probe");
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.#reset("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.#reset("snapshot");
    this.pendingSnapshot = index;
  }

  /** Records an acknowledgement of entries up to n; true if match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * Handles a rejected append at `rejected`; `matchHint` is the follower's hint of where logs may
   * agree. Returns false for stale rejections.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Updates flow control after sending `count` entries ending at `lastIndex`. */
  sentEntries(count: number, bytes: number, lastIndex: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }
}
