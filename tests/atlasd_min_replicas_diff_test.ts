/**
 * min-replicas-to-write / min-replicas-max-lag side by side with redis-server 7.0.15. Neither
 * server has a replica here, so with both settings above 0 each refuses writes with NOREPLICAS:
 * commands, a write queued in MULTI, an EXEC whose block was queued before, scripts with a
 * shebang that may write, the writes of a script without flags, functions without no-writes.
 * Reads, no-writes scripts and a max-lag of 0 are not refused.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  replyDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const LIBRARY = "#!lua name=replib\n" +
  "redis.register_function('writer', function() return redis.call('set','x','2') end)\n" +
  "redis.register_function{function_name='reader', callback=function() " +
  "return redis.call('get','x') end, flags={'no-writes'}}";

/** INFO replication's field names, in order. */
function replicationFields(reply: unknown): string {
  const text = (reply as { v: string }).v;
  return text.split("\r\n").filter((l) => l.includes(":")).map((l) => l.split(":")[0]).join(",");
}

Deno.test("min-replicas-to-write refuses writes with NOREPLICAS as redis-server does", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const queued = [
      await RawClient.connect(servers.redisPort),
      await RawClient.connect(servers.atlasPort),
    ];
    try {
      const differences = await replyDifferences(redis, atlas, [
        ["FLUSHALL"],
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", LIBRARY],
        ["SET", "x", "some value"],
        ["CONFIG", "GET", "min-replicas-to-write"],
        ["CONFIG", "GET", "min-replicas-max-lag"],
        ["CONFIG", "GET", "min-slaves-to-write"],
        ["CONFIG", "SET", "min-replicas-to-write", "-1"],
        ["CONFIG", "SET", "min-slaves-max-lag", "x"],
      ]);
      for (const client of queued) await client.call(["MULTI"], ["SET", "q", "1"]);
      differences.push(
        ...await replyDifferences(redis, atlas, [
          ["CONFIG", "SET", "min-replicas-to-write", "1"],
          ["CONFIG", "GET", "min-slaves-to-write"],
          ["SET", "x", "1"],
          ["INCR", "n"],
          ["GET", "x"],
          ["DEL", "x"],
          ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "1", "x"],
          ["EVAL", "return redis.call('get','x')", "1", "x"],
          ["EVAL", "#!lua\nreturn redis.call('get','x')", "1", "x"],
          ["EVAL", "return redis.call('set','x',1)", "1", "x"],
          ["EVAL", "return redis.pcall('set','x',1)", "1", "x"],
          ["FCALL", "writer", "0"],
          ["FCALL", "reader", "0"],
          ["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('f', function() end)"],
          ["FUNCTION", "LIST", "LIBRARYNAME", "nosuch"],
          ["MULTI"],
          ["SET", "m", "1"],
          ["GET", "x"],
          ["EXEC"],
        ]),
      );
      const [redisExec] = await queued[0].call(["EXEC"]);
      const [atlasExec] = await queued[1].call(["EXEC"]);
      assert.deepEqual(redisExec, {
        t: "error",
        v: "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.",
      });
      assert.deepEqual(atlasExec, redisExec);
      const [redisInfo] = await redis.call(["INFO", "replication"]);
      const [atlasInfo] = await atlas.call(["INFO", "replication"]);
      assert.match(replicationFields(redisInfo), /connected_slaves,min_slaves_good_slaves,/);
      assert.equal(
        replicationFields(atlasInfo).replace(/,slave\d+/g, ""),
        replicationFields(redisInfo).replace(/,slave\d+/g, ""),
      );
      differences.push(
        ...await replyDifferences(redis, atlas, [
          // A max lag of 0 turns the check off, as does min-replicas-to-write 0.
          ["CONFIG", "SET", "min-replicas-max-lag", "0"],
          ["SET", "x", "2"],
          ["CONFIG", "SET", "min-replicas-max-lag", "10"],
          ["SET", "x", "3"],
          ["CONFIG", "SET", "min-replicas-to-write", "0"],
          ["SET", "x", "4"],
          ["GET", "x"],
        ]),
      );
      assert.deepEqual(differences, [], differences.join("\n"));
    } finally {
      for (const client of queued) await client.close();
    }
  }));
