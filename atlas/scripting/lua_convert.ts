/**
 * Redis's conversions between command replies and Lua values (RESP2 rules, script_lua.c):
 *   reply → Lua: integer → number, bulk → string, nil → false, array → table,
 *                status → {ok=...}, error → {err=..., ignore_error_stats_update=true} (counted
 *                in errorstats already); RESP3-only kinds as RESP2 shows them
 *                (after redis.setresp(3): RESP3's, see pushResp3)
 *   Lua → reply: number → integer (truncated), string → bulk, true → 1, false/nil → nil,
 *                {err=...} → error, {ok=...} → status, other tables → array up to the first nil
 */
import { formatDouble } from "../resp/double.ts";
import {
  array,
  bulk,
  countedError,
  error,
  integer,
  NIL,
  type Reply,
  simple,
  verbatimText,
} from "../store/reply.ts";
import {
  IGNORE_STATS_FIELD,
  lua,
  type LuaState,
  pushBinary,
  pushErrorTable,
  toBinary,
  toLuaString,
} from "./lua.ts";

/** Deeper nesting answers an error instead of exhausting the JS stack (a table holding itself). */
const DEPTH_MAX = 1000;
const INT64_MIN = -(2n ** 63n);

/** Field names as Lua strings, converted once (fengari copies the bytes of a key it is given). */
const OK = toLuaString("ok");
const ERR = toLuaString("err");
const DOUBLE = toLuaString("double");
const BIG_NUMBER = toLuaString("big_number");
const VERBATIM_STRING = toLuaString("verbatim_string");
const FORMAT = toLuaString("format");
const STRING = toLuaString("string");
const MAP = toLuaString("map");
const SET = toLuaString("set");

export function pushReply(L: LuaState, reply: Reply, resp: 2 | 3 = 2): void {
  lua.lua_checkstack(L, 4);
  if (resp === 3) {
    pushResp3(L, reply);
    return;
  }
  switch (reply.kind) {
    case "integer":
    case "bool": {
      // A float, as every number is in Redis's Lua 5.1: fengari's integers are 32-bit and
      // their arithmetic wraps (INCR's 50000 squared), and pushing a wider one throws.
      lua.lua_pushnumber(L, Number(reply.kind === "bool" ? (reply.value ? 1 : 0) : reply.value));
      return;
    }
    case "bulk":
      pushBinary(L, reply.value);
      return;
    case "double":
      pushBinary(L, reply.text ?? formatDouble(reply.value));
      return;
    case "nil":
    case "nilArray":
      lua.lua_pushboolean(L, false);
      return;
    case "simple":
    case "error":
      pushStatus(L, reply.kind, reply.value);
      return;
    case "array":
    case "set":
    case "push":
      pushList(L, reply.value, 2);
      return;
    case "map": {
      // RESP2 shape: a flat list, or a list of [key, value] pairs (XREAD).
      const items = reply.resp2Pairs === true
        ? reply.value.map(([k, v]) => array([k, v]))
        : reply.value.flatMap(([k, v]) => [k, v]);
      pushList(L, items, 2);
      return;
    }
  }
}

function pushStatus(L: LuaState, kind: "simple" | "error", text: string): void {
  if (kind === "error") return pushErrorTable(L, text, true);
  lua.lua_createtable(L, 0, 1);
  pushBinary(L, text);
  lua.lua_setfield(L, -2, OK);
}

/**
 * A reply as a script that called redis.setresp(3) gets it: RESP3 null is nil, booleans are
 * booleans, a double is {double=n}, a big number {big_number=s}, a map {map={k=v...}}, a set
 * {set={member=true...}}, and the items that RESP3 nests two by two (ZRANGE WITHSCORES) come as
 * pairs.
 */
function pushResp3(L: LuaState, reply: Reply): void {
  switch (reply.kind) {
    case "integer":
      lua.lua_pushnumber(L, Number(reply.value));
      return;
    case "bool":
      lua.lua_pushboolean(L, reply.value);
      return;
    case "bulk":
      if (reply.text === true) {
        // RESP3's verbatim string (INFO, MEMORY DOCTOR...): {verbatim_string={format=, string=}}.
        lua.lua_createtable(L, 0, 1);
        lua.lua_createtable(L, 0, 2);
        pushBinary(L, "txt");
        lua.lua_setfield(L, -2, FORMAT);
        pushBinary(L, reply.value);
        lua.lua_setfield(L, -2, STRING);
        lua.lua_setfield(L, -2, VERBATIM_STRING);
        return;
      }
      if (reply.bigNumber === true) {
        // RESP3's big number: {big_number=s}.
        lua.lua_createtable(L, 0, 1);
        pushBinary(L, reply.value);
        lua.lua_setfield(L, -2, BIG_NUMBER);
        return;
      }
      pushBinary(L, reply.value);
      return;
    case "double":
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushnumber(L, reply.text === undefined ? reply.value : Number(reply.text));
      lua.lua_setfield(L, -2, DOUBLE);
      return;
    case "nil":
    case "nilArray":
      lua.lua_pushnil(L);
      return;
    case "simple":
    case "error":
      pushStatus(L, reply.kind, reply.value);
      return;
    case "array":
    case "push": {
      const items = reply.kind === "array" && reply.pairs === true
        ? Array.from(
          { length: reply.value.length >> 1 },
          (_, i) => array([reply.value[2 * i], reply.value[2 * i + 1]]),
        )
        : reply.value;
      pushList(L, items, 3);
      return;
    }
    case "set":
    case "map": {
      lua.lua_createtable(L, 0, 1);
      pushBinary(L, reply.kind);
      lua.lua_createtable(L, 0, 0);
      if (reply.kind === "set") {
        for (const member of reply.value) {
          pushResp3(L, member);
          lua.lua_pushboolean(L, true);
          lua.lua_settable(L, -3);
        }
      } else {
        for (const [k, v] of reply.value) {
          pushResp3(L, k);
          pushResp3(L, v);
          lua.lua_settable(L, -3);
        }
      }
      lua.lua_settable(L, -3);
      return;
    }
  }
}

function pushList(L: LuaState, items: readonly Reply[], resp: 2 | 3): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushReply(L, items[i], resp);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** The Lua value at idx as a reply. */
export function toReply(L: LuaState, idx: number, depth = 0, resp: 2 | 3 = 2): Reply {
  const abs = lua.lua_absindex(L, idx);
  switch (lua.lua_type(L, abs)) {
    case lua.LUA_TSTRING:
      return bulk(toBinary(L, abs) as string);
    case lua.LUA_TBOOLEAN:
      // After redis.setresp(3) a boolean is RESP3's (a RESP2 client reads it as 1 or 0).
      if (resp === 3) return { kind: "bool", value: lua.lua_toboolean(L, abs) };
      return lua.lua_toboolean(L, abs) ? integer(1) : NIL;
    case lua.LUA_TNUMBER:
      return integer(luaNumberToInteger(L, abs));
    case lua.LUA_TTABLE:
      return tableToReply(L, abs, depth, resp);
    default:
      return NIL;
  }
}

/** C's (long long) cast of the number: truncation; out of range gives INT64_MIN like x86. */
function luaNumberToInteger(L: LuaState, idx: number): number | bigint {
  if (lua.lua_isinteger(L, idx)) return lua.lua_tointeger(L, idx) as number;
  const n = lua.lua_tonumber(L, idx) as number;
  if (!Number.isFinite(n) || Math.abs(n) >= 2 ** 63) return INT64_MIN;
  const t = Math.trunc(n);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

function tableToReply(L: LuaState, idx: number, depth: number, resp: 2 | 3): Reply {
  // Each level holds one more value on the Lua stack: grow it as Redis does (lua_checkstack),
  // else fengari's API throws "stack overflow" past its first 20 free slots.
  if (depth >= DEPTH_MAX || !lua.lua_checkstack(L, 4)) {
    return error("ERR reached lua stack limit");
  }
  // Raw reads, as Redis's luaReplyToRedisReply: a table with an __index metamethod (_G's global
  // protection, or a script's own) is converted without running it.
  lua.lua_pushstring(L, ERR);
  lua.lua_rawget(L, idx);
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
    const text = toBinary(L, -1) as string;
    lua.lua_pop(L, 1);
    // A command's error carried on (`return redis.pcall(...)`) was counted when it happened.
    lua.lua_pushstring(L, IGNORE_STATS_FIELD);
    lua.lua_rawget(L, idx);
    const counted = lua.lua_toboolean(L, -1);
    lua.lua_pop(L, 1);
    // Redis replies "-" + the text as is: {err='-x'} reaches the client as "-x".
    return counted ? countedError(text) : error(text);
  }
  lua.lua_pop(L, 1);
  lua.lua_pushstring(L, OK);
  lua.lua_rawget(L, idx);
  if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
    const text = toBinary(L, -1) as string;
    lua.lua_pop(L, 1);
    return simple(text);
  }
  lua.lua_pop(L, 1);
  const typed = resp3Table(L, idx, depth, resp);
  if (typed !== null) return typed;
  const items: Reply[] = [];
  for (let j = 1;; j++) {
    if (lua.lua_rawgeti(L, idx, j) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(toReply(L, -1, depth + 1, resp));
    lua.lua_pop(L, 1);
  }
  return array(items);
}

/**
 * Redis 7.0 also turns the RESP3 tables a script may build into their replies, whatever
 * redis.setresp says: {double=n}, {big_number=s}, {verbatim_string={format=f, string=s}},
 * {map={k=v...}}, {set={k=true...}} (a RESP2 client sees them as a bulk string or an array).
 * ATLAS's verbatim strings are all `txt`: a verbatim string of another format is a bulk string
 * in RESP3 too.
 */
function resp3Table(L: LuaState, idx: number, depth: number, resp: 2 | 3): Reply | null {
  const field = (t: number, name: Uint8Array, type: number): boolean => {
    lua.lua_pushstring(L, name);
    if (lua.lua_rawget(L, t) === type) return true;
    lua.lua_pop(L, 1);
    return false;
  };
  if (field(idx, DOUBLE, lua.LUA_TNUMBER)) {
    const value = lua.lua_tonumber(L, -1) as number;
    lua.lua_pop(L, 1);
    return { kind: "double", value };
  }
  if (field(idx, BIG_NUMBER, lua.LUA_TSTRING)) {
    const text = toBinary(L, -1) as string;
    lua.lua_pop(L, 1);
    return { kind: "bulk", value: text.replace(/[\r\n]/g, " "), bigNumber: true };
  }
  if (field(idx, VERBATIM_STRING, lua.LUA_TTABLE)) {
    const t = lua.lua_absindex(L, -1);
    let text: string | null = null;
    let format = "";
    if (field(t, FORMAT, lua.LUA_TSTRING)) {
      format = toBinary(L, -1) as string;
      lua.lua_pop(L, 1);
      if (field(t, STRING, lua.LUA_TSTRING)) {
        text = toBinary(L, -1) as string;
        lua.lua_pop(L, 1);
      }
    }
    lua.lua_pop(L, 1);
    if (text !== null) return format === "txt" ? verbatimText(text) : bulk(text);
  }
  if (field(idx, MAP, lua.LUA_TTABLE)) {
    const t = lua.lua_absindex(L, -1);
    const value: [Reply, Reply][] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t) !== 0) {
      value.push([toReply(L, -2, depth + 1, resp), toReply(L, -1, depth + 1, resp)]);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return { kind: "map", value };
  }
  if (field(idx, SET, lua.LUA_TTABLE)) {
    const t = lua.lua_absindex(L, -1);
    const value: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t) !== 0) {
      value.push(toReply(L, -2, depth + 1, resp));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return { kind: "set", value };
  }
  return null;
}
