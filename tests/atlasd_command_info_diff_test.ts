/**
 * Side by side with redis-server 7.0: COMMAND INFO of every command both servers have — arity,
 * flags (names and order), legacy key positions and ACL categories (names and order). Tips, key
 * specifications and subcommands are atlasd's documented difference (empty) and not compared.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

type Info = Map<string, string>;

/** COMMAND's reply as name -> the compared elements, rendered as one comparable string. */
async function commandTable(port: number): Promise<Info> {
  const client = await RawClient.connect(port);
  try {
    const [reply] = await client.call(["COMMAND"]);
    const table: Info = new Map();
    for (const entry of (reply as { v: RespValue[] }).v) {
      const fields = (entry as { v: RespValue[] }).v;
      const name = (fields[0] as { v: string }).v;
      table.set(name, JSON.stringify(fields.slice(1, 7)));
    }
    return table;
  } finally {
    await client.close();
  }
}

Deno.test("COMMAND INFO: arity, flags, key positions and ACL categories match redis-server", async () => {
  const redisProc = await startRedis();
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  try {
    const redis = await commandTable(redisProc.port);
    const atlas = await commandTable(atlasProc.port);
    const shared = [...atlas.keys()].filter((name) => redis.has(name)).sort();
    assert.ok(shared.length >= 200, `${shared.length} commands in common`);
    const differing = shared
      .filter((name) => atlas.get(name) !== redis.get(name))
      .map((name) => `${name}: redis ${redis.get(name)} atlasd ${atlas.get(name)}`);
    assert.deepEqual(differing, []);
  } finally {
    await atlasProc.stop();
    await redisProc.stop();
  }
});
