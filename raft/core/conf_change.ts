import { assert } from "./errors.ts";
import type { ConfState, NodeId } from "./types.ts";

/** One single-server membership change. Promoting a learner is `addVoter` of that learner. */
export interface ConfChange {
  type: "addVoter" | "addLearner" | "removeNode";
  nodeId: NodeId;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify({ type: cc.type, nodeId: cc.nodeId }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const v = JSON.parse(decoder.decode(data));
  assert(
    v && (v.type === "addVoter" || v.type === "addLearner" || v.type === "removeNode") &&
      typeof v.nodeId === "string",
    "malformed conf change entry",
  );
  return { type: v.type, nodeId: v.nodeId };
}

/** Why `cc` cannot be applied to `cs`, or null if it can. */
export function validateConfChange(cs: ConfState, cc: ConfChange): string | null {
  if (cc.nodeId === "") return "node id is empty";
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case "addVoter":
      return isVoter ? `"${cc.nodeId}" is already a voter` : null;
    case "addLearner":
      if (isVoter) return `"${cc.nodeId}" is a voter (demotion is not supported)`;
      return isLearner ? `"${cc.nodeId}" is already a learner` : null;
    case "removeNode":
      if (!isVoter && !isLearner) return `"${cc.nodeId}" is not a member`;
      if (isVoter && cs.voters.length === 1) return "cannot remove the last voter";
      return null;
  }
}
