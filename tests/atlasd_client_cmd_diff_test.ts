/**
 * Side by side with redis-server 7.0: the `cmd=` CLIENT LIST shows for a connection after each of
 * a run of commands, including unknown commands and subcommands (NULL), refused ones (the
 * command still shows), container subcommands (`config|get`) and a transaction.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const STEPS: string[][] = [
  ["CLIENT", "SETNAME", "watched"],
  ["FOOBAR", "x"],
  ["GET", "k"],
  ["CONFIG", "FOOBAR"],
  ["CONFIG", "GET", "maxmemory"],
  ["GET"],
  ["SET", "k"],
  ["CONFIG", "GET"],
  ["OBJECT", "NOPE", "k"],
  ["MULTI"],
  ["INCR", "n"],
  ["EXEC"],
  ["PING"],
];

/** `cmd=` of the connection named "watched", as another connection's CLIENT LIST shows it. */
async function shownCommand(observer: RawClient): Promise<string> {
  const [reply] = await observer.call(["CLIENT", "LIST"]);
  const line = (reply as { v: string }).v.split("\n").find((l) => l.includes(" name=watched "));
  return line?.split(" ").find((field) => field.startsWith("cmd=")) ?? "(none)";
}

Deno.test("CLIENT LIST cmd= after unknown, refused and container commands matches redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas, { redisPort, atlasPort }) => {
    const redisObserver = await RawClient.connect(redisPort);
    const atlasObserver = await RawClient.connect(atlasPort);
    try {
      const seen: string[] = [];
      for (const argv of STEPS) {
        const [want]: RespValue[] = await redis.call(argv);
        const [got]: RespValue[] = await atlas.call(argv);
        assert.equal(got.t, want.t, `${argv.join(" ")}: reply kind`);
        const wantCmd = await shownCommand(redisObserver);
        const gotCmd = await shownCommand(atlasObserver);
        seen.push(`${argv.join(" ")} -> ${gotCmd}`);
        assert.equal(gotCmd, wantCmd, `after ${argv.join(" ")}`);
      }
      assert.ok(seen.some((s) => s.endsWith("cmd=NULL")), "the run covers NULL");
    } finally {
      await redisObserver.close();
      await atlasObserver.close();
    }
  }));
