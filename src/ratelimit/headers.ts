/**
 * The IETF draft headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` describes the
 * quota, `RateLimit` the caller's current state. Both are Structured Field lists.
 */
import { type BucketDecision, type BucketPolicy, windowSeconds } from "./token_bucket.ts";

// Policies are fixed at boot: each one's RateLimit-Policy text is built once.
const policyHeaders = new WeakMap<BucketPolicy, string>();

export function policyHeader(policy: BucketPolicy): string {
  let text = policyHeaders.get(policy);
  if (text === undefined) {
    text = `"${policy.name}";q=${policy.capacity};w=${windowSeconds(policy)}`;
    policyHeaders.set(policy, text);
  }
  return text;
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

/**
 * Sets headers on the context's response. A Response from fetch() or Response.redirect() has
 * immutable headers; then the response is copied once (same body, status and headers) and the
 * headers set on the copy, instead of the set throwing.
 */
export function setResponseHeaders(
  c: { res: Response },
  headers: Record<string, string>,
): void {
  try {
    for (const name in headers) c.res.headers.set(name, headers[name]);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    c.res = new Response(c.res.body, c.res);
    for (const name in headers) c.res.headers.set(name, headers[name]);
  }
}
