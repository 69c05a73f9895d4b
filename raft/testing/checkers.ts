import type { RaftLog } from "../core/log.ts";
import type { Entry, NodeId } from "../core/types.ts";

// Entry objects are shared between simulated nodes, so the key is computed once per entry.
const keys = new WeakMap<Entry, string>();

function dataKey(e: Entry): string {
  let k = keys.get(e);
  if (k === undefined) {
    k = `${e.type}:${String.fromCharCode.apply(null, e.data as unknown as number[])}`;
    keys.set(e, k);
  }
  return k;
}

/**
 * Raft's safety properties, checked online as the simulation runs:
 * election safety (one leader per term), leader completeness (a new leader holds every entry
 * known committed), state-machine safety (every node applies the same entry at an index), and
 * log matching (checked on demand across logs).
 */
export class SafetyChecker {
  readonly violations: string[] = [];
  readonly #leaders = new Map<number, NodeId>();
  /**
   * Entries known committed (applied somewhere), with an upper bound on the term in which they
   * were committed: the highest leader term observed when first applied.
   */
  readonly #committed = new Map<number, { term: number; key: string; commitTermMax: number }>();
  #maxLeaderTerm = 0;
  maxCommitted = 0;

  #fail(msg: string): void {
    if (this.violations.length < 20) this.violations.push(msg);
  }

  /** Called whenever `id` is observed as leader of `term`. */
  onLeader(id: NodeId, term: number, log: RaftLog): void {
    const seen = this.#leaders.get(term);
    if (seen === id) return;
    if (seen !== undefined) {
      this.#fail(`election safety: "${seen}" and "${id}" both leaders in term ${term}`);
      return;
    }
    this.#leaders.set(term, id);
    this.#maxLeaderTerm = Math.max(this.#maxLeaderTerm, term);
    const first = log.firstIndex();
    for (const [index, c] of this.#committed) {
      // Only entries surely committed in an earlier term must be present (a node may become
      // leader of an old term late, e.g. after a stall, when later terms committed more).
      if (index < first || c.commitTermMax >= term) continue;
      const t = log.term(index);
      if (t !== c.term) {
        this.#fail(
          `leader completeness: "${id}" leader of term ${term} has term ${t} at committed index ${index} (want ${c.term})`,
        );
        return;
      }
    }
  }

  /** Called for each entry a node applies. */
  onApply(id: NodeId, e: Entry): void {
    const key = dataKey(e);
    const seen = this.#committed.get(e.index);
    if (!seen) {
      this.#committed.set(e.index, { term: e.term, key, commitTermMax: this.#maxLeaderTerm });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
    } else if (seen.term !== e.term || seen.key !== key) {
      this.#fail(
        `state machine safety: "${id}" applied term ${e.term} at index ${e.index}, another node applied term ${seen.term}`,
      );
    }
  }

  leaderCount(): number {
    return this.#leaders.size;
  }

  /** Log matching: where two logs hold the same term at an index, they agree up to it. */
  checkLogMatching(logs: Map<NodeId, RaftLog>): void {
    const ids = [...logs.keys()].sort();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const msg = compareLogs(logs.get(ids[i])!, logs.get(ids[j])!);
        if (msg) this.#fail(`log matching between "${ids[i]}" and "${ids[j]}": ${msg}`);
      }
    }
  }
}

function compareLogs(a: RaftLog, b: RaftLog): string | null {
  const lo = Math.max(a.firstIndex(), b.firstIndex());
  const hi = Math.min(a.lastIndex(), b.lastIndex());
  if (lo > hi) return null;
  const ea = a.slice(lo, hi + 1, Infinity);
  const eb = b.slice(lo, hi + 1, Infinity);
  if (!ea || !eb) return null;
  let lastSame = -1;
  for (let k = ea.length - 1; k >= 0; k--) {
    if (ea[k].term === eb[k].term) {
      lastSame = k;
      break;
    }
  }
  for (let k = 0; k <= lastSame; k++) {
    if (ea[k].term !== eb[k].term || dataKey(ea[k]) !== dataKey(eb[k])) {
      return `index ${ea[k].index} differs although index ${ea[lastSame].index} has the same term`;
    }
  }
  return null;
}
