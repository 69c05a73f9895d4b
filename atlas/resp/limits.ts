/** Protocol bounds, named like the Redis settings they mirror. */
export interface RespLimits {
  /** Largest bulk string a client may send (Redis `proto-max-bulk-len`, 512 MB). */
  readonly bulkBytesMax: number;
  /** Most items in one multibulk request (Redis: 1024 * 1024). */
  readonly multibulkItemsMax: number;
  /** Longest inline command or `*N` / `$N` header line (Redis PROTO_INLINE_MAX_SIZE). */
  readonly inlineBytesMax: number;
}

export const DEFAULT_RESP_LIMITS: RespLimits = Object.freeze({
  // 512 MB like Redis, capped at the longest string V8 can hold (2^29 - 24 one-byte chars).
  bulkBytesMax: 536_870_888,
  multibulkItemsMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
});
