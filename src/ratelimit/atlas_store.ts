import { UnavailableError } from "../errors/app_error.ts";
import { type AtlasClient, isErrorValue } from "../storage/atlas_client.ts";
import type { BucketStore } from "./store.ts";
import type { BucketDecision, BucketPolicy } from "./token_bucket.ts";

/** Buckets in ATLAS: one RL.TAKE per decision (see atlas_command.ts). Keys: `rl:{name}:{id}`. */
export class AtlasBucketStore implements BucketStore {
  constructor(private readonly atlas: AtlasClient) {}

  async take(key: string, policy: BucketPolicy, nowMs: number, cost = 1): Promise<BucketDecision> {
    const reply = await this.atlas.call(
      "RL.TAKE",
      key,
      policy.capacity,
      policy.rateNum,
      policy.rateDen,
      Math.floor(nowMs),
      cost,
    );
    if (isErrorValue(reply) || !Array.isArray(reply) || reply.length !== 4) {
      throw new UnavailableError(
        `ATLAS answered RL.TAKE unexpectedly: ${JSON.stringify(reply)}`,
        "ratelimit_store_failed",
      );
    }
    const [allowed, remaining, retryAfterMs, resetMs] = reply.map(Number);
    return {
      allowed: allowed === 1,
      remaining,
      retryAfterMs,
      resetMs,
      state: { units: 0, updatedMs: nowMs },
    };
  }
}
