/**
 * CLIENT PAUSE WRITE side by side with redis-server 7.0.15, where scripts and expiry meet it
 * (Redis's unit/pause): a script that declares `no-writes` is no write, so it runs during the
 * pause (EVAL, EVALSHA, FCALL, inside MULTI too) while one that may write is held; and the
 * dataset stays as it is — an expired key reads as gone but is not deleted (DBSIZE still counts
 * it, expired_keys stays 0) until the pause ends.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const NO_WRITES = "#!lua flags=no-writes\nreturn 2";
const LIBRARY = "#!lua name=pauselib\n" +
  "redis.register_function{function_name='ro', callback=function() return 3 end, " +
  "flags={'no-writes'}}";

/** The replies to `commands` if they come within `ms`, else "held". */
async function within(
  client: RawClient,
  commands: string[][],
  ms: number,
): Promise<RespValue[] | "held"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"held">((resolve) => timer = setTimeout(() => resolve("held"), ms));
  try {
    return await Promise.race([client.call(...commands), late]);
  } finally {
    clearTimeout(timer);
  }
}

function field(info: RespValue, name: string): string {
  const match = (info as { v: string }).v.match(new RegExp(`${name}:(\\d+)`));
  assert.ok(match, name);
  return match[1];
}

Deno.test("CLIENT PAUSE WRITE: no-writes scripts run, others wait; expired keys stay until it ends", () =>
  withRedisAndAtlasd(async (redis, atlas, servers) => {
    const outcomes: Record<string, unknown>[] = [];
    for (
      const [client, port] of [[redis, servers.redisPort], [atlas, servers.atlasPort]] as const
    ) {
      const other = await RawClient.connect(port);
      try {
        await client.call(["FLUSHALL"], ["FUNCTION", "FLUSH"], ["CONFIG", "RESETSTAT"]);
        await client.call(["FUNCTION", "LOAD", LIBRARY], ["SCRIPT", "LOAD", NO_WRITES]);
        const sha = (await client.one("SCRIPT", "LOAD", NO_WRITES) as { v: string }).v;
        // The key expires 10 ms later, inside the pause the same transaction starts.
        await client.call(
          ["MULTI"],
          ["SET", "foo", "bar", "PX", "10"],
          ["CLIENT", "PAUSE", "10000", "WRITE"],
          ["EXEC"],
        );
        const outcome: Record<string, unknown> = {
          eval: await within(other, [["EVAL", NO_WRITES, "0"]], 1000),
          evalsha: await within(other, [["EVALSHA", sha, "0"]], 1000),
          fcall: await within(other, [["FCALL", "ro", "0"]], 1000),
          multi: await within(other, [["MULTI"], ["EVAL", NO_WRITES, "0"], ["EXEC"]], 1000),
        };
        await new Promise((resolve) => setTimeout(resolve, 300));
        outcome.get = await within(other, [["GET", "foo"]], 1000);
        outcome.dbsize = await within(other, [["DBSIZE"]], 1000);
        outcome.expiredDuring = field(await other.one("INFO", "stats"), "expired_keys");
        // A script that may write waits for the end of the pause.
        const writer = other.call(["EVAL", "#!lua\nreturn redis.call('set','k','v')", "0"]);
        outcome.writer = await Promise.race([
          writer.then(() => "answered"),
          new Promise((resolve) => setTimeout(() => resolve("held"), 300)),
        ]);
        await client.one("CLIENT", "UNPAUSE");
        outcome.writerAfter = await writer;
        outcome.getAfter = await other.one("GET", "foo");
        outcome.dbsizeAfter = await other.one("DBSIZE");
        outcome.expiredAfter = field(await other.one("INFO", "stats"), "expired_keys");
        outcomes.push(outcome);
      } finally {
        await client.one("CLIENT", "UNPAUSE");
        await other.close();
      }
    }
    const [redisOutcome, atlasOutcome] = outcomes;
    assert.deepEqual(redisOutcome.eval, [{ t: "integer", v: 2 }]);
    assert.equal(redisOutcome.dbsize !== "held" && redisOutcome.expiredDuring, "0");
    assert.equal(redisOutcome.writer, "held");
    assert.deepEqual(atlasOutcome, redisOutcome);
  }));
