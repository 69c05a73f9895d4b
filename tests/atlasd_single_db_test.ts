/**
 * atlasd with `atlas.databases: 1` must answer MOVE / SWAPDB / SELECT
 * as a redis-server with `--databases 1` does (atlasd_databases_diff_test.ts compares the default
 * 16 databases). Also checks that COMMAND INFO of the bit and db commands matches Redis's
 * arity, flags and key positions.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

const SINGLE_DB_SCRIPT: string[][] = [
  ["SET", "k", "v"],
  ["HSET", "h", "f", "v"],
  ["MOVE", "k", "0"],
  ["MOVE", "k", "1"],
  ["MOVE", "h", "1"],
  ["MOVE", "nokey", "0"],
  ["MOVE", "nokey", "1"],
  ["MOVE", "k", "-1"],
  ["MOVE", "k", "15"],
  ["MOVE", "k", "2147483647"],
  ["MOVE", "k", "2147483648"],
  ["MOVE", "k", "-2147483649"],
  ["MOVE", "k", "99999999999999999999"],
  ["MOVE", "k", "x"],
  ["MOVE", "k", " 1"],
  ["MOVE", "k", "+1"],
  ["MOVE", "k", "-0"],
  ["MOVE", "k"],
  ["MOVE", "k", "1", "2"],
  ["SWAPDB", "0", "0"],
  ["SWAPDB", "0", "1"],
  ["SWAPDB", "1", "0"],
  ["SWAPDB", "1", "1"],
  ["SWAPDB", "-1", "0"],
  ["SWAPDB", "0", "-1"],
  ["SWAPDB", "x", "0"],
  ["SWAPDB", "0", "x"],
  ["SWAPDB", "x", "y"],
  ["SWAPDB", "2147483648", "0"],
  ["SWAPDB", "0", "2147483648"],
  ["SWAPDB", "00", "0"],
  ["SWAPDB", "0"],
  ["SELECT", "1"],
  ["SELECT", "0"],
  ["GET", "k"],
  ["HGET", "h", "f"],
  ["MULTI"],
  ["MOVE", "k", "0"],
  ["SWAPDB", "0", "0"],
  ["EXEC"],
  ["DBSIZE"],
];

const INFO_COMMANDS = ["bitop", "bitfield", "bitfield_ro", "move", "swapdb", "setbit"];

/** Name, arity, flags (sorted), first key, last key, step: the part both servers share. */
function infoHead(entry: RespValue): unknown {
  if (entry.t !== "array") return entry;
  const [name, arity, flags, first, last, step] = entry.v;
  const flagList = flags.t === "array" || flags.t === "set"
    ? flags.v.map((f) => ("v" in f ? f.v : null)).sort()
    : flags;
  return [name, arity, flagList, first, last, step];
}

Deno.test("with databases 1: MOVE / SWAPDB / SELECT answer like redis-server --databases 1", async () => {
  const redis = await startRedis(["--save", "", "--appendonly", "no", "--databases", "1"]);
  const atlas = await startAtlasd(["--sync-mode", "none"], undefined, {
    env: { HELIOS_ATLAS__DATABASES: "1" },
  });
  const mismatches: string[] = [];
  try {
    for (const proto of ["2", "3"]) {
      const r = await RawClient.connect(redis.port);
      const a = await RawClient.connect(atlas.port);
      try {
        await r.one("HELLO", proto);
        await a.one("HELLO", proto);
        await r.one("FLUSHALL");
        await a.one("FLUSHALL");
        for (const argv of SINGLE_DB_SCRIPT) {
          const want = JSON.stringify(await r.one(...argv));
          const got = JSON.stringify(await a.one(...argv));
          if (want !== got) {
            mismatches.push(`RESP${proto} ${argv.join(" ")}\n  redis: ${want}\n  atlasd: ${got}`);
          }
        }
      } finally {
        await r.close();
        await a.close();
      }
    }
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});

Deno.test("COMMAND INFO of BITOP BITFIELD BITFIELD_RO MOVE SWAPDB matches Redis's", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const r = await RawClient.connect(redis.port);
    const a = await RawClient.connect(atlas.port);
    try {
      const want = await r.one("COMMAND", "INFO", ...INFO_COMMANDS);
      const got = await a.one("COMMAND", "INFO", ...INFO_COMMANDS);
      assert.ok(want.t === "array" && got.t === "array");
      assert.deepEqual(got.v.map(infoHead), want.v.map(infoHead));
      const docs = await a.one("COMMAND", "DOCS", "bitfield");
      assert.equal(docs.t, "array");
      const list = await a.one("COMMAND", "LIST");
      assert.ok(list.t === "array");
      const names = list.v.map((n) => ("v" in n ? n.v : ""));
      for (const name of INFO_COMMANDS) assert.ok(names.includes(name), name);
    } finally {
      await r.close();
      await a.close();
    }
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
