/**
 * Client-side caching (CLIENT TRACKING) against a real redis-server: the same steps on both
 * servers — a RESP3 tracker, a RESP2 tracker redirecting to a RESP2 subscriber of
 * `__redis__:invalidate`, a RESP3 BCAST tracker and a writer — and every frame each connection
 * received, invalidation pushes and messages included, must match in order.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  parseValue,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

type Conn = "t3" | "t2" | "sub" | "b3" | "w";
const CONNS: Conn[] = ["t3", "t2", "sub", "b3", "w"];

/** `{sub}` is replaced by the subscriber's client ID on each server. */
const STEPS: [Conn, string[]][] = [
  ["sub", ["SUBSCRIBE", "__redis__:invalidate"]],
  ["t3", ["CLIENT", "TRACKING", "ON"]],
  ["t2", ["CLIENT", "TRACKING", "ON", "REDIRECT", "{sub}"]],
  ["b3", ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "k", "NOLOOP"]],
  ["t3", ["GET", "k1"]],
  ["t3", ["MGET", "k1", "k2"]],
  ["t3", ["HGET", "h", "f"]],
  ["t2", ["GET", "k1"]],
  ["w", ["SET", "k1", "v"]],
  ["w", ["HSET", "h", "f", "v"]],
  ["w", ["SET", "k1", "again"]],
  ["t3", ["SET", "k2", "mine"]],
  ["t3", ["CLIENT", "TRACKINGINFO"]],
  ["b3", ["CLIENT", "TRACKINGINFO"]],
  ["w", ["MSET", "user:1", "a", "user:2", "b", "other", "c"]],
  ["b3", ["SET", "user:3", "x"]],
  ["t3", ["GET", "k1"]],
  ["t3", ["MULTI"]],
  ["t3", ["GET", "k2"]],
  ["t3", ["EXEC"]],
  ["w", ["DEL", "k1", "k2"]],
  ["t3", ["CLIENT", "TRACKING", "OFF"]],
  ["t3", ["CLIENT", "TRACKING", "ON", "OPTIN"]],
  ["t3", ["GET", "a"]],
  ["t3", ["CLIENT", "CACHING", "YES"]],
  ["t3", ["GET", "b"]],
  ["w", ["MSET", "a", "1", "b", "2"]],
  ["t2", ["GET", "k1"]],
  ["w", ["FLUSHALL"]],
  ["t2", ["CLIENT", "TRACKING", "OFF"]],
  ["w", ["SET", "k1", "z"]],
  ["sub", ["PING"]],
];

/** The steps send and receive ASCII only, so any single-byte decoding will do. */
const latin1 = new TextDecoder("latin1");

async function transcript(port: number): Promise<Record<Conn, RespValue[]>> {
  const conns = {} as Record<Conn, Deno.TcpConn>;
  const received = {} as Record<Conn, string>;
  const readers: Promise<void>[] = [];
  for (const name of CONNS) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns[name] = conn;
    received[name] = "";
    readers.push(
      (async () => {
        const buf = new Uint8Array(65536);
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          received[name] += latin1.decode(buf.subarray(0, n));
        }
      })().catch(() => {}),
    );
  }
  const settle = () => new Promise((r) => setTimeout(r, 40));
  await conns.t3.write(encodeCommand(["HELLO", "3"]));
  await conns.b3.write(encodeCommand(["HELLO", "3"]));
  await conns.sub.write(encodeCommand(["CLIENT", "ID"]));
  await settle();
  const subId = received.sub.slice(1, received.sub.indexOf("\r\n"));
  // HELLO's map names the server, CLIENT ID differs: setup is not compared.
  for (const name of CONNS) received[name] = "";
  for (const [conn, argv] of STEPS) {
    await conns[conn].write(encodeCommand(argv.map((a) => a === "{sub}" ? subId : a)));
    await settle();
  }
  for (const conn of Object.values(conns)) conn.close();
  await Promise.all(readers);
  const frames = {} as Record<Conn, RespValue[]>;
  for (const name of CONNS) {
    const text = received[name];
    frames[name] = [];
    for (let pos = 0; pos < text.length;) {
      const parsed = parseValue(text, pos);
      assert.ok(parsed !== null, `${name}: incomplete frame at ${pos}`);
      frames[name].push(parsed[0]);
      pos = parsed[1];
    }
  }
  return frames;
}

Deno.test("client tracking: atlasd's frames match redis-server's, pushes included", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port);
    const got = await transcript(atlas.port);
    for (const conn of CONNS) assert.deepEqual(got[conn], want[conn], conn);
    const pushes = want.t3.filter((f) => f.t === "push").length;
    assert.ok(pushes >= 5 && want.sub.length >= 4, "the steps produced invalidations");
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
