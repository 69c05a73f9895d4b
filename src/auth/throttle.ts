/**
 * Login throttling, per account and per client IP, with growing delays and no permanent lockout.
 *
 * Every attempt is counted as a failure when it STARTS (synchronously, so a parallel storm cannot
 * race past the check: JS runs `begin` to completion before the next request's `begin`); a
 * successful login refunds it and clears the account's record. After `freeFailures` failures a
 * key is blocked for `baseDelayMs · 2^(failures − freeFailures)`, capped at `maxDelayMs` — an
 * attacker can slow a victim's logins to one try per maxDelayMs at worst, never lock them out.
 * Records are forgotten `windowMs` after the last failure. State is per gateway process
 * (bounded map); see docs/auth.md.
 */
import type { Clock } from "../lib/clock.ts";

export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  windowMs: 15 * 60_000,
};
export const IP_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  windowMs: 15 * 60_000,
};
export const THROTTLE_KEYS_MAX = 100_000;

interface Record {
  failures: number;
  blockedUntilMs: number;
  lastMs: number;
}

export type ThrottleDecision =
  | { allowed: true; ticket: ThrottleTicket }
  | { allowed: false; retryAfterMs: number };

export interface ThrottleTicket {
  account: string;
  ip: string;
}

export class LoginThrottle {
  private readonly records = new Map<string, Record>();

  constructor(
    private readonly clock: Clock,
    private readonly account: ThrottlePolicy = ACCOUNT_POLICY,
    private readonly ip: ThrottlePolicy = IP_POLICY,
  ) {}

  /** Synchronous check-and-reserve. */
  begin(account: string, ip: string): ThrottleDecision {
    const now = this.clock.nowMs();
    const keys: [string, ThrottlePolicy][] = [[`a:${account}`, this.account], [`i:${ip}`, this.ip]];
    let waitMs = 0;
    for (const [key] of keys) {
      const record = this.live(key, now);
      if (record && record.blockedUntilMs > now) {
        waitMs = Math.max(waitMs, record.blockedUntilMs - now);
      }
    }
    if (waitMs > 0) return { allowed: false, retryAfterMs: waitMs };
    for (const [key, policy] of keys) this.fail(key, policy, now);
    return { allowed: true, ticket: { account, ip } };
  }

  /** Settles an attempt: success refunds it (and clears the account); failure keeps it. */
  finish(ticket: ThrottleTicket, success: boolean): void {
    if (!success) return;
    this.records.delete(`a:${ticket.account}`);
    const ipRecord = this.records.get(`i:${ticket.ip}`);
    if (ipRecord) {
      ipRecord.failures = Math.max(0, ipRecord.failures - 1);
      if (ipRecord.failures < this.ip.freeFailures) ipRecord.blockedUntilMs = 0;
    }
  }

  private live(key: string, now: number): Record | undefined {
    const record = this.records.get(key);
    if (record && now - record.lastMs > Math.max(this.account.windowMs, this.ip.windowMs)) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private fail(key: string, policy: ThrottlePolicy, now: number): void {
    let record = this.live(key, now);
    if (!record) {
      if (this.records.size >= THROTTLE_KEYS_MAX) this.evictOldest();
      record = { failures: 0, blockedUntilMs: 0, lastMs: now };
      this.records.set(key, record);
    }
    record.failures++;
    record.lastMs = now;
    if (record.failures >= policy.freeFailures) {
      const exponent = Math.min(30, record.failures - policy.freeFailures);
      record.blockedUntilMs = now + Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
    }
  }

  private evictOldest(): void {
    const oldest = this.records.keys().next().value;
    if (oldest !== undefined) this.records.delete(oldest);
  }
}
