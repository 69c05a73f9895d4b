/**
 * Side by side with redis-server 7.0: CLIENT KILL's filters. Every refusal (no filter, a filter
 * without its value, a bad ID, TYPE or USER, an unknown filter, SKIPME other than yes/no) must
 * close nobody and answer Redis's error; the caller is skipped unless SKIPME no; TYPE and ID
 * select whom to close. Before this test, CLIENT KILL with no argument closed every other
 * client.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** Replies to these must equal Redis's, and leave the bystander connected. */
const REFUSED: string[][] = [
  ["CLIENT", "KILL"],
  ["CLIENT", "KILL", "ID"],
  ["CLIENT", "KILL", "ID", "0"],
  ["CLIENT", "KILL", "ID", "-3"],
  ["CLIENT", "KILL", "ID", "abc"],
  ["CLIENT", "KILL", "TYPE", "bogus"],
  ["CLIENT", "KILL", "USER", "nobody"],
  ["CLIENT", "KILL", "SKIPME", "maybe"],
  ["CLIENT", "KILL", "FLAVOUR", "x"],
  ["CLIENT", "KILL", "ID", "1", "TYPE"],
  ["CLIENT", "KILL", "127.0.0.1:1"],
];

async function id(client: RawClient): Promise<string> {
  const [reply] = await client.call(["CLIENT", "ID"]);
  return String((reply as { v: number }).v);
}

/** Whether the server closed `client`'s connection (waits up to 3 s for the EOF). */
async function closedByServer(client: RawClient): Promise<boolean> {
  for (let waited = 0; waited < 3000 && !client.closedByPeer; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return client.closedByPeer;
}

Deno.test("CLIENT KILL filters, refusals and SKIPME match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    const bystanders = {
      redis: await RawClient.connect(redisPort),
      atlas: await RawClient.connect(atlasPort),
    };
    try {
      for (const argv of REFUSED) {
        const [want]: RespValue[] = await redis.call(argv);
        const [got]: RespValue[] = await atlas.call(argv);
        assert.deepEqual(got, want, argv.join(" "));
      }
      const [pong] = await bystanders.atlas.call(["PING"]);
      assert.deepEqual(pong, { t: "simple", v: "PONG" }, "refusals closed nobody");

      // The caller is skipped by default, even when its own id is named.
      for (const [client, name] of [[redis, "redis"], [atlas, "atlasd"]] as const) {
        const [reply] = await client.call(["CLIENT", "KILL", "ID", await id(client)]);
        assert.deepEqual(reply, { t: "integer", v: 0 }, `${name}: own id skipped`);
      }
      // TYPE pubsub selects none here; TYPE normal selects the bystander (not the caller).
      for (
        const argv of [["CLIENT", "KILL", "TYPE", "pubsub"], ["CLIENT", "KILL", "TYPE", "normal"]]
      ) {
        const [want] = await redis.call(argv);
        const [got] = await atlas.call(argv);
        assert.deepEqual(got, want, argv.join(" "));
      }
      assert.ok(await closedByServer(bystanders.redis), "redis closed the bystander");
      assert.ok(await closedByServer(bystanders.atlas), "atlasd closed the bystander");
      const [still] = await atlas.call(["PING"]);
      assert.deepEqual(still, { t: "simple", v: "PONG" }, "the caller survives SKIPME yes");
    } finally {
      await bystanders.redis.close().catch(() => {});
      await bystanders.atlas.close().catch(() => {});
    }
  }));

/**
 * Kills a fresh connection `rounds` times and, the moment the killer has its reply, asks the
 * kernel (a non-blocking recv) whether the victim's socket already saw the server close it.
 * Python, because Deno has no non-blocking read: an awaited read would let the event loop run
 * and hide the order.
 */
const KILL_ORDER_PROBE = `
import socket, sys
port, rounds, closed = int(sys.argv[1]), int(sys.argv[2]), 0
for _ in range(rounds):
    victim = socket.create_connection(("127.0.0.1", port))
    killer = socket.create_connection(("127.0.0.1", port))
    victim.sendall(b"CLIENT ID\\r\\n")
    victim_id = victim.recv(100).strip()[1:].decode()
    killer.sendall(f"CLIENT KILL ID {victim_id}\\r\\n".encode())
    assert killer.recv(100) == b":1\\r\\n"
    victim.setblocking(False)
    try:
        closed += victim.recv(100) == b""
    except BlockingIOError:
        pass
    victim.close()
    killer.close()
print(closed)
`;

async function victimsClosedBeforeReply(port: number, rounds: number): Promise<number> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", KILL_ORDER_PROBE, String(port), String(rounds)],
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0, "the probe ran");
  return Number(new TextDecoder().decode(out.stdout).trim());
}

// Before, atlasd replied :1 and closed the victim's socket a turn of its event loop later (in
// 3-5 of 20 rounds the victim was still open), so phpredis — told :1 — wrote its next command to
// the dead socket and waited out its read timeout instead of reconnecting.
Deno.test("CLIENT KILL closes the victim's socket before it replies, as redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const rounds = 20;
    assert.equal(await victimsClosedBeforeReply(redisPort, rounds), rounds, "redis-server");
    assert.equal(await victimsClosedBeforeReply(atlasPort, rounds), rounds, "atlasd");
  }));
