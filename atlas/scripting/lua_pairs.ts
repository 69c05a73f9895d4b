/**
 * `pairs` as Redis's Lua 5.1 iterates a table: the array part, 1..n in ascending order, first,
 * then the other keys. fengari keeps a table's keys in one insertion-ordered list, and a table
 * constructor stores its items last to first, so `pairs({"a", "b", "c"})` went 3, 2, 1 — a
 * script that RPUSHed in a `pairs` loop built its list backwards. Like 5.1's, this `pairs`
 * refuses a non-table at once ("bad argument #1 to 'pairs' (table expected, got nil)"), and the
 * loop may assign nil to fields it has not reached (they are skipped).
 */
import { lauxlib, lua, type LuaState, toLuaString } from "./lua.ts";

/** Replaces the global `pairs` of a fresh state (before the sandbox makes globals read-only). */
export function installPairs(L: LuaState): void {
  lua.lua_pushcfunction(L, pairs);
  lua.lua_setglobal(L, toLuaString("pairs"));
}

/** pairs(t): an iterator over a snapshot of t's keys in 5.1's order, t, nil. */
function pairs(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_settop(L, 1);
  lua.lua_createtable(L, 0, 0); // 2: the keys, in order
  let count = 0;
  let index = 1;
  while (lua.lua_rawgeti(L, 1, index) !== lua.LUA_TNIL) {
    lua.lua_pop(L, 1);
    lua.lua_pushnumber(L, index);
    lua.lua_rawseti(L, 2, ++count);
    index++;
  }
  lua.lua_pop(L, 1);
  const arrayEnd = index - 1;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    lua.lua_pop(L, 1); // the value; the key stays for lua_next
    if (!inArrayPart(L, arrayEnd)) {
      lua.lua_pushvalue(L, -1);
      lua.lua_rawseti(L, 2, ++count);
    }
  }
  lua.lua_pushvalue(L, 2); // upvalue 1: the keys
  lua.lua_pushnumber(L, 0); // upvalue 2: how many have been handed out
  lua.lua_pushcclosure(L, step, 2);
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnil(L);
  return 3;
}

/** Whether the key on top of the stack is one of 1..arrayEnd (already listed first). */
function inArrayPart(L: LuaState, arrayEnd: number): boolean {
  if (lua.lua_type(L, -1) !== lua.LUA_TNUMBER) return false;
  const key = lua.lua_tonumber(L, -1) as number;
  return Number.isInteger(key) && key >= 1 && key <= arrayEnd;
}

/** The iterator: the next listed key whose value is still not nil, and that value. */
function step(L: LuaState): number {
  const keys = lua.lua_upvalueindex(1);
  let position = lua.lua_tonumber(L, lua.lua_upvalueindex(2)) as number;
  for (;;) {
    position++;
    if (lua.lua_rawgeti(L, keys, position) === lua.LUA_TNIL) return 1; // nil: done
    lua.lua_pushvalue(L, -1);
    lua.lua_rawget(L, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNIL) {
      lua.lua_pushnumber(L, position);
      lua.lua_replace(L, lua.lua_upvalueindex(2));
      return 2;
    }
    lua.lua_pop(L, 2);
  }
}
