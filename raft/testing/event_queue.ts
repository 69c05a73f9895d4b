/** A deterministic event queue for simulated time: earliest time first, then insertion order. */
interface Event {
  time: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  #heap: Event[] = [];
  #seq = 0;
  now = 0;

  size(): number {
    return this.#heap.length;
  }

  /** Schedules `run` at now + delayMs. */
  after(delayMs: number, run: () => void): void {
    this.#push({ time: this.now + Math.max(0, delayMs), seq: this.#seq++, run });
  }

  /** Runs events until time `untilMs` (inclusive) or until `stop()` returns true. */
  runUntil(untilMs: number, stop?: () => boolean): boolean {
    const h = this.#heap;
    while (h.length > 0 && h[0].time <= untilMs) {
      const ev = this.#pop();
      this.now = ev.time;
      ev.run();
      if (stop && stop()) return true;
    }
    if (this.now < untilMs) this.now = untilMs;
    return false;
  }

  #less(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #push(ev: Event): void {
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): Event {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
