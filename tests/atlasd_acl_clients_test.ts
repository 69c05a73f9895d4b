/**
 * ACL users through real clients, side by side with redis-server 7.0.15: ioredis and node-redis
 * connecting with `redis://user:pass@host` URLs (AUTH user pass / HELLO AUTH in their handshakes),
 * their commands allowed or refused by the user's key patterns, and a wrong password failing the
 * connection. What each client returns or throws must be the same on both servers.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";

async function outcome(port: number): Promise<string[]> {
  const seen: string[] = [];
  const message = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;
  const admin = new Redis({ port, host: "127.0.0.1" });
  const io = new Redis(`redis://app:s3cret@127.0.0.1:${port}/0`);
  const nr = createClient({ url: `redis://app:s3cret@127.0.0.1:${port}` });
  nr.on("error", () => {});
  const bad = new Redis(`redis://app:wrong@127.0.0.1:${port}`, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  bad.on("error", () => {});
  try {
    seen.push(
      String(await admin.call("ACL", "SETUSER", "app", "on", ">s3cret", "~app:*", "+@all")),
    );
    seen.push(`ioredis ${await io.set("app:1", "x")} ${await io.call("ACL", "WHOAMI")}`);
    await io.set("other", "x").catch((error: unknown) => seen.push(`ioredis ${message(error)}`));
    await nr.connect();
    seen.push(
      `node-redis ${await nr.set("app:2", "y")} ${await nr.sendCommand(["ACL", "WHOAMI"])}`,
    );
    await nr.get("other").catch((error: unknown) => seen.push(`node-redis ${message(error)}`));
    await bad.connect().then(() => bad.ping()).catch((error: unknown) =>
      seen.push(`wrong password: ${message(error)}`)
    );
  } finally {
    io.disconnect();
    admin.disconnect();
    bad.disconnect();
    if (nr.isOpen) await nr.quit();
  }
  return seen;
}

Deno.test("ioredis and node-redis connect as an ACL user from a redis:// URL, as with Redis", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await outcome(redis.port);
    assert.ok(want.some((line) => line.startsWith("ioredis ReplyError: NOPERM")), want.join("\n"));
    assert.ok(want.some((line) => line.startsWith("wrong password: ")), want.join("\n"));
    assert.deepEqual(await outcome(atlas.port), want);
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
