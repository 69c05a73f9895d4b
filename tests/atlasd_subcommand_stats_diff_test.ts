/**
 * Side by side with redis-server 7.0.15: how container subcommands (CONFIG GET, CLIENT ID, OBJECT
 * ENCODING, XINFO STREAM...) count in INFO commandstats, INFO latencystats and LATENCY HISTOGRAM.
 * Redis 7 counts each under its full name (`cmdstat_config|get`); a container called without a
 * subcommand counts as itself; an unknown subcommand counts nowhere but in errorstats.
 *
 * What atlasd did before this test: every subcommand counted in its container
 * (`cmdstat_config:calls=3`), LATENCY HISTOGRAM named `config`, and an unknown subcommand counted
 * as a rejected call of the container. Monitoring built on Redis 7's names (redis_exporter's
 * `cmd="config|get"`) saw none of them.
 */
import assert from "node:assert/strict";
import { RawClient, type RespValue, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

/** Run after CONFIG RESETSTAT on one connection; every container, refused and failed calls. */
const SESSION: string[][] = [
  ["SET", "k", "v"],
  ["XADD", "s", "*", "f", "v"],
  ["CONFIG", "GET", "maxclients"],
  ["CONFIG", "GET", "timeout", "databases"],
  ["CONFIG", "GET"], // config|get: wrong argument count -> rejected
  ["CONFIG"], // the container alone -> rejected as `config`
  ["CONFIG", "NOSUCH"], // unknown subcommand: errorstats only
  ["CONFIG", "SET", "maxclients", "not-a-number"], // config|set failed
  ["config", "Get", "maxclients"], // spelling does not matter
  ["CLIENT", "ID"],
  ["CLIENT", "SETNAME", "stats"],
  ["CLIENT", "GETNAME"],
  ["CLIENT", "KILL", "ID", "999999"], // client|kill failed: no such client
  ["OBJECT", "ENCODING", "k"],
  ["OBJECT", "FREQ", "k"], // object|freq failed: not under an LFU policy
  ["MEMORY", "USAGE", "k"],
  ["XINFO", "STREAM", "s"],
  ["XINFO", "STREAM", "nosuch"], // xinfo|stream failed: no such key
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XGROUP", "CREATE", "s", "g", "0"], // xgroup|create failed: BUSYGROUP
  ["COMMAND", "COUNT"],
  ["SLOWLOG", "LEN"],
  ["PUBSUB", "CHANNELS"],
  ["SCRIPT", "EXISTS", "nosuch"],
  ["FUNCTION", "LIST"],
  ["ACL", "WHOAMI"],
  ["EVAL", "return redis.call('OBJECT', 'ENCODING', KEYS[1])", "1", "k"], // a script's call
];

/** INFO <section> as `field:value` lines, minus the INFO call itself. */
async function infoLines(c: RawClient, section: string): Promise<string[]> {
  const reply = await c.one("INFO", section);
  assert.equal(reply.t, "bulk");
  return String((reply as { v: string }).v).split("\r\n").filter((l) => l.includes(":"));
}

/** What the session left in each statistic, timings left out. */
async function statistics(port: number): Promise<Record<string, string[]>> {
  const c = await RawClient.connect(port);
  try {
    await c.one("CONFIG", "RESETSTAT");
    for (const command of SESSION) await c.call(command);
    const commandstats = (await infoLines(c, "commandstats"))
      .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""))
      .filter((l) => !l.startsWith("cmdstat_info:"))
      .sort();
    const errorstats = (await infoLines(c, "errorstats")).sort();
    const latencystats = (await infoLines(c, "latencystats"))
      .map((l) => l.slice(0, l.indexOf(":")))
      .filter((name) => name !== "latency_percentiles_usec_info")
      .sort();
    const histogram = async (...names: string[]) => {
      const reply = await c.one("LATENCY", "HISTOGRAM", ...names);
      return pairs(reply).map(([name, body]) => `${name} calls=${value(pairs(body)[0][1])}`).sort();
    };
    return {
      commandstats,
      errorstats,
      latencystats,
      "LATENCY HISTOGRAM client": await histogram("client"),
      "LATENCY HISTOGRAM config|get xinfo nosuch": await histogram("config|get", "xinfo", "no"),
      "LATENCY HISTOGRAM": (await histogram()).filter((l) => !/^(info|latency)/.test(l)),
    };
  } finally {
    await c.close();
  }
}

function value(reply: RespValue): string {
  return "v" in reply ? String(reply.v) : reply.t;
}

/** A RESP2 map reply (a flat array) as [name, value] pairs. */
function pairs(reply: RespValue): [string, RespValue][] {
  assert.equal(reply.t, "array");
  const items = (reply as { v: RespValue[] }).v;
  const out: [string, RespValue][] = [];
  for (let i = 0; i < items.length; i += 2) {
    out.push([String((items[i] as { v: unknown }).v), items[i + 1]]);
  }
  return out;
}

Deno.test("container subcommands count under their full names, as in redis-server", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const redis = await statistics(redisPort);
    const atlas = await statistics(atlasPort);
    // The session did reach the subcommand rows (not a comparison of two empty lists).
    assert.ok(redis.commandstats.some((l) => l.startsWith("cmdstat_config|get:calls=3,")));
    assert.deepEqual(atlas, redis);
  }));
