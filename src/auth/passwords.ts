/**
 * Password storage. bcrypt (default) or argon2id, computed in the worker pool, stored in
 * modular-crypt form (`$2a$10$...`, `$argon2id$v=19$m=19456,t=2,p=1$...`).
 *
 * Length: passwords are 8–1024 characters and must not contain NUL. bcrypt reads at most
 * 72 bytes, so a password whose UTF-8 form is longer than 72 bytes is PRE-HASHED: its bcrypt
 * input is base64(HMAC-SHA256(key = "helios-bcrypt-prehash-v1", password)) (44 ASCII bytes, no
 * NUL). Passwords of ≤ 72 bytes go to bcrypt unchanged (compatible with other bcrypt tools).
 * Nothing is ever silently truncated: two long passwords differing after byte 72 hash apart.
 * argon2id takes the full password.
 *
 * `verify` reports `needsRehash` when the stored hash uses another algorithm or cost than the
 * configuration, so login can upgrade it.
 */
import { ValidationError } from "../errors/app_error.ts";
import type { PasswordRunner } from "./password_jobs.ts";

export const PASSWORD_CHARS_MIN = 8;
export const PASSWORD_CHARS_MAX = 1024;
export const BCRYPT_INPUT_BYTES_MAX = 72;

export type PasswordAlgorithm = "bcrypt" | "argon2id";

export interface PasswordPolicy {
  algorithm: PasswordAlgorithm;
  bcryptCost: number;
  /** argon2id parameters (OWASP minimum: 19 MiB, t=2, p=1). */
  argon2MemoryKiB: number;
  argon2Iterations: number;
}

const encoder = new TextEncoder();
const PREHASH_KEY = encoder.encode("helios-bcrypt-prehash-v1");

/** Throws a 400 naming the rule when the password is unacceptable. */
export function checkPasswordRules(password: string, path = "body.password"): void {
  const chars = [...password].length;
  const problem = chars < PASSWORD_CHARS_MIN
    ? `Password must be at least ${PASSWORD_CHARS_MIN} characters`
    : chars > PASSWORD_CHARS_MAX
    ? `Password must be at most ${PASSWORD_CHARS_MAX} characters`
    : password.includes("\u0000")
    ? "Password must not contain NUL characters"
    : null;
  if (problem) throw new ValidationError(problem, [{ path, message: problem }]);
}

/** The bytes bcrypt sees: the password itself up to 72 bytes, else the documented pre-hash. */
export async function bcryptInput(password: string): Promise<Uint8Array> {
  const bytes = encoder.encode(password);
  if (bytes.length <= BCRYPT_INPUT_BYTES_MAX) return bytes;
  const key = await crypto.subtle.importKey(
    "raw",
    PREHASH_KEY,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return encoder.encode(btoa(String.fromCharCode(...mac)));
}

export interface VerifyResult {
  ok: boolean;
  needsRehash: boolean;
}

export class PasswordHasher {
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly pool: PasswordRunner, private readonly policy: PasswordPolicy) {}

  async hash(password: string): Promise<string> {
    if (this.policy.algorithm === "argon2id") {
      return String(
        await this.pool.run({
          op: "argon2id",
          password: encoder.encode(password),
          memoryKiB: this.policy.argon2MemoryKiB,
          iterations: this.policy.argon2Iterations,
        }),
      );
    }
    const input = await bcryptInput(password);
    return String(
      await this.pool.run({ op: "bcrypt", password: input, cost: this.policy.bcryptCost }),
    );
  }

  async verify(password: string, stored: string): Promise<VerifyResult> {
    let ok = false;
    if (/^\$2[aby]\$\d\d\$/.test(stored)) {
      const input = await bcryptInput(password);
      ok = (await this.pool.run({ op: "bcryptVerify", password: input, hash: stored })) === true;
    } else if (stored.startsWith("$argon2id$")) {
      ok = (await this.pool.run({
        op: "argon2Verify",
        password: encoder.encode(password),
        hash: stored,
      })) === true;
    }
    return { ok, needsRehash: ok && !this.matchesPolicy(stored) };
  }

  /**
   * Burns the same work as verifying a real user's password, for logins of unknown users: the
   * response time must not tell whether the account exists.
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummyHash ??= this.hash("helios-dummy-password-for-timing");
    await this.verify(password, await this.dummyHash);
  }

  private matchesPolicy(stored: string): boolean {
    if (this.policy.algorithm === "bcrypt") {
      const match = /^\$2[aby]\$(\d\d)\$/.exec(stored);
      return match !== null && Number(match[1]) === this.policy.bcryptCost;
    }
    const params =
      `$argon2id$v=19$m=${this.policy.argon2MemoryKiB},t=${this.policy.argon2Iterations},p=1$`;
    return stored.startsWith(params);
  }
}
