/**
 * Side by side with redis-server 7.0: the replication stream a plain SYNC follows after the RDB
 * file (what `redis-cli --replica` prints and Redis's own tests read with
 * attach_to_replication_stream). The same commands run on both servers; the streams must hold the
 * same commands in the same order — SELECTs where the database changes, MULTI / EXEC around what
 * one call propagates, times made absolute — with the absolute times themselves left out.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** How long a read of the stream may wait before the test fails (instead of hanging). */
const FILL_WAIT_MS = 5000;

/** A SYNC connection: the RDB payload skipped, then the stream's commands one by one. */
class StreamFollower {
  #buffer = new Uint8Array(0);
  private constructor(private readonly conn: Deno.TcpConn) {}

  static async attach(port: number): Promise<StreamFollower> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("SYNC\r\n"));
    const follower = new StreamFollower(conn);
    let header = "";
    do header = await follower.#line(); while (header === ""); // newlines: keep-alives
    assert.ok(header.startsWith("$"), `SYNC answered ${header}`);
    await follower.#take(Number(header.slice(1)));
    return follower;
  }

  /** The next `count` commands, lower-cased names, PXAT / PEXPIREAT times shown as `*`. */
  async commands(count: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < count) {
      const header = await this.#line();
      if (header === "") continue;
      assert.ok(header.startsWith("*"), `stream sent ${header}`);
      const args: string[] = [];
      for (let i = Number(header.slice(1)); i > 0; i--) {
        const length = Number((await this.#line()).slice(1));
        args.push(new TextDecoder().decode(await this.#take(length + 2)).slice(0, length));
      }
      args[0] = args[0].toLowerCase();
      if (args[0] === "ping") continue;
      const timed = args[0] === "pexpireat" ? 2 : args.findIndex((a) => /^pxat$/i.test(a)) + 1;
      if (timed > 0) args[timed] = "*";
      out.push(args.join(" "));
    }
    return out;
  }

  /** Whether anything more arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    if (this.#buffer.length > 0) return false;
    const chunk = new Uint8Array(1024);
    const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
    const read = this.conn.read(chunk);
    const n = await Promise.race([read, timer]);
    if (n === null) {
      // Leave the read pending: close() ends it.
      read.catch(() => {});
      return true;
    }
    this.#append(chunk.subarray(0, n));
    return false;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = this.conn.read(chunk);
    const n = await Promise.race([
      read,
      new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), FILL_WAIT_MS)),
    ]).finally(() => clearTimeout(timer));
    if (n === "late") {
      read.catch(() => {}); // close() ends it
      throw new Error(`nothing more on the stream within ${FILL_WAIT_MS} ms`);
    }
    if (n === null) throw new Error("the stream closed");
    this.#append(chunk.subarray(0, n));
  }

  #append(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
  }

  async #line(): Promise<string> {
    while (true) {
      const end = this.#buffer.indexOf(0x0a);
      if (end >= 0) {
        const line = new TextDecoder().decode(this.#buffer.subarray(0, end)).replace(/\r$/, "");
        this.#buffer = this.#buffer.subarray(end + 1);
        return line;
      }
      await this.#fill();
    }
  }

  async #take(length: number): Promise<Uint8Array> {
    while (this.#buffer.length < length) await this.#fill();
    const out = this.#buffer.slice(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return out;
  }
}

/**
 * Runs `commands` (one RawClient call each) on a client of each server; the replies must agree
 * (SCAN's: it lists keys in each server's own hash order).
 */
async function runBoth(redis: RawClient, atlas: RawClient, commands: string[][]): Promise<void> {
  for (const argv of commands) {
    const [want] = await redis.call(argv);
    const [got] = await atlas.call(argv);
    if (argv[0] !== "SCAN") assert.deepEqual(show(got), show(want), argv.join(" "));
  }
}

/** `commands` with each run of adjacent entries that start with `prefix` sorted. */
function sortedRuns(commands: string[], prefix: string): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const command of [...commands, ""]) {
    if (command.startsWith(prefix) && command !== "") {
      run.push(command);
      continue;
    }
    out.push(...run.sort());
    run = [];
    if (command !== "") out.push(command);
  }
  return out;
}

const show = (reply: RespValue) =>
  JSON.stringify(reply, (_k, x) => typeof x === "bigint" ? String(x) : x);

const REDIS_ARGS = ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"];

Deno.test("the replication stream after SYNC holds what redis-server's holds", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    await redis.call(["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
    await runBoth(redis, atlas, [["FLUSHALL"], ["SET", "before", "sync"]]);
    const streams = [
      await StreamFollower.attach(redisPort),
      await StreamFollower.attach(atlasPort),
    ];
    try {
      await runBoth(redis, atlas, [
        ["SET", "a", "1"],
        ["SET", "b", "2", "EX", "100"],
        ["INCR", "c"],
        ["EXPIRE", "a", "50"],
        ["RPUSH", "l", "x", "y"],
        ["GETEX", "b", "PERSIST"],
        ["DEL", "nosuchkey"], // changes nothing: nothing propagated
        ["SETEX", "k", "10", "v"],
        ["LPOP", "l"],
        ["SELECT", "3"],
        ["HSET", "h", "f", "v"],
        ["SELECT", "0"],
        ["MULTI"],
        ["SET", "m1", "1"],
        ["SET", "m2", "2"],
        ["EXEC"],
        ["EVAL", "redis.call('SET', KEYS[1], 'x'); redis.call('DEL', KEYS[2])", "2", "s1", "m1"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
        ["SET", "stale1", "v", "PX", "1"],
        ["SET", "stale2", "v", "PX", "1"],
        ["DEBUG", "SLEEP", "0.01"],
        // Lazy expiry found by SCAN: each DEL on its own, no MULTI (touches-arbitrary-keys).
        ["SCAN", "0", "COUNT", "100"],
        ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ["FLUSHDB"],
      ]);
      // SCAN meets the expired keys in each server's own hash order: that run is compared sorted.
      const want = sortedRuns(await streams[0].commands(25), "del stale");
      const got = sortedRuns(await streams[1].commands(want.length), "del stale");
      assert.deepEqual(got, want);
      assert.ok(want.includes("multi") && want.at(-1) === "flushdb", want.join("\n"));
      // Nothing else follows on either.
      assert.equal(await streams[0].quiet(200), true);
      assert.equal(await streams[1].quiet(200), true);
    } finally {
      for (const s of streams) s.close();
    }
  }, REDIS_ARGS));

Deno.test("a blocking pop served by a push reaches the stream as the push and the pop, as in Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    await redis.call(["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
    const streams = [
      await StreamFollower.attach(redisPort),
      await StreamFollower.attach(atlasPort),
    ];
    const waiters = [await RawClient.connect(redisPort), await RawClient.connect(atlasPort)];
    try {
      const pops = waiters.map((w) => w.call(["BLPOP", "q", "0"]));
      await new Promise((r) => setTimeout(r, 100));
      await runBoth(redis, atlas, [["RPUSH", "q", "job"]]);
      const [fromRedis, fromAtlas] = await Promise.all(pops);
      assert.deepEqual(show(fromAtlas[0]), show(fromRedis[0]));
      const want = await streams[0].commands(3);
      assert.deepEqual(await streams[1].commands(want.length), want);
    } finally {
      for (const w of waiters) await w.close();
      for (const s of streams) s.close();
    }
  }, REDIS_ARGS));

Deno.test("redis-cli --rdb still gets the file alone and the connection closes", () =>
  withRedisAndAtlasd(async (_redis, atlas, { atlasPort }) => {
    await atlas.call(["SET", "k", "v"]);
    const file = await Deno.makeTempFile({ suffix: ".rdb" });
    try {
      const out = await new Deno.Command("redis-cli", {
        args: ["-p", String(atlasPort), "--rdb", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const bytes = await Deno.readFile(file);
      assert.equal(new TextDecoder().decode(bytes.subarray(0, 5)), "REDIS");
    } finally {
      await Deno.remove(file);
    }
  }, REDIS_ARGS));

/** Sends `lines` (inline commands) on a raw connection and waits for `lastReply`. */
async function sendRaw(port: number, lines: string[], lastReply: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(lines.map((l) => `${l}\r\n`).join("")));
    let text = "";
    const chunk = new Uint8Array(1024);
    while (!text.endsWith(lastReply)) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error(`closed after ${JSON.stringify(text)}`);
      text += new TextDecoder().decode(chunk.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("an EXEC whose replies are off reaches the stream as one transaction, and the stream goes on", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    await redis.call(["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
    const streams = [
      await StreamFollower.attach(redisPort),
      await StreamFollower.attach(atlasPort),
    ];
    try {
      for (const port of [redisPort, atlasPort]) {
        // CLIENT REPLY OFF: EXEC answers nothing, so it runs its commands by the other path.
        await sendRaw(port, [
          "CLIENT REPLY OFF",
          "MULTI",
          "SET r1 1",
          "SET r2 2",
          "EXEC",
          "CLIENT REPLY ON",
        ], "+OK\r\n");
      }
      await runBoth(redis, atlas, [["SET", "after", "x"]]);
      const want = await streams[0].commands(6);
      assert.deepEqual(want, ["select 0", "multi", "set r1 1", "set r2 2", "exec", "set after x"]);
      assert.deepEqual(await streams[1].commands(want.length), want);
    } finally {
      for (const s of streams) s.close();
    }
  }, REDIS_ARGS));

Deno.test("a follower that stops reading is not counted against maxmemory, as in Redis", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    for (
      const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      const info = (await client.one("INFO", "memory") as { v: string }).v;
      const used = Number(/used_memory:(\d+)/.exec(info)![1]);
      await client.call(["CONFIG", "SET", "maxmemory-policy", "noeviction"], [
        "CONFIG",
        "SET",
        "maxmemory",
        String(used + 4_000_000),
      ]);
      const follower = await StreamFollower.attach(port);
      try {
        // It reads nothing more: 15 MB of writes pile up in its stream, far past maxmemory.
        const value = "v".repeat(100_000);
        for (let i = 0; i < 150; i++) {
          const reply = await client.one("SET", "k", value);
          assert.deepEqual(reply, { t: "simple", v: "OK" }, `port ${port}, write ${i}`);
        }
      } finally {
        follower.close();
      }
    }
  }));
