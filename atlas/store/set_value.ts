/** A Redis set of binary-string members, plus the memory estimate of its entries. */
export const SET_ENTRY_OVERHEAD_BYTES = 40;

/** The memory estimate of one member (what `bytes` counts; MEMORY USAGE samples it). */
export function setMemberBytes(member: string): number {
  return SET_ENTRY_OVERHEAD_BYTES + member.length;
}

export class SetValue {
  readonly set = new Set<string>();
  bytes = 0;

  get size(): number {
    return this.set.size;
  }

  add(member: string): boolean {
    if (this.set.has(member)) return false;
    this.set.add(member);
    this.bytes += setMemberBytes(member);
    return true;
  }

  delete(member: string): boolean {
    if (!this.set.delete(member)) return false;
    this.bytes -= setMemberBytes(member);
    return true;
  }
}
