/** A Redis set of binary-string members, plus the memory estimate of its entries. */
export const SET_ENTRY_OVERHEAD_BYTES = 40;

export class SetValue {
  readonly set = new Set<string>();
  bytes = 0;

  get size(): number {
    return this.set.size;
  }

  add(member: string): boolean {
    if (this.set.has(member)) return false;
    this.set.add(member);
    this.bytes += SET_ENTRY_OVERHEAD_BYTES + member.length;
    return true;
  }

  delete(member: string): boolean {
    if (!this.set.delete(member)) return false;
    this.bytes -= SET_ENTRY_OVERHEAD_BYTES + member.length;
    return true;
  }
}
