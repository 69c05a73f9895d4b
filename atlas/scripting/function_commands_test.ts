import assert from "node:assert/strict";
import { Store } from "../store/store.ts";
import { Harness, stateOf } from "../store/test_util.ts";
import { registerScriptingCommands } from "./mod.ts";

function harness(): Harness {
  const h = new Harness();
  registerScriptingCommands(h.store);
  return h;
}

const LIB = [
  "#!lua name=mylib",
  "local calls = 0",
  "redis.register_function('echo_keys', function(keys, args) return {keys[1], args[1], #args} end)",
  "redis.register_function{function_name='setter', callback=function(keys, args)",
  "  return redis.call('SET', keys[1], args[1]) end, description='sets a key'}",
  "redis.register_function{function_name='getter', callback=function(keys, args)",
  "  return redis.call('GET', keys[1]) end, flags={'no-writes', 'ALLOW-OOM'}}",
  "redis.register_function{function_name='bad_ro', callback=function(keys, args)",
  "  return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}",
  "redis.register_function('counter', function() calls = calls + 1 return calls end)",
].join("\n");

function err(reply: unknown): string {
  assert.equal(typeof reply, "object", `expected an error, got ${JSON.stringify(reply)}`);
  return (reply as { err: string }).err;
}

Deno.test("FUNCTION LOAD and FCALL: both registration forms, KEYS/ARGV as arguments", () => {
  const h = harness();
  assert.equal(h.run("FUNCTION", "LOAD", LIB), "mylib");
  assert.deepEqual(h.run("FCALL", "echo_keys", "1", "k", "a", "b"), ["k", "a", 2]);
  assert.deepEqual(h.run("fcall", "ECHO_KEYS", "1", "K"), ["K"]); // names ignore case
  assert.equal(h.run("FCALL", "setter", "1", "key", "value"), "OK");
  assert.equal(h.run("FCALL", "getter", "1", "key"), "value");
  assert.equal(h.run("FCALL_RO", "getter", "1", "key"), "value");
  // Upvalues live as long as the library.
  assert.equal(h.run("FCALL", "counter", "0"), 1);
  assert.equal(h.run("FCALL", "counter", "0"), 2);
});

Deno.test("FCALL / FCALL_RO errors: Redis's texts", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", LIB);
  assert.equal(err(h.run("FCALL", "nosuch", "0")), "ERR Function not found");
  assert.equal(err(h.run("FCALL", "nosuch", "x")), "ERR Function not found");
  assert.equal(err(h.run("FCALL", "setter", "x")), "ERR Bad number of keys provided");
  assert.equal(
    err(h.run("FCALL", "setter", "3", "a")),
    "ERR Number of keys can't be greater than number of args",
  );
  assert.equal(err(h.run("FCALL", "setter", "-1")), "ERR Number of keys can't be negative");
  assert.equal(err(h.run("FCALL", "setter")), "ERR wrong number of arguments for 'fcall' command");
  assert.equal(
    err(h.run("FCALL_RO", "setter", "1", "k", "v")),
    "ERR Can not execute a script with write flag using *_ro command.",
  );
  for (const cmd of ["FCALL", "FCALL_RO"]) {
    assert.equal(
      err(h.run(cmd, "bad_ro", "1", "k")),
      "ERR Write commands are not allowed from read-only scripts. script: bad_ro, on " +
        "@user_function:9.",
    );
  }
  assert.equal(h.run("EXISTS", "k"), 0);
});

Deno.test("FUNCTION LOAD errors: metadata, names, registration, compilation", () => {
  const h = harness();
  const load = (code: string) => err(h.run("FUNCTION", "LOAD", code));
  const reg = (body: string) => load(`#!lua name=x\n${body}`);
  assert.equal(load("return 1"), "ERR Missing library metadata");
  assert.equal(load("#!lua"), "ERR Invalid library metadata");
  assert.equal(load("#!lua\nreturn 1"), "ERR Library name was not given");
  assert.equal(load("#!lua name=x foo=bar\n"), "ERR Invalid metadata value given: foo=bar");
  assert.equal(
    load("#!lua name=x name=y\n"),
    "ERR Invalid metadata value, name argument was given multiple times",
  );
  assert.equal(load("#!js name=x\n"), "ERR Engine 'js' not found");
  assert.match(load("#!lua name=x-y\n"), /^ERR Library names can only contain letters/);
  assert.equal(reg("return 1"), "ERR No functions registered");
  assert.equal(
    reg("redis.call('ping')"),
    "ERR Error registering functions: ERR user_function:2: Script attempted to access " +
      "nonexistent global variable 'call'",
  );
  assert.equal(
    reg("local s = string.format('%d', 1)"),
    "ERR Error registering functions: ERR user_function:2: Script attempted to access " +
      "nonexistent global variable 'string'",
  );
  assert.equal(
    reg("y = 1"),
    "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table",
  );
  assert.match(reg("syntax error here"), /^ERR Error compiling function: user_function:2: /);
  assert.match(
    reg("redis.register_function('a-b', function() end)"),
    /^ERR Error registering functions: ERR Library names can only contain/,
  );
  const cases: [string, string][] = [
    [
      "redis.register_function('a', function() end)\nredis.register_function('a', function() end)",
      "Function already exists in the library",
    ],
    [
      "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}",
      "unknown flag given",
    ],
    [
      "redis.register_function{function_name='a', callback=function() end, foo=1}",
      "unknown argument given to redis.register_function",
    ],
    [
      "redis.register_function('a')",
      "calling redis.register_function with a single argument is only applicable to Lua " +
      "table (representing named arguments).",
    ],
    ["redis.register_function()", "wrong number of arguments to redis.register_function"],
    ["redis.register_function({})", "redis.register_function must get a function name argument"],
    [
      "redis.register_function{function_name='a'}",
      "redis.register_function must get a callback argument",
    ],
    [
      "redis.register_function({}, function() end)",
      "first argument to redis.register_function must be a string",
    ],
    [
      "redis.register_function('a', 1)",
      "second argument to redis.register_function must be a function",
    ],
    [
      "redis.register_function{function_name='a', callback=1}",
      "callback argument given to redis.register_function must be a function",
    ],
    [
      "redis.register_function{function_name='a', callback=function() end, flags='no-writes'}",
      "flags argument to redis.register_function must be a table representing function flags",
    ],
  ];
  for (const [body, text] of cases) {
    assert.equal(reg(body), `ERR Error registering functions: ERR ${text}`, body);
  }
  assert.equal(
    h.run("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function(1, function() end)"),
    "x",
  );
  assert.equal(err(h.run("FUNCTION", "LOAD", "#!LUA name=x\n")), "ERR Library 'x' already exists");
  assert.equal(
    err(h.run("FUNCTION", "LOAD", "#!lua name=z\nredis.register_function('1', function() end)")),
    "ERR Function 1 already exists",
  );
  assert.equal(err(h.run("FUNCTION", "LOAD", "foo", "bar")), "ERR Unknown option given: foo");
  assert.equal(err(h.run("FUNCTION", "LOAD", "REPLACE")), "ERR Missing library metadata");
  // Nothing of the failed loads stayed.
  assert.deepEqual(
    h.run("FUNCTION", "STATS"),
    [["running_script", null], ["engines", [["LUA", [
      ["libraries_count", 1],
      ["functions_count", 1],
    ]]]]],
  );
});

Deno.test("FUNCTION LOAD REPLACE swaps a library atomically; a failed replace keeps the old", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('f', function() return 1 end)");
  h.run("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('g', function() return 2 end)");
  assert.equal(
    err(
      h.run(
        "FUNCTION",
        "LOAD",
        "REPLACE",
        "#!lua name=a\nredis.register_function('g', function() end)",
      ),
    ),
    "ERR Function g already exists",
  );
  assert.equal(h.run("FCALL", "f", "0"), 1);
  assert.equal(
    h.run(
      "FUNCTION",
      "LOAD",
      "replace",
      "#!lua name=a\nredis.register_function('f2', function() return 3 end)",
    ),
    "a",
  );
  assert.equal(err(h.run("FCALL", "f", "0")), "ERR Function not found");
  assert.equal(h.run("FCALL", "f2", "0"), 3);
});

Deno.test("FUNCTION LIST, DELETE, FLUSH, STATS, KILL, HELP", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", LIB);
  h.run("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('o', function() end)");
  const list = h.run("FUNCTION", "LIST", "LIBRARYNAME", "MY*") as unknown[];
  assert.equal(list.length, 1);
  assert.deepEqual((list[0] as unknown[]).slice(0, 2), [["library_name", "mylib"], [
    "engine",
    "LUA",
  ]]);
  const functions = ((list[0] as unknown[])[2] as unknown[])[1] as unknown[];
  assert.deepEqual(functions[1], [["name", "setter"], ["description", "sets a key"], [
    "flags",
    [],
  ]]);
  assert.deepEqual(functions[2], [["name", "getter"], ["description", null], ["flags", [
    "no-writes",
    "allow-oom",
  ]]]);
  const withCode = h.run("FUNCTION", "LIST", "WITHCODE") as unknown[][];
  assert.equal(withCode.length, 2);
  assert.deepEqual(withCode[0][3], ["library_code", LIB]);
  assert.equal(err(h.run("FUNCTION", "LIST", "foo")), "ERR Unknown argument foo");
  assert.equal(
    err(h.run("FUNCTION", "LIST", "libraryname")),
    "ERR library name argument was not given",
  );
  assert.equal(
    err(h.run("FUNCTION", "LIST", "withcode", "withcode")),
    "ERR Unknown argument withcode",
  );
  assert.equal(err(h.run("FUNCTION", "DELETE", "nosuch")), "ERR Library not found");
  assert.equal(h.run("FUNCTION", "DELETE", "other"), "OK");
  assert.equal(err(h.run("FCALL", "o", "0")), "ERR Function not found");
  assert.equal(
    err(h.run("FUNCTION", "DELETE")),
    "ERR wrong number of arguments for 'function|delete' command",
  );
  assert.equal(
    err(h.run("FUNCTION", "FLUSH", "bad")),
    "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
  );
  assert.equal(
    err(h.run("FUNCTION", "FLUSH", "a", "b")),
    "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.",
  );
  assert.equal(
    err(h.run("FUNCTION", "KILL")),
    "NOTBUSY No scripts in execution right now.",
  );
  assert.equal(
    err(h.run("FUNCTION", "nosuch")),
    "ERR unknown subcommand 'nosuch'. Try FUNCTION HELP.",
  );
  assert.equal(
    err(h.run("FUNCTION")),
    "ERR wrong number of arguments for 'function' command",
  );
  assert.equal((h.run("FUNCTION", "HELP") as string[]).at(-1), "    Prints this help.");
  assert.equal(h.run("FUNCTION", "FLUSH", "async"), "OK");
  assert.deepEqual(h.run("FUNCTION", "LIST"), []);
  assert.equal(err(h.run("FCALL", "setter", "0")), "ERR Function not found");
});

Deno.test("FUNCTION DUMP / RESTORE: Redis's payload, policies and errors", () => {
  const h = harness();
  const code = '#!lua name=mylib\nredis.register_function("f1", function(keys, args) ' +
    "return keys[1] end)";
  h.run("FUNCTION", "LOAD", code);
  const dump = h.run("FUNCTION", "DUMP") as string;
  // The bytes redis-server 7.0.15 gives for this library (its code is too short to compress).
  const redis = "\xf5@W" + code + "\x0a\x00[\x05\x84I\xbf\xf8\x81[";
  assert.equal(dump, redis);
  assert.equal(
    err(h.run("FUNCTION", "RESTORE", dump)),
    "ERR Library mylib already exists",
  );
  assert.equal(h.run("FUNCTION", "RESTORE", dump, "REPLACE"), "OK");
  h.run("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('f2', function() end)");
  assert.equal(h.run("FUNCTION", "RESTORE", dump, "FLUSH"), "OK");
  assert.equal((h.run("FUNCTION", "LIST") as unknown[]).length, 1);
  h.run("FUNCTION", "FLUSH");
  assert.equal(h.run("FUNCTION", "RESTORE", dump), "OK");
  assert.equal(h.run("FCALL", "f1", "1", "z"), "z");
  h.run("FUNCTION", "LOAD", "#!lua name=c\nredis.register_function('x', function() end)");
  h.run("FUNCTION", "DELETE", "mylib");
  h.run("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('f1', function() end)");
  assert.equal(
    err(h.run("FUNCTION", "RESTORE", dump, "replace")),
    "ERR Function f1 already exists",
  );
  assert.equal(
    err(h.run("FUNCTION", "RESTORE", "abc")),
    "ERR DUMP payload version or checksum are wrong",
  );
  assert.equal(
    err(h.run("FUNCTION", "RESTORE", dump, "foo")),
    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
  );
  assert.equal(
    err(h.run("FUNCTION", "RESTORE", dump, "a", "b")),
    "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
  );
  // A key's DUMP is not a function payload.
  h.run("SET", "k", "v");
  const keyDump = h.run("DUMP", "k") as string;
  assert.equal(err(h.run("FUNCTION", "RESTORE", keyDump)), "ERR given type is not a function");
  // Two libraries, restored into an empty store.
  const both = h.run("FUNCTION", "DUMP") as string;
  const other = harness();
  assert.equal(other.run("FUNCTION", "RESTORE", both), "OK");
  assert.equal((other.run("FUNCTION", "LIST") as unknown[]).length, 2);
});

Deno.test("FCALL logs its effects; FUNCTION writes log themselves; replay rebuilds libraries", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", LIB);
  h.run("FCALL", "setter", "1", "k", "v1");
  h.run("FCALL", "getter", "1", "k");
  h.run("FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('g', function() end)");
  h.run("FUNCTION", "DELETE", "gone");
  h.run("FUNCTION", "LOAD", "bad code"); // fails: not logged
  assert.deepEqual(h.logs.map((l) => l.slice(0, 2)), [
    ["FUNCTION", "LOAD"],
    ["SET", "k"],
    ["FUNCTION", "LOAD"],
    ["FUNCTION", "DELETE"],
  ]);
  const replayed = new Store();
  registerScriptingCommands(replayed);
  for (const argv of h.logs) replayed.execute(argv, { nowMs: 0, random: () => 0, replaying: true });
  assert.deepEqual(stateOf(replayed), stateOf(h.store));
  const again = replayed.execute(["FCALL", "echo_keys", "1", "a", "b"], h.clock);
  assert.deepEqual(again.reply.kind, "array");
});

Deno.test("snapshots carry the libraries as a section; flushAll (a whole restore) drops them", () => {
  const h = harness();
  h.run("FUNCTION", "LOAD", LIB);
  h.run("SET", "k", "v");
  const view = h.store.snapshotView();
  const entries = [...view];
  assert.equal(entries.length, 2);
  const copy = new Store();
  registerScriptingCommands(copy);
  for (const e of entries) copy.restoreValue(e.key, e.payload, e.expireAtMs);
  assert.deepEqual(stateOf(copy), stateOf(h.store));
  assert.equal(copy.stats.keys, 1);
  assert.equal(plainBulk(copy.execute(["FCALL", "setter", "1", "x", "y"], h.clock).reply), "OK");
  // A store without the scripting module keeps the section and saves it again.
  const bare = new Store();
  for (const e of entries) bare.restoreValue(e.key, e.payload, e.expireAtMs);
  const late = new Store();
  for (const e of bare.snapshotView()) late.restoreValue(e.key, e.payload, e.expireAtMs);
  registerScriptingCommands(late);
  assert.equal(plainBulk(late.execute(["FCALL", "getter", "1", "k"], h.clock).reply), "v");
  copy.flushAll();
  assert.deepEqual(stateOf(copy), []);
  // An empty store's snapshot has no section entry (old readers see nothing new).
  assert.deepEqual(stateOf(harness().store), []);
});

Deno.test("allow-oom: a writing function without it is refused over maxmemory", () => {
  const h = new Harness({ maxmemoryBytes: 1 });
  registerScriptingCommands(h.store);
  h.run("FUNCTION", "LOAD", LIB);
  h.run(
    "FUNCTION",
    "LOAD",
    [
      "#!lua name=oom",
      "redis.register_function{function_name='oomok', callback=function() return 1 end,",
      "  flags={'allow-oom'}}",
    ].join("\n"),
  );
  h.store.restoreValue("big", "\x00" + "x".repeat(1000), null);
  assert.match(
    err(h.run("FCALL", "setter", "1", "k", "v")),
    /^OOM command not allowed when used memory/,
  );
  assert.equal(h.run("FCALL", "getter", "1", "k"), null); // no-writes
  assert.equal(h.run("FCALL", "oomok", "0"), 1);
});

function plainBulk(reply: { kind: string; value?: unknown }): unknown {
  return reply.value;
}
