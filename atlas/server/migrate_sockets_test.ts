import assert from "node:assert/strict";
import { MigrateSockets, TargetConnection } from "./migrate_sockets.ts";

/** A listener that accepts and holds connections, counting those the peer closed. */
function holdingTarget() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let closed = 0;
  const held: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push((async () => {
        const buffer = new Uint8Array(16);
        while ((await conn.read(buffer).catch(() => null)) !== null) { /* hold */ }
        closed++;
        conn.close();
      })());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    closed: () => closed,
    async stop() {
      listener.close();
      await accepting;
      await Promise.all(held);
    },
  };
}

const waitFor = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition());
};

Deno.test("MIGRATE's socket cache: one per target, taken while in use, closed after 10 s unused", async () => {
  const target = holdingTarget();
  const sockets = new MigrateSockets();
  try {
    const first = await TargetConnection.open("127.0.0.1", target.port, 1000);
    sockets.giveBack("127.0.0.1", target.port, first, 0);
    assert.equal(sockets.size, 1);
    // In use: out of the cache, so a MIGRATE running meanwhile opens its own.
    assert.equal(sockets.take("127.0.0.1", target.port), first);
    assert.equal(sockets.size, 0);
    assert.equal(sockets.take("127.0.0.1", target.port), undefined);
    const second = await TargetConnection.open("127.0.0.1", target.port, 1000);
    sockets.giveBack("127.0.0.1", target.port, second, 1000);
    // The first comes back while the target has one cached: it is closed, not kept.
    sockets.giveBack("127.0.0.1", target.port, first, 2000);
    assert.equal(sockets.size, 1);
    await waitFor(() => target.closed() === 1);
    sockets.sweep(10_999); // 9.999 s unused
    assert.equal(sockets.size, 1);
    sockets.sweep(11_001);
    assert.equal(sockets.size, 0);
    await waitFor(() => target.closed() === 2);
  } finally {
    sockets.closeAll();
    await target.stop();
  }
});
