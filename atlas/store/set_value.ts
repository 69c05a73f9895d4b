/** A Redis set of binary-string members, plus the memory estimate of its entries. */
export const SET_ENTRY_OVERHEAD_BYTES = 40;

/** The memory estimate of one member (what `bytes` counts; MEMORY USAGE samples it). */
export function setMemberBytes(member: string): number {
  return SET_ENTRY_OVERHEAD_BYTES + member.length;
}

const CANONICAL_INT_RE = /^(?:0|-?[1-9][0-9]{0,18})$/;
const INT64_MAX = 9223372036854775807n;

/**
 * Whether Redis 7.0 would keep `member` in an intset: an int64 written the canonical way (no
 * sign but `-`, no leading zeros or spaces, no `-0`).
 */
export function isIntsetMember(member: string): boolean {
  if (member.length > 20 || !CANONICAL_INT_RE.test(member)) return false;
  if (member.length < 19) return true;
  const n = BigInt(member);
  return n <= INT64_MAX && n >= -INT64_MAX - 1n;
}

/** Numeric order of two intset members (exact past 2^53). */
function compareIntsetMembers(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (x !== y) return x < y ? -1 : 1;
  if (a === b) return 0;
  return BigInt(a) < BigInt(b) ? -1 : 1;
}

/**
 * `members` in ascending numeric order when they would form an intset under
 * set-max-intset-entries `maxIntsetEntries` (at most that many, all intset members), else null.
 * Redis replies an intset's members in that order (SMEMBERS, SSCAN, SINTER...).
 */
export function intsetOrder(
  members: Iterable<string>,
  size: number,
  maxIntsetEntries: number,
): string[] | null {
  if (size > maxIntsetEntries) return null;
  const out: string[] = [];
  for (const m of members) {
    if (!isIntsetMember(m)) return null;
    out.push(m);
  }
  return out.sort(compareIntsetMembers);
}

export class SetValue {
  readonly set = new Set<string>();
  bytes = 0;
  /**
   * The largest size this set ever had, and whether it ever held a member an intset cannot: Redis
   * converts an intset to a hashtable on the way up and never back (a new value, such as a STORE
   * destination or one loaded from a snapshot, starts over), so these tell which it would hold.
   */
  #peakSize = 0;
  #everNonInteger = false;
  /** The members in intset order, kept until the next change. */
  #sorted: string[] | null = null;

  get size(): number {
    return this.set.size;
  }

  add(member: string): boolean {
    if (this.set.has(member)) return false;
    this.set.add(member);
    this.bytes += setMemberBytes(member);
    if (this.set.size > this.#peakSize) this.#peakSize = this.set.size;
    if (!this.#everNonInteger && !isIntsetMember(member)) this.#everNonInteger = true;
    this.#sorted = null;
    return true;
  }

  delete(member: string): boolean {
    if (!this.set.delete(member)) return false;
    this.bytes -= setMemberBytes(member);
    this.#sorted = null;
    return true;
  }

  /** Whether Redis 7.0 would hold this set as an intset under `maxIntsetEntries`. */
  isIntset(maxIntsetEntries: number): boolean {
    return !this.#everNonInteger && this.#peakSize <= maxIntsetEntries;
  }

  /**
   * The members in the order Redis replies them: ascending numbers for an intset (see
   * isIntset), else insertion order (Redis's hashtable order is its own, seeded at random).
   */
  ordered(maxIntsetEntries: number): Iterable<string> {
    if (this.size < 2 || !this.isIntset(maxIntsetEntries)) return this.set;
    this.#sorted ??= [...this.set].sort(compareIntsetMembers);
    return this.#sorted;
  }
}
