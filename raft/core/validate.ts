import { RAFT_LIMITS } from "./limits.ts";
import { type Message, MESSAGE_TYPES, type MessageType } from "./types.ts";

const TYPES: ReadonlySet<MessageType> = new Set(MESSAGE_TYPES);

function count(n: unknown): boolean {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Why a peer message is malformed, or null if it is well formed. The core trusts its peers to
 * run Raft (no Byzantine faults) but not to be bug-free or the same version: a bad message is
 * dropped, never allowed to trip an invariant.
 */
export function invalidMessage(m: Message): string | null {
  if (!TYPES.has(m.type)) return `unknown message type "${String(m.type)}"`;
  if (typeof m.from !== "string" || m.from === "" || typeof m.to !== "string") {
    return "from/to must be non-empty node ids";
  }
  for (const k of ["term", "logTerm", "index", "commit", "rejectHint"] as const) {
    if (!count(m[k])) return `${k} must be a non-negative integer`;
  }
  if (m.context !== undefined) {
    if (!(m.context instanceof Uint8Array)) return "context must be bytes";
    if (m.context.length > RAFT_LIMITS.readContextBytesMax) return "context too long";
  }
  if (!Array.isArray(m.entries)) return "entries must be an array";
  let prevTerm = m.logTerm;
  for (let k = 0; k < m.entries.length; k++) {
    const e = m.entries[k];
    if (e.index !== m.index + 1 + k) {
      return `entry ${k} has index ${e.index}, want ${m.index + 1 + k}`;
    }
    if (!count(e.term) || e.term < prevTerm || e.term > m.term) {
      return `entry ${e.index} has a bad term`;
    }
    if (e.type !== "normal" && e.type !== "confChange") return `entry ${e.index} has a bad type`;
    if (!(e.data instanceof Uint8Array)) return `entry ${e.index} data must be bytes`;
    prevTerm = e.term;
  }
  if (m.type === "snap") {
    const s = m.snapshot;
    if (!s || !count(s.meta?.index) || !count(s.meta?.term) || !(s.data instanceof Uint8Array)) {
      return "snap message without a well-formed snapshot";
    }
    const cs = s.meta.confState;
    if (!cs || !Array.isArray(cs.voters) || !Array.isArray(cs.learners)) {
      return "snapshot without a membership";
    }
  }
  return null;
}
