/**
 * Lua 5.1's number model on fengari (Lua 5.3 with 32-bit integers, whose arithmetic wraps):
 * Redis runs Lua 5.1, where every number is a double, so `1700000 * 1000`, `2147483647 + 1` or a
 * loop summing to 5000050000 must not wrap. Three parts:
 *
 * - patches of fengari's modules, once per process: every numeral the lexer reads and every
 *   string converted to a number (tonumber, "10" + 1) becomes a float, and so does every integer
 *   fengari makes itself (`#`, a library function's integer results such as string.byte,
 *   string.find, select('#'), ipairs' index, table keys) once a script can see it (TValue's
 *   setivalue and setfrom), so all arithmetic is float arithmetic; "0x..." numerals keep their
 *   unsigned value, "-0" its sign, "inf"/"nan" strings convert and a NUL ends a numeral, as
 *   C's strtod does; numbers convert to text as C's "%.14g" (3.0 is "3", 1e20 "1e+20", 0/0
 *   "-nan"); functions that want an integer argument truncate a float (string.sub(s, 1.5) is
 *   string.sub(s, 1)), where Lua 5.3 raised "number has no integer representation"; runtime
 *   type errors read as 5.1's ("attempt to index local 't' (a nil value)").
 * - Lua 5.1's versions of library functions whose 5.3 versions differ on numbers (installed per
 *   state by installNumberLibrary): tostring, tonumber with a base, error with a number,
 *   string.format (C's printf conversions over 64-bit casts; 5.1's %s and %q), string.len,
 *   math.floor/ceil/abs/fmod/log returning floats, math.pow/mod/log10/atan2/cosh/sinh/tanh/frexp/
 *   ldexp, table.getn/maxn; math.type/tointeger/ult/maxinteger/mininteger are gone as in 5.1.
 *   Then the rest of 5.1's library where 5.3's differs otherwise (installLua51Library): C-int
 *   arguments that wrap modulo 2^32 (string.rep, string.char, unpack, select, table.insert...),
 *   LUAI_MAXCSTACK's limits (string.byte, unpack), patterns without %g, gsub's replacement
 *   rules, table.insert/remove/concat/foreach/foreachi/setn, assert, gcinfo, collectgarbage,
 *   coroutine's "coroutine expected", _VERSION, and no 5.3-only functions.
 * - formatNumber / formatDoubleC: C's printf formats, exact (round half to even on the binary
 *   value, like glibc), for the library above and for cjson.
 */
import "./lua_conf.ts";
import { binaryToBytes, bytesToBinary } from "../store/binary.ts";
import {
  type JsFunction,
  lauxlib,
  lua,
  type LuaState,
  pushBinary,
  raiseError,
  setFunction,
  toBinary,
  toLuaString,
} from "./lua.ts";
import fengariConf from "fengari/src/luaconf.js";
import lobject from "fengari/src/lobject.js";
import lstring from "fengari/src/lstring.js";
import lvm from "fengari/src/lvm.js";

/** fengari's TValue, as far as the patches use it. */
interface TValue {
  value: number;
  ttisinteger(): boolean;
  setfltvalue(x: number): void;
  setsvalue(x: unknown): void;
}

/** fengari's type tags of the two number variants (defs.js constant_types). */
const LUA_TNUMFLT = 3;
const LUA_TNUMINT = 3 | (1 << 4);
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const TWO_63 = 2 ** 63;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

// ---- C printf formats of doubles --------------------------------------------------------------

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Whether NaN's sign bit is set (x86's 0/0 is "-nan"; V8 keeps the bit through arithmetic). */
function nanIsNegative(x: number): boolean {
  f64[0] = x;
  return (u64[0] >> 63n) === 1n;
}

/** x (finite, > 0) as mantissa * 2^exponent. */
function decompose(x: number): [bigint, number] {
  f64[0] = x;
  const bits = u64[0];
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  return biased === 0 ? [fraction, -1074] : [fraction | 0x10000000000000n, biased - 1075];
}

const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push(POW10[i - 1] * 10n);
  return POW10[n];
}

/** round(x * 10^p), x finite and > 0, halves to even on the exact binary value (as glibc). */
function scaled(x: number, p: number): bigint {
  const [m, e] = decompose(x);
  let num = e >= 0 ? m << BigInt(e) : m;
  let den = e >= 0 ? 1n : 1n << BigInt(-e);
  if (p >= 0) num *= pow10(p);
  else den *= pow10(-p);
  const q = num / den;
  const twice = (num - q * den) * 2n;
  return twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** The p + 1 significant digits of x (finite, >= 0) and its decimal exponent, as "%.pe". */
function significant(x: number, p: number): [string, number] {
  if (x === 0) return ["0".repeat(p + 1), 0];
  let exp = Math.floor(Math.log10(x));
  for (;;) {
    const digits = scaled(x, p - exp).toString();
    if (digits.length > p + 1) exp++;
    else if (digits.length < p + 1) exp--;
    else return [digits, exp];
  }
}

function exponentForm(digits: string, exp: number, upper: boolean, point: boolean): string {
  const abs = Math.abs(exp);
  const mantissa = digits.length > 1 || point ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}${upper ? "E" : "e"}${exp < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
}

function fixedForm(x: number, p: number, point: boolean): string {
  const digits = (x === 0 ? "0" : scaled(x, p).toString()).padStart(p + 1, "0");
  const whole = digits.slice(0, digits.length - p);
  return p > 0 || point ? `${whole}.${digits.slice(digits.length - p)}` : whole;
}

/** Drops a fraction's trailing zeros, and the point when nothing is left after it (%g). */
function trimZeros(text: string): string {
  if (!text.includes(".")) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/** "%.pg" of x (finite, >= 0); alt is the "#" flag (keep zeros and the point). */
function generalForm(x: number, p: number, upper: boolean, alt: boolean): string {
  const precision = p === 0 ? 1 : p;
  const [digits, exp] = significant(x, precision - 1);
  if (exp < -4 || exp >= precision) {
    const e = exponentForm(digits, exp, upper, alt);
    if (alt) return e;
    const at = e.indexOf(upper ? "E" : "e");
    return trimZeros(e.slice(0, at)) + e.slice(at);
  }
  let text: string;
  if (exp < 0) text = `0.${"0".repeat(-exp - 1)}${digits}`;
  else {
    const whole = digits.slice(0, exp + 1);
    const fraction = digits.slice(exp + 1);
    text = fraction.length > 0 || alt ? `${whole}.${fraction}` : whole;
  }
  return alt ? text : trimZeros(text);
}

/** The text of a number as Lua 5.1 converts it (LUA_NUMBER_FMT, C's "%.14g"). */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && x < 1e14 && x > -1e14) {
    return x === 0 && Object.is(x, -0) ? "-0" : String(x);
  }
  if (x !== x) return nanIsNegative(x) ? "-nan" : "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return x < 0 ? "-" + generalForm(-x, 14, false, false) : generalForm(x, 14, false, false);
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  /** -1 when absent. */
  precision: number;
}

function pad(prefix: string, body: string, spec: Spec, zeros: boolean): string {
  const fill = spec.width - prefix.length - body.length;
  if (fill <= 0) return prefix + body;
  if (spec.minus) return prefix + body + " ".repeat(fill);
  if (zeros) return prefix + "0".repeat(fill) + body;
  return " ".repeat(fill) + prefix + body;
}

/** C's (long long) cast of a double on x86-64: truncation, 0x8000000000000000 when out of range. */
function toInt64(x: number): bigint {
  return x >= -TWO_63 && x < TWO_63 ? BigInt(Math.trunc(x)) : INT64_MIN;
}

/** C's (unsigned long) cast of a double as gcc compiles it on x86-64. */
function toUint64(x: number): bigint {
  if (!(x >= TWO_63)) return BigInt.asUintN(64, toInt64(x)); // NaN takes this path too
  return x < 2 * TWO_63 ? BigInt(x) : 0n;
}

/** C's printf of a number for the conversions d i o u x X e E f g G (as Lua 5.1's format). */
export function formatDoubleC(conv: string, spec: Spec, x: number): string {
  if (conv === "e" || conv === "E" || conv === "f" || conv === "g" || conv === "G") {
    const negative = x < 0 || Object.is(x, -0) || (x !== x && nanIsNegative(x));
    const prefix = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
    const upper = conv === "E" || conv === "G";
    if (!Number.isFinite(x)) {
      const text = x !== x ? "nan" : "inf";
      return pad(prefix, upper ? text.toUpperCase() : text, spec, false);
    }
    const a = Math.abs(x);
    const p = spec.precision < 0 ? 6 : spec.precision;
    let body: string;
    if (conv === "f") body = fixedForm(a, p, spec.alt);
    else if (conv === "g" || conv === "G") body = generalForm(a, p, upper, spec.alt);
    else {
      const [digits, exp] = significant(a, p);
      body = exponentForm(digits, exp, upper, spec.alt);
    }
    return pad(prefix, body, spec, spec.zero);
  }
  const signed = conv === "d" || conv === "i";
  let magnitude = signed ? toInt64(x) : toUint64(x);
  let prefix = "";
  if (signed) {
    if (magnitude < 0n) {
      prefix = "-";
      magnitude = -magnitude;
    } else if (spec.plus) prefix = "+";
    else if (spec.space) prefix = " ";
  }
  let digits = magnitude.toString(conv === "o" ? 8 : conv === "x" || conv === "X" ? 16 : 10);
  if (conv === "X") digits = digits.toUpperCase();
  if (spec.precision >= 0) {
    if (spec.precision === 0 && magnitude === 0n) digits = "";
    digits = digits.padStart(spec.precision, "0");
  }
  if (spec.alt) {
    if (conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
    else if ((conv === "x" || conv === "X") && magnitude !== 0n) {
      prefix = conv === "x" ? "0x" : "0X";
    }
  }
  return pad(prefix, digits, spec, spec.zero && spec.precision < 0);
}

// ---- patches of fengari's modules ---------------------------------------------------------------

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** A digit's value in bases up to 36, or 99. */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 122 ? lower - 87 : 99;
}

/** "[spaces][sign]0x<hex digits>[spaces]" (fengari's integer numeral) as its unsigned value. */
function hexNumeral(s: Uint8Array): number {
  let i = 0;
  while (isSpace(s[i])) i++;
  const negative = s[i] === 45;
  if (negative || s[i] === 43) i++;
  i += 2; // "0x"
  let digits = "";
  for (; i < s.length && digitValue(s[i]) < 16; i++) digits += String.fromCharCode(s[i]);
  const value = digits.length <= 13 ? parseInt(digits, 16) : Number(BigInt("0x" + digits));
  return negative ? -value : value;
}

/** "[spaces][sign](inf|infinity|nan)[spaces]", which C's strtod (Lua 5.1) accepts. */
function specialNumeral(s: Uint8Array): number | null {
  let start = 0;
  let end = s.length;
  while (start < end && isSpace(s[start])) start++;
  while (end > start && isSpace(s[end - 1])) end--;
  if (end - start > 9 || end - start < 3) return null;
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(String.fromCharCode(...s.subarray(start, end)));
  if (m === null) return null;
  const value = m[2].toLowerCase() === "nan" ? NaN : Infinity;
  return m[1] === "-" ? -value : value;
}

let patched = false;

/** Patches fengari's modules (once per process; every Lua state shares them). */
function patchFengari(): void {
  if (patched) return;
  patched = true;
  // The lexer (llex.js read_numeral), tonumber (lapi.js lua_stringtonumber) and string
  // arithmetic (lvm.js) all call lobject.luaO_str2num through the module object.
  const str2num = lobject.luaO_str2num as (s: Uint8Array, o: TValue) => number;
  lobject.luaO_str2num = (whole: Uint8Array, o: TValue): number => {
    // Lua 5.1 hands C's strtod a C string: a NUL ends the numeral ("5\0x" is 5).
    const nul = whole.indexOf(0);
    const s = nul >= 0 ? whole.subarray(0, nul) : whole;
    if (str2num(s, o) === 0) {
      const special = specialNumeral(s);
      if (special === null) return 0;
      o.setfltvalue(special);
      return whole.length + 1;
    }
    // fengari read a hex integer with 32-bit wrapping ("0xffffffff" was -1): take it again,
    // unsigned and exact, as strtod does; an integer read drops the sign of "-0". A numeral that
    // converted is hex only by its "0x" after the spaces and sign.
    let start = 0;
    while (isSpace(s[start])) start++;
    let i = s[start] === 45 || s[start] === 43 ? start + 1 : start;
    let hexInteger = s[i] === 48 && (s[i + 1] | 0x20) === 120;
    if (hexInteger) {
      for (i += 2; i < s.length; i++) {
        const c = s[i] | 0x20;
        if (c === 46 || c === 112) { // "." or a "p" exponent: a hex float, read exactly
          hexInteger = false;
          break;
        }
      }
    }
    if (hexInteger) o.setfltvalue(hexNumeral(s));
    else if (o.value === 0 && s[start] === 45) o.setfltvalue(-0);
    return whole.length + 1;
  };
  // Number → text for "..", lua_tolstring (luaL_checkstring, table.concat, ...): "%.14g".
  lobject.luaO_tostring = (L: LuaState, obj: TValue): void => {
    const text = obj.ttisinteger() ? String(obj.value) : formatNumber(obj.value);
    obj.setsvalue(lstring.luaS_bless(L, toLuaString(text)));
  };
  // lua_tointegerx (luaL_checkinteger / luaL_optinteger: string.sub, string.byte, string.find,
  // ...) truncates a float as Lua 5.1's 64-bit cast does, within fengari's 32-bit range: NaN,
  // infinities and values past 2^63 cast to INT64_MIN, below every position (string.sub(s, 1/0)
  // is all of s). The functions that take a C int instead wrap (intArguments below).
  const toInteger = lvm.tointeger as (o: TValue) => number | false;
  const toNumber = lvm.tonumber as (o: TValue) => number | false;
  lvm.tointeger = (o: TValue): number | false => {
    if (o.ttisinteger()) return o.value;
    const exact = toInteger(o);
    if (exact !== false) return exact;
    const n = toNumber(o);
    if (n === false) return false;
    if (!(n >= -TWO_63 && n < TWO_63)) return INT_MIN;
    return n >= INT_MAX ? INT_MAX : n <= INT_MIN ? INT_MIN : Math.trunc(n);
  };
  // Runtime type errors in Lua 5.1's words: "attempt to index local 't' (a nil value)" where 5.3
  // says "attempt to index a nil value (local 't')"; 5.1 names no constants or for iterators.
  const pushvfstring = lobject.luaO_pushvfstring as (
    L: LuaState,
    fmt: Uint8Array,
    argp: unknown[],
  ) => Uint8Array;
  const typeError = toLuaString("attempt to %s a %s value%s");
  const typeError51 = toLuaString("attempt to %s %s '%s' (a %s value)");
  const typeErrorPlain = toLuaString("attempt to %s a %s value");
  lobject.luaO_pushvfstring = (L: LuaState, fmt: Uint8Array, argp: unknown[]): Uint8Array => {
    if (fmt.length !== typeError.length || !fmt.every((b, i) => b === typeError[i])) {
      return pushvfstring(L, fmt, argp);
    }
    const [op, type, info] = argp as Uint8Array[];
    const m = /^ \((global|local|method|field|upvalue) '(.*)'\)$/s.exec(bytesToBinary(info));
    if (m === null) return pushvfstring(L, typeErrorPlain, [op, type]);
    return pushvfstring(L, typeError51, [op, toLuaString(m[1]), binaryToBytes(m[2]), type]);
  };
  // No 32-bit integer may reach a script: the VM's lengths (`#`), integer results and every copy
  // of a value (setfrom: a C function's results, table reads, `next`'s keys, moves between
  // registers) become floats. What library code pushes as an integer (string.byte, string.find,
  // select('#'), ipairs, table keys normalised to integers) is a float once the script sees it,
  // so `#a * #b` or `k * k` over pairs' keys cannot wrap at 2^31.
  const proto = lobject.TValue.prototype as {
    setivalue(x: number): void;
    setfrom(tv: { type: number; value: unknown }): void;
  };
  proto.setivalue = function (this: { type: number; value: unknown }, x: number): void {
    this.type = LUA_TNUMFLT;
    this.value = x;
  };
  proto.setfrom = function (
    this: { type: number; value: unknown },
    tv: { type: number; value: unknown },
  ): void {
    this.type = tv.type === LUA_TNUMINT ? LUA_TNUMFLT : tv.type;
    this.value = tv.value;
  };
}

patchFengari();

// ---- Lua 5.1's library functions ----------------------------------------------------------------

function pushNumber(L: LuaState, n: number): number {
  lua.lua_pushnumber(L, n);
  return 1;
}

function checkNumber(L: LuaState, i: number): number {
  return lauxlib.luaL_checknumber(L, i) as number;
}

/** C's (int) cast of a double (luaL_checkint of Lua 5.1). */
export function toInt(x: number): number {
  return x >= -TWO_63 && x < TWO_63 ? x | 0 : 0;
}

/** The JS function of the global or field at the top of the stack (popped). */
function popFunction(L: LuaState): JsFunction {
  const fn = lua.lua_tocfunction(L, -1) as JsFunction | null;
  lua.lua_pop(L, 1);
  if (fn === null) throw new Error("lua_number: expected a library function");
  return fn;
}

function global(L: LuaState, name: string): JsFunction {
  lua.lua_getglobal(L, toLuaString(name));
  return popFunction(L);
}

function field(L: LuaState, name: string): JsFunction {
  lua.lua_getfield(L, -1, toLuaString(name));
  return popFunction(L);
}

/** C's strtoul: the value of s in base, or null without digits or with trailing junk. */
function strtoul(s: Uint8Array, base: number): number | null {
  let i = 0;
  while (isSpace(s[i])) i++;
  const negative = s[i] === 45;
  if (negative || s[i] === 43) i++;
  if (base === 16 && s[i] === 48 && (s[i + 1] | 0x20) === 120 && digitValue(s[i + 2]) < 16) {
    i += 2;
  }
  const start = i;
  let value = 0n;
  const big = BigInt(base);
  for (; i < s.length && digitValue(s[i]) < base; i++) {
    value = value * big + BigInt(digitValue(s[i]));
  }
  if (i === start) return null;
  while (isSpace(s[i])) i++;
  if (i < s.length && s[i] !== 0) return null; // C sees the string up to a NUL
  if (value > UINT64_MAX) value = UINT64_MAX;
  else if (negative) value = BigInt.asUintN(64, -value);
  return Number(value);
}

/** Parses "%[flags][width][.precision]" after the "%" at i; null when Lua 5.1 rejects it. */
function scanSpec(fmt: string, i: number): [Spec, number] | null {
  const spec: Spec = {
    minus: false,
    plus: false,
    space: false,
    alt: false,
    zero: false,
    width: 0,
    precision: -1,
  };
  const start = i;
  for (;; i++) {
    const c = fmt[i];
    if (c === "-") spec.minus = true;
    else if (c === "+") spec.plus = true;
    else if (c === " ") spec.space = true;
    else if (c === "#") spec.alt = true;
    else if (c === "0") spec.zero = true;
    else break;
  }
  if (i - start >= 6) return null; // "invalid format (repeated flags)"
  const digits = (): number => {
    let n = 0;
    for (let k = 0; k < 2 && fmt[i] >= "0" && fmt[i] <= "9"; k++) n = n * 10 + Number(fmt[i++]);
    return n;
  };
  spec.width = digits();
  if (fmt[i] === ".") {
    i++;
    spec.precision = digits();
  }
  if (fmt[i] >= "0" && fmt[i] <= "9") return null; // "invalid format (width or precision ...)"
  return [spec, i];
}

/**
 * Lua 5.1's string.format over fengari's: number conversions (d i o u x X c e E f g G) are
 * formatted here as C's printf of the 64-bit cast double, and handed to fengari's format as "%s"
 * of the result; %s and %q too, as Lua 5.1 formats them (strings or numbers only, %s through C's
 * sprintf under 100 bytes, 5.1's quoting). Everything else (argument and format errors) stays
 * fengari's.
 */
function stringFormat(original: JsFunction): JsFunction {
  return (L) => {
    const top = lua.lua_gettop(L);
    lauxlib.luaL_checklstring(L, 1);
    const fmt = toBinary(L, 1) as string;
    let rewritten = "";
    let copied = 0;
    let arg = 1;
    for (let i = 0; i < fmt.length; i++) {
      if (fmt[i] !== "%") continue;
      if (fmt[i + 1] === "%") {
        i++;
        continue;
      }
      if (++arg > top) break; // fengari raises "no value"
      const scanned = scanSpec(fmt, i + 1);
      if (scanned === null) break; // fengari raises the format error
      const [spec, at] = scanned;
      const conv = fmt[at];
      const isNumber = lua.lua_type(L, arg) === lua.LUA_TNUMBER;
      if (conv === "s" || conv === "q") {
        // luaL_checklstring: numbers as "%.14g", anything else but a string refused.
        lauxlib.luaL_checklstring(L, arg);
        const value = isNumber
          ? formatNumber(lua.lua_tonumber(L, arg) as number)
          : toBinary(L, arg) as string;
        pushBinary(L, conv === "q" ? quoted(value) : formatString(spec, value));
        lua.lua_replace(L, arg);
        rewritten += fmt.slice(copied, i) + "%s";
        copied = at + 1;
      } else if (conv === undefined) {
        return raiseError(L, "invalid option '%' to 'format'"); // a "%" ending the format
      } else if (conv === "a" || conv === "A") {
        return raiseError(L, `invalid option '%${conv}' to 'format'`);
      } else if (conv !== undefined && "cdiouxXeEfgG".includes(conv)) {
        if (!isNumber && !lua.lua_isnumber(L, arg)) break; // fengari raises "number expected"
        const x = lua.lua_tonumber(L, arg) as number;
        let text: string;
        if (conv === "c") {
          const byte = String.fromCharCode(toInt(x) & 0xff);
          text = pad("", byte, { ...spec, zero: false }, false);
          const nul = text.indexOf("\0"); // Lua 5.1 adds strlen() of sprintf's buffer
          if (nul >= 0) text = text.slice(0, nul);
        } else text = formatDoubleC(conv, spec, x);
        pushBinary(L, text);
        lua.lua_replace(L, arg);
        rewritten += fmt.slice(copied, i) + "%s";
        copied = at + 1;
      } else break; // an unknown option: fengari raises it
      i = at;
    }
    if (copied > 0) {
      pushBinary(L, rewritten + fmt.slice(copied));
      lua.lua_replace(L, 1);
    }
    return original(L);
  };
}

/**
 * Lua 5.1's "%s": the string as is when it has 100 bytes or more and no precision is given,
 * otherwise C's sprintf of it (which stops at a NUL byte) with the width and precision.
 */
function formatString(spec: Spec, value: string): string {
  if (spec.precision < 0 && value.length >= 100) return value;
  const nul = value.indexOf("\0");
  let text = nul >= 0 ? value.slice(0, nul) : value;
  if (spec.precision >= 0) text = text.slice(0, spec.precision);
  return pad("", text, { ...spec, zero: false }, false);
}

/** Lua 5.1's "%q": a backslash before quotes, backslashes and newlines; CR and NUL escaped. */
function quoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    if (ch === '"' || ch === "\\" || ch === "\n") out += "\\" + ch;
    else if (ch === "\r") out += "\\r";
    else if (ch === "\0") out += "\\000";
    else out += ch;
  }
  return out + '"';
}

/** tonumber: fengari's without a base; with one, Lua 5.1's (strtoul, a double result). */
function tonumber(original: JsFunction): JsFunction {
  return (L) => {
    if (lua.lua_type(L, 2) <= 0) return original(L); // none or nil: the standard conversion
    const base = toInt(checkNumber(L, 2));
    if (base === 10) {
      lua.lua_settop(L, 1);
      return original(L);
    }
    const s = lauxlib.luaL_checklstring(L, 1) as Uint8Array;
    lauxlib.luaL_argcheck(L, 2 <= base && base <= 36, 2, "base out of range");
    const n = strtoul(s, base);
    if (n === null) lua.lua_pushnil(L);
    else lua.lua_pushnumber(L, n);
    return 1;
  };
}

/** Lua 5.1's error: a number message gets the position too (it counts as a string there). */
function errorFunction(original: JsFunction): JsFunction {
  return (L) => {
    if (
      lua.lua_type(L, 1) === lua.LUA_TNUMBER && (lauxlib.luaL_optinteger(L, 2, 1) as number) > 0
    ) {
      pushBinary(L, formatNumber(lua.lua_tonumber(L, 1) as number));
      lua.lua_replace(L, 1);
    }
    return original(L);
  };
}

const MATH: Record<string, JsFunction> = {
  floor: (L) => pushNumber(L, Math.floor(checkNumber(L, 1))),
  ceil: (L) => pushNumber(L, Math.ceil(checkNumber(L, 1))),
  abs: (L) => pushNumber(L, Math.abs(checkNumber(L, 1))),
  fmod: (L) => pushNumber(L, checkNumber(L, 1) % checkNumber(L, 2)),
  mod: (L) => pushNumber(L, checkNumber(L, 1) % checkNumber(L, 2)),
  pow: (L) => pushNumber(L, Math.pow(checkNumber(L, 1), checkNumber(L, 2))),
  log: (L) => pushNumber(L, Math.log(checkNumber(L, 1))), // 5.1 has no base argument
  log10: (L) => pushNumber(L, Math.log10(checkNumber(L, 1))),
  atan2: (L) => pushNumber(L, Math.atan2(checkNumber(L, 1), checkNumber(L, 2))),
  cosh: (L) => pushNumber(L, Math.cosh(checkNumber(L, 1))),
  sinh: (L) => pushNumber(L, Math.sinh(checkNumber(L, 1))),
  tanh: (L) => pushNumber(L, Math.tanh(checkNumber(L, 1))),
  frexp: (L) => {
    const x = checkNumber(L, 1);
    const [m, e] = x === 0 || !Number.isFinite(x) ? [x, 0] : fengariConf.frexp(x);
    lua.lua_pushnumber(L, m);
    lua.lua_pushnumber(L, e);
    return 2;
  },
  ldexp: (L) => pushNumber(L, fengariConf.ldexp(checkNumber(L, 1), toInt(checkNumber(L, 2)))),
};

/** Lua 5.3 additions Redis's Lua 5.1 lacks. */
const MATH_REMOVED = ["type", "tointeger", "ult", "maxinteger", "mininteger"];

/**
 * Installs Lua 5.1's number functions in a fresh state (after the base, string, math and table
 * libraries are open, before the sandbox makes them read-only).
 */
export function installNumberLibrary(L: LuaState): void {
  const tostring = global(L, "tostring");
  lua.lua_pushcfunction(L, (L: LuaState) => {
    if (lua.lua_type(L, 1) !== lua.LUA_TNUMBER) return tostring(L);
    pushBinary(L, formatNumber(lua.lua_tonumber(L, 1) as number));
    return 1;
  });
  lua.lua_setglobal(L, toLuaString("tostring"));
  lua.lua_pushcfunction(L, tonumber(global(L, "tonumber")));
  lua.lua_setglobal(L, toLuaString("tonumber"));
  lua.lua_pushcfunction(L, errorFunction(global(L, "error")));
  lua.lua_setglobal(L, toLuaString("error"));

  lua.lua_getglobal(L, toLuaString("string"));
  setFunction(L, "format", stringFormat(field(L, "format")));
  setFunction(
    L,
    "len",
    (L) => pushNumber(L, (lauxlib.luaL_checklstring(L, 1) as Uint8Array).length),
  );
  lua.lua_pop(L, 1);

  lua.lua_getglobal(L, toLuaString("math"));
  for (const [name, fn] of Object.entries(MATH)) setFunction(L, name, fn);
  for (const name of MATH_REMOVED) {
    lua.lua_pushnil(L);
    lua.lua_setfield(L, -2, toLuaString(name));
  }
  lua.lua_pop(L, 1);

  lua.lua_getglobal(L, toLuaString("table"));
  setFunction(L, "getn", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    return pushNumber(L, lua.lua_rawlen(L, 1) as number);
  });
  setFunction(L, "maxn", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let max = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
        const k = lua.lua_tonumber(L, -1) as number;
        if (k > max) max = k;
      }
    }
    return pushNumber(L, max);
  });
  lua.lua_pop(L, 1);
  installLua51Library(L);
}

// ---- Lua 5.1's library where 5.3's differs in other ways ----------------------------------------

/** Lua 5.1's LUAI_MAXCSTACK: how many values lua_checkstack lets a C function push. */
const MAX_C_STACK = 8000;
/** The longest string a reply can carry (V8's string limit; replies are binary strings). */
const MAX_STRING = 0x1fffffe8;

/** luaL_checkint: C's int of the 64-bit cast, so 2^32 + 2 is 2 and 2^31 is -2^31. */
function checkInt(L: LuaState, i: number): number {
  return toInt(checkNumber(L, i));
}

function optInt(L: LuaState, i: number, fallback: number): number {
  return lua.lua_isnoneornil(L, i) ? fallback : checkInt(L, i);
}

/** A string position relative to the end when negative (posrelat). */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return pos >= 0 ? pos : 0;
}

function checkBytes(L: LuaState, i: number): Uint8Array {
  return lauxlib.luaL_checklstring(L, i) as Uint8Array;
}

/** Replaces argument i with a number. */
function setNumberArg(L: LuaState, i: number, n: number): void {
  lua.lua_pushnumber(L, n);
  lua.lua_replace(L, i);
}

/** luaL_error at `level` (1: the caller of the running function), without a format string. */
function raiseAt(L: LuaState, level: number, message: string): never {
  lauxlib.luaL_where(L, level);
  pushBinary(L, message);
  lua.lua_concat(L, 2);
  lua.lua_error(L);
  throw new Error("unreachable: lua_error throws");
}

/**
 * A pattern as Lua 5.1 reads it, in 5.3's syntax: 5.1 has no %g class, so "%g" / "%G" match the
 * letter itself. Everything else is the same in both.
 */
function pattern51(p: string): string {
  if (!/%[gG]/.test(p)) return p;
  let out = "";
  let i = 0;
  const escape = () => {
    const d = p[i + 1];
    out += d === "g" || d === "G" ? d : p.slice(i, i + 2);
    i += 2;
  };
  while (i < p.length) {
    const c = p[i];
    if (c === "[") {
      out += p[i++];
      if (p[i] === "^") out += p[i++];
      let first = true; // a "]" right after "[" or "[^" is a member
      while (i < p.length && (first || p[i] !== "]")) {
        first = false;
        if (p[i] === "%" && i + 1 < p.length) escape();
        else out += p[i++];
      }
      if (i < p.length) out += p[i++];
    } else if (c === "%" && p[i + 1] === "b") {
      out += p.slice(i, i + 4);
      i += 4;
    } else if (c === "%" && i + 1 < p.length) escape();
    else out += p[i++];
  }
  return out;
}

/** How many captures a pattern has (its "(" outside sets and escapes). */
function captureCount(p: string): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "%") i += p[i + 1] === "b" ? 3 : 1;
    else if (c === "[") {
      i++;
      if (p[i] === "^") i++;
      for (let first = true; i < p.length && (first || p[i] !== "]"); i++) {
        first = false;
        if (p[i] === "%") i++;
      }
    } else if (c === "(") n++;
  }
  return n;
}

/** Rewrites the pattern argument (when it is a string) for 5.3's matcher; returns it. */
function patternArg(L: LuaState, i: number): string {
  const p = toBinary(L, i) ?? "";
  const fixed = pattern51(p);
  if (fixed !== p) {
    pushBinary(L, fixed);
    lua.lua_replace(L, i);
  }
  return p;
}

/**
 * gsub's replacement string as Lua 5.1 reads it, in 5.3's syntax: "%" before a non-digit stands
 * for that character (5.3 refuses it) and a "%" ending the string for a NUL byte; null when it
 * names a capture the pattern lacks (5.1 raises "invalid capture index" at the first match).
 */
function replacement51(repl: string, captures: number): string | null {
  let out = "";
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const d = ++i < repl.length ? repl[i] : "\0";
    if (d >= "1" && d <= "9") {
      const index = d.charCodeAt(0) - 49;
      if (index >= captures && index !== 0) return null;
      out += "%" + d;
    } else if (d === "0") out += "%0";
    else out += d === "%" ? "%%" : d;
  }
  return out;
}

/** The 5.1 versions of string functions, over fengari's originals. */
function stringLibrary(L: LuaState): Record<string, JsFunction> {
  const byte = field(L, "byte");
  const find = field(L, "find");
  const match = field(L, "match");
  const gmatch = field(L, "gmatch");
  const gsub = field(L, "gsub");
  // find / match: an init past the end starts at the end (5.3 answers nil).
  const withInit = (original: JsFunction, isFind: boolean): JsFunction => (L) => {
    const s = checkBytes(L, 1);
    checkBytes(L, 2);
    if (!lua.lua_isnoneornil(L, 3)) {
      let init = posrelat(lauxlib.luaL_checkinteger(L, 3) as number, s.length) - 1;
      if (init < 0) init = 0;
      else if (init > s.length) init = s.length;
      setNumberArg(L, 3, init + 1);
    }
    if (!(isFind && lua.lua_toboolean(L, 4))) patternArg(L, 2);
    return original(L);
  };
  const gmatch51: JsFunction = (L) => {
    checkBytes(L, 1);
    checkBytes(L, 2);
    patternArg(L, 2);
    return gmatch(L);
  };
  return {
    rep: (L) => {
      const s = checkBytes(L, 1);
      const n = checkInt(L, 2); // no separator argument in 5.1
      if (n <= 0 || s.length === 0) {
        lua.lua_pushstring(L, new Uint8Array(0));
        return 1;
      }
      if (s.length * n > MAX_STRING) return raiseError(L, "not enough memory");
      const out = new Uint8Array(s.length * n);
      out.set(s);
      for (let filled = s.length; filled < out.length; filled *= 2) {
        out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
      }
      lua.lua_pushstring(L, out);
      return 1;
    },
    char: (L) => {
      const n = lua.lua_gettop(L);
      const out = new Uint8Array(n);
      for (let i = 1; i <= n; i++) {
        const c = checkInt(L, i);
        lauxlib.luaL_argcheck(L, (c & 0xff) === c, i, "invalid value");
        out[i - 1] = c;
      }
      lua.lua_pushstring(L, out);
      return 1;
    },
    byte: (L) => {
      // The bytes go on the stack: past LUAI_MAXCSTACK, 5.1 refuses the slice.
      const l = checkBytes(L, 1).length;
      let posi = posrelat(lauxlib.luaL_optinteger(L, 2, 1) as number, l);
      let pose = posrelat(lauxlib.luaL_optinteger(L, 3, posi) as number, l);
      if (posi <= 0) posi = 1;
      if (pose > l) pose = l;
      if (posi <= pose && lua.lua_gettop(L) + pose - posi + 1 > MAX_C_STACK) {
        return raiseError(L, "stack overflow (string slice too long)");
      }
      return byte(L);
    },
    find: withInit(find, true),
    match: withInit(match, false),
    gmatch: gmatch51,
    gfind: gmatch51, // 5.1's old name for gmatch
    gsub: (L) => {
      checkBytes(L, 1);
      checkBytes(L, 2);
      if (!lua.lua_isnoneornil(L, 4)) setNumberArg(L, 4, checkInt(L, 4)); // luaL_optint
      const p = patternArg(L, 2);
      const type = lua.lua_type(L, 3);
      if (type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER) {
        const repl = toBinary(L, 3) as string;
        const fixed = replacement51(repl, captureCount(p));
        if (fixed === null) {
          lua.lua_pushcfunction(L, (L: LuaState) => raiseAt(L, 2, "invalid capture index"));
          lua.lua_replace(L, 3);
        } else if (fixed !== repl) {
          pushBinary(L, fixed);
          lua.lua_replace(L, 3);
        }
      }
      return gsub(L);
    },
  };
}

/** luaL_checktype(L, 1, table) and luaL_getn. */
function tableLength(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  return lua.lua_rawlen(L, 1) as number;
}

/** Lua 5.1's table library functions that 5.3 changed or dropped. */
const TABLE: Record<string, JsFunction> = {
  insert: (L) => {
    let e = tableLength(L) + 1;
    let pos: number;
    const argc = lua.lua_gettop(L);
    if (argc === 2) pos = e;
    else if (argc === 3) {
      // No bounds check in 5.1: any position, the elements from it up moved up by one.
      pos = checkInt(L, 2);
      if (pos > e) e = pos;
      for (let i = e; i > pos; i--) {
        lua.lua_rawgeti(L, 1, i - 1);
        lua.lua_rawseti(L, 1, i);
      }
    } else return raiseError(L, "wrong number of arguments to 'insert'");
    lua.lua_rawseti(L, 1, pos);
    return 0;
  },
  remove: (L) => {
    const e = tableLength(L);
    let pos = optInt(L, 2, e);
    if (!(pos >= 1 && pos <= e)) return 0; // nothing to remove, no result
    lua.lua_rawgeti(L, 1, pos);
    for (; pos < e; pos++) {
      lua.lua_rawgeti(L, 1, pos + 1);
      lua.lua_rawseti(L, 1, pos);
    }
    lua.lua_pushnil(L);
    lua.lua_rawseti(L, 1, e);
    return 1;
  },
  concat: (L) => {
    const sep = lua.lua_isnoneornil(L, 2) ? "" : toBinary(L, (checkBytes(L, 2), 2)) as string;
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let i = optInt(L, 3, 1);
    const last = lua.lua_isnoneornil(L, 4) ? lua.lua_rawlen(L, 1) as number : checkInt(L, 4);
    const parts: string[] = [];
    for (; i <= last; i++) {
      lua.lua_rawgeti(L, 1, i);
      if (!lua.lua_isstring(L, -1)) {
        const type = bytesToBinary(lauxlib.luaL_typename(L, -1));
        return raiseError(L, `invalid value (${type}) at index ${i} in table for 'concat'`);
      }
      parts.push(toBinary(L, -1) as string);
      lua.lua_pop(L, 1);
    }
    pushBinary(L, parts.join(sep));
    return 1;
  },
  foreach: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushvalue(L, -3);
      lua.lua_pushvalue(L, -3);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 2);
    }
    return 0;
  },
  foreachi: (L) => {
    const n = tableLength(L);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    for (let i = 1; i <= n; i++) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushnumber(L, i);
      lua.lua_rawgeti(L, 1, i);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 1);
    }
    return 0;
  },
  setn: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    return raiseError(L, "'setn' is obsolete");
  },
};

/** Lua 5.1's unpack: C ints, and at most LUAI_MAXCSTACK results. */
function unpack(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  let i = optInt(L, 2, 1);
  const e = lua.lua_isnoneornil(L, 3) ? lua.lua_rawlen(L, 1) as number : checkInt(L, 3);
  if (i > e) return 0;
  const n = (e - i + 1) | 0; // an int: a wrapped count is refused below
  if (n <= 0 || lua.lua_gettop(L) + n > MAX_C_STACK) {
    return raiseError(L, "too many results to unpack");
  }
  lua.lua_checkstack(L, n);
  lua.lua_rawgeti(L, 1, i);
  while (i++ < e) lua.lua_rawgeti(L, 1, i);
  return n;
}

/** Lua 5.1's select: a C int index, negative from the end. */
function select(L: LuaState): number {
  const n = lua.lua_gettop(L);
  if (lua.lua_type(L, 1) === lua.LUA_TSTRING && toBinary(L, 1)?.[0] === "#") {
    lua.lua_pushnumber(L, n - 1);
    return 1;
  }
  let i = checkInt(L, 1);
  if (i < 0) i = n + i;
  else if (i > n) i = n;
  lauxlib.luaL_argcheck(L, 1 <= i, 1, "index out of range");
  return n - i;
}

/** Lua 5.1's assert: the message is a string (numbers converted) raised with the position. */
function assert(L: LuaState): number {
  lauxlib.luaL_checkany(L, 1);
  if (lua.lua_toboolean(L, 1)) return lua.lua_gettop(L);
  const message = lua.lua_isnoneornil(L, 2)
    ? "assertion failed!"
    : (checkBytes(L, 2), toBinary(L, 2) as string);
  return raiseError(L, message);
}

/** Lua 5.3 additions Redis's Lua 5.1 lacks, by library (null: the globals). */
const REMOVED: [string | null, string[]][] = [
  [null, ["rawlen"]],
  ["string", ["pack", "unpack", "packsize"]],
  ["table", ["pack", "unpack", "move"]],
  ["coroutine", ["isyieldable"]],
];

/** Lua 5.1's collectgarbage / gcinfo over a VM with no collector to steer (V8 collects). */
function gcFunctions(): Record<string, JsFunction> {
  const settings = { setpause: 200, setstepmul: 200 };
  const kilobytes = 20;
  const options = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"];
  return {
    collectgarbage: (L) => {
      const option = lua.lua_isnoneornil(L, 1) ? "collect" : toBinary(L, (checkBytes(L, 1), 1));
      if (!options.includes(option as string)) {
        return lauxlib.luaL_argerror(L, 1, toLuaString(`invalid option '${option}'`));
      }
      const ex = optInt(L, 2, 0);
      if (option === "count") return pushNumber(L, kilobytes);
      if (option === "step") {
        lua.lua_pushboolean(L, false);
        return 1;
      }
      if (option === "setpause" || option === "setstepmul") {
        const previous = settings[option];
        settings[option] = ex;
        return pushNumber(L, previous);
      }
      return pushNumber(L, 0);
    },
    gcinfo: (L) => pushNumber(L, kilobytes),
  };
}

/** The coroutine functions whose 5.1 versions differ: "coroutine expected", main thread nil. */
function coroutineLibrary(L: LuaState): Record<string, JsFunction> {
  const create = field(L, "create");
  const wrap = field(L, "wrap");
  const resume = field(L, "resume");
  const status = field(L, "status");
  const running = field(L, "running");
  const body = (original: JsFunction): JsFunction => (L) => {
    lauxlib.luaL_argcheck(
      L,
      lua.lua_isfunction(L, 1) && !lua.lua_iscfunction(L, 1),
      1,
      "Lua function expected",
    );
    return original(L);
  };
  const thread = (original: JsFunction): JsFunction => (L) => {
    lauxlib.luaL_argcheck(L, lua.lua_tothread(L, 1) !== null, 1, "coroutine expected");
    return original(L);
  };
  return {
    create: body(create),
    wrap: body(wrap),
    resume: thread(resume),
    status: thread(status),
    running: (L) => {
      running(L);
      if (lua.lua_toboolean(L, -1)) lua.lua_pushnil(L); // the main thread: nil in 5.1
      else lua.lua_pushvalue(L, -2);
      return 1;
    },
  };
}

/**
 * Installs the rest of Lua 5.1's library differences: the string, table, base and coroutine
 * functions above, 5.1's globals (gcinfo, unpack, _VERSION), 5.3's additions removed, and no
 * loaded-module table, so an argument error in a function called from C (pcall(ipairs)) names
 * it '?' as 5.1 does.
 */
function installLua51Library(L: LuaState): void {
  lua.lua_getglobal(L, toLuaString("string"));
  for (const [name, fn] of Object.entries(stringLibrary(L))) setFunction(L, name, fn);
  lua.lua_pop(L, 1);
  lua.lua_getglobal(L, toLuaString("table"));
  for (const [name, fn] of Object.entries(TABLE)) setFunction(L, name, fn);
  lua.lua_pop(L, 1);
  lua.lua_getglobal(L, toLuaString("coroutine"));
  for (const [name, fn] of Object.entries(coroutineLibrary(L))) setFunction(L, name, fn);
  lua.lua_pop(L, 1);
  const globals: Record<string, JsFunction> = { unpack, select, assert, ...gcFunctions() };
  for (const [name, fn] of Object.entries(globals)) {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setglobal(L, toLuaString(name));
  }
  pushBinary(L, "Lua 5.1");
  lua.lua_setglobal(L, toLuaString("_VERSION"));
  for (const [library, names] of REMOVED) {
    if (library === null) lua.lua_pushglobaltable(L);
    else lua.lua_getglobal(L, toLuaString(library));
    for (const name of names) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, toLuaString(name));
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_newtable(L);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, toLuaString("_LOADED"));
}
