/**
 * `cmsgpack` as Redis 7.0 bundles it (lua-cmsgpack 0.4.0 on Lua 5.1): pack(v1, v2, ...) encodes
 * each argument and concatenates them; unpack(s) decodes every value of the stream;
 * unpack_one(s[, offset]) and unpack_limit(s, limit[, offset]) decode at most one / `limit`
 * values from `offset` and return the next offset first (-1 once the input is used up).
 *
 * lua-cmsgpack's choices, kept byte for byte: a number whose value is an int64 is a MessagePack
 * integer in its smallest form, any other a float32 when that is exact, else a float64 (NaN as
 * x86's default NaN, infinities as float32); strings are fixstr / str8 / str16 / str32; a table
 * whose keys are exactly 1..n (or no keys at all) is an array, any other a map in iteration
 * order; tables nested 16 deep and values MessagePack lacks (functions, userdata, nil) are nil.
 * Decoding knows nil, booleans, the integer and float families, str (no bin, no ext); integers
 * become doubles (uint64 past 2^63 wraps negative, as the C code pushes it through a signed
 * lua_Integer). Stack limits are Lua 5.1's (LUAI_MAXCSTACK 8000), so a stream of too many values
 * fails as in Redis ("use unpack_one or unpack_limit instead").
 *
 * A map's entries come in Lua 5.1's traversal order (lua_pairs.ts), as in Redis.
 */
import { bytesToBinary } from "../store/binary.ts";
import {
  lauxlib,
  lua,
  type LuaState,
  pushBinary,
  raiseError,
  setFunction,
  toBinary,
} from "./lua.ts";

const MAX_NESTING = 16;
/** Lua 5.1's LUAI_MAXCSTACK: what lua_checkstack allows a C function. */
const MAX_C_STACK = 8000;
const INT_MAX = 2147483647;
const TWO_63 = 2 ** 63;

/** A growable byte buffer. */
class Buf {
  bytes = new Uint8Array(64);
  len = 0;

  #room(n: number): void {
    if (this.len + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.len + n));
    next.set(this.bytes.subarray(0, this.len));
    this.bytes = next;
  }

  byte(b: number): void {
    this.#room(1);
    this.bytes[this.len++] = b & 0xff;
  }

  /** `n` as a big-endian unsigned integer of `size` bytes (size ≤ 4). */
  uint(n: number, size: number): void {
    this.#room(size);
    for (let i = size - 1; i >= 0; i--) this.bytes[this.len++] = (n >>> (8 * i)) & 0xff;
  }

  big64(n: bigint): void {
    const u = BigInt.asUintN(64, n);
    this.uint(Number(u >> 32n), 4);
    this.uint(Number(u & 0xffffffffn), 4);
  }

  binary(s: string): void {
    this.#room(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.len++] = s.charCodeAt(i);
  }

  view(size: number): DataView {
    this.#room(size);
    const view = new DataView(this.bytes.buffer, this.len, size);
    this.len += size;
    return view;
  }

  text(): string {
    return bytesToBinary(this.bytes.subarray(0, this.len));
  }
}

// ---- Encoding ------------------------------------------------------------------------------------

function encodeBytes(buf: Buf, s: string): void {
  const len = s.length;
  if (len < 32) buf.byte(0xa0 | len);
  else if (len <= 0xff) {
    buf.byte(0xd9);
    buf.byte(len);
  } else if (len <= 0xffff) {
    buf.byte(0xda);
    buf.uint(len, 2);
  } else {
    buf.byte(0xdb);
    buf.uint(len, 4);
  }
  buf.binary(s);
}

function encodeDouble(buf: Buf, d: number): void {
  if (Math.fround(d) === d) {
    buf.byte(0xca);
    buf.view(4).setFloat32(0, d);
  } else if (d !== d) {
    // x86's default NaN (what 0/0 gives on Redis's Lua), sign bit set.
    buf.byte(0xcb);
    buf.uint(0xfff80000, 4);
    buf.uint(0, 4);
  } else {
    buf.byte(0xcb);
    buf.view(8).setFloat64(0, d);
  }
}

/** mp_encode_int over an int64 (a double that C's (int64_t) cast keeps exact). */
function encodeInt(buf: Buf, n: number): void {
  if (n >= 0) {
    if (n <= 127) buf.byte(n);
    else if (n <= 0xff) {
      buf.byte(0xcc);
      buf.byte(n);
    } else if (n <= 0xffff) {
      buf.byte(0xcd);
      buf.uint(n, 2);
    } else if (n <= 0xffffffff) {
      buf.byte(0xce);
      buf.uint(n, 4);
    } else {
      buf.byte(0xcf);
      buf.big64(BigInt(n));
    }
  } else if (n >= -32) buf.byte(n & 0xff);
  else if (n >= -128) {
    buf.byte(0xd0);
    buf.byte(n & 0xff);
  } else if (n >= -32768) {
    buf.byte(0xd1);
    buf.uint(n & 0xffff, 2);
  } else if (n >= -2147483648) {
    buf.byte(0xd2);
    buf.uint(n >>> 0, 4);
  } else {
    buf.byte(0xd3);
    buf.big64(BigInt(n));
  }
}

function encodeNumber(buf: Buf, n: number): void {
  // IS_INT64_EQUIVALENT: !isinf(n) && (int64_t)n == n. On x86-64 the cast of NaN or of a value
  // out of range is INT64_MIN, which never equals it (except -2^63 itself).
  if (Number.isInteger(n) && n >= -TWO_63 && n < TWO_63) encodeInt(buf, n === 0 ? 0 : n);
  else encodeDouble(buf, n);
}

function encodeHeader(buf: Buf, n: number, fix: number, code16: number): void {
  if (n <= 15) buf.byte(fix | n);
  else if (n <= 0xffff) {
    buf.byte(code16);
    buf.uint(n, 2);
  } else {
    buf.byte(code16 + 1);
    buf.uint(n, 4);
  }
}

/** table_is_an_array: keys exactly 1..n (positive numbers a C int keeps exact); {} is one. */
function tableIsArray(L: LuaState, idx: number): boolean {
  const top = lua.lua_gettop(L);
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pop(L, 1);
    const n = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -1) as number) : 0;
    if (n <= 0 || !Number.isInteger(n) || n > INT_MAX) {
      lua.lua_settop(L, top);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  lua.lua_settop(L, top);
  return max === count;
}

/** Encodes the value at the top of the stack and pops it (mp_encode_lua_type). */
function encodeTop(L: LuaState, buf: Buf, level: number): void {
  let type = lua.lua_type(L, -1);
  if (type === lua.LUA_TTABLE && level === MAX_NESTING) type = lua.LUA_TNIL;
  switch (type) {
    case lua.LUA_TSTRING:
      encodeBytes(buf, toBinary(L, -1) as string);
      break;
    case lua.LUA_TBOOLEAN:
      buf.byte(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case lua.LUA_TNUMBER:
      encodeNumber(buf, lua.lua_tonumber(L, -1) as number);
      break;
    case lua.LUA_TTABLE:
      encodeTable(L, buf, level);
      break;
    default:
      buf.byte(0xc0);
  }
  lua.lua_pop(L, 1);
}

function encodeTable(L: LuaState, buf: Buf, level: number): void {
  lua.lua_checkstack(L, 3);
  const idx = lua.lua_gettop(L);
  if (tableIsArray(L, idx)) {
    const len = lua.lua_rawlen(L, idx) as number;
    encodeHeader(buf, len, 0x90, 0xdc);
    for (let j = 1; j <= len; j++) {
      lua.lua_pushnumber(L, j);
      lua.lua_gettable(L, idx);
      encodeTop(L, buf, level + 1);
    }
    return;
  }
  // lua_next walks the table in Lua 5.1's order (lua_pairs.ts), as lua-cmsgpack's loops do.
  let len = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pop(L, 1);
    len++;
  }
  encodeHeader(buf, len, 0x80, 0xde);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pushvalue(L, -2);
    encodeTop(L, buf, level + 1); // the key
    encodeTop(L, buf, level + 1); // the value
  }
}

function pack(L: LuaState): number {
  const nargs = lua.lua_gettop(L);
  if (nargs === 0) return lauxlib.luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (nargs + nargs > MAX_C_STACK) {
    return lauxlib.luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  const buf = new Buf();
  lua.lua_checkstack(L, 4);
  for (let i = 1; i <= nargs; i++) {
    lua.lua_pushvalue(L, i);
    encodeTop(L, buf, 0);
  }
  pushBinary(L, buf.text());
  return 1;
}

// ---- Decoding ------------------------------------------------------------------------------------

const EOF = 1;
const BADFMT = 2;

class Cursor {
  err = 0;
  constructor(readonly s: string, public p: number) {}

  get left(): number {
    return this.s.length - this.p;
  }

  /** mp_cur_need: false (with the EOF error set) when fewer than n bytes are left. */
  need(n: number): boolean {
    if (this.left >= n) return true;
    this.err = EOF;
    return false;
  }

  at(i: number): number {
    return this.s.charCodeAt(this.p + i);
  }

  /** n bytes (≤ 4) after the type byte, big-endian unsigned. */
  uint(n: number): number {
    let v = 0;
    for (let i = 1; i <= n; i++) v = v * 256 + this.at(i);
    return v;
  }

  big64(): bigint {
    return (BigInt(this.uint(4)) << 32n) |
      BigInt(((this.at(5) << 24) | (this.at(6) << 16) | (this.at(7) << 8) | this.at(8)) >>> 0);
  }

  view(n: number): DataView {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = this.at(1 + i);
    return new DataView(bytes.buffer);
  }
}

/** luaL_checkstack as Lua 5.1 applies it to a C function (LUAI_MAXCSTACK). */
function checkStack(L: LuaState, message: string): void {
  lua.lua_checkstack(L, 4);
  if (lua.lua_gettop(L) + 1 > MAX_C_STACK) raiseError(L, `stack overflow (${message})`);
}

/** A table being filled: its entries left, the next array index, whether a map key is read. */
interface Frame {
  isArray: boolean;
  left: number;
  index: number;
  haveKey: boolean;
}

function pushString(L: LuaState, c: Cursor, header: number, len: number): void {
  if (!c.need(header + len)) return;
  pushBinary(L, c.s.slice(c.p + header, c.p + header + len));
  c.p += header + len;
}

/** Pushes a number read from `size` bytes after the type byte, or sets EOF. */
function pushFixed(L: LuaState, c: Cursor, size: number, read: () => number): void {
  if (!c.need(1 + size)) return;
  lua.lua_pushnumber(L, read());
  c.p += 1 + size;
}

/**
 * One item at the cursor: a scalar is pushed (null returned); an array or map header is consumed
 * and its entry count returned, the table still to be made. Sets c.err on bad input.
 */
function decodeItem(L: LuaState, c: Cursor, t: number): { isArray: boolean; len: number } | null {
  switch (t) {
    case 0xcc:
      pushFixed(L, c, 1, () => c.at(1));
      return null;
    case 0xd0:
      pushFixed(L, c, 1, () => (c.at(1) << 24) >> 24);
      return null;
    case 0xcd:
      pushFixed(L, c, 2, () => c.uint(2));
      return null;
    case 0xd1:
      pushFixed(L, c, 2, () => (c.uint(2) << 16) >> 16);
      return null;
    case 0xce:
      pushFixed(L, c, 4, () => c.uint(4));
      return null;
    case 0xd2:
      pushFixed(L, c, 4, () => c.uint(4) | 0);
      return null;
    case 0xcf: // through a signed lua_Integer: past 2^63 it wraps negative
    case 0xd3:
      pushFixed(L, c, 8, () => Number(BigInt.asIntN(64, c.big64())));
      return null;
    case 0xc0:
      lua.lua_pushnil(L);
      c.p += 1;
      return null;
    case 0xc3:
    case 0xc2:
      lua.lua_pushboolean(L, t === 0xc3);
      c.p += 1;
      return null;
    case 0xca:
      pushFixed(L, c, 4, () => c.view(4).getFloat32(0));
      return null;
    case 0xcb:
      pushFixed(L, c, 8, () => c.view(8).getFloat64(0));
      return null;
    case 0xd9:
      if (c.need(2)) pushString(L, c, 2, c.at(1));
      return null;
    case 0xda:
      if (c.need(3)) pushString(L, c, 3, c.uint(2));
      return null;
    case 0xdb:
      if (c.need(5)) pushString(L, c, 5, c.uint(4));
      return null;
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf: {
      const size = t === 0xdc || t === 0xde ? 2 : 4;
      if (!c.need(1 + size)) return null;
      const len = c.uint(size);
      c.p += 1 + size;
      return { isArray: t <= 0xdd, len };
    }
  }
  if ((t & 0x80) === 0) {
    lua.lua_pushnumber(L, t);
    c.p += 1;
  } else if ((t & 0xe0) === 0xe0) {
    lua.lua_pushnumber(L, t - 256);
    c.p += 1;
  } else if ((t & 0xe0) === 0xa0) {
    pushString(L, c, 1, t & 0x1f);
  } else if ((t & 0xf0) === 0x90 || (t & 0xf0) === 0x80) {
    c.p += 1;
    return { isArray: (t & 0xf0) === 0x90, len: t & 0xf };
  } else c.err = BADFMT;
  return null;
}

const TOO_MANY = "too many return values at once; use unpack_one or unpack_limit instead.";

/**
 * mp_decode_to_lua_type: decodes one value onto the stack, or sets c.err. Iterative (nesting is
 * bounded only by the Lua stack, ~4000 tables deep as in Redis), with the C code's pushes: an
 * array's index before each element, a map's key then value, lua_settable after each entry.
 */
function decode(L: LuaState, c: Cursor): void {
  const frames: Frame[] = [];
  for (;;) {
    if (!c.need(1)) return;
    checkStack(L, TOO_MANY);
    const table = decodeItem(L, c, c.at(0));
    if (c.err) return;
    let produced = table === null;
    if (table !== null) {
      lua.lua_newtable(L);
      if (table.isArray) checkStack(L, "in function mp_decode_to_lua_array");
      frames.push({ isArray: table.isArray, left: table.len, index: 1, haveKey: false });
    }
    for (;;) {
      const f = frames.at(-1);
      if (f === undefined) return;
      if (produced) {
        if (!f.isArray && !f.haveKey) {
          f.haveKey = true; // now its value
          break;
        }
        lua.lua_settable(L, -3);
        f.haveKey = false;
        f.left--;
        produced = false;
      }
      if (f.left > 0) {
        if (f.isArray) lua.lua_pushnumber(L, f.index++);
        break;
      }
      frames.pop();
      produced = true;
    }
  }
}

/** C's (int) of an int64 (the %d of lua-cmsgpack's messages). */
const cInt = (n: number): number => Number(BigInt.asIntN(32, BigInt(n)));

/** Lua 5.1's luaL_checkinteger / luaL_optinteger: a number truncated to an int64. */
function integerArg(L: LuaState, i: number, def: number | null): number {
  if (def !== null && lua.lua_isnoneornil(L, i)) return def;
  const n = lauxlib.luaL_checknumber(L, i) as number;
  if (n !== n || n >= TWO_63 || n < -TWO_63) return -TWO_63;
  return Math.trunc(n);
}

function unpackFull(L: LuaState, limit: number, offset: number): number {
  const s = toBinary(L, 1) ?? (lauxlib.luaL_checklstring(L, 1), "");
  const len = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    return raiseError(
      L,
      `Invalid request to unpack with offset of ${cInt(offset)} and limit of ${cInt(len)}.`,
    );
  } else if (offset > len) {
    return raiseError(L, `Start offset ${cInt(offset)} greater than input length ${cInt(len)}.`);
  }
  if (decodeAll) limit = INT_MAX;
  const c = new Cursor(s, offset);
  let count = 0;
  for (; c.left > 0 && count < limit; count++) {
    decode(L, c);
    if (c.err === EOF) return raiseError(L, "Missing bytes in input.");
    if (c.err === BADFMT) return raiseError(L, "Bad data format in input.");
  }
  if (!decodeAll) {
    checkStack(L, "in function mp_unpack_full");
    lua.lua_pushnumber(L, c.left === 0 ? -1 : c.p);
    lua.lua_insert(L, 2);
    count++;
  }
  return count;
}

/** Pushes the `cmsgpack` table. */
export function pushCmsgpackLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, 8);
  setFunction(L, "pack", pack);
  setFunction(L, "unpack", (L) => unpackFull(L, 0, 0));
  setFunction(L, "unpack_one", (L) => {
    const offset = integerArg(L, 2, 0);
    lua.lua_settop(L, 1);
    return unpackFull(L, 1, offset);
  });
  setFunction(L, "unpack_limit", (L) => {
    const limit = integerArg(L, 2, null);
    const offset = integerArg(L, 3, 0);
    lua.lua_settop(L, 1);
    return unpackFull(L, limit, offset);
  });
  const meta: [string, string][] = [
    ["_NAME", "cmsgpack"],
    ["_VERSION", "lua-cmsgpack 0.4.0"],
    ["_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"],
    ["_DESCRIPTION", "MessagePack C implementation for Lua"],
  ];
  for (const [key, value] of meta) {
    pushBinary(L, value);
    lua.lua_setfield(L, -2, key);
  }
}
