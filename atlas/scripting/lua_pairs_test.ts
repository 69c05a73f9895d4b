/**
 * Lua 5.1's traversal order and `#` (lua_pairs.ts). The expected texts are redis-server 7.0.15's
 * answers; tests/atlasd_scripting_libs_diff_test.ts compares more such lines with a live Redis.
 * A table's layout is built only when first needed: the last test pins that building it late
 * gives what keeping it from the table's first key gives.
 */
import assert from "node:assert/strict";
import { Harness } from "../store/test_util.ts";
import { registerScriptingCommands } from "./mod.ts";

function harness(): Harness {
  const h = new Harness();
  registerScriptingCommands(h.store, {});
  return h;
}

/** `return keys(t)`: `#t` then t's keys in traversal order, as one line. */
const KEYS_OF = "local function keys(t) local r = {#t} for k in pairs(t) do r[#r + 1] = k end " +
  "return table.concat(r, ' ') end ";

Deno.test("pairs and # follow Lua 5.1's layout (Redis's answers)", () => {
  const h = harness();
  const cases: [string, string][] = [
    ["return keys({[1] = 'a', [2] = 'b', [3] = 'c', [4] = 'd'})", "4 1 2 4 3"],
    [
      "local t = {} t.name = 'j' t.delay = 5 t.attempts = 3 t.id = 7 t.ts = 1 return keys(t)",
      "0 ts name id delay attempts",
    ],
    [
      "local t = {} for i = 1, 10 do t[i] = i end local n = #t t.x = 1 t.y = 2 t[5] = nil " +
      "return n .. ' ' .. keys(t)",
      "10 10 1 2 3 4 6 7 8 9 10 y x",
    ],
    [
      "local function f() return 1, 2, 3, 4, 5 end local t = {f()} t.a = 1 t.b = 2 return keys(t)",
      "5 1 2 3 4 5 a b",
    ],
    [
      "local function f() return 1, 2, 3, 4, 5 end return keys({x = 1, y = 2, f()})",
      "5 1 2 3 4 5 y x",
    ],
    [
      "local t = {} t.a = nil t.b = 1 t.c = 2 t.d = nil t.e = 3 return keys(t)",
      "0 e c b",
    ],
    ["local t = {1, 2, nil, 4} t[7] = 7 return keys(t)", "4 1 2 4 7"],
    [
      "local t = {} t[3] = 3 t[4] = 4 local n = #t t[1] = 1 t[2] = 2 return n .. ' ' .. keys(t)",
      "0 4 1 2 3 4",
    ],
    [
      "local t = {} for i = 1, 8 do table.insert(t, i) end table.remove(t, 2) " +
      "table.insert(t, 1, 'x') t.k = 1 return keys(t)",
      "8 1 2 3 4 5 6 7 8 k",
    ],
    ["local t = {unpack(ARGV)} t[#t + 1] = 'z' t.q = 1 return keys(t)", "4 1 2 3 4 q"],
    [
      "local t = {unpack(ARGV)} table.remove(t) t[4] = 4 table.remove(t, 1) return keys(t)",
      "1 1 3",
    ],
    ["local a = keys(ARGV) ARGV.x = 1 return a .. ' ' .. keys(ARGV)", "3 1 2 3 3 1 2 3 x"],
    [
      "local t = {} for i = 1, 20 do t['k' .. i] = i end t.k3 = nil t.k21 = 1 " +
      "local r = {} for k in pairs(t) do r[#r + 1] = k end return table.concat(r, ' ')",
      "k16 k19 k21 k11 k17 k15 k20 k10 k8 k1 k12 k2 k9 k13 k18 k14 k6 k7 k4 k5",
    ],
    [
      "local t = {[10] = 1, [20] = 2, 1, 2, 3} t[4] = 4 t[5] = 5 return keys(t)",
      "5 1 2 3 4 5 10 20",
    ],
    ["local t = {} t[2] = 2 t[1] = 1 t[4] = 4 return keys(t)", "4 1 2 4"],
    [
      "return cjson.encode({b = 1, a = {3, 2, 1}, c = {x = 1, y = 2, z = 3}})",
      '{"a":[3,2,1],"c":{"y":2,"x":1,"z":3},"b":1}',
    ],
    [
      "local t = {} t.z = 1 t.y = 2 t.x = 3 t.w = 4 return cmsgpack.pack(t)",
      "\x84\xa1y\x02\xa1x\x03\xa1w\x04\xa1z\x01",
    ],
  ];
  for (const [script, expected] of cases) {
    assert.equal(h.run("EVAL", KEYS_OF + script, "0", "a", "b", "c"), expected, script);
  }
});

/** A small deterministic generator (an LCG) of table operations. */
function operations(seed: number): string[] {
  let x = seed;
  const next = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor((x / 2147483648) * n);
  };
  const keyPool = ["1", "2", "3", "5", "8", "0", "-1", "2.5", "4/2", "2^31", "'a'", "'b'", "'c'"]
    .concat(["'name'", "'id'", "'x'", "true"]);
  const key = () => next(2) === 0 ? String(1 + next(12)) : keyPool[next(keyPool.length)];
  const ctors = [
    "{}",
    "{1, 2, 3}",
    "{x = 1, 2, 3, y = 2}",
    "{f(4)}",
    "{a = 1, f(6)}",
    "{[3] = 1, [1] = 2, [2] = 3}",
    "{1, nil, 3}",
    "{n = 1, [1] = 1, 2, [3] = 3, f(2)}",
  ];
  const ops = [`local t = ${ctors[next(ctors.length)]}`];
  for (let i = next(16); i > 0; i--) {
    const op = next(10);
    if (op < 4) ops.push(`t[${key()}] = ${1 + next(9)}`);
    else if (op === 4) ops.push(`t[${key()}] = nil`);
    else if (op === 5) ops.push(`table.insert(t, ${1 + next(9)})`);
    else if (op === 6) ops.push(`table.remove(t, ${1 + next(3)})`);
    else if (op === 7) ops.push(`for i = 1, ${1 + next(10)} do t[#t + 1] = i end`);
    else if (op === 8) ops.push(`for i = ${1 + next(4)}, ${2 + next(20)} do t[i] = i end`);
    else ops.push(`for i = 1, ${1 + next(12)} do t['s' .. i] = i end`);
  }
  return ops;
}

Deno.test("a layout built when first needed is the layout kept from the first key", () => {
  const h = harness();
  const prelude =
    "local function f(n) local r = {} for i = 1, n do r[i] = i end return unpack(r) end " +
    "local function dump(t) local r = {#t} for k, v in pairs(t) do r[#r + 1] = tostring(k) .. " +
    "'=' .. tostring(v) end return table.concat(r, ' ') end local out = {} ";
  for (let seed = 1; seed <= 300; seed++) {
    const [ctor, ...rest] = operations(seed);
    // Eager: `next` after every operation keeps the layout from the first key on. Lazy: only `#`
    // until the end (it needs no layout while the integer keys are 1..n).
    const eager = [ctor, "out[#out + 1] = dump(t)"]
      .concat(rest.flatMap((op) => [op, "out[#out + 1] = dump(t)"]));
    const lazy = [ctor, "out[#out + 1] = #t"].concat(
      rest.flatMap((op) => [op, "out[#out + 1] = #t"]),
    );
    const run = (lines: string[]) =>
      h.run("EVAL", `${prelude}${lines.join("\n")}\nout[#out + 1] = dump(t) return out`, "0");
    const lengths = (out: string[]) => out.slice(0, -1).map((line) => String(line).split(" ")[0]);
    const a = run(eager) as string[];
    const b = run(lazy) as string[];
    assert.deepEqual(
      lengths(b.map(String)),
      lengths(a.map(String)),
      `# differs: ${rest.join("; ")}`,
    );
    assert.equal(b[b.length - 1], a[a.length - 1], `order differs: ${ctor}; ${rest.join("; ")}`);
  }
});
