/**
 * Server commands called from Lua scripts (EVAL, FCALL), side by side with redis-server 7.0.15.
 * Redis 7.0 lets scripts run PUBLISH, SPUBLISH, PUBSUB, INFO, SELECT, COMMAND, LASTSAVE, SLOWLOG,
 * CLUSTER, READONLY / READWRITE / ASKING and the HELP of ACL, CLIENT, CONFIG, LATENCY, SCRIPT,
 * FUNCTION; atlasd answered "Unknown Redis command called from script" for all of them, refused
 * SCRIPT HELP, FUNCTION HELP and the other HELPs as noscript, and checked a container's arity
 * rather than its subcommand's (ACL DELUSER, OBJECT ENCODING, XGROUP CREATE with too few
 * arguments answered the command's own error, not "Wrong number of args"). Pinned here: the
 * replies and refusals (read-only scripts refuse PUBLISH and SPUBLISH, as may-replicate
 * commands), and byte for byte what subscribers receive from a script's PUBLISH: in the order of
 * the script's calls, between the keyspace events of its writes, before the EVAL's reply (inside
 * EXEC's array for a client publishing to itself), also when the script fails afterwards.
 * Node-local answers (INFO text, LASTSAVE, SLOWLOG entries) are compared by shape in the scripts.
 */
import assert from "node:assert/strict";
import {
  encodeCommand,
  RawClient,
  replyDifferences,
  startAtlasd,
  startRedis,
  withRedisAndAtlasd,
} from "../atlas/testing/atlasd_harness.ts";
import { transcript, transcriptDifferences } from "../atlas/testing/transcript.ts";

const e = (script: string, ...args: string[]) => ["EVAL", script, "0", ...args];
const pcall = (args: string) => e(`return redis.pcall(${args})`);

/** Scripts whose replies are the same on both servers (RESP2 and RESP3 callers). */
const CALLS: string[][] = [
  e("return redis.call('publish', 'ch', 'm')"),
  e("return redis.call('spublish', 'ch', 'm')"),
  pcall("'publish', 'ch'"),
  pcall("'spublish', 'ch', 'm', 'x'"),
  e("return redis.call('pubsub', 'numpat')"),
  e("return redis.call('pubsub', 'numsub', 'a', 'b')"),
  e("return redis.call('pubsub', 'channels')"),
  e("return redis.call('pubsub', 'channels', 'a*')"),
  e("return redis.call('pubsub', 'shardchannels')"),
  e("return redis.call('pubsub', 'shardnumsub', 'x')"),
  pcall("'pubsub', 'foo'"),
  pcall("'pubsub', 'numpat', 'x'"),
  pcall("'pubsub', 'channels', 'a', 'b'"),
  pcall("'pubsub'"),
  e("return redis.call('select', '0')"),
  pcall("'select', 'x'"),
  pcall("'select'"),
  e("return redis.call('command', 'count') > 100"),
  e("return redis.call('command', 'getkeys', 'set', 'a', 'b')"),
  e("return redis.call('command', 'getkeys', 'mset', 'a', 'b', 'c', 'd')"),
  pcall("'command', 'getkeys', 'nosuch', 'a'"),
  pcall("'command', 'getkeys', 'set'"),
  pcall("'command', 'foo'"),
  e("return type(redis.call('command', 'list'))"),
  e("return redis.call('command', 'list', 'filterby', 'pattern', 'zadd*')"),
  e("return #redis.call('command') > 100"),
  e("return redis.call('command', 'info', 'nosuch')"),
  e("return string.sub(redis.call('info'), 1, 9)"),
  e("return string.sub(redis.call('info', 'server'), 1, 9)"),
  e("return string.sub(redis.call('info', 'keyspace'), 1, 11)"),
  e("return redis.call('info', 'nosuchsection')"),
  e("return type(redis.call('lastsave'))"),
  e("return redis.call('lastsave') > 1600000000"),
  pcall("'lastsave', 'x'"),
  e("return redis.call('slowlog', 'reset')"),
  e("return redis.call('slowlog', 'len')"),
  e("return redis.call('slowlog', 'get')"),
  pcall("'slowlog', 'get', 'x'"),
  pcall("'slowlog', 'get', '1', '2'"),
  pcall("'slowlog', 'foo'"),
  pcall("'slowlog'"),
  pcall("'cluster', 'info'"),
  pcall("'cluster', 'keyslot', 'a'"),
  pcall("'cluster', 'keyslot'"),
  pcall("'cluster', 'reset'"),
  pcall("'cluster', 'foo'"),
  pcall("'cluster'"),
  pcall("'readonly'"),
  pcall("'readwrite'"),
  pcall("'asking'"),
  pcall("'asking', 'x'"),
  // Containers: the subcommand's own arity and flags, as Redis's lookupCommand finds it.
  pcall("'acl', 'whoami'"),
  pcall("'acl', 'deluser'"),
  pcall("'acl', 'deluser', 'x'"),
  pcall("'acl', 'nosuch'"),
  pcall("'acl'"),
  pcall("'client', 'id'"),
  pcall("'client', 'kill'"),
  pcall("'client', 'setinfo', 'lib-name', 'x'"),
  pcall("'config', 'get'"),
  pcall("'config', 'get', 'maxmemory'"),
  pcall("'latency', 'latest'"),
  pcall("'latency', 'history'"),
  pcall("'object', 'encoding'"),
  pcall("'object', 'nosuch', 'x'"),
  pcall("'memory', 'usage'"),
  pcall("'memory', 'usage', 'nokey'"),
  pcall("'xgroup', 'create', 's', 'g'"),
  pcall("'xinfo', 'stream'"),
  pcall("'script', 'load', 'return 1'"),
  pcall("'script', 'load'"),
  pcall("'function', 'load'"),
  pcall("'function', 'list'"),
  pcall("'module', 'load', 'x'"),
  pcall("'module', 'unload'"),
  pcall("'replicaof', 'no', 'one'"),
  pcall("'failover'"),
  pcall("'subscribe', 'x'"),
  pcall("'wait', '0', '0'"),
  pcall("'role'"),
  pcall("'debug', 'sleep', '0'"),
  pcall("'monitor'"),
  pcall("'constructor'"),
  pcall("'toString', 'x'"),
  pcall("'__proto__'"),
  pcall("'hasOwnProperty', 'x'"),
  e("return redis.pcall('script', 'help')[1]"),
  e("return redis.pcall('function', 'help')[1]"),
  e("return redis.pcall('command', 'help')[1]"),
  e("return redis.pcall('pubsub', 'help')[1]"),
  e("return redis.pcall('slowlog', 'help')[1]"),
  e("return redis.pcall('config', 'help')[1]"),
  e("return redis.pcall('latency', 'help')[1]"),
  e("return redis.pcall('client', 'help')[1]"),
  e("return redis.pcall('acl', 'help')[1]"),
  e("return redis.pcall('object', 'help')[1]"),
  // A failing server command raises in redis.call, with the script's position.
  e("return redis.call('cluster', 'info')"),
  e("return redis.call('publish', 'ch')"),
  e("redis.setresp(3); return redis.call('info', 'nosuch')"),
  // Read-only scripts: PUBLISH and SPUBLISH may replicate, so they are refused; PUBSUB runs.
  ["EVAL_RO", "return redis.pcall('publish', 'ch', 'm')", "0"],
  ["EVAL_RO", "return redis.pcall('spublish', 'ch', 'm')", "0"],
  ["EVAL_RO", "return redis.pcall('pubsub', 'numpat')", "0"],
  ["EVAL_RO", "return string.sub(redis.call('info', 'server'), 1, 9)", "0"],
  ["EVAL_RO", "return redis.pcall('slowlog', 'len') >= 0", "0"],
  e("#!lua flags=no-writes\nreturn redis.pcall('publish', 'ch', 'm')"),
  e("#!lua flags=no-writes\nreturn redis.pcall('spublish', 'ch', 'm')"),
  e("#!lua flags=no-writes\nreturn redis.pcall('pubsub', 'numsub', 'ch')"),
  e("#!lua\nreturn redis.call('publish', 'ch', 'm')"),
  [
    "FUNCTION",
    "LOAD",
    [
      "#!lua name=srv",
      "redis.register_function('pub', function(k, a) return redis.call('publish', a[1], a[2]) end)",
      "redis.register_function{function_name='pubro', flags={'no-writes'},",
      "  callback=function(k, a) return redis.pcall('publish', a[1], a[2]) end}",
      "redis.register_function{function_name='subs', flags={'no-writes'},",
      "  callback=function(k, a) return redis.call('pubsub', 'numsub', a[1]) end}",
    ].join("\n"),
  ],
  ["FCALL", "pub", "0", "ch", "m"],
  ["FCALL", "pubro", "0", "ch", "m"],
  ["FCALL_RO", "pubro", "0", "ch", "m"],
  ["FCALL_RO", "pub", "0", "ch", "m"],
  ["FCALL_RO", "subs", "0", "ch"],
];

Deno.test("scripts run Redis's server commands with its replies and refusals, RESP2 and RESP3", async () => {
  await withRedisAndAtlasd(async (redis, atlas) => {
    const differences = await replyDifferences(redis, atlas, CALLS);
    await replyDifferences(redis, atlas, [["FUNCTION", "FLUSH"], ["HELLO", "3"]], () => "");
    differences.push(...await replyDifferences(redis, atlas, CALLS, undefined, "RESP3 "));
    assert.deepEqual(differences, []);
  });
});

type Conn = "a" | "b" | "c" | "d";
const CONNS: Conn[] = ["a", "b", "c", "d"];
const w = (s: string) => s.split(" ");

/** What subscribers get from scripts' PUBLISH / SPUBLISH; `c` runs most scripts. */
const STEPS: [Conn, string[]][] = [
  ["a", w("SUBSCRIBE ch other")],
  ["a", w("PSUBSCRIBE __key*__:*")],
  ["d", w("HELLO 3")],
  ["d", w("SSUBSCRIBE sch")],
  ["d", w("PSUBSCRIBE s*")],
  ["c", w("CONFIG SET notify-keyspace-events KEA")],
  // Messages and keyspace events in the order of the script's calls, then the reply.
  ["c", [
    "EVAL",
    "redis.call('set', KEYS[1], 'v'); local n = redis.call('publish', 'ch', 'm1');" +
    " redis.call('del', KEYS[1]); return {n, redis.call('publish', 'ch', 'm2')}",
    "1",
    "k",
  ]],
  ["c", e("return redis.call('spublish', 'sch', 's1')")],
  ["c", e("return redis.call('publish', 'sch', 'not-shard')")],
  ["c", e("return redis.call('spublish', 'ch', 'not-plain')")],
  ["c", e("return {redis.call('publish', 'ch', ''), redis.call('publish', 'other', 'a\\r\\nb')}")],
  // A script that fails after its PUBLISH: the message went out.
  ["c", e("redis.call('publish', 'ch', 'before'); return redis.call('nosuch')")],
  ["c", e("redis.call('publish', 'ch', 'before2'); error('boom')")],
  // Refused in read-only scripts: nothing is delivered.
  ["c", ["EVAL_RO", "return redis.pcall('publish', 'ch', 'ro')", "0"]],
  ["c", e("#!lua flags=no-writes\nreturn redis.pcall('publish', 'ch', 'ro')")],
  // A RESP3 client publishing to itself: the push comes before the EVAL's reply, inside EXEC's
  // array in a transaction.
  ["b", w("HELLO 3")],
  ["b", w("SUBSCRIBE self")],
  ["b", e("return redis.call('publish', 'self', 'hi')")],
  ["b", ["MULTI"]],
  ["b", e("return redis.call('publish', 'self', 'in-exec')")],
  ["b", w("SET x 1")],
  ["b", e("redis.call('incr', 'x'); return redis.call('publish', 'self', 'again')")],
  ["b", ["EXEC"]],
  ["b", e("return redis.call('pubsub', 'numsub', 'self', 'ch', 'sch')")],
  ["b", e("return redis.call('pubsub', 'shardnumsub', 'sch')")],
  ["b", e("return redis.call('pubsub', 'numpat')")],
  [
    "c",
    [
      "FUNCTION",
      "LOAD",
      "#!lua name=p\nredis.register_function('pub', function(k, a)\n" +
      "  redis.call('set', k[1], a[2]); return redis.call('publish', a[1], a[2]) end)",
    ],
  ],
  ["c", ["FCALL", "pub", "1", "fk", "ch", "via-fcall"]],
  ["c", ["FCALL", "pub", "1", "fk", "self", "to-b"]],
  ["c", ["FCALL_RO", "pub", "1", "fk", "ch", "ro"]],
  ["c", ["CONFIG", "SET", "notify-keyspace-events", ""]],
  ["c", ["FUNCTION", "FLUSH"]],
  ["a", ["RESET"]],
  ["b", ["RESET"]],
  ["d", ["RESET"]],
  ["c", e("return redis.call('publish', 'ch', 'nobody')")],
];

Deno.test("a script's PUBLISH reaches subscribers as redis-server's does, byte for byte", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port, CONNS, STEPS);
    const got = await transcript(atlas.port, CONNS, STEPS);
    const differences = transcriptDifferences(want, got);
    assert.deepEqual(differences, []);
    assert.ok(want.filter((line) => line.includes("message")).length >= 10, "messages arrived");
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});

Deno.test("a script's PUBLISH in atlasd with durable writes (--sync-mode always)", async () => {
  // The default sync mode: the EVAL's reply waits for the fsync; the message still arrives once.
  const atlas = await startAtlasd();
  const subscriber = await RawClient.connect(atlas.port);
  const client = await RawClient.connect(atlas.port);
  try {
    await subscriber.one("HELLO", "3");
    await subscriber.writeRaw(encodeCommand(["SUBSCRIBE", "ch"]));
    assert.equal((await subscriber.takePushes(1)).length, 1);
    const script = "redis.call('set', 'k', 'v'); return redis.call('publish', 'ch', 'm')";
    assert.deepEqual(await client.one("EVAL", script, "0"), { t: "integer", v: 1 });
    const pushes = await subscriber.takePushes(1);
    assert.deepEqual(pushes, [{
      t: "push",
      v: [{ t: "bulk", v: "message" }, { t: "bulk", v: "ch" }, { t: "bulk", v: "m" }],
    }]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(subscriber.pushes, [], "delivered once");
  } finally {
    await subscriber.close();
    await client.close();
    await atlas.stop();
  }
});
