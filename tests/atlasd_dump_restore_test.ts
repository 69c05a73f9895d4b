/**
 * DUMP / RESTORE between a real redis-server 7.0.15 and a real atlasd: values of every type (in
 * every encoding Redis 7.0 picks for them) are dumped by Redis and restored into atlasd, then
 * dumped by atlasd and restored back into Redis (with sanitize-dump-payload yes, Redis's deep
 * check), and their contents compared on both sides. A restored key with a TTL also survives an
 * atlasd restart (AOF replay) with the same deadline.
 */
import assert from "node:assert/strict";
import {
  type Proc,
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";
import { binaryToBytes } from "../atlas/store/binary.ts";
import { RdbReader } from "../atlas/store/rdb_reader.ts";
import {
  contentOf,
  EVERY_ENCODING,
  everyEncodingCommands,
  text,
} from "../atlas/testing/every_encoding.ts";

async function populate(c: RawClient): Promise<void> {
  for (const reply of await c.call(...everyEncodingCommands())) {
    assert.notEqual(reply.t, "error", JSON.stringify(reply));
  }
}

function bulkOf(v: RespValue): string {
  assert.equal(v.t, "bulk", text(v));
  return (v as { v: string }).v;
}

Deno.test("DUMP payloads move between redis-server 7.0.15 and atlasd, both ways", async () => {
  const redisProc = await startRedis();
  const dataDir = await Deno.makeTempDir({ prefix: "atlasd_dump_" });
  let atlasProc: Proc | null = null;
  let redis: RawClient | null = null;
  let atlas: RawClient | null = null;
  try {
    atlasProc = await startAtlasd(["--sync-mode", "every"], dataDir);
    redis = await RawClient.connect(redisProc.port);
    atlas = await RawClient.connect(atlasProc.port);
    // Arity, flags and key positions as Redis's COMMAND INFO (ACL categories and the rest aside).
    const info = async (c: RawClient) => {
      const all = await c.one("COMMAND", "INFO", "dump", "restore", "restore-asking");
      return text({
        t: "array",
        v: (all as { v: { v: RespValue[] }[] }).v.map((e) => ({
          t: "array",
          v: e.v.slice(0, 6),
        })),
      });
    };
    assert.equal(await info(atlas), await info(redis));
    await populate(redis);
    for (const [key, encoding] of Object.entries(EVERY_ENCODING)) {
      assert.equal(bulkOf(await redis.one("OBJECT", "ENCODING", key)), encoding, key);
    }
    // The big list is several quicklist nodes (each a listpack Redis LZF-compressed).
    const bigList = new RdbReader(binaryToBytes(bulkOf(await redis.one("DUMP", "l:big"))), 1e9);
    assert.equal(bigList.byte(), 18);
    assert.ok(bigList.count() > 5);

    // Redis → atlasd.
    for (const key of Object.keys(EVERY_ENCODING)) {
      const payload = bulkOf(await redis.one("DUMP", key));
      assert.deepEqual(
        await atlas.one("RESTORE", key, "0", payload),
        { t: "simple", v: "OK" },
        key,
      );
      assert.equal(
        await contentOf(atlas, key),
        await contentOf(redis, key),
        `redis → atlasd ${key}`,
      );
    }
    // atlasd → Redis, under new names, compared with the originals. Redis checks each payload
    // in depth (every listpack entry, stream node and PEL), not only its header.
    assert.deepEqual(await redis.one("CONFIG", "SET", "sanitize-dump-payload", "yes"), {
      t: "simple",
      v: "OK",
    });
    for (const key of Object.keys(EVERY_ENCODING)) {
      const payload = bulkOf(await atlas.one("DUMP", key));
      const back = `back:${key}`;
      assert.deepEqual(
        await redis.one("RESTORE", back, "0", payload),
        { t: "simple", v: "OK" },
        key,
      );
      const original = await contentOf(redis, key);
      assert.equal(await contentOf(redis, back), original, `atlasd → redis ${key}`);
    }
    // Redis picks its compact encodings again for what ATLAS wrote in the plain ones.
    for (const key of ["set:intset", "set:small", "h:small", "z:small", "l:small", "s:int"]) {
      const want = bulkOf(await redis.one("OBJECT", "ENCODING", key));
      assert.equal(bulkOf(await redis.one("OBJECT", "ENCODING", `back:${key}`)), want, key);
    }
    // Lists and streams are written as Redis writes them (it compressed none of these).
    for (const key of ["l:small", "x:empty", "s:int", "s:embstr"]) {
      assert.equal(bulkOf(await atlas.one("DUMP", key)), bulkOf(await redis.one("DUMP", key)), key);
    }

    // TTLs: relative and absolute, both ways; then an atlasd restart replays the AOF.
    const payload = bulkOf(await redis.one("DUMP", "h:large"));
    assert.deepEqual(await atlas.one("RESTORE", "ttl:rel", "600000", payload), {
      t: "simple",
      v: "OK",
    });
    const deadline = (await atlas.one("PEXPIRETIME", "ttl:rel") as { v: number }).v;
    assert.ok(Math.abs(deadline - Date.now() - 600_000) < 5_000);
    const far = String(Date.now() + 3_600_000);
    await atlas.one("RESTORE", "ttl:abs", far, payload, "ABSTTL");
    await redis.one(
      "RESTORE",
      "ttl:abs",
      far,
      bulkOf(await atlas.one("DUMP", "ttl:abs")),
      "ABSTTL",
    );
    assert.deepEqual(await redis.one("PEXPIRETIME", "ttl:abs"), { t: "integer", v: Number(far) });
    const kept = ["ttl:rel", "x:stream", "l:big"];
    const before: string[] = [];
    for (const k of kept) before.push(await contentOf(atlas, k));
    await atlas.close();
    await atlasProc.stop();
    atlasProc = null;
    atlasProc = await startAtlasd(["--sync-mode", "every"], dataDir);
    atlas = await RawClient.connect(atlasProc.port);
    assert.deepEqual(await atlas.one("PEXPIRETIME", "ttl:rel"), { t: "integer", v: deadline });
    assert.deepEqual(await atlas.one("PEXPIRETIME", "ttl:abs"), { t: "integer", v: Number(far) });
    const after: string[] = [];
    for (const k of kept) after.push(await contentOf(atlas, k));
    assert.deepEqual(after, before);
  } finally {
    await redis?.close();
    await atlas?.close();
    await atlasProc?.stop();
    await redisProc.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
