/** A Redis hash: field → value, plus the memory estimate of its entries. */
export const HASH_ENTRY_OVERHEAD_BYTES = 64;

/** The memory estimate of one field (what `bytes` counts; MEMORY USAGE samples it). */
export function hashEntryBytes(field: string, value: string): number {
  return HASH_ENTRY_OVERHEAD_BYTES + field.length + value.length;
}

export class HashValue {
  readonly map = new Map<string, string>();
  bytes = 0;

  get size(): number {
    return this.map.size;
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string): boolean {
    const old = this.map.get(field);
    this.map.set(field, value);
    if (old === undefined) {
      this.bytes += hashEntryBytes(field, value);
      return true;
    }
    this.bytes += value.length - old.length;
    return false;
  }

  delete(field: string): boolean {
    const old = this.map.get(field);
    if (old === undefined) return false;
    this.map.delete(field);
    this.bytes -= hashEntryBytes(field, old);
    return true;
  }
}
