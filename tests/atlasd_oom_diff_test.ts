/**
 * Over maxmemory, side by side with redis-server 7.0.15: what is refused and what still runs.
 * Redis compares its whole allocation with maxmemory, so `maxmemory 1` refuses every denyoom write
 * even with no key (atlasd counts Redis's startup memory for the server itself); scripts follow
 * Redis's rules (a shebang script without allow-oom is refused whole, allow-oom writes anyway, a
 * script without flags is refused at its first denyoom write only); FUNCTION LOAD / RESTORE are
 * denyoom; an EXEC holding a denyoom command is aborted whole (EXECABORT) once memory is over.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  replyDifferences,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const ALLOW_OOM_SCRIPT = "#!lua flags=allow-oom\nredis.call('set','x',1)\nreturn 1";
const LIBRARY = "#!lua name=oomlib\n" +
  "redis.register_function{function_name='allowed', callback=function() " +
  "return redis.call('set','y','1') end, flags={'allow-oom'}}\n" +
  "redis.register_function('plain', function() return redis.call('set','z','1') end)";

Deno.test("over maxmemory: writes, scripts, functions and EXEC are refused as redis-server refuses them", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const setup = await replyDifferences(redis, atlas, [
      ["FLUSHALL"],
      ["FUNCTION", "FLUSH"],
      ["FUNCTION", "LOAD", LIBRARY],
      ["SET", "pad", "1"],
      ["FUNCTION", "DUMP"],
    ], (reply, i) => i === 4 ? reply.t : JSON.stringify(reply));
    assert.deepEqual(setup, []);
    const [dump] = await atlas.call(["FUNCTION", "DUMP"]);
    const payload = (dump as { v: string }).v;

    // A transaction queued before memory went over: EXEC refuses it whole.
    const queued = [
      await RawClient.connect(servers.redisPort),
      await RawClient.connect(servers.atlasPort),
    ];
    try {
      for (const client of queued) {
        await client.call(["MULTI"], ["SET", "q", "1"], ["GET", "q"]);
      }
      const differences = await replyDifferences(redis, atlas, [
        ["CONFIG", "RESETSTAT"],
        ["CONFIG", "SET", "maxmemory", "1"],
        // Data commands: denyoom ones refused, the others run.
        ["SET", "a", "1"],
        ["RPUSH", "list", "a"],
        ["GET", "pad"],
        ["INCRBY", "pad", "1"],
        ["EXPIRE", "pad", "100"],
        ["PERSIST", "pad"],
        // Scripts: without flags, refused at the first denyoom call; a read runs.
        ["EVAL", "redis.call('set','x',1)", "0"],
        ["EVAL", "return redis.pcall('set','x',1)", "0"],
        ["EVAL", "return redis.call('get','pad')", "0"],
        ["EVAL", "redis.call('del','nosuch') return redis.call('set','x',1)", "0"],
        // With a shebang: refused whole unless allow-oom or no-writes.
        ["EVAL", "#!lua\nreturn 1", "0"],
        ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','pad')", "0"],
        ["EVAL", ALLOW_OOM_SCRIPT, "1", "x"],
        ["GET", "x"],
        // Functions always have flags.
        ["FCALL", "allowed", "0"],
        ["FCALL", "plain", "0"],
        ["GET", "y"],
        // FUNCTION LOAD and RESTORE are denyoom; the other subcommands are not.
        ["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('f', function() end)"],
        ["FUNCTION", "RESTORE", payload, "REPLACE"],
        ["FUNCTION", "LOAD"],
        ["FUNCTION", "DELETE", "nosuchlib"],
        // MULTI refuses to queue while out of memory.
        ["MULTI"],
        ["SET", "m", "1"],
        ["EXEC"],
      ]);
      // A command refused for memory never ran: rejected_calls, not calls and failed_calls.
      const [redisStats, atlasStats] = [await callStats(redis), await callStats(atlas)];
      assert.match(redisStats, /cmdstat_rpush:calls=0,rejected_calls=1,failed_calls=0/);
      assert.equal(atlasStats, redisStats);
      const [redisExec] = await queued[0].call(["EXEC"]);
      const [atlasExec] = await queued[1].call(["EXEC"]);
      assert.deepEqual(redisExec, {
        t: "error",
        v: "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
      });
      assert.deepEqual(atlasExec, redisExec);
      differences.push(
        ...await replyDifferences(redis, atlas, [
          ["EXISTS", "q"],
          ["CONFIG", "SET", "maxmemory", "0"],
          ["SET", "a", "1"],
          ["EVAL", "redis.call('set','x',2) return redis.call('get','x')", "0"],
        ]),
      );
      assert.deepEqual(differences, [], differences.join("\n"));
    } finally {
      for (const client of queued) await client.close();
    }
  }));

/** INFO commandstats and errorstats without the timings: the counts of calls, refusals, errors. */
async function callStats(client: RawClient): Promise<string> {
  const [commands] = await client.call(["INFO", "commandstats"]);
  const [errors] = await client.call(["INFO", "errorstats"]);
  const text = (commands as { v: string }).v + (errors as { v: string }).v;
  return text.split("\r\n").filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+,/, "")).sort().join("\n");
}
