/**
 * A linearizability checker for histories of register operations (get / set / incr / cas), in the
 * style of Wing & Gong with Lowe's memoization as used by Porcupine: the history is split per key
 * (registers compose: P-compositionality), and each key is checked by a depth-first search over
 * linearization points, caching (linearized-set, state) pairs already explored.
 *
 * Statuses: "ok" (returned with a result), "fail" (definitely not applied; dropped from the
 * history), "unknown" (may or may not have taken effect: it returns at +infinity with any result).
 * The search is bounded by `stepsMax` and, optionally, `shouldStop` (polled every 4096 steps, e.g.
 * a wall-clock deadline in real-process tests); past either the verdict is "unknown", never a
 * hang.
 */
import { applyOp, type KvOp, type KvResult } from "./kv.ts";

export type OpStatus = "ok" | "fail" | "unknown";

export interface HistoryOp {
  client: string;
  op: KvOp;
  callMs: number;
  /** Return time; ignored for "unknown" (treated as +infinity). */
  returnMs: number;
  status: OpStatus;
  result: KvResult;
}

export interface LinearizabilityResult {
  verdict: "ok" | "illegal" | "unknown";
  /** For "illegal" or "unknown": the key whose history failed. */
  key?: string;
  steps: number;
}

interface Node {
  id: number;
  call: boolean;
  time: number;
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

export function checkLinearizable(
  history: readonly HistoryOp[],
  opts: { stepsMax?: number; shouldStop?: () => boolean } = {},
): LinearizabilityResult {
  const stepsMax = opts.stepsMax ?? 5_000_000;
  const byKey = new Map<string, HistoryOp[]>();
  for (const h of history) {
    if (h.status === "fail") continue;
    // A get with unknown outcome has no effect and no observed result: it constrains nothing.
    if (h.status === "unknown" && h.op.kind === "get") continue;
    const list = byKey.get(h.op.key) ?? [];
    list.push(h);
    byKey.set(h.op.key, list);
  }
  let steps = 0;
  let unknownKey: string | undefined;
  for (const key of [...byKey.keys()].sort()) {
    const r = checkKey(dropTrailingUnknowns(byKey.get(key)!), stepsMax - steps, opts.shouldStop);
    steps += r.steps;
    if (r.verdict === "illegal") return { verdict: "illegal", key, steps };
    if (r.verdict === "unknown") unknownKey ??= key;
  }
  return unknownKey ? { verdict: "unknown", key: unknownKey, steps } : { verdict: "ok", steps };
}

/**
 * An unknown operation invoked after every completed one returned can always be linearized last,
 * where nothing observes it: dropping it keeps the verdict and prunes the search.
 */
function dropTrailingUnknowns(ops: HistoryOp[]): HistoryOp[] {
  let lastReturnMs = -Infinity;
  for (const h of ops) if (h.status === "ok") lastReturnMs = Math.max(lastReturnMs, h.returnMs);
  return ops.filter((h) => h.status !== "unknown" || h.callMs <= lastReturnMs);
}

function buildList(ops: HistoryOp[]): Node {
  const events: Node[] = [];
  ops.forEach((h, id) => {
    const ret: Node = {
      id,
      call: false,
      time: h.status === "unknown" ? Infinity : h.returnMs,
      match: null,
      prev: null,
      next: null,
    };
    events.push({ id, call: true, time: h.callMs, match: ret, prev: null, next: null }, ret);
  });
  // Calls before returns at equal times: treating touching operations as concurrent is permissive.
  events.sort((a, b) => a.time - b.time || (a.call === b.call ? a.id - b.id : a.call ? -1 : 1));
  const head: Node = { id: -1, call: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(e: Node): void {
  e.prev!.next = e.next;
  e.next!.prev = e.prev;
  const m = e.match!;
  m.prev!.next = m.next;
  if (m.next) m.next.prev = m.prev;
}

function unlift(e: Node): void {
  const m = e.match!;
  m.prev!.next = m;
  if (m.next) m.next.prev = m;
  e.prev!.next = e;
  e.next!.prev = e;
}

function checkKey(
  ops: HistoryOp[],
  stepsMax: number,
  shouldStop?: () => boolean,
): { verdict: "ok" | "illegal" | "unknown"; steps: number } {
  const head = buildList(ops);
  const bits = new Uint16Array(Math.ceil(ops.length / 16) || 1);
  const cache = new Set<string>();
  const stack: { entry: Node; state: number | null }[] = [];
  let state: number | null = null;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > stepsMax) return { verdict: "unknown", steps };
    if ((steps & 4095) === 0 && shouldStop?.()) return { verdict: "unknown", steps };
    if (entry!.call) {
      const h = ops[entry!.id];
      const { value, result } = applyOp(state, h.op);
      if (h.status === "unknown" || result === h.result) {
        bits[entry!.id >> 4] ^= 1 << (entry!.id & 15);
        const key = String.fromCharCode.apply(null, bits as unknown as number[]) + value;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry: entry!, state });
          state = value;
          lift(entry!);
          entry = head.next;
          continue;
        }
        bits[entry!.id >> 4] ^= 1 << (entry!.id & 15);
      }
      entry = entry!.next;
    } else {
      // A return reached before its call was linearized: backtrack.
      const top = stack.pop();
      if (!top) return { verdict: "illegal", steps };
      state = top.state;
      bits[top.entry.id >> 4] ^= 1 << (top.entry.id & 15);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { verdict: "ok", steps };
}
