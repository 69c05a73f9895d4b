/**
 * Store-level differential fuzz of BITOP / BITFIELD / BITFIELD_RO against a real redis-server 7:
 * seeded random calls over a few string keys (plus one list for WRONGTYPE), every field width
 * class at unaligned and `#N` offsets, every overflow mode, values at the int64 edges; replies
 * compared exactly (int64 replies as bigints) and the keys' bytes compared at the end of each
 * seed. Replay a failure with the printed SEED.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, startRedis } from "../testing/atlasd_harness.ts";
import type { Reply } from "./reply.ts";
import { Store } from "./store.ts";

const KEYS = ["b0", "b1", "b2", "b3", "lst"];

function bitCommands(seed: number): () => string[] {
  let s = seed;
  const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)];
  const key = () => pick(KEYS);
  const type = () =>
    pick([
      ...["i1", "u1", "i2", "u3", "i5", "u5", "i7", "u8", "i8", "i13", "u16", "i16"],
      ...["u31", "i32", "u32", "i33", "u53", "i54", "u62", "i63", "u63", "i64", "u64", "x8"],
    ]);
  const offset = () =>
    pick(["0", "1", "5", "7", "9", "30", "63", "64", "100", "#0", "#1", "#3", "-1", "x"]);
  const num = () =>
    pick([
      ...["0", "1", "-1", "2", "-2", "7", "-8", "15", "16", "127", "128", "-128", "-129"],
      ...["255", "256", "65535", "-32768", "2147483647", "-2147483648", "4294967296"],
      ...["4611686018427387904", "-4611686018427387905", "9007199254740993"],
      ...["9223372036854775807", "-9223372036854775808", "-9223372036854775681", "z"],
    ]);
  const fieldOp = () =>
    pick([
      () => ["GET", type(), offset()],
      () => ["SET", type(), offset(), num()],
      () => ["INCRBY", type(), offset(), num()],
      () => ["OVERFLOW", pick(["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"])],
    ])();
  const gens: (() => string[])[] = [
    () => [
      "SET",
      key(),
      pick(["", "a", "\xff\x00\x81", "foobar", "\x7f\xff\xff\xff\xff\xff\xff\xff\xff"]),
    ],
    () => [
      "BITOP",
      pick(["AND", "OR", "XOR", "NOT"]),
      key(),
      ...Array.from({ length: 1 + Math.floor(rnd() * 3) }, key),
    ],
    () => ["BITFIELD", key(), ...Array.from({ length: Math.floor(rnd() * 6) }, fieldOp).flat()],
    () => ["BITFIELD", key(), ...Array.from({ length: Math.floor(rnd() * 6) }, fieldOp).flat()],
    () => ["BITFIELD_RO", key(), ...Array.from({ length: Math.floor(rnd() * 4) }, fieldOp).flat()],
    () => ["SETBIT", key(), pick(["0", "13", "70"]), pick(["0", "1"])],
    () => ["GET", key()],
    () => ["DEL", key()],
  ];
  return () => pick(gens)();
}

/** A Reply as a RESP2 client sees it, in the harness's RespValue shape. */
function asResp2(r: Reply): RespValue {
  switch (r.kind) {
    case "integer": {
      const n = Number(r.value);
      return { t: "integer", v: Number.isSafeInteger(n) ? n : BigInt(r.value) };
    }
    case "nil":
    case "nilArray":
      return { t: "nil" };
    case "array":
      return { t: "array", v: r.value.map(asResp2) };
    case "simple":
    case "error":
    case "bulk":
      return { t: r.kind, v: r.value };
    default:
      throw new Error(`unexpected reply kind ${r.kind}`);
  }
}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}n` : x);

Deno.test("BITOP / BITFIELD / BITFIELD_RO answer like redis-server 7 for random calls", async () => {
  const redis = await startRedis();
  const client = await RawClient.connect(redis.port);
  try {
    for (const seed of [1, 2, 3, 4]) {
      await client.one("FLUSHALL");
      const store = new Store();
      const ctx = { nowMs: 0, random: () => 0 };
      for (const argv of [["RPUSH", "lst", "x"]]) {
        store.execute(argv, ctx);
        await client.one(...argv);
      }
      const next = bitCommands(seed);
      for (let i = 0; i < 2000; i++) {
        const argv = next();
        const mine = show(asResp2(store.execute(argv, ctx).reply));
        const theirs = show(await client.one(...argv));
        assert.equal(mine, theirs, `SEED=${seed} step ${i} ${show(argv)}`);
      }
      for (const key of KEYS.filter((k) => k !== "lst")) {
        const mine = show(asResp2(store.execute(["GET", key], ctx).reply));
        assert.equal(mine, show(await client.one("GET", key)), `SEED=${seed} final ${key}`);
      }
    }
  } finally {
    await client.close();
    await redis.stop();
  }
});
