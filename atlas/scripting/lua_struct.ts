/**
 * `struct` as Redis 7.0 bundles it (Roberto Ierusalimschy's struct.c 1.4 with Redis's bounds
 * fixes), on x86-64 Linux sizes: struct.pack(fmt, ...), struct.unpack(fmt, s[, pos]) (the values
 * and then the position after them) and struct.size(fmt).
 *
 * Format: ">" / "<" big / little endian (little by default), "![n]" alignment (power of 2, 8 by
 * default, 1 until set), "x" a zero byte, "b/B" "h/H" "l/L" "T" "i/In" signed/unsigned integers of
 * 1, 2, 8, 8 and n (4 by default, at most 32) bytes, "cn" n chars (pack: n = 0 is the whole
 * string; unpack: n = 0 takes the length from the number unpacked just before), "s" a
 * zero-terminated string, "f" / "d" float / double, " " ignored. Integers go through C's 64-bit
 * long: wider fields hold zero bytes past the 8th, and unpacked values become doubles.
 */
import {
  lauxlib,
  lua,
  type LuaState,
  pushBinary,
  raiseError,
  setFunction,
  toBinary,
} from "./lua.ts";

const MAXINTSIZE = 32;
const MAXALIGN = 8;
const INT_MAX = 2147483647;
/** Lua 5.1's LUAI_MAXCSTACK. */
const MAX_C_STACK = 8000;

interface Header {
  little: boolean;
  align: number;
}

/** A walk over the format string (getnum advances it). */
class Fmt {
  i = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.i >= this.s.length;
  }

  next(): string {
    return this.s[this.i++];
  }

  /** getnum, with Redis's overflow check. */
  num(L: LuaState, df: number): number {
    if (!isDigit(this.s[this.i])) return df;
    let a = 0;
    do {
      const d = this.s.charCodeAt(this.i) - 48;
      if (a > Math.trunc(INT_MAX / 10) || a * 10 > INT_MAX - d) {
        raiseError(L, "integral size overflow");
      }
      a = a * 10 + d;
      this.i++;
    } while (isDigit(this.s[this.i]));
    return a;
  }
}

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9";
const isAlnum = (ch: string): boolean => /^[0-9A-Za-z]$/.test(ch);

function optsize(L: LuaState, opt: string, fmt: Fmt): number {
  switch (opt) {
    case "B":
    case "b":
    case "x":
      return 1;
    case "H":
    case "h":
      return 2;
    case "L":
    case "l":
    case "T":
    case "d":
      return 8;
    case "f":
      return 4;
    case "c":
      return fmt.num(L, 1);
    case "i":
    case "I": {
      const sz = fmt.num(L, 4);
      if (sz > MAXINTSIZE) {
        raiseError(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      }
      return sz;
    }
    default:
      return 0;
  }
}

/** Bytes of padding that align an element of `size` at `len` (C's size_t arithmetic). */
function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === "c") return 0;
  if (size > h.align) size = h.align;
  const mask = BigInt(size - 1);
  return Number((BigInt(size) - (BigInt.asUintN(64, BigInt(len)) & mask)) & mask);
}

function controloptions(L: LuaState, opt: string, fmt: Fmt, h: Header): void {
  switch (opt) {
    case " ":
      return;
    case ">":
      h.little = false;
      return;
    case "<":
      h.little = true;
      return;
    case "!": {
      const a = fmt.num(L, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) raiseError(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      lauxlib.luaL_argerror(L, 1, `invalid format option '${opt}'`);
  }
}

/** The low 64 bits C's conversions give a double: (unsigned long)(long)n or (unsigned long)n. */
function toUint64(n: number): bigint {
  if (n < 0) return n >= -(2 ** 63) ? BigInt.asUintN(64, BigInt(Math.trunc(n))) : 1n << 63n;
  if (n < 2 ** 63) return BigInt(Math.trunc(n));
  if (n < 2 ** 64) return BigInt(n); // x86-64: through n - 2^63, top bit back
  return n === Infinity || n >= 2 ** 64 ? 0n : 1n << 63n; // NaN: cvttsd2si's 0x8000...
}

function checkString(L: LuaState, arg: number): string {
  const s = toBinary(L, arg);
  if (s === null) lauxlib.luaL_checklstring(L, arg); // raises Lua's "string expected"
  return s ?? "";
}

function pack(L: LuaState): number {
  const fmt = new Fmt(checkString(L, 1));
  const h: Header = { little: true, align: 1 };
  let arg = 2;
  let out = "";
  lua.lua_pushnil(L); // the C code's mark after the arguments: a missing one is "got nil"
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optsize(L, opt, fmt);
    const toalign = gettoalign(out.length, h, opt, size);
    out += "\0".repeat(toalign);
    switch (opt) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I": {
        let value = toUint64(lauxlib.luaL_checknumber(L, arg++) as number);
        const bytes: number[] = [];
        for (let i = 0; i < size; i++) {
          bytes.push(Number(value & 0xffn));
          value >>= 8n;
        }
        if (!h.little) bytes.reverse();
        out += String.fromCharCode(...bytes);
        break;
      }
      case "x":
        out += "\0";
        break;
      case "f":
      case "d": {
        const n = lauxlib.luaL_checknumber(L, arg++) as number;
        const view = new DataView(new ArrayBuffer(size));
        if (opt === "f") view.setFloat32(0, n, h.little);
        else view.setFloat64(0, n, h.little);
        out += String.fromCharCode(...new Uint8Array(view.buffer));
        break;
      }
      case "c":
      case "s": {
        const s = checkString(L, arg++);
        if (size === 0) size = s.length;
        lauxlib.luaL_argcheck(L, s.length >= size, arg, "string too short");
        out += s.slice(0, size);
        if (opt === "s") {
          out += "\0";
          size++;
        }
        break;
      }
      default:
        controloptions(L, opt, fmt, h);
    }
  }
  pushBinary(L, out);
  return 1;
}

function getinteger(data: string, pos: number, little: boolean, signed: boolean, size: number) {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const i = little ? size - 1 - k : k;
    l = BigInt.asUintN(64, (l << 8n) | BigInt(data.charCodeAt(pos + i)));
  }
  if (!signed) return Number(l);
  const mask = BigInt.asUintN(64, ~0n << BigInt((size * 8 - 1) & 63));
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

/** Whether `size` bytes at `pos` (negative: past 2^63 as a size_t) lie within the data. */
const fits = (pos: number, size: number, ld: number): boolean =>
  pos >= 0 && size <= ld && pos <= ld - size;

function unpack(L: LuaState): number {
  const fmt = new Fmt(checkString(L, 1));
  const data = checkString(L, 2);
  const ld = data.length;
  const offset = lua.lua_isnoneornil(L, 3) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L, 3));
  lauxlib.luaL_argcheck(L, offset !== 0, 3, "offset must be 1 or greater");
  // A size_t in C: a negative position stands for 2^64 + pos, past any data (until alignment
  // wraps it around to 0, as the C code's does).
  let pos = offset - 1;
  const h: Header = { little: true, align: 1 };
  lua.lua_settop(L, 2);
  while (!fmt.done) {
    const opt = fmt.next();
    let size = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, size);
    lauxlib.luaL_argcheck(L, fits(pos, size, ld), 2, "data string too short");
    lua.lua_checkstack(L, 3);
    if (lua.lua_gettop(L) + 1 > MAX_C_STACK) raiseError(L, "stack overflow (too many results)");
    switch (opt) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I":
        lua.lua_pushnumber(L, getinteger(data, pos, h.little, opt >= "a", size));
        break;
      case "x":
        break;
      case "f":
      case "d": {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = data.charCodeAt(pos + i);
        const view = new DataView(bytes.buffer);
        lua.lua_pushnumber(
          L,
          opt === "f" ? view.getFloat32(0, h.little) : view.getFloat64(0, h.little),
        );
        break;
      }
      case "c":
        if (size === 0) {
          if (!lua.lua_isnumber(L, -1)) raiseError(L, "format 'c0' needs a previous size");
          const n = lua.lua_tonumber(L, -1) as number;
          size = n < 0 ? Infinity : Math.trunc(n);
          lua.lua_pop(L, 1);
          lauxlib.luaL_argcheck(L, fits(pos, size, ld), 2, "data string too short");
        }
        pushBinary(L, data.slice(pos, pos + size));
        break;
      case "s": {
        const e = data.indexOf("\0", pos);
        if (e < 0) raiseError(L, "unfinished string in data");
        size = e - pos + 1;
        pushBinary(L, data.slice(pos, e));
        break;
      }
      default:
        controloptions(L, opt, fmt, h);
    }
    pos += size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return lua.lua_gettop(L) - 2;
}

function size(L: LuaState): number {
  const fmt = new Fmt(checkString(L, 1));
  const h: Header = { little: true, align: 1 };
  let pos = 0;
  while (!fmt.done) {
    const opt = fmt.next();
    const size = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, size);
    if (opt === "s") lauxlib.luaL_argerror(L, 1, "option 's' has no fixed size");
    else if (opt === "c" && size === 0) {
      lauxlib.luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (!isAlnum(opt)) controloptions(L, opt, fmt, h);
    pos += size;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
}

/** Pushes the `struct` table. */
export function pushStructLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  setFunction(L, "pack", pack);
  setFunction(L, "unpack", unpack);
  setFunction(L, "size", size);
}
