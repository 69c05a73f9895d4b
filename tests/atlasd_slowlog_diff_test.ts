/**
 * Side by side with redis-server 7.0.15: what the slow log records, with
 * `slowlog-log-slower-than 0` (every command). Each session runs on a fresh connection of each
 * server, then SLOWLOG GET -1; entries are compared by their place (id minus the first id),
 * arguments, address ("self" for the session's own, else as given) and client name, and the time
 * and duration only by type (timings differ).
 *
 * What atlasd did before this test: the commands a script runs (redis.call / pcall from EVAL,
 * EVALSHA, EVAL_RO, FCALL) were not logged; Redis logs each one that ran (a refused one is not;
 * one that failed inside, like XREAD with BLOCK, is), before the script's own entry, from its
 * script client "?:0" without a name, and counts it in INFO commandstats.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  showReply,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";

const LIBRARY = "#!lua name=slowlib\n" +
  "redis.register_function('setget', function(keys, args) " +
  "redis.call('SET', keys[1], args[1]); return redis.call('GET', keys[1]) end)\n" +
  "redis.register_function{function_name='peek', callback=function(keys) " +
  "return redis.call('EXISTS', keys[1]) end, flags={'no-writes'}}";

const many = (n: number) => Array.from({ length: n }, (_, i) => String(i));

/** Sessions: each is run on a fresh connection after SLOWLOG RESET. */
const SESSIONS: Record<string, string[][]> = {
  "scripts: the commands they ran, then the script": [
    [
      "EVAL",
      "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
      "1",
      "k",
      "v",
    ],
    // A failing command ran (logged); a refused one did not (wrong arity, unknown, noscript).
    ["EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "k"],
    ["EVAL", "return redis.pcall('GET', 'a', 'b')", "0"],
    ["EVAL", "return redis.pcall('NOSUCH')", "0"],
    ["EVAL", "return redis.pcall('BLPOP', 'l', '0')", "0"],
    ["EVAL", "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", "0"],
    ["EVAL", "return redis.call('PING')", "0"],
    ["EVAL_RO", "return redis.pcall('SET', KEYS[1], 'x')", "1", "k"],
    ["EVAL_RO", "return redis.call('STRLEN', KEYS[1])", "1", "k"],
    // Long and many arguments are cut as a client's are.
    ["EVAL", "return redis.call('RPUSH', KEYS[1], unpack(ARGV))", "1", "l", ...many(40)],
    ["EVAL", "return redis.call('SET', KEYS[1], string.rep('z', 300))", "1", "big"],
    ["SCRIPT", "LOAD", "return redis.call('ECHO', ARGV[1])"],
    ["EVALSHA", "98862a356c1e5993447a30385f1db9ce655bf62e", "0", "x"], // the SHA1 of the script above
    ["FUNCTION", "LOAD", "REPLACE", LIBRARY],
    ["FCALL", "setget", "1", "fk", "fv"],
    ["FCALL_RO", "peek", "1", "fk"],
    ["CLIENT", "SETNAME", "named"],
    // Inside MULTI: the script's commands, then the script, one by one (EXEC is not logged).
    ["MULTI"],
    ["EVAL", "return redis.call('ECHO', 'in multi')", "0"],
    ["SET", "m", "1"],
    ["EXEC"],
  ],
  "argument shapes, names and rejections": [
    ["CLIENT", "SETNAME", "slowpoke"],
    ["SET", "k", "y".repeat(300)],
    ["MSET", ...many(40)],
    ["RPUSH", "l", ...many(31)],
    ["RPUSH", "l", ...many(30)],
    ["GET", "k".repeat(129)],
    ["GET", "k".repeat(128)],
    ["ECHO", "\x00\xff\r\n"],
    ["AUTH", "x"],
    ["AUTH", "a", "b"],
    ["HELLO", "2", "AUTH", "default", "pw"],
    ["CONFIG", "SET", "requirepass", "", "maxclients", "10000"],
    ["NOSUCH"],
    ["GET"],
    ["CLIENT", "NOSUCH"],
    ["OBJECT", "ENCODING", "k"],
    ["MULTI"],
    ["SET", "a", "1"],
    ["EXEC"],
    ["MULTI"],
    ["SET", "a"],
    ["EXEC"],
    ["BLPOP", "nolist", "0.01"],
    ["SLOWLOG", "LEN"],
    ["SLOWLOG", "GET", "1", "2"],
    ["SLOWLOG", "LEN", "x"],
    ["SLOWLOG", "NOSUCH"],
    ["CLIENT", "SETNAME", ""],
    ["PING", "unnamed"],
  ],
};

function value(reply: RespValue): string {
  return "v" in reply ? String(reply.v) : reply.t;
}

/** The session's entries as comparable lines, oldest first. */
async function session(port: number, proto: string, commands: string[][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call(["HELLO", proto], ["FUNCTION", "FLUSH"], ["FLUSHALL"]);
    const self = /addr=(\S+)/.exec(value(await c.one("CLIENT", "INFO")))![1];
    await c.call(["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"]);
    for (const argv of commands) await c.call(argv);
    const [log] = await c.call(
      ["SLOWLOG", "GET", "-1"],
      ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
    );
    assert.equal(log.t, "array");
    const entries = (log as { v: RespValue[] }).v.map((e) => (e as { v: RespValue[] }).v);
    const first = Number(value(entries[entries.length - 1][0]));
    return entries.reverse().map(([id, time, us, args, addr, name, ...more]) =>
      [
        Number(value(id)) - first,
        `${time.t} ${us.t}`,
        showReply(args),
        value(addr) === self ? "self" : value(addr),
        JSON.stringify(value(name)),
        ...more.map(showReply),
      ].join(" ")
    );
  } finally {
    await c.close();
  }
}

Deno.test("the slow log records what redis-server's does (scripts' commands included), RESP2 and RESP3", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const differences: string[] = [];
    for (const proto of ["2", "3"]) {
      for (const [name, commands] of Object.entries(SESSIONS)) {
        const want = await session(redisPort, proto, commands);
        const got = await session(atlasPort, proto, commands);
        if (got.join("\n") !== want.join("\n")) {
          differences.push(
            `RESP${proto} ${name}\n  atlasd:\n    ${got.join("\n    ")}\n  redis:\n    ${
              want.join("\n    ")
            }`,
          );
        }
      }
    }
    assert.deepEqual(differences, []);
  }));

/** `cmdstat_<name>:calls=N,...,failed_calls=N` of INFO commandstats, without the timings. */
async function commandCounts(port: number, names: readonly string[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call(["SET", "k", "v"], ["CONFIG", "RESETSTAT"]);
    await c.call(
      ["EVAL", "redis.call('SET', KEYS[1], 'v'); return redis.pcall('INCR', KEYS[1])", "1", "k"],
      ["EVAL", "return redis.pcall('LPUSH', KEYS[1], 'x')", "1", "k"],
      ["EVAL", "return redis.call('PING')", "0"],
      ["EVAL", "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", "0"],
    );
    const info = value(await c.one("INFO", "commandstats"));
    return names.map((name) => {
      const line = info.split("\r\n").find((l) => l.startsWith(`cmdstat_${name}:`)) ?? "";
      const calls = /calls=(\d+)/.exec(line)?.[1];
      const failed = /failed_calls=(\d+)/.exec(line)?.[1];
      return `${name}: calls=${calls} failed_calls=${failed}`;
    });
  } finally {
    await c.close();
  }
}

Deno.test("INFO commandstats counts the commands scripts ran, as redis-server's does", () =>
  withRedisAndAtlasd(async (_redis, _atlas, { redisPort, atlasPort }) => {
    const names = ["eval", "set", "incr", "lpush", "ping", "xread", "get"];
    assert.deepEqual(
      await commandCounts(atlasPort, names),
      await commandCounts(redisPort, names),
    );
  }));
