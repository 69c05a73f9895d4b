/**
 * The token bucket, pure: state in, decision out, time passed in by the caller. Arithmetic is
 * on integers ("units" = tokens × den × 1000, refilled `num` units per ms), so a bucket never
 * drifts by floating-point error and every node computes the same answer from the same inputs.
 */

export interface BucketPolicy {
  /** Names the policy in RateLimit-Policy / RateLimit headers and in bucket keys. */
  name: string;
  /** Burst size: most tokens the bucket holds. */
  capacity: number;
  /** Refill rate: `rateNum` tokens every `rateDen` seconds. */
  rateNum: number;
  rateDen: number;
}

export interface BucketState {
  units: number;
  updatedMs: number;
}

export interface BucketDecision {
  allowed: boolean;
  /** Whole tokens left after this decision. */
  remaining: number;
  /** When denied, ms until `cost` tokens are back; 0 when allowed. */
  retryAfterMs: number;
  /** Ms until the bucket is full again. */
  resetMs: number;
  /** The new state to store (unchanged when denied, apart from the refill). */
  state: BucketState;
}

export const POLICY_BOUNDS = { capacityMax: 1_000_000, rateNumMax: 1_000_000, rateDenMax: 86_400 };

/** Throws RangeError for a policy outside the bounds (checked once, at boot). */
export function checkPolicy(policy: BucketPolicy): void {
  const ok = (n: number, max: number) => Number.isSafeInteger(n) && n >= 1 && n <= max;
  if (
    !ok(policy.capacity, POLICY_BOUNDS.capacityMax) ||
    !ok(policy.rateNum, POLICY_BOUNDS.rateNumMax) ||
    !ok(policy.rateDen, POLICY_BOUNDS.rateDenMax)
  ) {
    throw new RangeError(`Invalid rate limit policy "${policy.name}"`);
  }
  if (!/^[a-z][a-z0-9_.-]{0,63}$/i.test(policy.name)) {
    throw new RangeError(`Invalid rate limit policy name "${policy.name}"`);
  }
}

/** Units in one token. */
function unitsPerToken(policy: BucketPolicy): number {
  return policy.rateDen * 1000;
}

/** Takes `cost` tokens if there are enough. A clock that went back counts as no time passed. */
export function take(
  state: BucketState | null,
  policy: BucketPolicy,
  nowMs: number,
  cost = 1,
): BucketDecision {
  const perToken = unitsPerToken(policy);
  const capacityUnits = policy.capacity * perToken;
  const costUnits = cost * perToken;
  let units = capacityUnits;
  let updatedMs = nowMs;
  if (state !== null) {
    const fillMs = Math.ceil(capacityUnits / policy.rateNum);
    const elapsedMs = Math.min(Math.max(0, nowMs - state.updatedMs), fillMs);
    units = Math.min(capacityUnits, state.units + elapsedMs * policy.rateNum);
    updatedMs = Math.max(nowMs, state.updatedMs);
  }
  const allowed = units >= costUnits;
  if (allowed) units -= costUnits;
  return {
    allowed,
    remaining: Math.floor(units / perToken),
    retryAfterMs: allowed ? 0 : Math.ceil((costUnits - units) / policy.rateNum),
    resetMs: Math.ceil((capacityUnits - units) / policy.rateNum),
    state: { units, updatedMs },
  };
}

/** The window the draft's `w` parameter advertises: seconds to refill a whole bucket. */
export function windowSeconds(policy: BucketPolicy): number {
  return Math.max(1, Math.ceil((policy.capacity * policy.rateDen) / policy.rateNum));
}

export function encodeState(state: BucketState): string {
  return `${state.units}:${state.updatedMs}`;
}

export function decodeState(text: string | null | undefined): BucketState | null {
  if (!text) return null;
  const match = /^(\d{1,17}):(\d{1,15})$/.exec(text);
  return match ? { units: Number(match[1]), updatedMs: Number(match[2]) } : null;
}
