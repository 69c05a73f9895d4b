import assert from "node:assert/strict";
import type { CommandExecutor } from "./executor.ts";
import { startAtlasServer } from "./server.ts";
import { Store } from "./store/store.ts";
import type { Reply } from "./store/reply.ts";
import { RawClient } from "./testing/atlasd_harness.ts";

/** A Store-backed executor whose sync() the test releases by hand. */
class ManualSyncExecutor implements CommandExecutor {
  readonly store = new Store();
  syncCalls = 0;
  #release: (() => void)[] = [];
  asyncDelays = false;

  execute(argv: string[]): Reply | Promise<Reply> {
    const reply = this.store.execute(argv, { nowMs: Date.now(), random: Math.random }).reply;
    if (!this.asyncDelays) return reply;
    // Resolve in a scrambled order to prove the server keeps reply order.
    const delay = (argv[1]?.length ?? 0) % 3;
    return new Promise((resolve) => setTimeout(() => resolve(reply), delay));
  }

  sync(): Promise<void> {
    this.syncCalls++;
    return new Promise((resolve) => this.#release.push(resolve));
  }

  releaseAll(): void {
    for (const r of this.#release.splice(0)) r();
  }

  hasUnsyncedWrites(): boolean {
    return this.#release.length > 0;
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(check(), "condition not reached");
}

Deno.test("server: a write's reply waits for sync(); reads in a read-only batch do not", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const c = await RawClient.connect(server.addr.port);
  try {
    assert.deepEqual(await c.one("GET", "a"), { t: "nil" });
    assert.equal(executor.syncCalls, 0);
    const pending = c.call(["SET", "a", "1"], ["GET", "a"]);
    let answered = false;
    void pending.then(() => (answered = true));
    await until(() => executor.syncCalls === 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
    assert.equal(answered, false, "reply left before durability");
    executor.releaseAll();
    assert.deepEqual(await pending, [{ t: "simple", v: "OK" }, { t: "bulk", v: "1" }]);
  } finally {
    await c.close();
    executor.releaseAll();
    await server.close();
  }
});

Deno.test("server: a read that could see another client's unsynced write waits for it too", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const writer = await RawClient.connect(server.addr.port);
  const reader = await RawClient.connect(server.addr.port);
  try {
    const written = writer.call(["SET", "k", "v"]);
    await until(() => executor.syncCalls === 1);
    let read = false;
    const seen = reader.call(["GET", "k"]).then((r) => {
      read = true;
      return r;
    });
    await until(() => executor.syncCalls === 2);
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
    assert.equal(read, false, "a read showed a write before it was durable");
    executor.releaseAll();
    assert.deepEqual(await seen, [{ t: "bulk", v: "v" }]);
    await written;
  } finally {
    await writer.close();
    await reader.close();
    executor.releaseAll();
    await server.close();
  }
});

Deno.test("server: async executor results keep pipeline order", async () => {
  const executor = new ManualSyncExecutor();
  executor.asyncDelays = true;
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const c = await RawClient.connect(server.addr.port);
  const sync = setInterval(() => executor.releaseAll(), 1);
  try {
    const cmds = Array.from({ length: 60 }, (_, i) => ["SET", "k".repeat(1 + (i % 5)), String(i)]);
    cmds.push(["GET", "kk"]);
    const replies = await c.call(...cmds);
    assert.equal(replies.length, 61);
    assert.ok(replies.slice(0, 60).every((r) => r.t === "simple"));
    assert.deepEqual(replies[60], { t: "bulk", v: "56" });
  } finally {
    clearInterval(sync);
    await c.close();
    await server.close();
  }
});

Deno.test("server: maxclients refuses the extra connection with Redis's text", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0, maxclients: 1 });
  const a = await RawClient.connect(server.addr.port);
  const b = await RawClient.connect(server.addr.port);
  try {
    assert.deepEqual(await a.one("PING"), { t: "simple", v: "PONG" });
    assert.deepEqual(await b.next(), { t: "error", v: "ERR max number of clients reached" });
    await until(() => b.closedByPeer);
    assert.equal(server.stats.rejectedConnections, 1);
    assert.equal(server.stats.connectedClients, 1);
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

Deno.test("server: a listener that may not move (a Raft member's) refuses CONFIG SET port", async () => {
  const executor = new ManualSyncExecutor();
  const moves: (number | null)[] = [];
  const server = startAtlasServer({
    executor,
    store: executor.store,
    port: 0,
    movableListener: false,
    onListen: (addr) => moves.push(addr?.port ?? null),
  });
  const port = server.addr.port;
  const c = await RawClient.connect(port);
  try {
    assert.deepEqual(await c.one("CONFIG", "SET", "port", "0"), {
      t: "error",
      v: "ERR CONFIG SET failed (possibly related to argument 'port') - this server cannot move " +
        "its listener: restart it with another --listen",
    });
    assert.deepEqual(await c.one("CONFIG", "SET", "port", String(port)), { t: "simple", v: "OK" });
    assert.equal(server.addr.port, port);
    assert.deepEqual(moves, [port]);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("server: protected mode refuses non-loopback clients when no password is set", async () => {
  const ip = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  )
    ?.address;
  assert.ok(ip !== undefined, "this test needs a non-loopback IPv4 interface");
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({
    executor,
    store: executor.store,
    hostname: "0.0.0.0",
    port: 0,
  });
  const outside = await RawClient.connect(server.addr.port, ip);
  const local = await RawClient.connect(server.addr.port);
  try {
    const denied = await outside.next();
    assert.equal(denied.t, "error");
    assert.match((denied as { v: string }).v, /^DENIED Redis is running in protected mode/);
    assert.deepEqual(await local.one("PING"), { t: "simple", v: "PONG" });
  } finally {
    await outside.close();
    await local.close();
    await server.close();
  }
});

Deno.test("server: requirepass gates commands; AUTH and HELLO AUTH unlock", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({
    executor,
    store: executor.store,
    port: 0,
    requirepass: "s3cret",
  });
  const c = await RawClient.connect(server.addr.port);
  let d = await RawClient.connect(server.addr.port);
  try {
    assert.deepEqual(await c.one("GET", "a"), {
      t: "error",
      v: "NOAUTH Authentication required.",
    });
    assert.deepEqual(await c.one("AUTH", "nope"), {
      t: "error",
      v: "WRONGPASS invalid username-password pair or user is disabled.",
    });
    assert.deepEqual(await c.one("AUTH", "s3cret"), { t: "simple", v: "OK" });
    assert.deepEqual(await c.one("GET", "a"), { t: "nil" });
    assert.deepEqual(await d.one("SET", "k", "x".repeat(20_000)), {
      t: "error",
      v: "ERR Protocol error: unauthenticated bulk length",
    });
    await d.close();
    d = await RawClient.connect(server.addr.port);
    const hello = await d.one("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "me");
    assert.equal(hello.t, "map");
    assert.deepEqual(await d.one("CLIENT", "GETNAME"), { t: "bulk", v: "me" });
  } finally {
    await c.close();
    await d.close();
    await server.close();
  }
});

Deno.test("server: a protocol error answers -ERR Protocol error and closes", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const c = await RawClient.connect(server.addr.port);
  try {
    await c.writeRaw("*1\r\n$4\r\nPING\r\n*x\r\n");
    assert.deepEqual(await c.next(), { t: "simple", v: "PONG" });
    assert.deepEqual(await c.next(), {
      t: "error",
      v: "ERR Protocol error: invalid multibulk length",
    });
    await until(() => c.closedByPeer);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("server: stats count commands per name", async () => {
  const executor = new ManualSyncExecutor();
  const server = startAtlasServer({ executor, store: executor.store, port: 0 });
  const c = await RawClient.connect(server.addr.port);
  try {
    await c.call(["PING"], ["PING"], ["GET", "x"]);
    const stats = server.stats.commands();
    assert.equal(stats.find((s) => s.command === "ping")?.calls, 2);
    assert.equal(stats.find((s) => s.command === "get")?.calls, 1);
    assert.equal(server.stats.connectedClients, 1);
  } finally {
    await c.close();
    await server.close();
  }
});

Deno.test("server: CONFIG SET loglevel sets the logger's level; CONFIG GET answers Redis's names", async () => {
  const executor = new ManualSyncExecutor();
  type Level = "debug" | "info" | "warn" | "error";
  let level: Level = "info";
  const logger = {
    get level() {
      return level;
    },
    setLevel(next: Level) {
      level = next;
    },
    info() {},
    warn() {},
    error() {},
  };
  const server = startAtlasServer({ executor, store: executor.store, port: 0, logger });
  const c = await RawClient.connect(server.addr.port);
  try {
    assert.deepEqual(await c.one("CONFIG", "GET", "loglevel"), {
      t: "array",
      v: [{ t: "bulk", v: "loglevel" }, { t: "bulk", v: "notice" }],
    });
    const steps: [string, Level, string][] = [
      ["verbose", "debug", "verbose"],
      ["DEBUG", "debug", "debug"],
      ["warning", "warn", "warning"],
      ["notice", "info", "notice"],
    ];
    for (const [word, want, shown] of steps) {
      assert.deepEqual(await c.one("CONFIG", "SET", "loglevel", word), { t: "simple", v: "OK" });
      assert.equal(level, want, word);
      const reply = await c.one("CONFIG", "GET", "loglevel") as { v: { v: string }[] };
      assert.equal(reply.v[1].v, shown);
    }
    // Set from elsewhere (the process's own configuration): shown by its Redis name.
    level = "error";
    const reply = await c.one("CONFIG", "GET", "loglevel") as { v: { v: string }[] };
    assert.equal(reply.v[1].v, "warning");
  } finally {
    await c.close();
    await server.close();
  }
});
