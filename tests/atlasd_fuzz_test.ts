/**
 * Fuzz: random and malformed frames (bad lengths, huge declared sizes, truncated frames, random
 * bytes) on many connections never crash atlasd nor grow its memory without bound, while a
 * well-formed client on another connection keeps being served. Seeded: SEED=n replays.
 */
import assert from "node:assert/strict";
import { encodeCommand, RawClient, startAtlasd } from "../atlas/testing/atlasd_harness.ts";

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function randomFrame(rnd: () => number): Uint8Array {
  const pick = Math.floor(rnd() * 8);
  const int = () => Math.floor(rnd() * 2 ** (rnd() * 40)) * (rnd() < 0.1 ? -1 : 1);
  switch (pick) {
    case 0: // random bytes
      return Uint8Array.from({ length: 1 + Math.floor(rnd() * 2000) }, () => rnd() * 256);
    case 1: // huge declared bulk, little data
      return latin1(`*2\r\n$3\r\nSET\r\n$${400_000_000 + int() % 100_000_000}\r\nabc`);
    case 2: // huge multibulk count
      return latin1(`*${int()}\r\n$4\r\nPING\r\n`);
    case 3: // bad bulk length text
      return latin1(
        `*1\r\n$${["x", "-5", "99999999999999", "1 2", ""][Math.floor(rnd() * 5)]}\r\n`,
      );
    case 4: { // truncated valid pipeline
      const full = encodeCommand(["SET", "fuzz:" + int(), "v".repeat(int() % 5000)]);
      return full.subarray(0, Math.floor(rnd() * full.length));
    }
    case 5: // long inline line without newline
      return latin1("GET " + "k".repeat(70_000 + Math.floor(rnd() * 10_000)));
    case 6: { // a valid frame with mutated bytes
      const f = encodeCommand(["HSET", "h", "f", "value"]);
      for (let i = 0; i < 3; i++) f[Math.floor(rnd() * f.length)] = rnd() * 256;
      return f;
    }
    default: // unbalanced quotes / odd inline
      return latin1(`SET "k v\r\nGET 'x'y\r\n*0\r\n*-1\r\n\r\n`);
  }
}

async function rssBytes(c: RawClient): Promise<number> {
  const info = await c.one("INFO", "memory");
  const m = (info as { v: string }).v.match(/used_memory_rss:(\d+)/);
  return Number(m![1]);
}

Deno.test("atlasd survives malformed input and keeps serving others", async () => {
  const seed = Number(Deno.env.get("SEED") ?? 1);
  const rnd = prng(seed);
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const good = await RawClient.connect(atlas.port);
  try {
    const rssBefore = await rssBytes(good);
    let served = 0;
    for (let round = 0; round < 40; round++) {
      const conns = await Promise.all(
        Array.from({ length: 8 }, () => Deno.connect({ hostname: "127.0.0.1", port: atlas.port })),
      );
      await Promise.all(conns.map(async (conn) => {
        const frames = 1 + Math.floor(rnd() * 3);
        try {
          for (let i = 0; i < frames; i++) await conn.write(randomFrame(rnd));
        } catch {
          // The server may close first (after a protocol error): expected.
        }
        conn.close();
      }));
      const [set, get] = await good.call(["SET", "alive", String(round)], ["GET", "alive"]);
      assert.deepEqual(set, { t: "simple", v: "OK" }, `SEED=${seed}`);
      assert.deepEqual(get, { t: "bulk", v: String(round) }, `SEED=${seed}`);
      served++;
    }
    assert.equal(served, 40);
    const rssAfter = await rssBytes(good);
    assert.ok(
      rssAfter - rssBefore < 256 * 1024 * 1024,
      `SEED=${seed}: RSS grew from ${rssBefore} to ${rssAfter}`,
    );
  } finally {
    await good.close();
    await atlas.stop();
  }
});

Deno.test("atlasd answers Redis protocol errors and closes the connection", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const cases: [string, string][] = [
      ["*1\r\n$-3\r\n", "ERR Protocol error: invalid bulk length"],
      ["*99999999\r\n", "ERR Protocol error: invalid multibulk length"],
      ["*1\r\n:5\r\n", "ERR Protocol error: expected '$', got ':'"],
      ['SET "a\r\n', "ERR Protocol error: unbalanced quotes in request"],
    ];
    for (const [frame, text] of cases) {
      const c = await RawClient.connect(atlas.port);
      try {
        await c.writeRaw(frame);
        assert.deepEqual(await c.next(), { t: "error", v: text });
        for (let i = 0; i < 200 && !c.closedByPeer; i++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(c.closedByPeer, frame);
      } finally {
        await c.close();
      }
    }
  } finally {
    await atlas.stop();
  }
});

Deno.test("CONFIG SET proto-max-bulk-len applies to every connection at once", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const admin = await RawClient.connect(atlas.port);
  const other = await RawClient.connect(atlas.port);
  try {
    const big = "x".repeat(1024 * 1024 + 1);
    assert.deepEqual(await other.one("SET", "big", big), { t: "simple", v: "OK" });
    assert.deepEqual(await admin.one("CONFIG", "SET", "proto-max-bulk-len", "1mb"), {
      t: "simple",
      v: "OK",
    });
    assert.deepEqual(await admin.one("CONFIG", "GET", "proto-max-bulk-len"), {
      t: "array",
      v: [{ t: "bulk", v: "proto-max-bulk-len" }, { t: "bulk", v: "1048576" }],
    });
    // The connection opened before the change is bound by it too.
    await other.writeRaw(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n`);
    assert.deepEqual(await other.next(), {
      t: "error",
      v: "ERR Protocol error: invalid bulk length",
    });
    assert.equal((await admin.one("CONFIG", "SET", "proto-max-bulk-len", "1000")).t, "error");
  } finally {
    await other.close();
    await admin.close();
    await atlas.stop();
  }
});

Deno.test("CONFIG SET client-query-buffer-limit closes a client whose unparsed input outgrows it", async () => {
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  const admin = await RawClient.connect(atlas.port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: atlas.port });
  try {
    assert.deepEqual(await admin.one("CONFIG", "SET", "client-query-buffer-limit", "1mb"), {
      t: "simple",
      v: "OK",
    });
    // A 2 MB value announced, 1.5 MB of it sent: the request never completes, the buffer grows.
    const head = new TextEncoder().encode(
      `*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${2 * 1024 * 1024}\r\n`,
    );
    await conn.write(head);
    const chunk = new Uint8Array(64 * 1024).fill(120);
    let written = 0;
    try {
      while (written < 1.5 * 1024 * 1024) written += await conn.write(chunk);
    } catch {
      // Closed by the server while we were still writing: the outcome under test.
    }
    const buf = new Uint8Array(64);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null), // EOF, or reset by the peer
      new Promise<"open">((resolve) => timer = setTimeout(() => resolve("open"), 10_000)),
    ]);
    clearTimeout(timer);
    assert.equal(n, null, "the server closed the connection without a reply");
    // Others are served; the limit is the one set.
    assert.deepEqual(await admin.one("EXISTS", "big"), { t: "integer", v: 0 });
    assert.deepEqual(await admin.one("CONFIG", "GET", "client-query-buffer-limit"), {
      t: "array",
      v: [{ t: "bulk", v: "client-query-buffer-limit" }, { t: "bulk", v: "1048576" }],
    });
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
    await admin.close();
    await atlas.stop();
  }
});
