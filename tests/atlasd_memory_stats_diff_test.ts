/**
 * MEMORY against a real redis-server 7.0: MEMORY STATS gives Redis's field names in Redis's order
 * with Redis's value types (RESP2 and RESP3; db.0 only once it holds keys), keys.count as Redis's
 * after the same writes; the other subcommands reply with Redis's reply types. The numbers
 * themselves are each server's own.
 */
import assert from "node:assert/strict";
import {
  type RawClient,
  type RespValue,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

/** A reply's shape: its types, with map keys / RESP2 pair names kept as text. */
type Shape = string | [string, Shape][];

function statsShape(v: RespValue): Shape {
  if (v.t === "map") return v.v.map(([k, x]) => [name(k), statsShape(x)]);
  if (v.t === "array") {
    const pairs: [string, Shape][] = [];
    for (let i = 0; i < v.v.length; i += 2) pairs.push([name(v.v[i]), statsShape(v.v[i + 1])]);
    return pairs;
  }
  return v.t;
}

function name(v: RespValue): string {
  assert.ok(v.t === "bulk" || v.t === "simple", `field name ${JSON.stringify(v)}`);
  return v.v;
}

function keysCount(v: RespValue): number {
  const items = v.t === "map" ? v.v.flat() : v.t === "array" ? v.v : [];
  const i = items.findIndex((x) => x.t === "bulk" && x.v === "keys.count");
  const n = items[i + 1];
  assert.ok(i >= 0 && n.t === "integer", `keys.count in ${JSON.stringify(v)}`);
  return Number(n.v);
}

async function bothStats(redis: RawClient, atlas: RawClient): Promise<[RespValue, RespValue]> {
  return [await redis.one("MEMORY", "STATS"), await atlas.one("MEMORY", "STATS")];
}

Deno.test("atlasd MEMORY STATS: Redis 7.0's fields, order and value types, RESP2 and RESP3", async () => {
  await withRedisAndAtlasd(async (redis, atlas) => {
    for (const proto of ["2", "3"]) {
      for (const c of [redis, atlas]) {
        await c.one("HELLO", proto);
        await c.one("FLUSHALL");
      }
      // Empty: no db.0 entry.
      let [r, a] = await bothStats(redis, atlas);
      assert.equal(r.t, proto === "3" ? "map" : "array");
      assert.deepEqual(statsShape(a), statsShape(r), `RESP${proto}, empty`);
      assert.ok(!JSON.stringify(statsShape(r)).includes("db.0"));
      // The same writes on both: db.0 appears, keys.count agrees.
      for (const c of [redis, atlas]) {
        await c.call(["SET", "a", "1"], ["SET", "b", "2", "EX", "100"], ["RPUSH", "l", "x", "y"]);
      }
      [r, a] = await bothStats(redis, atlas);
      assert.deepEqual(statsShape(a), statsShape(r), `RESP${proto}, 3 keys`);
      assert.ok(JSON.stringify(statsShape(r)).includes("db.0"));
      assert.equal(keysCount(a), 3);
      assert.equal(keysCount(a), keysCount(r));
    }
  });
});

Deno.test("atlasd MEMORY USAGE / DOCTOR / MALLOC-STATS / PURGE / HELP: Redis's reply types", async () => {
  await withRedisAndAtlasd(async (redis, atlas) => {
    for (const proto of ["2", "3"]) {
      for (const c of [redis, atlas]) {
        await c.one("HELLO", proto);
        await c.one("SET", "k", "v");
      }
      for (
        const argv of [
          ["USAGE", "k"],
          ["USAGE", "nokey"],
          ["DOCTOR"],
          ["MALLOC-STATS"],
          ["PURGE"],
          ["HELP"],
        ]
      ) {
        const r = await redis.one("MEMORY", ...argv);
        const a = await atlas.one("MEMORY", ...argv);
        assert.equal(a.t, r.t, `RESP${proto} MEMORY ${argv.join(" ")}`);
        // HELP: lines of simple strings, as Redis's (the texts, and so their count, are atlasd's).
        if (r.t === "array" && a.t === "array") {
          const kinds = (v: RespValue[]) => [...new Set(v.map((x) => x.t))];
          assert.deepEqual(kinds(a.v), kinds(r.v), `RESP${proto} HELP lines`);
        }
      }
    }
  });
});
