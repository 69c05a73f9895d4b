import assert from "node:assert/strict";
import { Harness, stateOf } from "../store/test_util.ts";
import { registerScriptingCommands, type ScriptingOptions } from "./mod.ts";
import { sha1hex } from "./sha1.ts";

function harness(options: Partial<ScriptingOptions> = {}): Harness {
  const h = new Harness();
  registerScriptingCommands(h.store, options);
  return h;
}

/** The error text of a reply, or fails. */
function err(reply: unknown): string {
  assert.equal(typeof reply, "object");
  return (reply as { err: string }).err;
}

Deno.test("EVAL: KEYS and ARGV, and Lua → reply conversions", () => {
  const h = harness();
  assert.deepEqual(h.run("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}", "2", "a", "b", "x"), [
    "a",
    "b",
    "x",
    1,
  ]);
  assert.equal(h.run("EVAL", "return 3.99", "0"), 3);
  assert.equal(h.run("EVAL", "return -3.5", "0"), -3);
  assert.equal(h.run("EVAL", "return 1e20", "0"), -(2n ** 63n));
  assert.equal(h.run("EVAL", "return true", "0"), 1);
  assert.equal(h.run("EVAL", "return false", "0"), null);
  assert.equal(h.run("EVAL", "return nil", "0"), null);
  assert.equal(h.run("EVAL", "return 'a\\0b'", "0"), "a\0b");
  assert.deepEqual(h.run("EVAL", "return {1, 'two', {3}, nil, 5}", "0"), [1, "two", [3]]);
  assert.deepEqual(h.run("EVAL", "return {1, false, 3}", "0"), [1, null, 3]);
  assert.equal(h.run("EVAL", "return {ok='FINE'}", "0"), "FINE");
  assert.deepEqual(h.run("EVAL", "return {err='My Error'}", "0"), { err: "My Error" });
  assert.equal(h.run("EVAL", "return redis.status_reply('FINE')", "0"), "FINE");
  assert.deepEqual(h.run("EVAL", "return redis.error_reply('My Error')", "0"), { err: "My Error" });
  assert.deepEqual(h.run("EVAL", "return {1, {err='inner'}}", "0"), [1, { err: "inner" }]);
});

Deno.test("EVAL: binary strings cross both ways unchanged", () => {
  const h = harness();
  const bytes = "\xff\x00\x80é";
  h.run("SET", "bin", bytes);
  assert.equal(h.run("EVAL", "return redis.call('get', KEYS[1])", "1", "bin"), bytes);
  assert.equal(h.run("EVAL", "return #ARGV[1]", "0", bytes), bytes.length);
  h.run("EVAL", "redis.call('set', 'copy', ARGV[1])", "0", bytes);
  assert.equal(h.run("GET", "copy"), bytes);
});

Deno.test("EVAL: reply → Lua conversions", () => {
  const h = harness();
  h.run("SET", "s", "v");
  h.run("RPUSH", "l", "a", "b");
  const types = (cmd: string) =>
    h.run(
      "EVAL",
      `local r = ${cmd}; if type(r) == 'table' then r = r.ok or r.err end ` +
        "return type(r) .. ':' .. tostring(r)",
      "0",
    );
  assert.equal(types("redis.call('incr', 'n')"), "number:1");
  assert.equal(types("redis.call('get', 's')"), "string:v");
  assert.equal(types("redis.call('get', 'nosuch')"), "boolean:false");
  assert.equal(types("redis.call('set', 's', 'w')"), "string:OK");
  assert.equal(
    types("redis.pcall('incr', 's')"),
    "string:ERR value is not an integer or out of range",
  );
  assert.deepEqual(h.run("EVAL", "return redis.call('lrange', 'l', 0, -1)", "0"), ["a", "b"]);
  // Numbers as arguments: integers plain, floats in their shortest form.
  h.run("EVAL", "redis.call('rpush', 'nums', 1, 2.5, 3.0)", "0");
  assert.deepEqual(h.run("LRANGE", "nums", "0", "-1"), ["1", "2.5", "3"]);
});

Deno.test("EVAL: errors have Redis 7.0's texts", () => {
  const h = harness();
  h.run("SET", "s", "abc");
  const sha = (body: string) => sha1hex(body);
  const at = (body: string) => ` script: ${sha(body)}, on @user_script:1.`;
  let body = "return redis.call('incr', 's')";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR value is not an integer or out of range" + at(body),
  );
  body = "return redis.call('nosuch')";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR Unknown Redis command called from script" + at(body),
  );
  body = "return redis.call('subscribe', 'c')";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR This Redis command is not allowed from script" + at(body),
  );
  body = "return redis.call('blpop', 'l', 0)";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR This Redis command is not allowed from script" + at(body),
  );
  body = "return redis.call('eval', 'return 1', 0)";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR This Redis command is not allowed from script" + at(body),
  );
  body = "return redis.call('set')";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR Wrong number of args calling Redis command from script" + at(body),
  );
  body = "return redis.call()";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR Please specify at least one argument for this redis lib call" + at(body),
  );
  body = "return redis.call('get', {})";
  assert.equal(
    err(h.run("EVAL", body, "0")),
    "ERR Lua redis lib command arguments must be strings or integers" + at(body),
  );
  body = "error('boom')";
  assert.equal(err(h.run("EVAL", body, "0")), "ERR user_script:1: boom" + at(body));
  body = "error({err='My Error'})";
  assert.equal(err(h.run("EVAL", body, "0")), "My Error" + at(body));
  assert.match(
    err(h.run("EVAL", "return +", "0")),
    /^ERR Error compiling script \(new function\): user_script:1: /,
  );
  assert.equal(err(h.run("EVAL", "return 1", "-1")), "ERR Number of keys can't be negative");
  assert.equal(
    err(h.run("EVAL", "return 1", "2", "a")),
    "ERR Number of keys can't be greater than number of args",
  );
  assert.equal(err(h.run("EVAL", "return 1", "x")), "ERR value is not an integer or out of range");
  // pcall hands the error back as a table and the script goes on.
  assert.deepEqual(
    h.run("EVAL", "local r = redis.pcall('incr', 's'); return {r.err, 'after'}", "0"),
    [
      "ERR value is not an integer or out of range",
      "after",
    ],
  );
  assert.equal(h.run("EVAL", "return redis.call('ping')", "0"), "PONG");
});

Deno.test("EVAL: globals are read-only, 5.1 shims, no code loading", () => {
  const h = harness();
  {
    const body = "x = 5";
    assert.equal(
      err(h.run("EVAL", body, "0")),
      `ERR user_script:1: Attempt to modify a readonly table script: ${
        sha1hex(body)
      }, on @user_script:1.`,
    );
  }
  assert.match(
    err(h.run("EVAL", "return y", "0")),
    /Script attempted to access nonexistent global variable 'y'/,
  );
  assert.match(err(h.run("EVAL", "redis.call = nil", "0")), /Attempt to modify a readonly table/);
  assert.equal(h.run("EVAL", "return redis.call('ping')", "0"), "PONG"); // still intact
  // Redis 7.0 keeps 5.1's loadstring and load (text only, the scripts' read-only globals).
  assert.equal(h.run("EVAL", "return loadstring('return 1 + 1')()", "0"), 2);
  assert.match(
    err(h.run("EVAL", "return loadstring('x = 5')()", "0")),
    /Attempt to modify a readonly table/,
  );
  assert.deepEqual(h.run("EVAL", "return {loadstring('\\27Lua')}", "0"), []);
  assert.match(
    err(h.run("EVAL", "return load('return 1')", "0")),
    /bad argument #1 to 'load' \(function expected, got string\)/,
  );
  assert.match(
    err(h.run("EVAL", "return dofile('x')", "0")),
    /nonexistent global variable 'dofile'/,
  );
  assert.deepEqual(h.run("EVAL", "return {unpack({1, 2})}", "0"), [1, 2]);
  assert.equal(h.run("EVAL", "local t = {} t.x = 1 return t.x", "0"), 1);
});

Deno.test("cjson and bit", () => {
  const h = harness();
  assert.equal(
    h.run("EVAL", "return cjson.encode({1, 'a/b', {x=true}, 1.5})", "0"),
    '[1,"a\\/b",{"x":true},1.5]',
  );
  assert.equal(h.run("EVAL", "return cjson.encode({})", "0"), "{}");
  assert.deepEqual(
    h.run(
      "EVAL",
      "local t = cjson.decode(ARGV[1]) return {t.a[2], tostring(t.b == cjson.null), t.c}",
      "0",
      '{"a":[1,2],"b":null,"c":"s"}',
    ),
    [2, "true", "s"],
  );
  assert.match(
    err(h.run("EVAL", "return cjson.decode('{')", "0")),
    /Expected object key string but found T_END at character 2/,
  );
  assert.equal(h.run("EVAL", "return bit.band(12, 10)", "0"), 8);
  assert.equal(h.run("EVAL", "return bit.bor(12, 3)", "0"), 15);
  assert.equal(h.run("EVAL", "return bit.bxor(5, 1)", "0"), 4);
  assert.equal(h.run("EVAL", "return bit.lshift(1, 4)", "0"), 16);
  assert.equal(h.run("EVAL", "return bit.rshift(-1, 28)", "0"), 15);
  assert.equal(h.run("EVAL", "return bit.tohex(65535)", "0"), "0000ffff");
  assert.equal(h.run("EVAL", "return bit.tohex(-1, -4)", "0"), "FFFF");
  assert.equal(h.run("EVAL", "return bit.bnot(0)", "0"), -1);
});

Deno.test("SHA caching: EVAL caches, EVALSHA, NOSCRIPT, SCRIPT LOAD/EXISTS/FLUSH/KILL", () => {
  const h = harness();
  const body = "return 'hi'";
  const sha = sha1hex(body);
  assert.deepEqual(h.run("EVALSHA", sha, "0"), {
    err: "NOSCRIPT No matching script. Please use EVAL.",
  });
  assert.equal(h.run("EVAL", body, "0"), "hi");
  assert.equal(h.run("EVALSHA", sha, "0"), "hi");
  assert.equal(h.run("EVALSHA", sha.toUpperCase(), "0"), "hi");
  assert.equal(h.run("SCRIPT", "LOAD", "return 2"), sha1hex("return 2"));
  assert.deepEqual(h.run("SCRIPT", "EXISTS", sha, sha1hex("return 2"), "f".repeat(40)), [1, 1, 0]);
  assert.match(err(h.run("SCRIPT", "LOAD", "return +")), /^ERR Error compiling script/);
  assert.equal(h.run("SCRIPT", "FLUSH"), "OK");
  assert.deepEqual(h.run("SCRIPT", "EXISTS", sha), [0]);
  assert.deepEqual(h.run("EVALSHA", sha, "0"), {
    err: "NOSCRIPT No matching script. Please use EVAL.",
  });
  assert.deepEqual(h.run("SCRIPT", "KILL"), { err: "NOTBUSY No scripts in execution right now." });
  assert.deepEqual(h.run("SCRIPT", "nope"), {
    err: "ERR unknown subcommand 'nope'. Try SCRIPT HELP.",
  });
  const help = h.run("SCRIPT", "HELP") as string[];
  assert.equal(help[0], "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  assert.deepEqual(help.slice(-2), ["HELP", "    Prints this help."]);
  assert.deepEqual(h.run("SCRIPT", "LOAD"), {
    err: "ERR wrong number of arguments for 'script|load' command",
  });
  assert.equal(
    h.run("EVAL", "return redis.sha1hex('')", "0"),
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  );
});

Deno.test("a script's log is its effects and replays to the same state", () => {
  const h = harness();
  h.run("SET", "counter", "10");
  const start = h.logs.length;
  const r = h.exec(
    "EVAL",
    `local n = redis.call('incrby', KEYS[1], ARGV[1])
     redis.call('rpush', KEYS[2], n, 'x')
     redis.call('spop', 'noset')
     redis.call('expire', KEYS[2], 100)
     redis.call('get', KEYS[1])
     return n`,
    "2",
    "counter",
    "list",
    "5",
  );
  assert.equal(r.reply.kind === "integer" && r.reply.value, 15);
  // Exactly what MULTI/EXEC of the same commands logs: reads log nothing, EXPIRE is absolute.
  const expected = new Harness();
  expected.clock.nowMs = h.clock.nowMs;
  expected.run("SET", "counter", "10");
  expected.logs.length = 0;
  expected.exec("incrby", "counter", "5");
  expected.exec("rpush", "list", "15", "x");
  expected.exec("expire", "list", "100");
  assert.deepEqual(r.log, expected.logs);
  assert.deepEqual(h.logs.slice(start), expected.logs);
  // A read-only script logs nothing; a failing one keeps the writes it made (no rollback).
  assert.equal(h.exec("EVAL", "return redis.call('get', 'counter')", "0").log, null);
  const before = h.logs.length;
  h.exec(
    "EVAL",
    "redis.call('incr', 'counter'); redis.call('incr', 'counter'); error('stop')",
    "0",
  );
  assert.deepEqual(h.logs.slice(before), [["incr", "counter"], ["incr", "counter"]]);
  // Random commands inside a script replay to the same state.
  h.run("SADD", "set", "a", "b", "c", "d", "e");
  h.run("EVAL", "redis.call('spop', 'set'); redis.call('set', 'r', math.random(1000))", "0");
  const replayed = h.replay(h.clock.nowMs + 1000);
  assert.deepEqual(stateOf(replayed.store), stateOf(h.store));
});

Deno.test("EVAL_RO / EVALSHA_RO refuse writes; reads work", () => {
  const h = harness();
  h.run("SET", "k", "v");
  assert.equal(h.run("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"), "v");
  const body = "return redis.call('set', 'k', 'w')";
  assert.equal(
    err(h.run("EVAL_RO", body, "0")),
    `ERR Write commands are not allowed from read-only scripts. script: ${
      sha1hex(body)
    }, on @user_script:1.`,
  );
  assert.equal(h.run("SCRIPT", "LOAD", body), sha1hex(body));
  assert.match(err(h.run("EVALSHA_RO", sha1hex(body), "0")), /^ERR Write commands are not allowed/);
  assert.equal(h.run("GET", "k"), "v");
  assert.deepEqual(
    h.run("EVAL_RO", "return redis.pcall('del', 'k')", "0"),
    { err: "ERR Write commands are not allowed from read-only scripts." },
  );
});

Deno.test("the instruction budget stops a runaway script, even one that pcalls", () => {
  const h = harness({ instructionsMax: 200_000 });
  assert.match(
    err(h.run("EVAL", "while true do end", "0")),
    /^ERR Script killed: it ran more than 200000 Lua instructions/,
  );
  assert.match(
    err(h.run("EVAL", "while true do pcall(function() while true do end end) end", "0")),
    /^ERR Script killed/,
  );
  // The state is still usable afterwards.
  assert.equal(h.run("EVAL", "local s = 0 for i = 1, 100 do s = s + i end return s", "0"), 5050);
});

Deno.test("math.random is Redis's rand48: math.randomseed(0) gives Redis's numbers", () => {
  const h = harness();
  // Values from redis-server 7.0.15: EVAL "math.randomseed(0); return ..." 0
  assert.equal(
    h.run("EVAL", "math.randomseed(0) return tostring(math.random())", "0"),
    "0.17082803611217",
  );
  const a = h.run("EVAL", "return {math.random(100), math.random(5, 10)}", "0") as number[];
  assert.ok(a[0] >= 1 && a[0] <= 100 && a[1] >= 5 && a[1] <= 10);
});

Deno.test("the store's script command hook hears each command a script ran, not its refusals", () => {
  const h = harness();
  h.run(
    "FUNCTION",
    "LOAD",
    "#!lua name=l\nredis.register_function('f', function(k) return redis.call('GET', k[1]) end)",
  );
  const heard: string[] = [];
  let timed = false;
  h.store.setScriptCommandHook({
    get timed() {
      return timed;
    },
    ran: (argv, us, reply) =>
      heard.push(`${argv.join(" ")} ${us >= 0 ? "timed" : "-"} ${reply.kind}`),
  });
  h.run("EVAL", "redis.call('SET', KEYS[1], 'v'); return redis.pcall('INCR', KEYS[1])", "1", "k");
  h.run(
    "EVAL",
    "redis.pcall('GET', 'a', 'b'); redis.pcall('NOSUCH'); return redis.pcall('BLPOP', 'l', '0')",
    "0",
  );
  timed = true;
  h.run(
    "EVAL_RO",
    "redis.pcall('DEL', 'k'); return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')",
    "0",
  );
  h.run("FCALL", "f", "1", "k");
  h.run("EVAL", "return redis.call('PING')", "0");
  assert.deepEqual(heard, [
    "SET k v - simple",
    "INCR k - error",
    "XREAD BLOCK 0 STREAMS s $ timed error",
    "GET k timed bulk",
    "PING timed simple",
  ]);
  h.store.setScriptCommandHook(null);
  h.run("EVAL", "return redis.call('PING')", "0");
  assert.equal(heard.length, 5);
});

Deno.test("EVAL: a table holding itself nests to the depth limit and ends in Redis's error", () => {
  const h = harness();
  let reply = h.run("EVAL", "local a = {}; local b = {a}; a[1] = b; return a", "0");
  let depth = 0;
  while (Array.isArray(reply)) {
    assert.equal(reply.length, 1);
    reply = reply[0];
    depth++;
  }
  // Before, fengari's stack ran out after ~20 levels: "Error: stack overflow" for the whole reply.
  assert.ok(depth > 100, `only ${depth} levels`);
  assert.deepEqual(reply, { err: "ERR reached lua stack limit" });
});

Deno.test("over maxmemory: a script without flags is refused at its first write only, then runs to its end", () => {
  const h = harness();
  // Empty and within the limit as it starts: every write runs, though the first one crosses it.
  h.store.setMaxmemory(400);
  const fill = "for i = 1, 20 do redis.call('set', 'k' .. i, string.rep('x', 50)) end return 1";
  assert.equal(h.run("EVAL", fill, "0"), 1);
  assert.equal(h.run("DBSIZE"), 20);
  assert.ok(h.store.stats.usedMemoryBytes > 400);
  // Over it as the next one starts: its first denyoom call is refused (a read still runs)...
  assert.match(err(h.run("EVAL", "return redis.call('set', 'a', 1)", "0")), /^OOM /);
  assert.equal(h.run("EVAL", "return redis.call('get', 'k1')", "0"), "x".repeat(50));
  // ...but not one after a write command, even a write that changed nothing (Redis's rule).
  assert.equal(
    h.run("EVAL", "redis.call('del', 'nosuch') return redis.call('set', 'a', 1)", "0"),
    "OK",
  );
  assert.match(err(h.run("SET", "b", "1")), /^OOM /);
});

Deno.test("over maxmemory: a script starts by evicting what the policy allows", () => {
  const h = harness();
  for (let i = 0; i < 10; i++) h.run("SET", `k${i}`, "x".repeat(50));
  assert.ok(h.store.stats.usedMemoryBytes > 1000);
  h.store.setMaxmemory(300, "allkeys-random");
  assert.equal(h.run("EVAL", "return redis.call('get', 'nosuch')", "0"), null);
  assert.ok(h.store.stats.usedMemoryBytes <= 300, "evicted before the script ran");
  assert.ok(h.logs.some((argv) => argv[0] === "DEL"), "the evictions are logged");
});

Deno.test("writeRefusal (min-replicas-to-write): scripts' writes refused, but never while replaying", () => {
  const h = harness();
  h.run(
    "FUNCTION",
    "LOAD",
    "#!lua name=w\nredis.register_function('w', function() return redis.call('set','f','1') end)",
  );
  const refusal = {
    kind: "error",
    value: "NOREPLICAS Not enough good replicas to write.",
  } as const;
  h.store.writeRefusal = refusal;
  const noReplicas = /^NOREPLICAS /;
  assert.match(err(h.run("EVAL", "return redis.call('set','k','v')", "0")), noReplicas);
  assert.match(err(h.run("EVAL", "#!lua\nreturn 1", "0")), noReplicas);
  assert.match(err(h.run("FCALL", "w", "0")), noReplicas);
  assert.equal(h.run("EVAL", "return redis.call('get','k')", "0"), null, "reads run");
  // A log being replayed (AOF load, a Raft replica's apply) holds only what ran: nothing refused.
  h.clock.replaying = true;
  assert.equal(h.run("EVAL", "return redis.call('set','k','v')", "0"), "OK");
  assert.equal(h.run("EVAL", "#!lua\nreturn redis.call('set','k2','v')", "0"), "OK");
  assert.equal(h.run("FCALL", "w", "0"), "OK");
  h.clock.replaying = false;
  h.store.writeRefusal = null;
  assert.equal(h.run("EVAL", "return redis.call('set','k3','v')", "0"), "OK");
});
