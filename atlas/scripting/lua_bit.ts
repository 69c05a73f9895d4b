/**
 * The `bit` library of Redis's Lua 5.1 (LuaBitOp): 32-bit operations whose results are signed
 * 32-bit numbers. Lua 5.3 has native operators, but scripts written for Redis call `bit.*`.
 */
import { type JsFunction, lauxlib, lua, type LuaState, setFunction } from "./lua.ts";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * LuaBitOp's number → int32: the low 32 bits of the double n + 2^52 + 2^51, which rounds to the
 * nearest integer (ties to even) modulo 2^32 in the usual range and gives LuaBitOp's own results
 * past 2^51 (bit.tobit(2^64 + 2^12) is 1).
 */
function arg(L: LuaState, i: number): number {
  f64[0] = (lauxlib.luaL_checknumber(L, i) as number) + 6755399441055744;
  return u32[0] | 0;
}

/** Results are numbers (doubles), as LuaBitOp pushes them on Lua 5.1. */
function ret(L: LuaState, value: number): number {
  lua.lua_pushnumber(L, value | 0);
  return 1;
}

/** band/bor/bxor take one or more arguments. */
function fold(op: (a: number, b: number) => number): JsFunction {
  return (L) => {
    let acc = arg(L, 1);
    for (let i = 2; i <= lua.lua_gettop(L); i++) acc = op(acc, arg(L, i));
    return ret(L, acc);
  };
}

const FUNCTIONS: Record<string, JsFunction> = {
  tobit: (L) => ret(L, arg(L, 1)),
  bnot: (L) => ret(L, ~arg(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: (L) => ret(L, arg(L, 1) << (arg(L, 2) & 31)),
  rshift: (L) => ret(L, arg(L, 1) >>> (arg(L, 2) & 31)),
  arshift: (L) => ret(L, arg(L, 1) >> (arg(L, 2) & 31)),
  rol: (L) => {
    const x = arg(L, 1), n = arg(L, 2) & 31;
    return ret(L, (x << n) | (x >>> (32 - n)));
  },
  ror: (L) => {
    const x = arg(L, 1), n = arg(L, 2) & 31;
    return ret(L, (x >>> n) | (x << (32 - n)));
  },
  bswap: (L) => {
    const x = arg(L, 1);
    return ret(L, (x >>> 24) | ((x >> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24));
  },
  tohex: (L) => {
    const x = arg(L, 1);
    let n = lua.lua_isnone(L, 2) ? 8 : arg(L, 2);
    const upper = n < 0;
    if (upper) n = -n;
    if (n > 8) n = 8;
    let hex = (x >>> 0).toString(16).padStart(8, "0").slice(8 - n);
    if (upper) hex = hex.toUpperCase();
    lua.lua_pushstring(L, hex);
    return 1;
  },
};

/** Pushes the `bit` table. */
export function pushBitLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, Object.keys(FUNCTIONS).length);
  for (const [name, fn] of Object.entries(FUNCTIONS)) setFunction(L, name, fn);
}
