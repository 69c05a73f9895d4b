/**
 * What a Raft cluster's TRYAGAIN / CLUSTERDOWN error replies say about a write's outcome: the
 * cluster (src/cluster) answers them, the RESP client here reads them. Matched by text, as they
 * also come back from the leader over RESP (a follower's forwarded write) and reach remote clients
 * (the gateway's RespAtlasClient) the same way.
 *
 * - Certainly not applied (isNotAppliedError): no leader, leadership moved before the entry was
 *   appended or committed (raft: dropped, superseded, not leader), or the leader's connection
 *   could not even be opened. The write may be sent again, to this node or another.
 * - Outcome unknown (isOutcomeUnknownError): a commit the leader could not confirm in time (the
 *   entry may still commit under the next leader), a forwarded write whose connection to the
 *   leader broke or went silent after sending. Every such reply says OUTCOME_UNKNOWN; resending
 *   the write could apply it twice.
 */
const NOT_APPLIED = [
  "CLUSTERDOWN No Raft leader is elected",
  "TRYAGAIN The Raft leader ",
  "TRYAGAIN This node is no longer the Raft leader",
  "TRYAGAIN Proposal dropped: ",
  "TRYAGAIN Cannot reach the Raft leader ",
];

/** The words in every error reply of a write whose outcome is unknown. */
export const OUTCOME_UNKNOWN = "the write may or may not have been applied";

/** True when the error reply's text says the write was certainly not applied. */
export function isNotAppliedError(text: string): boolean {
  if (text.startsWith("TRYAGAIN Proposal at index ")) return text.includes("it was not applied");
  return NOT_APPLIED.some((prefix) => text.startsWith(prefix));
}

/** True when the error reply's text says the write may or may not have been applied. */
export function isOutcomeUnknownError(text: string): boolean {
  return text.includes(OUTCOME_UNKNOWN);
}
