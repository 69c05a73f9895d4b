/**
 * client-output-buffer-limit, side by side with redis-server 7.0.15: CONFIG SET takes Redis's
 * syntax (sizes with units, `slave` or `replica`, the classes not named unchanged) and answers its
 * error texts; a subscriber that does not read is closed past the pubsub hard limit; a normal
 * client whose reply is over the normal hard limit is closed without that reply.
 */
import assert from "node:assert/strict";
import {
  clientNames,
  replyDifferences,
  type SideBySide,
  waitUntil,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

Deno.test("client-output-buffer-limit: CONFIG SET and GET as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const set = (value: string) => ["CONFIG", "SET", "client-output-buffer-limit", value];
    const get = ["CONFIG", "GET", "client-output-buffer-limit"];
    const differences = await replyDifferences(redis, atlas, [
      get,
      set("pubsub 1"),
      set("foo 1 2 3"),
      set("master 1 1 1"),
      set("pubsub 1x 2 3"),
      set("pubsub 1mb 2MB -1"),
      set("pubsub 1 2 3.5"),
      get,
      set("normal 1k 0 0 pubsub 64mb 16mb 90"),
      get,
      set("replica 1gb 1g 10"),
      get,
      set(""),
      get,
      set("SLAVE 268435456 67108864 60 normal 0 0 0 PubSub 32mb 8mb 60"),
      get,
    ]);
    assert.deepEqual(differences, [], differences.join("\n"));
  }));

Deno.test("client-output-buffer-limit: a subscriber that does not read is closed past the pubsub hard limit", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (
      const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      await client.call(["CONFIG", "SET", "client-output-buffer-limit", "pubsub 100kb 0 0"]);
      const subscriber = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await subscriber.write(command(["CLIENT", "SETNAME", "sub"], ["SUBSCRIBE", "news"]));
        await waitUntil(async () => (await clientNames(client)).includes("sub"));
        // Far more than the socket buffers take, so the rest stays in the server's output.
        const message = "x".repeat(100_000);
        for (let i = 0; i < 100 && (await clientNames(client)).includes("sub"); i++) {
          await client.call(["PUBLISH", "news", message]);
        }
        assert.ok(!(await clientNames(client)).includes("sub"), `port ${port}`);
      } finally {
        subscriber.close();
      }
    }
  }));

Deno.test("client-output-buffer-limit: a reply over the normal hard limit closes the client without it", () =>
  withRedisAndAtlasd(async (redis, atlas, servers: SideBySide) => {
    for (
      const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      await client.call(["RPUSH", "big", ...Array.from({ length: 150 }, () => "x".repeat(1000))]);
      await client.call(["CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0"]);
      const reader = await Deno.connect({ hostname: "127.0.0.1", port });
      let received = 0;
      try {
        await reader.write(command(["LRANGE", "big", "0", "-1"]));
        const buffer = new Uint8Array(64 * 1024);
        for (let n = await reader.read(buffer); n !== null; n = await reader.read(buffer)) {
          received += n;
        }
      } catch {
        // Reset by the server: closed either way.
      } finally {
        reader.close();
      }
      assert.equal(received, 0, `port ${port}`);
      // Under the limit, the same reply is sent.
      await client.call(["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]);
      const [reply] = await client.call(["LRANGE", "big", "0", "-1"]);
      assert.equal((reply as { v: unknown[] }).v.length, 150);
    }
  }));

function command(...commands: string[][]): Uint8Array {
  let text = "";
  for (const argv of commands) {
    text += `*${argv.length}\r\n`;
    for (const arg of argv) text += `$${new TextEncoder().encode(arg).length}\r\n${arg}\r\n`;
  }
  return new TextEncoder().encode(text);
}
