/**
 * A Redis list: a deque on a growable ring buffer, O(1) push/pop at both ends and O(1) index.
 * `bytes` is the memory estimate of the elements (see docs/atlas_store.md).
 */
export const LIST_ELEMENT_OVERHEAD_BYTES = 24;

/** The memory estimate of one element (what `bytes` counts; MEMORY USAGE samples it). */
export function listElementBytes(element: string): number {
  return LIST_ELEMENT_OVERHEAD_BYTES + element.length;
}

export class ListValue {
  #items: (string | undefined)[];
  #head = 0;
  #length = 0;
  bytes = 0;

  constructor(capacity = 8) {
    this.#items = new Array(Math.max(4, capacity));
  }

  get length(): number {
    return this.#length;
  }

  get(index: number): string {
    return this.#items[(this.#head + index) % this.#items.length] as string;
  }

  set(index: number, value: string): void {
    const slot = (this.#head + index) % this.#items.length;
    this.bytes += value.length - (this.#items[slot] as string).length;
    this.#items[slot] = value;
  }

  pushBack(value: string): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) % this.#items.length] = value;
    this.#length++;
    this.bytes += listElementBytes(value);
  }

  pushFront(value: string): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
    this.#items[this.#head] = value;
    this.#length++;
    this.bytes += listElementBytes(value);
  }

  popFront(): string | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#items[this.#head] as string;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#length--;
    this.bytes -= listElementBytes(value);
    return value;
  }

  popBack(): string | undefined {
    if (this.#length === 0) return undefined;
    const slot = (this.#head + this.#length - 1) % this.#items.length;
    const value = this.#items[slot] as string;
    this.#items[slot] = undefined;
    this.#length--;
    this.bytes -= listElementBytes(value);
    return value;
  }

  /** Elements [start, end) as an array (indexes already clamped). */
  slice(start: number, end: number): string[] {
    const out: string[] = new Array(Math.max(0, end - start));
    for (let i = start; i < end; i++) out[i - start] = this.get(i);
    return out;
  }

  toArray(): string[] {
    return this.slice(0, this.#length);
  }

  /** Replaces the whole content (LREM, LINSERT, LTRIM rebuild in O(n)). */
  replaceAll(values: string[]): void {
    this.#items = new Array(Math.max(4, values.length));
    this.#head = 0;
    this.#length = 0;
    this.bytes = 0;
    for (const v of values) this.pushBack(v);
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<string | undefined>(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) % old.length];
    this.#items = next;
    this.#head = 0;
  }
}
