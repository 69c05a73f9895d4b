/**
 * Side by side with redis-server 7.0.15: `CONFIG SET timeout 1` closes a client that sent
 * nothing for over a second, and only that one: a subscriber, a MONITOR client and a client
 * blocked in BLPOP stay (they wait for the server); the blocked client, once served, is active
 * again. Before this test atlasd refused `CONFIG SET timeout` as immutable and never closed an
 * idle client. Also: both servers turn TCP keepalive on for the connections they accept (atlasd
 * did not).
 */
import assert from "node:assert/strict";
import { RawClient, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which clients the server closed after ~5 s with `timeout 1`, and what still works. */
async function idleOutcome(port: number): Promise<Record<string, unknown>> {
  const control = await RawClient.connect(port);
  const idle = await RawClient.connect(port);
  const subscriber = await RawClient.connect(port);
  const blocked = await RawClient.connect(port);
  const monitor = await RawClient.connect(port);
  try {
    assert.deepEqual(await control.one("CONFIG", "SET", "timeout", "1"), { t: "simple", v: "OK" });
    await idle.one("PING");
    await subscriber.one("SUBSCRIBE", "news");
    await monitor.one("MONITOR");
    const served = blocked.one("BLPOP", "queue", "0");
    // Redis closes a client idle for more than `timeout` whole clock seconds (so within 2 s
    // here), from its 10 Hz cron; atlasd sweeps once a second.
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      await control.one("PING"); // the control client stays active
    }
    const closed = {
      idle: idle.closedByPeer,
      subscriber: subscriber.closedByPeer,
      blocked: blocked.closedByPeer,
      monitor: monitor.closedByPeer,
    };
    await control.one("LPUSH", "queue", "job");
    const reply = await served;
    await sleep(500); // served 0.5 s ago: not idle past the timeout
    const afterServed = blocked.closedByPeer;
    const subscriberPing = await subscriber.one("PING");
    return {
      timeout: await control.one("CONFIG", "GET", "timeout"),
      closed,
      reply,
      afterServed,
      subscriberPing,
    };
  } finally {
    await control.one("CONFIG", "SET", "timeout", "0").catch(() => undefined);
    for (const c of [control, idle, subscriber, blocked, monitor]) await c.close();
  }
}

Deno.test("CONFIG SET timeout closes idle clients and only those, as redis-server does", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const [redis, atlas] = await Promise.all([idleOutcome(redisPort), idleOutcome(atlasPort)]);
    assert.deepEqual(redis.closed, {
      idle: true,
      subscriber: false,
      blocked: false,
      monitor: false,
    });
    assert.deepEqual(atlas, redis);
  }));

/**
 * Whether the server's end of `client`'s connection runs a keepalive timer: /proc/net/tcp's
 * `tr` field is 2 for a socket with SO_KEEPALIVE that has nothing else pending (Linux).
 */
async function serverSideKeepalive(serverPort: number, client: RawClient): Promise<boolean> {
  const info = await client.one("CLIENT", "INFO") as { v: string };
  const clientPort = Number(info.v.match(/ addr=127\.0\.0\.1:(\d+) /)![1]);
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  const local = `0100007F:${hex(serverPort)}`;
  const remote = `0100007F:${hex(clientPort)}`;
  const lines = (await Deno.readTextFile("/proc/net/tcp")).split("\n");
  const line = lines.find((l) => {
    const fields = l.trim().split(/\s+/);
    return fields[1] === local && fields[2] === remote;
  });
  assert.ok(line, `no socket ${local} -> ${remote}`);
  return line.trim().split(/\s+/)[5].startsWith("02:");
}

Deno.test("accepted connections have TCP keepalive on, none after CONFIG SET tcp-keepalive 0, as redis-server's", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    assert.equal(await serverSideKeepalive(redisPort, redis), true);
    assert.equal(await serverSideKeepalive(atlasPort, atlas), true);
    // CONFIG SET tcp-keepalive 0: connections accepted from then on have none.
    for (const [port, client] of [[redisPort, redis], [atlasPort, atlas]] as const) {
      assert.deepEqual(await client.one("CONFIG", "SET", "tcp-keepalive", "0"), {
        t: "simple",
        v: "OK",
      });
      const later = await RawClient.connect(port);
      try {
        assert.equal(await serverSideKeepalive(port, later), false, `port ${port}`);
      } finally {
        await later.close();
      }
    }
  }));
