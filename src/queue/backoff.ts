/**
 * Retry delays. Exponential backoff uses "full jitter" (AWS architecture blog, 2015): a uniform
 * draw in [0, min(cap, base * 2^(attempt-1))], which spreads retries of jobs that failed together.
 * `random` is injected: the module commands derive it from a seed stamped by the caller.
 */
import type { BackoffPolicy } from "./types.ts";

/** The delay before the next attempt after `attempt` (1-based) failed. */
export function retryDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  switch (policy.type) {
    case "none":
      return 0;
    case "fixed":
      return policy.delay_ms;
    case "exponential": {
      const exponent = Math.min(Math.max(attempt - 1, 0), 52);
      const ceiling = Math.min(policy.max_ms, policy.delay_ms * 2 ** exponent);
      return Math.floor(random() * (ceiling + 1));
    }
  }
}
