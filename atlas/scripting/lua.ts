/**
 * The few fengari entry points the scripting layer uses, and binary-string helpers. Lua strings
 * are byte arrays (Uint8Array in fengari); ours are binary strings (one char per byte, see
 * atlas/store/binary.ts), so values cross with no UTF-8 step and stay binary-safe.
 */
// Sets FENGARICONF before fengari's luaconf.js reads it: keep this import first.
import "./lua_conf.ts";
import fengari from "fengari";
import { binaryToBytes, bytesToBinary } from "../store/binary.ts";

// deno-lint-ignore no-explicit-any
export type LuaState = any;
export type JsFunction = (L: LuaState) => number;

export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;
export const toLuaString: (text: string) => Uint8Array = fengari.to_luastring;

export function pushBinary(L: LuaState, value: string): void {
  lua.lua_pushstring(L, binaryToBytes(value));
}

/** The value at idx as a binary string (numbers convert like tostring), or null. */
export function toBinary(L: LuaState, idx: number): string | null {
  const bytes = lua.lua_tolstring(L, idx) as Uint8Array | null;
  return bytes === null ? null : bytesToBinary(bytes);
}

/** Sets t[name] = fn on the table at the top of the stack. */
export function setFunction(L: LuaState, name: string, fn: JsFunction): void {
  lua.lua_pushcfunction(L, fn);
  lua.lua_setfield(L, -2, toLuaString(name));
}

/**
 * Raises a Redis error table {err=text}: the message handler adds where it happened. `counted`:
 * the error was counted in INFO errorstats already (a command's reply; see pushErrorTable).
 */
export function raiseErrorTable(L: LuaState, text: string, counted = false): never {
  pushErrorTable(L, text, counted);
  lua.lua_error(L);
  throw new Error("unreachable: lua_error throws");
}

const ERR_FIELD = toLuaString("err");
/** Redis's field name: scripts see it in the error tables of command replies, as in Redis. */
export const IGNORE_STATS_FIELD = toLuaString("ignore_error_stats_update");

/**
 * Pushes a Redis error table {err=text}. `counted` adds Redis's ignore_error_stats_update = true:
 * the error of a command the script ran, which INFO errorstats counted when it happened, so the
 * script's reply does not count it again if it carries it on.
 */
export function pushErrorTable(L: LuaState, text: string, counted: boolean): void {
  lua.lua_createtable(L, 0, counted ? 2 : 1);
  pushBinary(L, text);
  lua.lua_setfield(L, -2, ERR_FIELD);
  if (counted) {
    lua.lua_pushboolean(L, true);
    lua.lua_setfield(L, -2, IGNORE_STATS_FIELD);
  }
}

/** luaL_error without the format string (messages may hold "%"): "<where>: message". */
export function raiseError(L: LuaState, message: string): never {
  lauxlib.luaL_where(L, 1);
  lua.lua_pushstring(L, message);
  lua.lua_concat(L, 2);
  lua.lua_error(L);
  throw new Error("unreachable: lua_error throws");
}
