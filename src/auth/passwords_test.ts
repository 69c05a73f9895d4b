import assert from "node:assert/strict";
import { bcryptInput, checkPasswordRules, PasswordHasher } from "./passwords.ts";
import { PasswordWorkerPool } from "./worker_pool.ts";

const policy = {
  algorithm: "bcrypt" as const,
  bcryptCost: 10,
  argon2MemoryKiB: 19_456,
  argon2Iterations: 2,
};

Deno.test("password rules: 8-1024 characters, no NUL", () => {
  assert.throws(() => checkPasswordRules("short"), /at least 8/);
  assert.throws(() => checkPasswordRules("x".repeat(1025)), /at most 1024/);
  assert.throws(() => checkPasswordRules("abcdefgh\u0000"), /NUL/);
  checkPasswordRules("secret123");
  checkPasswordRules("é".repeat(1024)); // 1024 characters, 2048 bytes
});

Deno.test("bcrypt input: up to 72 bytes as is, longer passwords pre-hashed (never truncated)", async () => {
  const exact = "a".repeat(72);
  assert.deepEqual(await bcryptInput(exact), new TextEncoder().encode(exact));
  const long1 = await bcryptInput("a".repeat(72) + "1");
  const long2 = await bcryptInput("a".repeat(72) + "2");
  assert.equal(long1.length, 44);
  assert.notDeepEqual(long1, long2);
});

Deno.test("hash and verify in workers; long passwords differing after byte 72 do not collide", async () => {
  const pool = new PasswordWorkerPool(2);
  try {
    const hasher = new PasswordHasher(pool, policy);
    const long = "p".repeat(100);
    const hash = await hasher.hash(long);
    assert.match(hash, /^\$2[ab]\$10\$/);
    assert.deepEqual(await hasher.verify(long, hash), { ok: true, needsRehash: false });
    assert.equal((await hasher.verify("p".repeat(99) + "q", hash)).ok, false);
    assert.equal((await hasher.verify("p".repeat(72), hash)).ok, false);
  } finally {
    pool.close();
  }
});

Deno.test("a hash with another cost or algorithm verifies and asks for a rehash", async () => {
  const pool = new PasswordWorkerPool(1);
  try {
    const at11 = await new PasswordHasher(pool, { ...policy, bcryptCost: 11 }).hash("secret123");
    const hasher = new PasswordHasher(pool, policy);
    assert.deepEqual(await hasher.verify("secret123", at11), { ok: true, needsRehash: true });
    const argon = new PasswordHasher(pool, { ...policy, algorithm: "argon2id" });
    const argonHash = await argon.hash("secret123");
    assert.match(argonHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual(await argon.verify("secret123", argonHash), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify("secret123", argonHash), { ok: true, needsRehash: true });
    assert.equal((await hasher.verify("secret123", "garbage")).ok, false);
  } finally {
    pool.close();
  }
});
