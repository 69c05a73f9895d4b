import assert from "node:assert/strict";
import type { CommandExecutor } from "../executor.ts";
import { type ReplicationHooks, startAtlasServer } from "../server.ts";
import { Store } from "../store/store.ts";
import { RawClient } from "../testing/atlasd_harness.ts";

/** An atlasd server on a free port over a plain Store, optionally with replicas. */
async function withServer(
  replication: ReplicationHooks | undefined,
  fn: (client: RawClient, port: number) => Promise<void>,
): Promise<void> {
  const store = new Store();
  const executor: CommandExecutor = {
    execute: (argv) => store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply,
    sync: () => Promise.resolve(),
  };
  const server = startAtlasServer({ executor, store, port: 0, replication });
  const client = await RawClient.connect(server.addr.port);
  try {
    await fn(client, server.addr.port);
  } finally {
    await client.close();
    await server.close();
  }
}

const int = (v: number) => ({ t: "integer", v });
const err = (v: string) => ({ t: "error", v });

/** Polls CLIENT LIST (through `observer`) until it matches `pattern`; returns the listing. */
async function untilListed(observer: RawClient, pattern: RegExp, present = true): Promise<string> {
  let list = "";
  for (let i = 0; i < 200; i++) {
    list = ((await observer.one("CLIENT", "LIST")) as { v: string }).v;
    if (pattern.test(list) === present) return list;
    await new Promise((r) => setTimeout(r, 10));
  }
  return list;
}

Deno.test("WAIT on a standalone server: 0 replicas, at once or after the timeout", async () => {
  await withServer(undefined, async (c) => {
    assert.deepEqual(await c.one("WAIT", "0", "0"), int(0));
    assert.deepEqual(await c.one("WAIT", "1", "20"), int(0));
    // Inside a transaction WAIT never blocks, even with timeout 0 (forever).
    assert.deepEqual(await c.call(["MULTI"], ["WAIT", "1", "0"], ["EXEC"]), [
      { t: "simple", v: "OK" },
      { t: "simple", v: "QUEUED" },
      { t: "array", v: [int(0)] },
    ]);
  });
});

Deno.test("WAIT argument errors read like Redis 7's", async () => {
  await withServer(undefined, async (c) => {
    assert.deepEqual(
      await c.one("WAIT", "x", "0"),
      err("ERR value is not an integer or out of range"),
    );
    assert.deepEqual(
      await c.one("WAIT", "1", "x"),
      err("ERR timeout is not an integer or out of range"),
    );
    assert.deepEqual(
      await c.one("WAIT", "1", "1.5"),
      err("ERR timeout is not an integer or out of range"),
    );
    assert.deepEqual(await c.one("WAIT", "1", "-1"), err("ERR timeout is negative"));
    assert.deepEqual(
      await c.one("WAIT", "1"),
      err("ERR wrong number of arguments for 'wait' command"),
    );
  });
});

Deno.test("WAIT counts replicas at the offset seen when it was called, and blocks until enough", async () => {
  let offset = 10;
  let acked = 1;
  const asked: number[] = [];
  const replication: ReplicationHooks = {
    offset: () => offset,
    replicasAt: (at) => {
      asked.push(at);
      return acked;
    },
  };
  await withServer(replication, async (c, port) => {
    assert.deepEqual(await c.one("WAIT", "1", "0"), int(1));
    const waiting = c.one("WAIT", "2", "0");
    const other = await RawClient.connect(port);
    try {
      // The waiting client is listed as blocked until a second replica catches up.
      await untilListed(other, /flags=b/);
      offset = 20; // later writes do not move what this WAIT waits for
      acked = 2;
      assert.deepEqual(await waiting, int(2));
      assert.ok(asked.every((at) => at === 10), `asked at ${asked}`);
      assert.deepEqual(await c.one("ROLE"), {
        t: "array",
        v: [{ t: "bulk", v: "master" }, int(20), { t: "array", v: [] }],
      });
    } finally {
      await other.close();
    }
  });
});

Deno.test("a client that disconnects while in WAIT is released", async () => {
  await withServer(undefined, async (c, port) => {
    const waiter = await RawClient.connect(port);
    await waiter.writeRaw("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n");
    assert.match(await untilListed(c, /flags=b/), /flags=b/);
    await waiter.close();
    const clients = await untilListed(c, /flags=b/, false);
    assert.equal(clients.trim().split("\n").length, 1);
    assert.doesNotMatch(clients, /flags=b/);
  });
});

Deno.test("ROLE, cluster probes and ACL answer as a Redis master without cluster support", async () => {
  await withServer(undefined, async (c) => {
    assert.deepEqual(await c.one("ROLE"), {
      t: "array",
      v: [{ t: "bulk", v: "master" }, int(0), { t: "array", v: [] }],
    });
    const noCluster = err("ERR This instance has cluster support disabled");
    assert.deepEqual(await c.one("CLUSTER", "INFO"), noCluster);
    assert.deepEqual(await c.one("READONLY"), noCluster);
    assert.deepEqual(await c.one("READWRITE"), noCluster);
    assert.deepEqual(await c.one("ACL", "WHOAMI"), { t: "bulk", v: "default" });
    assert.deepEqual(await c.one("ACL", "USERS"), { t: "array", v: [{ t: "bulk", v: "default" }] });
    assert.deepEqual(await c.one("ACL", "SETUSER", "x"), { t: "simple", v: "OK" });
    assert.deepEqual(await c.one("ACL", "USERS"), {
      t: "array",
      v: [{ t: "bulk", v: "default" }, { t: "bulk", v: "x" }],
    });
  });
});
