/**
 * Login throttling, per account and per client IP, with growing delays and no permanent lockout.
 *
 * Account: every attempt counts as a failure when it STARTS (synchronously, so a parallel storm
 * against one account cannot race past the check: JS runs `begin` to completion before the next
 * request's `begin`); a successful login clears the account's record. After `freeFailures`
 * failures the key is blocked for `baseDelayMs · 2^(failures − freeFailures)`, capped at
 * `maxDelayMs` — an attacker can slow a victim's logins to one try per maxDelayMs at worst, never
 * lock them out. Records are forgotten `windowMs` after the last failure.
 *
 * Client IP: failures count when they are known (so many users behind one NAT logging in at once
 * are not mistaken for an attack), and at most `inflightMax` attempts per address run at once.
 * State is per gateway process (bounded map); see docs/auth.md.
 */
import type { Clock } from "../lib/clock.ts";

export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  /** Concurrent attempts allowed per key (IP keys; accounts are bounded by freeFailures). */
  inflightMax?: number;
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
  inflightMax: 64,
};
export const THROTTLE_KEYS_MAX = 100_000;

interface Record {
  failures: number;
  blockedUntilMs: number;
  lastMs: number;
  inflight: number;
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
    const accountKey = `a:${account}`;
    const ipKey = `i:${ip}`;
    let waitMs = 0;
    for (const key of [accountKey, ipKey]) {
      const record = this.live(key, now);
      if (record && record.blockedUntilMs > now) {
        waitMs = Math.max(waitMs, record.blockedUntilMs - now);
      }
    }
    const ipRecord = this.live(ipKey, now);
    if (ipRecord && ipRecord.inflight >= (this.ip.inflightMax ?? Infinity)) {
      waitMs = Math.max(waitMs, 1_000);
    }
    if (waitMs > 0) return { allowed: false, retryAfterMs: waitMs };
    this.fail(accountKey, this.account, now);
    this.record(ipKey, now).inflight++;
    return { allowed: true, ticket: { account, ip } };
  }

  /** Settles an attempt: success clears the account; failure counts against the address. */
  finish(ticket: ThrottleTicket, success: boolean): void {
    const now = this.clock.nowMs();
    const ipRecord = this.records.get(`i:${ticket.ip}`);
    if (ipRecord) ipRecord.inflight = Math.max(0, ipRecord.inflight - 1);
    if (success) this.records.delete(`a:${ticket.account}`);
    else this.fail(`i:${ticket.ip}`, this.ip, now);
  }

  private live(key: string, now: number): Record | undefined {
    const record = this.records.get(key);
    const windowMs = key.startsWith("a:") ? this.account.windowMs : this.ip.windowMs;
    if (record && record.inflight === 0 && now - record.lastMs > windowMs) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private record(key: string, now: number): Record {
    let record = this.live(key, now);
    if (!record) {
      if (this.records.size >= THROTTLE_KEYS_MAX) this.evictOldest();
      record = { failures: 0, blockedUntilMs: 0, lastMs: now, inflight: 0 };
      this.records.set(key, record);
    }
    return record;
  }

  private fail(key: string, policy: ThrottlePolicy, now: number): void {
    const record = this.record(key, now);
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
