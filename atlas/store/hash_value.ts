/** A Redis hash: field → value, plus the memory estimate of its entries. */
export const HASH_ENTRY_OVERHEAD_BYTES = 64;

/** The memory estimate of one field (what `bytes` counts; MEMORY USAGE samples it). */
export function hashEntryBytes(field: string, value: string): number {
  return HASH_ENTRY_OVERHEAD_BYTES + field.length + value.length;
}

/** hash-max-listpack-entries / -value (Keyspace.encoding has them). */
export interface HashListpackLimits {
  readonly hashMaxListpackEntries: number;
  readonly hashMaxListpackValue: number;
}

export class HashValue {
  readonly map = new Map<string, string>();
  bytes = 0;
  /**
   * The largest size and longest field or value this hash ever had: Redis converts a listpack to
   * a hashtable on the way up and never back (a new value starts over), so these tell which one
   * it would hold (listpackSized).
   */
  peakSize = 0;
  peakItemLength = 0;

  get size(): number {
    return this.map.size;
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string): boolean {
    const old = this.map.get(field);
    this.map.set(field, value);
    if (this.map.size > this.peakSize) this.peakSize = this.map.size;
    const longer = field.length > value.length ? field.length : value.length;
    if (longer > this.peakItemLength) this.peakItemLength = longer;
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

/**
 * Whether Redis 7.0 would hold this hash as a listpack (OBJECT ENCODING, HSCAN's one page, DUMP's
 * encoding): it never grew past the limits.
 */
export function listpackSized(h: HashValue, limits: HashListpackLimits): boolean {
  return h.peakSize <= limits.hashMaxListpackEntries &&
    h.peakItemLength <= limits.hashMaxListpackValue;
}
