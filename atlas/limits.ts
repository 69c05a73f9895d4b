/**
 * Every bound ATLAS enforces, named, with its default. The store, the RESP layer and the durability
 * layer read their limits from here; a server may override them through `StoreOptions.limits`.
 *
 * Some defaults are set by the JS engine rather than by taste: a V8 string holds at most
 * 2^29 - 24 one-byte chars, and a V8 Map or Set holds at most 2^24 entries, so the keyspace and every
 * hash/set/zset stay below that (hitting it would throw instead of answering an error).
 */
export interface AtlasLimits {
  /** Largest key, in bytes. Redis allows 512 MB; a key that large is a bug, so we say so early. */
  keyBytesMax: number;
  /** Largest string value (SET, APPEND, SETRANGE result), in bytes. Redis: proto-max-bulk-len. */
  valueBytesMax: number;
  /** Largest hash field, set member, list element or zset member, in bytes. */
  elementBytesMax: number;
  /** Most elements in one hash, list, set or sorted set. */
  collectionLengthMax: number;
  /** Most keys in the keyspace (a V8 Map holds at most 2^24 entries). */
  keysMax: number;
  /** Most arguments one command may carry (the RESP multibulk bound is the same). */
  argsMax: number;
  /** Largest COUNT a SCAN-family call may ask for (bounds the work of one call). */
  scanCountMax: number;
  /** Most open snapshot views at once. */
  snapshotViewsMax: number;
  /**
   * Most SCAN cursors kept live at once (older ones resume by position). Small on purpose: a live
   * iterator pins the hash table it started on until it moves again.
   */
  scanCursorsMax: number;
}

/** The largest string V8 can build (one-byte chars). */
export const V8_STRING_LENGTH_MAX = 536_870_888;

export const DEFAULT_LIMITS: Readonly<AtlasLimits> = Object.freeze({
  keyBytesMax: 1024 * 1024,
  valueBytesMax: Math.min(512 * 1024 * 1024, V8_STRING_LENGTH_MAX),
  elementBytesMax: 64 * 1024 * 1024,
  collectionLengthMax: 16_000_000,
  keysMax: 16_000_000,
  argsMax: 1024 * 1024,
  scanCountMax: 100_000,
  snapshotViewsMax: 4,
  scanCursorsMax: 128,
});

/** Merges overrides into the defaults and checks them (a bad limit is a programmer error). */
export function resolveLimits(overrides: Partial<AtlasLimits> = {}): AtlasLimits {
  const limits: AtlasLimits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Invalid ATLAS limit ${name}: ${value} is not a positive integer`);
    }
  }
  if (limits.valueBytesMax > V8_STRING_LENGTH_MAX) {
    throw new RangeError(`Invalid ATLAS limit valueBytesMax: above ${V8_STRING_LENGTH_MAX}`);
  }
  if (limits.keysMax > 16_000_000 || limits.collectionLengthMax > 16_000_000) {
    throw new RangeError(
      "Invalid ATLAS limit: keysMax and collectionLengthMax must be <= 16000000",
    );
  }
  return limits;
}
