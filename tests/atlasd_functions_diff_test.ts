/**
 * Redis 7.0 functions side by side: the same commands against a real redis-server 7.0.15 and a
 * real atlasd, in RESP2 and RESP3; replies must match in type and value. Redis lists libraries
 * and functions in hash order, so lines marked "sorted" compare every array and set sorted.
 * FUNCTION DUMP payloads cross over both ways (Redis's LZF-compressed code included), and a
 * library too short to compress dumps to the same bytes on both servers.
 */
import assert from "node:assert/strict";
import {
  RawClient,
  type RespValue,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

const LIB = [
  "#!lua name=mylib",
  "local calls = 0",
  "redis.register_function('echo', function(keys, args) return {keys[1], args[1], #args} end)",
  "redis.register_function{function_name='setter', callback=function(keys, args)",
  "  return redis.call('SET', keys[1], args[1]) end, description='sets a key'}",
  "redis.register_function{function_name='getter', callback=function(keys, args)",
  "  return redis.call('GET', keys[1]) end,",
  "  flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}",
  "redis.register_function{function_name='ro_writer', callback=function(keys)",
  "  return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}",
  "redis.register_function('counter', function() calls = calls + 1 return calls end)",
  "redis.register_function('boom', function() error('boom') end)",
  "redis.register_function('missing', function() return undefined_global end)",
  "redis.register_function('unknown_cmd', function() return redis.call('nosuch') end)",
  "redis.register_function('types', function()",
  "  return {1, 'two', {3}, redis.status_reply('FINE'), 3.7} end)",
  "redis.register_function('pcall_err', function() return redis.pcall('INCR', 'str') end)",
  "redis.register_function('err_reply', function() return redis.error_reply('MY error') end)",
].join("\n");

const SHORT = "#!lua name=short\nredis.register_function('f1', function(keys) return keys[1] end)";

/** Long and repetitive: Redis LZF-compresses it in its DUMP payload. */
const LONG = "#!lua name=long\n" +
  Array.from(
    { length: 12 },
    (_, i) => `redis.register_function('long_${i}', function(keys, args) return ${i} end)`,
  ).join("\n");

/**
 * `sorted`: every array and set compared sorted. `help`: a HELP reply, whose explanations are
 * atlasd's own words: only its type, first line (the standard header) and closing HELP entry
 * are compared.
 */
type Line = { argv: string[]; sorted?: boolean; help?: boolean };

const fl = (code: string, ...more: string[]) => ({ argv: ["FUNCTION", "LOAD", ...more, code] });
const c = (...argv: string[]): Line => ({ argv });
const sorted = (...argv: string[]): Line => ({ argv, sorted: true });
const help = (...argv: string[]): Line => ({ argv, help: true });

const SCRIPT: Line[] = [
  c("FUNCTION", "FLUSH"),
  c("FUNCTION", "LIST"),
  c("FUNCTION", "STATS"),
  fl(LIB),
  fl(LIB),
  fl(LIB, "REPLACE"),
  fl(LIB, "bogus"),
  c("FUNCTION", "LOAD", "REPLACE"),
  c("SET", "str", "abc"),
  c("FCALL", "echo", "2", "k1", "k2", "a1", "a2"),
  c("FCALL", "ECHO", "0"),
  c("FCALL", "setter", "1", "key", "value"),
  c("FCALL", "getter", "1", "key"),
  c("FCALL_RO", "getter", "1", "key"),
  c("FCALL_RO", "setter", "1", "key", "v2"),
  c("FCALL_RO", "ro_writer", "1", "key"),
  c("FCALL", "ro_writer", "1", "key"),
  c("GET", "key"),
  c("FCALL", "counter", "0"),
  c("FCALL", "counter", "0"),
  c("FCALL", "boom", "0"),
  c("FCALL", "missing", "0"),
  c("FCALL", "unknown_cmd", "0"),
  c("FCALL", "types", "0"),
  c("FCALL", "pcall_err", "0"),
  c("FCALL", "err_reply", "0"),
  c("FCALL", "nosuch", "0"),
  c("FCALL", "echo", "x"),
  c("FCALL", "echo", "2", "a"),
  c("FCALL", "echo", "-1"),
  c("FCALL", "echo"),
  c("FCALL_RO", "echo"),
  c("FUNCTION", "LOAD", "return 1"),
  c("FUNCTION", "LOAD", "#!lua"),
  c("FUNCTION", "LOAD", "#!lua\nreturn 1"),
  c("FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"),
  c("FUNCTION", "LOAD", "#!js name=x\nreturn 1"),
  c("FUNCTION", "LOAD", "#!lua name=x-y\nreturn 1"),
  c("FUNCTION", "LOAD", "#!lua name=x\nreturn 1"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"),
  c("FUNCTION", "LOAD", "#!lua name=x\nlocal s = string.len('a')"),
  c("FUNCTION", "LOAD", "#!lua name=x\nx = 1"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('echo', function() end)"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a-b', function() end)"),
  c(
    "FUNCTION",
    "LOAD",
    "#!lua name=x\nredis.register_function('a', function() end)\n" +
      "redis.register_function('a', function() end)",
  ),
  c(
    "FUNCTION",
    "LOAD",
    "#!lua name=x\nredis.register_function{function_name='a', " +
      "callback=function() end, flags={'bad'}}",
  ),
  c(
    "FUNCTION",
    "LOAD",
    "#!lua name=x\nredis.register_function{function_name='a', " +
      "callback=function() end, foo=1}",
  ),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a')"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function()"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function({})"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('a', 1)"),
  c("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function(1, 2)"),
  c("FUNCTION", "LOAD", "#!lua name=num\nredis.register_function(1, function() return 1 end)"),
  c("FCALL", "1", "0"),
  sorted("FUNCTION", "LIST"),
  sorted("FUNCTION", "LIST", "WITHCODE"),
  sorted("FUNCTION", "LIST", "LIBRARYNAME", "MY*"),
  sorted("FUNCTION", "LIST", "withcode", "libraryname", "n?m"),
  c("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"),
  c("FUNCTION", "LIST", "foo"),
  c("FUNCTION", "LIST", "LIBRARYNAME"),
  c("FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
  c("FUNCTION", "STATS"),
  c("FUNCTION", "STATS", "x"),
  c("FUNCTION", "KILL"),
  c("FUNCTION", "KILL", "x"),
  help("FUNCTION", "HELP"),
  c("FUNCTION"),
  c("FUNCTION", "nosuch"),
  c("FUNCTION", "DELETE", "nosuch"),
  c("FUNCTION", "DELETE"),
  c("FUNCTION", "DELETE", "num"),
  c("FCALL", "1", "0"),
  c("FUNCTION", "DUMP", "x"),
  c("FUNCTION", "RESTORE"),
  c("FUNCTION", "RESTORE", "abc"),
  c("FUNCTION", "RESTORE", "abc", "foo"),
  c("FUNCTION", "RESTORE", "a", "b", "c"),
  c("FUNCTION", "FLUSH", "bad"),
  c("FUNCTION", "FLUSH", "a", "b"),
  c("FUNCTION", "FLUSH", "SYNC"),
  c("FCALL", "echo", "0"),
  fl(SHORT),
  c("FUNCTION", "DUMP"),
  c("FUNCTION", "FLUSH", "ASYNC"),
  c("FUNCTION", "LIST"),
];

const key = (v: unknown) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? String(x) : x);

/** Every array and set sorted, deepest first (maps keep their field order). */
function sortDeep(v: RespValue): RespValue {
  if (v.t === "array" || v.t === "set") {
    return { t: v.t, v: v.v.map(sortDeep).sort((a, b) => (key(a) < key(b) ? -1 : 1)) };
  }
  if (v.t === "map") return { t: "map", v: v.v.map(([k, x]) => [sortDeep(k), sortDeep(x)]) };
  return v;
}

/** A HELP reply's standard parts: its first line and its closing "HELP" entry. */
function helpFrame(v: RespValue): RespValue {
  if (v.t !== "array") return v;
  return { t: "array", v: [...v.v.slice(0, 1), ...v.v.slice(-2)] };
}

async function runScript(redisPort: number, atlasPort: number, proto: 2 | 3): Promise<string[]> {
  const redis = await RawClient.connect(redisPort);
  const atlas = await RawClient.connect(atlasPort);
  const mismatches: string[] = [];
  try {
    if (proto === 3) {
      await redis.one("HELLO", "3");
      await atlas.one("HELLO", "3");
    }
    await redis.one("FLUSHALL");
    await atlas.one("FLUSHALL");
    for (const line of SCRIPT) {
      let [want] = await redis.call(line.argv);
      let [got] = await atlas.call(line.argv);
      if (line.sorted) {
        want = sortDeep(want);
        got = sortDeep(got);
      }
      if (line.help) {
        want = helpFrame(want);
        got = helpFrame(got);
      }
      if (key(want) !== key(got)) {
        const shown = key(line.argv).slice(0, 160);
        mismatches.push(`RESP${proto}: ${shown}\n  redis:  ${key(want)}\n  atlasd: ${key(got)}`);
      }
    }
  } finally {
    await redis.close();
    await atlas.close();
  }
  return mismatches;
}

function bulkOf(v: RespValue): string {
  assert.equal(v.t, "bulk", key(v));
  return (v as { v: string }).v;
}

Deno.test("atlasd functions reply like redis-server 7.0 (RESP2 and RESP3)", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const mismatches = [
      ...(await runScript(redis.port, atlas.port, 2)),
      ...(await runScript(redis.port, atlas.port, 3)),
    ];
    assert.deepEqual(mismatches, [], mismatches.join("\n"));
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});

Deno.test("FUNCTION DUMP payloads restore across redis-server and atlasd both ways", async () => {
  const redisProc = await startRedis();
  const atlasProc = await startAtlasd(["--sync-mode", "none"]);
  const redis = await RawClient.connect(redisProc.port);
  const atlas = await RawClient.connect(atlasProc.port);
  try {
    for (const client of [redis, atlas]) {
      await client.one("FUNCTION", "FLUSH");
      assert.deepEqual(await client.one("FUNCTION", "LOAD", SHORT), { t: "bulk", v: "short" });
    }
    // Too short for Redis to compress: the very same bytes.
    const shortRedis = bulkOf(await redis.one("FUNCTION", "DUMP"));
    assert.equal(bulkOf(await atlas.one("FUNCTION", "DUMP")), shortRedis);

    // Redis's payload (LZF-compressed code) into atlasd.
    await redis.one("FUNCTION", "LOAD", LONG);
    const fromRedis = bulkOf(await redis.one("FUNCTION", "DUMP"));
    assert.ok(!fromRedis.includes("long_11"), "Redis compressed the long library");
    assert.deepEqual(await atlas.one("FUNCTION", "RESTORE", fromRedis), {
      t: "error",
      v: "ERR Library short already exists",
    });
    assert.deepEqual(await atlas.one("FUNCTION", "RESTORE", fromRedis, "REPLACE"), {
      t: "simple",
      v: "OK",
    });
    assert.deepEqual(await atlas.one("FCALL", "long_11", "0"), { t: "integer", v: 11 });
    const listed = async (c: RawClient) =>
      key(sortDeep(await c.one("FUNCTION", "LIST", "WITHCODE")));
    assert.equal(await listed(atlas), await listed(redis));

    // atlasd's payload into a flushed Redis.
    await atlas.one("FUNCTION", "LOAD", LIB);
    const fromAtlas = bulkOf(await atlas.one("FUNCTION", "DUMP"));
    assert.deepEqual(await redis.one("FUNCTION", "RESTORE", fromAtlas, "FLUSH"), {
      t: "simple",
      v: "OK",
    });
    assert.equal(await listed(redis), await listed(atlas));
    for (const c of [redis, atlas]) {
      assert.deepEqual(await c.one("FCALL", "echo", "1", "k", "a"), {
        t: "array",
        v: [{ t: "bulk", v: "k" }, { t: "bulk", v: "a" }, { t: "integer", v: 1 }],
      });
    }
    // A collision on restore: both refuse (which library they name first follows their order).
    for (const c of [redis, atlas]) {
      const refused = await c.one("FUNCTION", "RESTORE", fromAtlas);
      assert.ok(refused.t === "error" && /^ERR Library \w+ already exists$/.test(refused.v));
    }
  } finally {
    await redis.close();
    await atlas.close();
    await atlasProc.stop();
    await redisProc.stop();
  }
});

Deno.test("atlasd keeps its functions across a restart (AOF and snapshot)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlasd_fn_" });
  try {
    let proc = await startAtlasd([], dir);
    let client = await RawClient.connect(proc.port);
    assert.deepEqual(await client.one("FUNCTION", "LOAD", LIB), { t: "bulk", v: "mylib" });
    await client.one("FCALL", "setter", "1", "k", "v");
    await client.one("SAVE");
    await client.one("FUNCTION", "LOAD", SHORT); // only in the AOF
    await client.close();
    await proc.stop();

    proc = await startAtlasd([], dir);
    client = await RawClient.connect(proc.port);
    assert.deepEqual(await client.one("FCALL_RO", "getter", "1", "k"), { t: "bulk", v: "v" });
    assert.deepEqual(await client.one("FCALL", "f1", "1", "z"), { t: "bulk", v: "z" });
    await client.close();
    await proc.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
