/**
 * What clients hold in memory, side by side with redis-server 7.0.15: maxmemory counts it with
 * the data (output piling up for clients that do not read evicts keys, as a dead client's
 * half-sent request does), and maxmemory-clients closes the largest clients once they together
 * hold that much (Redis 7's client eviction), sparing CLIENT NO-EVICT ones; CONFIG SET and GET
 * of maxmemory-clients as Redis's.
 */
import assert from "node:assert/strict";
import {
  clientNames,
  clientTotMem,
  encodeCommand,
  infoField,
  replyDifferences,
  waitUntil,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

Deno.test("maxmemory-clients: CONFIG SET and GET, CLIENT NO-EVICT as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const set = (value: string) => ["CONFIG", "SET", "maxmemory-clients", value];
    const get = ["CONFIG", "GET", "maxmemory-clients"];
    const differences = await replyDifferences(redis, atlas, [
      get,
      set("3mb"),
      get,
      set("7%"),
      get,
      set("101%"),
      set("abc"),
      set("-1"),
      set("1.5mb"),
      set("0%"),
      get,
      set("100%"),
      get,
      set("0"),
      get,
      ["CLIENT", "NO-EVICT", "on"],
      ["CLIENT", "NO-EVICT", "maybe"],
      ["CLIENT", "NO-EVICT"],
      ["CLIENT", "NO-EVICT", "off"],
    ]);
    assert.deepEqual(differences, [], differences.join("\n"));
  }));

Deno.test("maxmemory-clients: a client whose request passes it is closed, a NO-EVICT one is not", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (
      const [control, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      await control.call(["CONFIG", "SET", "maxmemory-clients", "1mb"], [
        "CLIENT",
        "NO-EVICT",
        "on",
      ]);
      // 1.5 MB of a 2 MB argument: the request stays incomplete in the server's buffers.
      const halfSent = (name: string, noEvict: boolean) =>
        sendPartialRequest(port, name, noEvict, 2_000_000, 1_500_000);
      const kept = await halfSent("kept", true);
      await waitUntil(async () => await clientTotMem(control, "kept") > 1_000_000);
      assert.equal(await infoField(control, "stats", "evicted_clients"), "0", `port ${port}`);
      kept.close();
      await waitUntil(async () => !(await clientNames(control)).includes("kept"));

      const evicted = await halfSent("evicted", false);
      const evictedCount = () => infoField(control, "stats", "evicted_clients");
      await waitUntil(async () => await evictedCount() === "1", 5000);
      assert.ok(!(await clientNames(control)).includes("evicted"), `port ${port}`);
      evicted.close();
    }
  }));

Deno.test("maxmemory: replies piling up for clients that do not read evict keys", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (
      const [control, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      // 50 keys of 100 KB, then a limit 2 MB above what the server holds.
      for (let i = 0; i < 50; i++) await control.one("SETRANGE", `k${i}`, "100000", "x");
      const used = Number(await infoField(control, "memory", "used_memory"));
      await control.call(["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], [
        "CONFIG",
        "SET",
        "maxmemory",
        String(used + 2_000_000),
      ]);
      assert.equal(await infoField(control, "stats", "evicted_keys"), "0", `port ${port}`);
      // Ten clients ask for a 100 KB value again and again without reading a reply.
      const readers = await Promise.all(
        Array.from({ length: 10 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
      );
      try {
        const request = encodeCommand(["GET", "k0"]);
        for (let round = 0; round < 200; round++) {
          for (const reader of readers) await reader.write(request);
          if (Number(await infoField(control, "stats", "evicted_keys")) > 0) break;
        }
        assert.ok(Number(await infoField(control, "stats", "evicted_keys")) > 0, `port ${port}`);
        assert.ok(Number((await control.one("DBSIZE") as { v: number }).v) < 50, `port ${port}`);
        assert.equal(await infoField(control, "stats", "evicted_clients"), "0", `port ${port}`);
      } finally {
        for (const reader of readers) reader.close();
      }
    }
  }));

/** Connects, names the client, sets NO-EVICT, then sends `sentBytes` of a `declaredBytes` bulk. */
async function sendPartialRequest(
  port: number,
  name: string,
  noEvict: boolean,
  declaredBytes: number,
  sentBytes: number,
): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, encodeCommand(["CLIENT", "SETNAME", name]));
  await writeAll(conn, encodeCommand(["CLIENT", "NO-EVICT", noEvict ? "on" : "off"]));
  await writeAll(conn, new TextEncoder().encode(`*1\r\n$${declaredBytes}\r\n`));
  const chunk = new Uint8Array(64 * 1024).fill(0x76);
  try {
    for (let sent = 0; sent < sentBytes; sent += chunk.length) {
      await writeAll(conn, chunk.subarray(0, Math.min(chunk.length, sentBytes - sent)));
    }
  } catch {
    // Closed by the server on the way (evicted): what the test looks for.
  }
  return conn;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}
