/** Every bound Raft core enforces, with its default. */
export const RAFT_LIMITS = {
  /** Largest payload of one proposed entry. */
  entryBytesMax: 1024 * 1024,
  /** Target size of the entries in one append message (at least one entry is always sent). */
  msgBytesMax: 256 * 1024,
  /** Append messages in flight to one follower in replicate state. */
  inflightMsgsMax: 64,
  /** Bytes in flight to one follower. */
  inflightBytesMax: 8 * 1024 * 1024,
  /** Bytes proposed but not yet committed on the leader. */
  uncommittedBytesMax: 16 * 1024 * 1024,
  /** Bytes of committed entries handed out in one Ready. */
  committedBytesPerReadyMax: 4 * 1024 * 1024,
  /** Length of a ReadIndex context. */
  readContextBytesMax: 256,
  /** Pending ReadIndex requests on the leader. */
  pendingReadsMax: 4096,
} as const;
