/**
 * Lua 5.1's number model on fengari (Lua 5.3 with 32-bit integers, whose arithmetic wraps):
 * Redis runs Lua 5.1, where every number is a double, so `1700000 * 1000`, `2147483647 + 1` or a
 * loop summing to 5000050000 must not wrap. Three parts:
 *
 * - patches of fengari's modules, once per process: every numeral the lexer reads and every
 *   string converted to a number (tonumber, "10" + 1) becomes a float, so arithmetic is float
 *   arithmetic (a mixed integer/float operation yields a float); "0x..." numerals keep their
 *   unsigned value and "inf"/"nan" strings convert, as C's strtod does; numbers convert to text
 *   as C's "%.14g" (3.0 is "3", 1e20 "1e+20", 0/0 "-nan"); functions that want an integer
 *   argument truncate a float (string.sub(s, 1.5) is string.sub(s, 1)), clamped to fengari's
 *   32-bit range, where Lua 5.3 raised "number has no integer representation".
 * - Lua 5.1's versions of library functions whose 5.3 versions differ on numbers (installed per
 *   state by installNumberLibrary): tostring, tonumber with a base, error with a number,
 *   string.format (C's printf conversions over 64-bit casts), string.len, math.floor/ceil/abs/
 *   fmod/log returning floats, math.pow/mod/log10/atan2/cosh/sinh/tanh/frexp/ldexp,
 *   table.getn/maxn; math.type/tointeger/ult/maxinteger/mininteger are gone as in 5.1.
 * - formatNumber / formatDoubleC: C's printf formats, exact (round half to even on the binary
 *   value, like glibc), for the library above and for cjson.
 *
 * What still yields an integer: `#`, select('#'), ipairs' index, string.byte/find/gsub counts,
 * math.max/min of such values. Only an operation between two of them can wrap (a product of two
 * lengths past 2^31), which real scripts hardly do.
 */
import "./lua_conf.ts";
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
  ttisfloat(): boolean;
  setfltvalue(x: number): void;
  setsvalue(x: unknown): void;
}

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
  lobject.luaO_str2num = (s: Uint8Array, o: TValue): number => {
    const size = str2num(s, o);
    if (size === 0) {
      const special = specialNumeral(s);
      if (special === null) return 0;
      o.setfltvalue(special);
      return s.length + 1;
    }
    if (o.ttisinteger()) {
      // A hex integer wrapped at 32 bits ("0xffffffff" was -1): take it again, unsigned.
      let hex = false;
      for (let i = 0; i < s.length && !hex; i++) hex = (s[i] | 0x20) === 120;
      o.setfltvalue(hex ? hexNumeral(s) : o.value);
    }
    return size;
  };
  // Number → text for "..", lua_tolstring (luaL_checkstring, table.concat, ...): "%.14g".
  lobject.luaO_tostring = (L: LuaState, obj: TValue): void => {
    const text = obj.ttisinteger() ? String(obj.value) : formatNumber(obj.value);
    obj.setsvalue(lstring.luaS_bless(L, toLuaString(text)));
  };
  // lua_tointegerx (luaL_checkinteger / luaL_optinteger: string.sub, string.rep, select, ...)
  // truncates a float as C's cast does in Lua 5.1, within fengari's 32-bit range.
  const toInteger = lvm.tointeger as (o: TValue) => number | false;
  const toNumber = lvm.tonumber as (o: TValue) => number | false;
  lvm.tointeger = (o: TValue): number | false => {
    if (o.ttisinteger()) return o.value;
    const exact = toInteger(o);
    if (exact !== false) return exact;
    const n = toNumber(o);
    if (n === false) return false;
    if (n !== n) return INT_MIN;
    return n >= INT_MAX ? INT_MAX : n <= INT_MIN ? INT_MIN : Math.trunc(n);
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
 * of the result; numbers for %s and %q become their "%.14g" text first. Everything else (strings,
 * argument and format errors) stays fengari's.
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
        if (isNumber) {
          pushBinary(L, formatNumber(lua.lua_tonumber(L, arg) as number));
          lua.lua_replace(L, arg);
        }
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
}
