/**
 * The IETF draft headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` describes the
 * quota, `RateLimit` the caller's current state. Both are Structured Field lists.
 */
import { type BucketDecision, type BucketPolicy, windowSeconds } from "./token_bucket.ts";

export function policyHeader(policy: BucketPolicy): string {
  return `"${policy.name}";q=${policy.capacity};w=${windowSeconds(policy)}`;
}

export function stateHeader(policy: BucketPolicy, decision: BucketDecision): string {
  const resetS = Math.ceil((decision.allowed ? decision.resetMs : decision.retryAfterMs) / 1000);
  return `"${policy.name}";r=${decision.remaining};t=${resetS}`;
}

export function rateLimitHeaders(
  policy: BucketPolicy,
  decision: BucketDecision,
): Record<string, string> {
  return { "ratelimit-policy": policyHeader(policy), "ratelimit": stateHeader(policy, decision) };
}
