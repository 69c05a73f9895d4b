/**
 * Side by side with redis-server 7.0.15: the Lua libraries and number model of scripts beyond
 * atlasd_tx_pubsub_script_edge_diff_test.ts. Pins, each line's reply equal to Redis's in RESP2 and
 * RESP3:
 * - no 32-bit integer reaches a script: `#a * #b`, `k * k` over next's keys and the like were
 *   fengari integers that wrapped at 2^31 (2500000000 came back as -1794967296); tonumber('-0')
 *   kept no sign, "5\0" was not a number, hex numerals past 2^53 were wrong;
 * - Lua 5.1's table traversal order (its hash layout): pairs, next, cjson.encode objects and
 *   cmsgpack.pack maps (sparse integer keys too) came out in insertion order; `#` of tables with
 *   holes;
 * - Lua 5.1's string, table and base libraries: string.rep without a separator and with C-int
 *   counts (2^31 built a 2 GB string), string.byte's slice limit, string.char, string.format's
 *   %s (strings only, NUL, 100-byte rule), %q and a trailing '%' (a JS TypeError), find/match
 *   init past the end, no %g class, gsub replacement '%' rules, gfind, table.insert/remove/
 *   concat/foreach/foreachi/setn, unpack's limits and errors, select, assert, loadstring, gcinfo,
 *   collectgarbage, coroutine.running, '?' for functions called from pcall, _VERSION, no 5.3-only
 *   functions;
 * - runtime errors in 5.1's words ("attempt to index local 't' (a nil value)");
 * - cjson as lua-cjson 2.1.0: its tokenizer's errors and positions, strtod numbers, \u escapes,
 *   the configuration functions and cjson.new(), "Cannot serialise boolean: ...";
 * - bit.tobit past 2^51 (LuaBitOp's rounding), bit.tohex(x, nil);
 * - redis.setresp(3) (was refused): RESP3 replies reach the script as nil, booleans, {double=},
 *   {map=}, {set=} and pairs, and the script's booleans reply as RESP3 booleans.
 */
import assert from "node:assert/strict";
import { replyDifferences, withRedisAndAtlasd } from "../atlas/testing/atlasd_harness.ts";

const e0 = (script: string) => ["EVAL", script, "0"];

/** Sent one by one, on a RESP2 and then on a RESP3 connection; every reply must equal Redis's. */
const LINES: string[][] = [
  // numbers past 2^31 built from lengths and library results
  e0("return #string.rep('a', 50000) * #string.rep('b', 50000)"),
  e0("local t = {} for i = 1, 50000 do t[i] = i end return #t * #t"),
  e0("return tostring(select('#', 1, 2) * 2147483647)"),
  e0("local k = next({[100000] = 1}) return k * k"),
  e0("local s, e = string.find(string.rep('x', 50000), 'x', 50000) return s * e"),
  e0("return string.byte('a') * 100000000"),
  e0("return tostring(tonumber('-0'))"),
  e0("return tostring(tonumber('5\\0'))"),
  e0("return tostring(tonumber('0x7fffffffffffffff'))"),
  e0("return tostring(0x10000000000000000)"),
  e0(
    "return tostring(tonumber(' 10 ')) .. tostring(tonumber('1e400')) .. tostring(tonumber('0x10'))",
  ),
  // table traversal order: Lua 5.1's hash layout
  e0("return cjson.encode({a = 1, b = 2, c = 3, d = 4})"),
  e0("return cjson.encode({name = 'a', age = 1, city = 'x'})"),
  e0('return cjson.encode(cjson.decode(\'{"a":1,"b":2,"c":3}\'))'),
  e0("local r = {} for k in pairs({x = 1, y = 2, z = 3}) do r[#r + 1] = k end return r"),
  e0(
    "local t = {} t.z = 1 t.y = 2 t.x = 3 local r = {} for k in pairs(t) do r[#r + 1] = k end return r",
  ),
  e0("local r = {} for k in pairs({[10] = 1, [20] = 2, [30] = 3}) do r[#r + 1] = k end return r"),
  e0(
    "local r = {} for k in pairs({[-1] = 1, [0] = 2, [1] = 3, [2.5] = 4}) do r[#r + 1] = k end return r",
  ),
  e0(
    "local r = {} local t = {} for i = 1, 20 do t['k' .. i] = i end for k in pairs(t) do r[#r + 1] = k end return r",
  ),
  e0(
    "local r = {} local t = {a = 1, b = 2, c = 3, d = 4, e = 5, f = 6} t.c = nil t.g = 7 for k in pairs(t) do r[#r + 1] = k end return r",
  ),
  e0(
    "local t = {} for i = 1, 300 do t[i] = i end for i = 1, 290 do t[i] = nil end t.x = 1 local r = {} for k in pairs(t) do r[#r + 1] = tostring(k) end return r",
  ),
  e0("local t = {x = 1, y = 2} local k = next(t) return {k, next(t, k)}"),
  e0(
    'local r = {} for k in pairs(cjson.decode(\'{"name":"n","id":5,"tags":[1,2]}\')) do r[#r + 1] = k end return r',
  ),
  e0("return cmsgpack.pack({[1] = 1, [3] = 3, [10] = 10})"),
  e0("return cmsgpack.pack({[10] = 10, [3] = 3, [1] = 1})"),
  e0("return cmsgpack.pack({[2] = 1, [4] = 1, [6] = 1, [8] = 1})"),
  e0("local t = {} t[100] = 1 t[200] = 1 t[300] = 1 t[5] = 1 return cmsgpack.pack(t)"),
  e0("return cmsgpack.pack({a = 1, b = 2, c = 3, d = 4})"),
  e0("return cmsgpack.pack({1, 2, [5] = 5, [7] = 7})"),
  e0("return #{1, 2, nil, 4}"),
  e0("local t = {} t[1] = 1 t[2] = 2 t[4] = 4 return #t"),
  e0("local t = {10, 20, 30, 40} t[2] = nil return {unpack(t)}"),
  // string library: Lua 5.1's
  e0("return string.rep('ab', 3, ',')"),
  e0("return string.rep('x', 2^31)"),
  e0("return string.rep('x', 2^32 + 2)"),
  e0("return #{string.byte(string.rep('x', 7997), 1, -1)}"),
  e0("return #{string.byte(string.rep('x', 10000), 1, -1)}"),
  e0("return string.char(256)"),
  e0("return string.char(2^32 + 65)"),
  e0("return string.format('%s', nil)"),
  e0("return string.format('%s', true)"),
  e0("return string.format('%', 1)"),
  e0("return string.format('%q', 'a\\0b\\nc\"d\\\\e\\r\\t')"),
  e0("return string.format('%s|%10s|%.2s', 'a\\0b', 'a\\0b', 'xyz')"),
  e0("return string.format('%5s|%-5s|%q', 7, 'b', 0.5)"),
  e0("return {string.find('abc', '', 10)}"),
  e0("return {string.match('abc', '()', 10)}"),
  e0("return {string.find('abc', '%g')}"),
  e0("return {string.find('a%gb', '%%g')}"),
  e0("return {string.gsub('hello', '(l)', '%2')}"),
  e0("return {string.gsub('hello', 'l', '%')}"),
  e0("return {string.gsub('hello', 'l', '%x')}"),
  e0("return {string.gsub('hello', 'l', 'x', 2^32 + 1)}"),
  e0("return {string.gsub('hello world', '(o)', '[%1%0]')}"),
  e0("return type(string.gfind)"),
  e0("return {type(string.pack), type(table.pack), type(table.unpack), type(table.move)}"),
  e0("return {type(table.foreach), type(table.foreachi), type(table.setn), type(gcinfo)}"),
  e0("return _VERSION"),
  e0("return type(rawlen)"),
  e0("return type(coroutine.isyieldable)"),
  e0("return getmetatable('abc').__index == string"),
  // A returned table is read raw: _G's global protection and a script's own __index never run.
  e0("return _G"),
  e0("local a = {}; setmetatable(a, {__index = function() foo() end}) return a"),
  e0(
    "local a = {}; setmetatable(a, {__index = function() redis.call('set', 'x', '1') end}) return a",
  ),
  ["EXISTS", "x"],
  e0(
    "return setmetatable({1, 2}, {__index = function(t, k) return k == 'err' and 'boom' or 9 end})",
  ),
  // table library and base functions
  e0("return {unpack({1, 2, 3}, 2^32 + 2)}"),
  e0("return #{unpack({}, 1, 7990)}"),
  e0("return #{unpack({}, 1, 8000)}"),
  e0("return {unpack({}, 1, 2^31)}"),
  e0("return {unpack('abc')}"),
  e0("return select(2^32 + 1, 'a', 'b')"),
  e0("return select(-1, 'a', 'b')"),
  e0("return table.insert({}, 5, 'x')"),
  e0("local t = {1, 2, 3} table.insert(t, 10, 'x') return {t[10], #t}"),
  e0("local t = {1, 2, 3} table.insert(t, -1, 'x') return {t[-1], #t}"),
  e0("local t = {1, 2, 3} table.insert(t, 1, 2, 3) return t"),
  e0("return select('#', table.remove({}))"),
  e0("return {table.remove({1, 2, 3}, 5)}"),
  e0("local t = {[0] = 'z'} return {table.remove(t, 0), t[0]}"),
  e0("return table.concat(nil, {})"),
  e0("return table.concat({1, {}, 3})"),
  e0("return table.concat({1, 2}, '', 2^32 + 1)"),
  e0("return table.setn({}, 5)"),
  e0("return table.foreach({10, 20}, function(k, v) if v == 20 then return k end end)"),
  e0("return table.foreachi({10, 20}, function(k, v) if v == 20 then return k * 2 end end)"),
  e0("return type(coroutine.running())"),
  e0("return {coroutine.resume(coroutine.running())}"),
  // The script's own thread is the main thread (atlasd runs it in a coroutine, to pause it).
  e0("coroutine.yield(1)"),
  e0("return {pcall(coroutine.yield, 1)}"),
  e0("local co = coroutine.wrap(function() return type(coroutine.running()) end) return co()"),
  e0("return {pcall(ipairs)}"),
  e0("return {pcall(ipairs, nil)}"),
  e0("return {pcall(assert, false, {1})}"),
  e0("return assert(false, 5)"),
  e0("return assert(nil, 'msg')"),
  e0("return loadstring('return 1 + 1')()"),
  e0("return {loadstring('return +')}"),
  e0("return loadstring('x = 5')()"),
  e0("return {pcall(loadstring('error(\"a\")'))}"),
  e0("return collectgarbage()"),
  e0("return collectgarbage('step')"),
  e0("return collectgarbage('x')"),
  // runtime errors in Lua 5.1's words
  e0("local t = nil return t.x"),
  e0("local t = {} return t.x.y"),
  e0("local s = 'x' return s()"),
  e0("return string.nosuch()"),
  e0("return ('x'):bad()"),
  e0("return -'x'"),
  e0("return 'a' .. {}"),
  e0("return {} < {}"),
  // cjson (lua-cjson 2.1.0)
  e0("return cjson.encode({[true] = 1})"),
  e0("return cjson.encode({[1] = 1, [20] = 2})"),
  e0(
    "return tostring(cjson.decode('NaN')) .. tostring(cjson.decode('Infinity')) .. tostring(cjson.decode('-Infinity'))",
  ),
  e0("return {cjson.decode('0x10'), cjson.decode('010'), cjson.decode('1.'), cjson.decode('+1')}"),
  e0("return cjson.decode('.5')"),
  e0("return cjson.decode('')"),
  e0("return cjson.decode('[')"),
  e0("return cjson.decode('[1,]')"),
  e0("return cjson.decode('{\"a\":1,}')"),
  e0("return cjson.decode('{\"a\" 1}')"),
  e0("return cjson.decode('{a:1}')"),
  e0("return cjson.decode('[1] x')"),
  e0("return cjson.decode('\"\\\\u0041\\\\u00e9\\\\u20ac\\\\ud83d\\\\ude00\"')"),
  e0("return cjson.decode('\"\\\\ud83d\"')"),
  e0("return cjson.decode('\"\\\\x\"')"),
  e0("return cjson.decode('\"a\\nb\\1\"')"),
  e0("return cjson.decode('[1]\\0garbage')[1]"),
  e0("return cjson.decode()"),
  e0("return cjson.decode(nil)"),
  e0("return cjson.decode('[1]', 2)"),
  e0("return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"),
  e0("return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))"),
  e0(
    "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()}",
  ),
  e0("return {cjson.encode_sparse_array()}"),
  e0(
    "return {cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers(), cjson.encode_keep_buffer()}",
  ),
  e0("return {cjson._NAME, cjson._VERSION, type(cjson.new)}"),
  e0("local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1] = 1, [20] = 2})"),
  e0("local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({1/0, -1/0, 0/0})"),
  e0("local c = cjson.new() c.encode_invalid_numbers('null') return c.encode({1/0})"),
  e0("local c = cjson.new() c.encode_number_precision(3) return c.encode({1/3, 12345})"),
  e0("local c = cjson.new() c.encode_max_depth(2) return c.encode({{{1}}})"),
  e0("local c = cjson.new() c.decode_invalid_numbers(false) return c.decode('0x10')"),
  e0("return cjson.new().encode_max_depth(0)"),
  e0("return cjson.encode_sparse_array(1, 2, 3, 4)"),
  e0("return tostring(cjson.null)"),
  // bit (LuaBitOp)
  e0(
    "return {bit.tobit(2^53), bit.tobit(2^64 + 2^12), bit.tobit(1e300), bit.tobit(1/0), bit.tobit(0/0)}",
  ),
  e0(
    "return {bit.tobit(2^32 + 5), bit.tobit(2.5), bit.tobit(-1.5), bit.tohex(255, -2), bit.tohex(-1)}",
  ),
  e0("return bit.tohex(1, nil)"),
  // redis.setresp(3): RESP3 replies reach the script as RESP3 values
  e0("redis.setresp(3) return redis.call('get', 'nokey')"),
  e0("redis.setresp(3) return type(redis.call('get', 'nokey'))"),
  e0(
    "redis.setresp(3) redis.call('hset', 'h3', 'a', '1', 'b', '2') local m = redis.call('hgetall', 'h3') return {type(m.map), m.map.a, m.map.b}",
  ),
  e0(
    "redis.setresp(3) redis.call('hset', 'h3', 'a', '1', 'b', '2') return redis.call('hgetall', 'h3')",
  ),
  e0(
    "redis.setresp(3) redis.call('sadd', 's3', 'x', 'y') local s = redis.call('smembers', 's3') return {s.set.x, s.set.y}",
  ),
  e0(
    "redis.setresp(3) redis.call('zadd', 'z3', 1.5, 'a', 2, 'b') local d = redis.call('zscore', 'z3', 'a') return {type(d), d.double}",
  ),
  e0(
    "redis.setresp(3) redis.call('zadd', 'z3', 1.5, 'a', 2, 'b') return redis.call('zrange', 'z3', 0, -1, 'withscores')",
  ),
  e0("redis.setresp(3) return {true, false, 1}"),
  e0("redis.setresp(3) return false"),
  e0("redis.setresp(3) return redis.call('set', 'k3', 'v')"),
  e0("redis.setresp(3) redis.setresp(2) return redis.call('get', 'nokey')"),
  e0("return {true, false}"),
  // The sandbox: read-only globals and libraries hold against rawset, setmetatable and the
  // metatables getmetatable hands out (a rawset global used to persist into later scripts, and a
  // rawset redis.call or string metatable change broke them).
  e0("rawset(_G, 'x', 1) return x"),
  e0("return rawget(_G, 'x')"),
  e0("rawset(redis, 'call', 1) return 1"),
  e0("return redis.call('PING')"),
  e0("setmetatable(redis, {})"),
  e0("setmetatable(_G, {})"),
  e0("local g = getmetatable(_G) g.__index = {}"),
  e0("return {type(getmetatable(_G)), type(getmetatable(redis)), type(getmetatable(cjson))}"),
  e0("return type(getmetatable(getmetatable(_G)))"),
  e0("return getmetatable('').__index == string"),
  e0("getmetatable('').__index = {} return 1"),
  e0("return ('x'):rep(3)"),
  e0("local t = setmetatable({}, {}) rawset(t, 'a', 1) return t.a"),
  e0("return type(getmetatable(setmetatable({}, {__metatable = 'no'})))"),
  [
    "FUNCTION",
    "LOAD",
    "REPLACE",
    "#!lua name=tricks\n" +
    "redis.register_function('t1', function() setmetatable(_G, {}) end)\n" +
    "redis.register_function('t2', function() local g = getmetatable(_G) g.__index = {} end)\n" +
    "redis.register_function('t3', function() rawset(_G, 'y', 1) end)",
  ],
  ["FCALL", "t1", "0"],
  ["FCALL", "t2", "0"],
  ["FCALL", "t3", "0"],
  ["FUNCTION", "DELETE", "tricks"],
];

Deno.test("scripting libraries and number model match redis-server", () =>
  withRedisAndAtlasd(async (redis, atlas) => {
    const differences = await replyDifferences(redis, atlas, LINES, undefined, "RESP2 ");
    await redis.one("HELLO", "3");
    await atlas.one("HELLO", "3");
    differences.push(...await replyDifferences(redis, atlas, LINES, undefined, "RESP3 "));
    assert.deepEqual(differences, []);
  }));
