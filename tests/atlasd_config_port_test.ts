/**
 * CONFIG SET port moves atlasd's listener as Redis's does (changeListenPort): new connections on
 * the new port, the ones already open kept, a port that cannot be bound refused with Redis's text
 * (side by side with redis-server) and the whole CONFIG SET rolled back, 0 to stop listening.
 */
import assert from "node:assert/strict";
import {
  freePort,
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

/**
 * Whether connections to `port` are refused, within 2 s: the old listener's socket closes once
 * Deno has cancelled the accept pending on it, a moment after close().
 */
async function refuses(port: number): Promise<boolean> {
  const deadline = Date.now() + 2_000;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionRefused) return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const get = async (client: RawClient, name: string) =>
  ((await client.call(["CONFIG", "GET", name]))[0] as { v: RespValue[] }).v[1];

Deno.test("CONFIG SET port: the listener moves, open connections stay, a taken port is refused as by Redis", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const redis = await startRedis();
  const first = await RawClient.connect(atlas.port);
  const redisClient = await RawClient.connect(redis.port);
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const takenPort = (taken.addr as Deno.NetAddr).port;
  let moved: RawClient | null = null;
  try {
    // A taken port, in one CONFIG SET with another setting: Redis's error, nothing applied.
    const attempt = ["CONFIG", "SET", "maxmemory", "10000001", "port", String(takenPort)];
    const [want] = await redisClient.call(attempt);
    const [got] = await first.call(attempt);
    assert.deepEqual(got, want);
    assert.deepEqual(got, {
      t: "error",
      v: "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
    });
    assert.deepEqual(await get(first, "maxmemory"), { t: "bulk", v: "0" });
    assert.deepEqual(await get(first, "port"), { t: "bulk", v: String(atlas.port) });
    for (const bad of ["-1", "65536", "abc"]) {
      const [w] = await redisClient.call(["CONFIG", "SET", "port", bad]);
      const [g] = await first.call(["CONFIG", "SET", "port", bad]);
      assert.deepEqual(g, w, `CONFIG SET port ${bad}`);
    }

    // A free port: new connections go there, the old port refuses, this connection stays.
    const next = freePort();
    assert.deepEqual(await first.call(["CONFIG", "SET", "port", String(next)]), [
      { t: "simple", v: "OK" },
    ]);
    assert.ok(await refuses(atlas.port), "the old port no longer accepts");
    moved = await RawClient.connect(next);
    assert.deepEqual(await moved.call(["PING"]), [{ t: "simple", v: "PONG" }]);
    assert.deepEqual(await first.call(["PING"]), [{ t: "simple", v: "PONG" }]);
    assert.deepEqual(await get(moved, "port"), { t: "bulk", v: String(next) });
    const [info] = await moved.call(["INFO", "server"]);
    assert.match((info as { v: string }).v, new RegExp(`tcp_port:${next}\r\n`));

    // Port 0 stops listening (as in Redis); an open connection can bring it back.
    assert.deepEqual(await first.call(["CONFIG", "SET", "port", "0"]), [{ t: "simple", v: "OK" }]);
    assert.ok(await refuses(next), "port 0: nothing accepts");
    assert.deepEqual(await get(first, "port"), { t: "bulk", v: "0" });
    const again = freePort();
    assert.deepEqual(await first.call(["CONFIG", "SET", "port", String(again)]), [
      { t: "simple", v: "OK" },
    ]);
    const back = await RawClient.connect(again);
    assert.deepEqual(await back.call(["DBSIZE"]), [{ t: "integer", v: 0 }]);
    await back.close();
  } finally {
    taken.close();
    await moved?.close();
    await first.close();
    await redisClient.close();
    await redis.stop();
    await atlas.stop();
  }
});

/** Whether `hostname`:`port` accepts a connection that answers PING. */
async function answersOn(hostname: string, port: number): Promise<boolean> {
  try {
    const client = await RawClient.connect(port, hostname);
    try {
      return JSON.stringify(await client.one("PING")) ===
        JSON.stringify({ t: "simple", v: "PONG" });
    } finally {
      await client.close();
    }
  } catch {
    return false;
  }
}

Deno.test("CONFIG SET bind: the listener moves to another address, a bad one is refused, as by Redis", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const redis = await startRedis();
  const servers = [["redis", redis.port], ["atlasd", atlas.port]] as const;
  const clients = await Promise.all(servers.map(([, port]) => RawClient.connect(port)));
  try {
    for (const [i, [name, port]] of servers.entries()) {
      const client = clients[i];
      assert.deepEqual(await client.one("CONFIG", "SET", "bind", "999.999.999.999"), {
        t: "error",
        v: "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
      }, name);
      assert.deepEqual(await get(client, "bind"), { t: "bulk", v: "127.0.0.1" }, name);
      assert.ok(await answersOn("127.0.0.1", port), name);
      // Another loopback address: new connections there, none on the old one, this one stays.
      assert.deepEqual(await client.one("CONFIG", "SET", "bind", "127.0.0.2"), {
        t: "simple",
        v: "OK",
      }, name);
      assert.ok(await answersOn("127.0.0.2", port), name);
      assert.ok(await refuses(port), `${name}: 127.0.0.1 no longer accepts`);
      assert.deepEqual(await client.one("PING"), { t: "simple", v: "PONG" }, name);
      assert.deepEqual(await get(client, "bind"), { t: "bulk", v: "127.0.0.2" }, name);
    }
    // atlasd listens on one address; and 0.0.0.0 cannot take 127.0.0.2's port while it listens.
    const atlasClient = clients[1];
    const several = await atlasClient.one("CONFIG", "SET", "bind", "127.0.0.1 -::1");
    assert.match((several as { v: string }).v, /atlasd listens on one address/);
    const overlapping = await atlasClient.one("CONFIG", "SET", "bind", "0.0.0.0");
    assert.match((overlapping as { v: string }).v, /Failed to bind .*restart atlasd with --listen/);
    assert.ok(await answersOn("127.0.0.2", atlas.port), "still where it was");
  } finally {
    for (const client of clients) await client.close();
    await redis.stop();
    await atlas.stop();
  }
});
