import assert from "node:assert/strict";
import { LeaderForwarder, leaderRespAddress } from "./forwarder.ts";

/**
 * A stand-in leader: answers every command with +OK, but only when the test releases it, and
 * tells which connection each command came in on.
 */
function heldLeader() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const arrivals: { connection: number }[] = [];
  const held: (() => void)[] = [];
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      const id = conns.push(conn);
      (async () => {
        const buffer = new Uint8Array(64 * 1024);
        for (;;) {
          const n = await conn.read(buffer).catch(() => null);
          if (n === null) return;
          // Every command is a RESP array: count the "*" headers (the test's values have none).
          const text = new TextDecoder().decode(buffer.subarray(0, n));
          for (let i = 0; i < text.split("*").length - 1; i++) {
            arrivals.push({ connection: id });
            held.push(() => conn.write(new TextEncoder().encode("+OK\r\n")).catch(() => {}));
          }
        }
      })();
    }
  })();
  return {
    address: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    arrivals,
    releaseAll: () => held.splice(0).forEach((answer) => answer()),
    async close() {
      listener.close();
      for (const conn of conns) conn.close();
      await serving.catch(() => {});
    },
  };
}

/**
 * Waits until the stand-in leader has seen `count` commands (a busy machine can take more than
 * a turn to carry them over loopback); after 2 s the test's own assertion reports the shortfall.
 */
async function arrived(leader: { arrivals: unknown[] }, count: number): Promise<void> {
  const deadline = performance.now() + 2000;
  while (leader.arrivals.length < count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("forwarder: one turn's commands share a connection; a later turn does not wait behind them", async () => {
  const leader = heldLeader();
  const forwarder = new LeaderForwarder({
    password: "",
    connectTimeoutMs: 1000,
    replyTimeoutMs: 10_000,
  });
  try {
    const first = [
      forwarder.send(leader.address, ["SET", "a", "1"]),
      forwarder.send(leader.address, ["SET", "a", "2"]),
    ];
    await arrived(leader, 2);
    const second = forwarder.send(leader.address, ["SET", "b", "1"]);
    await arrived(leader, 3);
    assert.equal(leader.arrivals.length, 3, "the later command went out while the first two wait");
    const [a1, a2, b] = leader.arrivals;
    assert.equal(a1.connection, a2.connection, "a client's pipelined commands stay in order");
    assert.notEqual(b.connection, a1.connection);
    leader.releaseAll();
    assert.deepEqual(await Promise.all([...first, second]), [
      { kind: "simple", value: "OK" },
      { kind: "simple", value: "OK" },
      { kind: "simple", value: "OK" },
    ]);
    // Idle again: the next turn reuses an open connection rather than opening another.
    const third = forwarder.send(leader.address, ["SET", "c", "1"]);
    await arrived(leader, 4);
    assert.ok(leader.arrivals[3].connection <= 2);
    leader.releaseAll();
    await third;
  } finally {
    forwarder.close();
    await leader.close();
  }
});

Deno.test("forwarder: an unreachable leader is a TRYAGAIN error, not a throw", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const forwarder = new LeaderForwarder({
    password: "",
    connectTimeoutMs: 1000,
    replyTimeoutMs: 10_000,
  });
  const reply = await forwarder.send(`127.0.0.1:${port}`, ["SET", "a", "1"]);
  assert.equal(reply.kind, "error");
  assert.match(String(reply.value), /^TRYAGAIN Cannot reach the Raft leader/);
  forwarder.close();
});

Deno.test("forwarder: a leader that never answers (black-holed path) times out as TRYAGAIN; the next send redials", async () => {
  const leader = heldLeader();
  const forwarder = new LeaderForwarder({
    password: "",
    connectTimeoutMs: 1000,
    replyTimeoutMs: 200,
  });
  try {
    const started = performance.now();
    const replies = await Promise.all([
      forwarder.send(leader.address, ["SET", "a", "1"]),
      forwarder.send(leader.address, ["SET", "a", "2"]),
    ]);
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= 200 && waitedMs < 2000, `answered after ${Math.round(waitedMs)} ms`);
    for (const reply of replies) {
      assert.equal(reply.kind, "error");
      assert.match(String(reply.value), /^TRYAGAIN No reply from the Raft leader .* in 200 ms/);
    }
    // The silent connection was dropped: the next command goes out on a new one and succeeds.
    const next = forwarder.send(leader.address, ["SET", "b", "1"]);
    await arrived(leader, 3);
    assert.equal(leader.arrivals.length, 3);
    assert.notEqual(leader.arrivals[2].connection, leader.arrivals[0].connection);
    leader.releaseAll();
    assert.deepEqual(await next, { kind: "simple", value: "OK" });
  } finally {
    forwarder.close();
    await leader.close();
  }
});

Deno.test("forwarder: a leader announcing all interfaces is dialled on the host of its Raft address", () => {
  assert.equal(leaderRespAddress("0.0.0.0:6379", "10.0.0.1:7000"), "10.0.0.1:6379");
  assert.equal(leaderRespAddress("[::]:6379", "atlas-1:7000"), "atlas-1:6379");
  assert.equal(leaderRespAddress("0.0.0.0:6379", "[fd00::1]:7000"), "[fd00::1]:6379");
  // A specific address is dialled as announced; with no better host, 0.0.0.0 stays (loopback).
  assert.equal(leaderRespAddress("10.0.0.9:6379", "10.0.0.1:7000"), "10.0.0.9:6379");
  assert.equal(leaderRespAddress("0.0.0.0:6379", undefined), "0.0.0.0:6379");
  assert.equal(leaderRespAddress("0.0.0.0:6379", "0.0.0.0:7000"), "0.0.0.0:6379");
});
