/**
 * A minimal `cjson` (Redis bundles lua-cjson): encode and decode over Lua values, with `cjson.null`
 * as a unique light userdata. Encoding follows lua-cjson's choices (numbers as %.14g, NaN and
 * infinities refused, "/" escaped, a table whose keys are all positive integral numbers is an
 * array, an empty table is "{}"); object key order is the table's iteration order, not Redis's
 * hash order. Decoded numbers are doubles, as on Lua 5.1.
 */
import { formatNumber } from "./lua_number.ts";
import {
  lauxlib,
  lua,
  type LuaState,
  pushBinary,
  raiseError,
  setFunction,
  toBinary,
} from "./lua.ts";

/** The light userdata standing for JSON null; compared by identity in Lua (`== cjson.null`). */
const JSON_NULL = Object.freeze({ cjsonNull: true });
const DEPTH_MAX = 1000;

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"' || ch === "\\" || ch === "/") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c === 0x7f) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

function encodeNumberAt(L: LuaState, idx: number): string {
  // lua-cjson runs on Lua 5.1, where every number is a double: integers print as %.14g too.
  const n = lua.lua_tonumber(L, idx) as number;
  if (!Number.isFinite(n)) return raiseError(L, "Cannot serialise number: must not be NaN or Inf");
  return formatNumber(n);
}

function encode(L: LuaState, idx: number, depth: number): string {
  const abs = lua.lua_absindex(L, idx);
  switch (lua.lua_type(L, abs)) {
    case lua.LUA_TSTRING:
      return escapeString(toBinary(L, abs) as string);
    case lua.LUA_TNUMBER:
      return encodeNumberAt(L, abs);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, abs) ? "true" : "false";
    case lua.LUA_TNIL:
      return "null";
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, abs) === JSON_NULL) return "null";
      break;
    case lua.LUA_TTABLE:
      return encodeTable(L, abs, depth + 1);
  }
  const type = lua.lua_typename(L, lua.lua_type(L, abs));
  return raiseError(L, `Cannot serialise ${String.fromCharCode(...type)}: type not supported`);
}

function encodeTable(L: LuaState, idx: number, depth: number): string {
  if (depth > DEPTH_MAX) {
    return raiseError(L, `Cannot serialise, excessive nesting (${depth})`);
  }
  lua.lua_checkstack(L, 4);
  // lua-cjson: an array when every key is a positive integral number (not too sparse).
  let max = 0;
  let count = 0;
  let isArray = true;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pop(L, 1);
    count++;
    const k = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -1) as number) : 0;
    if (k >= 1 && Number.isInteger(k)) {
      // lua-cjson keeps the largest key in a C int: a key past 2^31 casts to INT_MIN there.
      if (k > max) max = k < 2 ** 31 ? k : -(2 ** 31);
    } else isArray = false;
  }
  if (isArray && max > 0) {
    if (max > count * 2 && max > 10) {
      return raiseError(L, "Cannot serialise table: excessively sparse array");
    }
    const parts: string[] = [];
    for (let i = 1; i <= max; i++) {
      lua.lua_geti(L, idx, i);
      parts.push(encode(L, -1, depth));
      lua.lua_pop(L, 1);
    }
    return `[${parts.join(",")}]`;
  }
  const parts: string[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    const keyType = lua.lua_type(L, -2);
    let key: string;
    if (keyType === lua.LUA_TSTRING) key = toBinary(L, -2) as string;
    else if (keyType === lua.LUA_TNUMBER) key = encodeNumberAt(L, -2);
    else {
      return raiseError(L, "Cannot serialise table: table key must be a number or string");
    }
    parts.push(`${escapeString(key)}:${encode(L, -1, depth)}`);
    lua.lua_pop(L, 1);
  }
  return `{${parts.join(",")}}`;
}

function pushJson(L: LuaState, value: unknown): void {
  lua.lua_checkstack(L, 4);
  if (value === null) lua.lua_pushlightuserdata(L, JSON_NULL);
  else if (typeof value === "boolean") lua.lua_pushboolean(L, value);
  else if (typeof value === "number") lua.lua_pushnumber(L, value);
  else if (typeof value === "string") pushBinary(L, toBytes(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((v, i) => {
      pushJson(L, v);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [k, v] of entries) {
      pushBinary(L, toBytes(k));
      pushJson(L, v);
      lua.lua_rawset(L, -3);
    }
  }
}

/**
 * JSON.parse ran over the binary text, so raw bytes came through as chars 0–255; a \u escape
 * above U+00FF becomes its UTF-8 bytes (escapes U+0080–U+00FF stay one byte: a known difference).
 */
function toBytes(s: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\xff]*$/.test(s)) return s;
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp <= 0xff) out += ch;
    else {
      for (const b of new TextEncoder().encode(ch)) out += String.fromCharCode(b);
    }
  }
  return out;
}

/** Pushes the `cjson` table. */
export function pushCjsonLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  setFunction(L, "encode", (L) => {
    lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, "expected 1 argument");
    pushBinary(L, encode(L, 1, 0));
    return 1;
  });
  setFunction(L, "decode", (L) => {
    const text = toBinary(L, 1);
    if (text === null) return lauxlib.luaL_argerror(L, 1, "string expected");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      return raiseError(L, `Expected value but found invalid token (${String(cause)})`);
    }
    pushJson(L, value);
    return 1;
  });
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, "null");
}
