/** Bounds of the KV API. Keys and values are UTF-8; sizes are in bytes. */
export interface KvLimits {
  keyBytesMax: number;
  valueBytesMax: number;
  /** Largest TTL a write may ask for, in seconds (10 years). */
  ttlSMax: number;
  /** Largest page a list call may ask for. */
  listLimitMax: number;
  /** SCAN calls one list page may make before returning what it has (bounds the work). */
  listScansMax: number;
}

export const DEFAULT_KV_LIMITS: Readonly<KvLimits> = Object.freeze({
  keyBytesMax: 400,
  valueBytesMax: 512 * 1024,
  ttlSMax: 10 * 365 * 24 * 3600,
  listLimitMax: 1000,
  listScansMax: 16,
});

/** Where API keys live in ATLAS: other modules (auth, jobs) own other prefixes. */
export const KV_NAMESPACE = "kv:";
