/**
 * Lua 5.1's number model on fengari (lua_number.ts). The expected texts are redis-server
 * 7.0.15's answers (and glibc printf's); tests/atlasd_tx_pubsub_script_edge_diff_test.ts compares
 * the same kind of lines with a live Redis.
 */
import assert from "node:assert/strict";
import { Harness } from "../store/test_util.ts";
import { formatDoubleC, formatNumber } from "./lua_number.ts";
import { registerScriptingCommands } from "./mod.ts";

function harness(): Harness {
  const h = new Harness();
  registerScriptingCommands(h.store, {});
  return h;
}

const spec = (text: string) => {
  const m = /^([-+ #0]*)(\d*)(?:\.(\d+))?$/.exec(text) as RegExpExecArray;
  return {
    minus: m[1].includes("-"),
    plus: m[1].includes("+"),
    space: m[1].includes(" "),
    alt: m[1].includes("#"),
    zero: m[1].includes("0"),
    width: Number(m[2] || 0),
    precision: m[3] === undefined ? -1 : Number(m[3]),
  };
};

Deno.test("formatNumber is C's %.14g (round half to even on the exact value)", () => {
  const cases: [number, string][] = [
    [3, "3"],
    [-3.7, "-3.7"],
    [0.1, "0.1"],
    [1 / 3, "0.33333333333333"],
    [1e-5, "1e-05"],
    [1e14, "1e+14"],
    [99999999999999, "99999999999999"],
    [123456789012345, "1.2345678901234e+14"],
    [2 ** 53, "9.007199254741e+15"],
    [1e20, "1e+20"],
    [-0, "-0"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [2 ** -1074, "4.9406564584125e-324"],
  ];
  for (const [x, want] of cases) assert.equal(formatNumber(x), want, String(x));
});

Deno.test("formatDoubleC is C's printf over Lua 5.1's 64-bit casts", () => {
  const cases: [string, string, number, string][] = [
    ["d", "", 3.7, "3"],
    ["d", "", -3.7, "-3"],
    ["d", "", 1700000000000, "1700000000000"],
    ["d", "", 1e20, "-9223372036854775808"],
    ["x", "", -1, "ffffffffffffffff"],
    ["x", "", 2 ** 64, "0"],
    ["x", "#", 255, "0xff"],
    ["o", "#.0", 0, "0"],
    ["d", "+.0", 0, "+"],
    ["d", "5.3", -5, " -005"],
    ["d", "05", -42, "-0042"],
    ["f", ".0", 0.5, "0"],
    ["f", ".0", 2.5, "2"],
    ["f", ".2", 2.675, "2.67"],
    ["f", "010.3", -3.14159, "-00003.142"],
    ["e", "", 2, "2.000000e+00"],
    ["e", ".2", 12345.678, "1.23e+04"],
    ["g", "", 1e20, "1e+20"],
    ["g", "", 100000, "100000"],
    ["g", "", 1000000, "1e+06"],
    ["g", "#", 1.5, "1.50000"],
    ["g", ".17", 0.1, "0.10000000000000001"],
    ["G", "", 1e-10, "1E-10"],
    ["f", "", Infinity, "inf"],
  ];
  for (const [conv, flags, x, want] of cases) {
    assert.equal(formatDoubleC(conv, spec(flags), x), want, `%${flags}${conv} of ${x}`);
  }
});

Deno.test("EVAL: numbers are doubles, printed as %.14g (Lua 5.1)", () => {
  const h = harness();
  const lines: [string, unknown][] = [
    ["return 2147483647 + 1", 2147483648],
    ["local s = 0 for i = 1, 100000 do s = s + i end return s", 5000050000],
    ["return 65536 * 65536", 4294967296],
    ["return 0xffffffff", 4294967295],
    ["return tonumber('1700000') * 1000000", 1700000000000],
    [
      "return tostring(3.0) .. ' ' .. 10 / 2 .. ' ' .. 2^53 .. ' ' .. 1e20",
      "3 5 9.007199254741e+15 1e+20",
    ],
    [
      "return string.format('%d|%5.1f|%x', 1700000000000, 3, -1)",
      "1700000000000|  3.0|ffffffffffffffff",
    ],
    ["return cjson.encode({3, 3.0, 2.5, 2^31})", "[3,3,2.5,2147483648]"],
    ["local t = {} t[#t + 1] = 'a' t[2.0] = 'b' return cjson.encode(t)", '["a","b"]'],
    ["return cjson.decode('[12345678901]')[1] * 10", 123456789010],
    ["return string.sub('hello', 1.5, 3.7) .. string.rep('x', 2.9)", "helxx"],
    ["return {tonumber('ff', 16), tonumber('ffffffffff', 16), tonumber('1e1', 10)}", [
      255,
      1099511627775,
      10,
    ]],
    ["return math.floor(1700000000.5) * math.floor(3.5)", 5100000000],
    ["return tostring(math.pow(2, 10)) .. table.getn({1, 2}) .. type(math.type)", "10242nil"],
    ["return {3.7, -3.7, 2^52}", [3, -3, 2 ** 52]],
  ];
  for (const [script, want] of lines) assert.deepEqual(h.run("EVAL", script, "0"), want, script);
  const incr = "return redis.call('incrby', KEYS[1], 50000) * redis.call('incrby', KEYS[2], 50000)";
  assert.equal(h.run("EVAL", incr, "2", "a", "b"), 2500000000);
});
