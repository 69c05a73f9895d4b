/**
 * `cjson` as Redis 7.0 bundles it (lua-cjson 2.1.0 on Lua 5.1): encode and decode over Lua
 * values, `cjson.null` (a light userdata), the configuration functions (encode_sparse_array,
 * encode_max_depth, decode_max_depth, encode_number_precision, encode_keep_buffer,
 * encode_invalid_numbers, decode_invalid_numbers) and cjson.new() for a table with its own
 * settings, with lua-cjson's defaults, texts and error positions.
 *
 * Encoding: numbers as "%.14g" (the precision setting), NaN and infinities refused unless allowed,
 * "/" escaped, a table whose keys are all positive integral numbers is an array unless too sparse,
 * an empty table is "{}"; objects follow lua_next, i.e. Lua 5.1's traversal order (lua_pairs.ts).
 * Decoding is lua-cjson's tokenizer: numbers through C's strtod (so with decode_invalid_numbers,
 * the default, "0x10", "010", "+1", "Infinity" and "NaN" are numbers), \u escapes to UTF-8,
 * other bytes copied as they are, a NUL byte ends the text, nesting past decode_max_depth refused.
 */
import { formatDoubleC, formatNumber } from "./lua_number.ts";
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

/** The light userdata standing for JSON null; compared by identity in Lua (`== cjson.null`). */
const JSON_NULL = Object.freeze({ cjsonNull: true });

/** Whether the value at idx is cjson.null (whose tostring is "userdata: (nil)" in Redis). */
export function isJsonNull(L: LuaState, idx: number): boolean {
  return lua.lua_type(L, idx) === lua.LUA_TLIGHTUSERDATA &&
    lua.lua_touserdata(L, idx) === JSON_NULL;
}

/** One cjson table's settings (lua-cjson's defaults as Redis builds it). */
interface Config {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: boolean;
  /** 0: refuse, 1: allow ("nan", "inf"), 2: as null. */
  encodeInvalid: number;
  decodeInvalid: boolean;
}

function defaults(): Config {
  return {
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    precision: 14,
    keepBuffer: true,
    encodeInvalid: 0,
    decodeInvalid: true,
  };
}

// ---- Encoding ------------------------------------------------------------------------------------

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

/** json_encode_exception: "Cannot serialise <type of the value at idx>: <reason>". */
function encodeError(L: LuaState, idx: number, reason: string): never {
  const type = String.fromCharCode(...lua.lua_typename(L, lua.lua_type(L, idx)));
  return raiseError(L, `Cannot serialise ${type}: ${reason}`);
}

function encodeNumberAt(L: LuaState, cfg: Config, idx: number): string {
  // lua-cjson runs on Lua 5.1, where every number is a double: integers print as %.14g too.
  const n = lua.lua_tonumber(L, idx) as number;
  if (!Number.isFinite(n)) {
    if (cfg.encodeInvalid === 0) return encodeError(L, idx, "must not be NaN or Inf");
    if (cfg.encodeInvalid === 2) return "null";
    if (n !== n) return "nan";
  }
  if (cfg.precision === 14) return formatNumber(n);
  const spec = {
    minus: false,
    plus: false,
    space: false,
    alt: false,
    zero: false,
    width: 0,
    precision: cfg.precision,
  };
  return formatDoubleC("g", spec, n);
}

function encode(L: LuaState, cfg: Config, idx: number, depth: number): string {
  const abs = lua.lua_absindex(L, idx);
  switch (lua.lua_type(L, abs)) {
    case lua.LUA_TSTRING:
      return escapeString(toBinary(L, abs) as string);
    case lua.LUA_TNUMBER:
      return encodeNumberAt(L, cfg, abs);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, abs) ? "true" : "false";
    case lua.LUA_TNIL:
      return "null";
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, abs) === JSON_NULL) return "null";
      break;
    case lua.LUA_TTABLE:
      return encodeTable(L, cfg, abs, depth + 1);
  }
  return encodeError(L, abs, "type not supported");
}

/** lua_array_length: the array's length, or -1 for an object (lua-cjson's sparse rules). */
function arrayLength(L: LuaState, cfg: Config, idx: number): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pop(L, 1);
    const k = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -1) as number) : 0;
    if (k >= 1 && Math.floor(k) === k) {
      // lua-cjson keeps the largest key in a C int: a key past 2^31 casts to INT_MIN there.
      if (k > max) max = k < 2 ** 31 ? k : -(2 ** 31);
      items++;
      continue;
    }
    lua.lua_pop(L, 1);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) return encodeError(L, idx, "excessively sparse array");
    return -1;
  }
  return max;
}

function encodeTable(L: LuaState, cfg: Config, idx: number, depth: number): string {
  if (depth > cfg.encodeMaxDepth) {
    return raiseError(L, `Cannot serialise, excessive nesting (${depth})`);
  }
  lua.lua_checkstack(L, 4);
  const length = arrayLength(L, cfg, idx);
  if (length > 0) {
    const parts: string[] = [];
    for (let i = 1; i <= length; i++) {
      lua.lua_rawgeti(L, idx, i);
      parts.push(encode(L, cfg, -1, depth));
      lua.lua_pop(L, 1);
    }
    return `[${parts.join(",")}]`;
  }
  const parts: string[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx) !== 0) {
    const keyType = lua.lua_type(L, -2);
    let key: string;
    if (keyType === lua.LUA_TSTRING) key = escapeString(toBinary(L, -2) as string);
    else if (keyType === lua.LUA_TNUMBER) key = `"${encodeNumberAt(L, cfg, -2)}"`;
    else return encodeError(L, -2, "table key must be a number or string");
    parts.push(`${key}:${encode(L, cfg, -1, depth)}`);
    lua.lua_pop(L, 1);
  }
  return `{${parts.join(",")}}`;
}

// ---- Decoding ------------------------------------------------------------------------------------

type TokenType =
  | "T_OBJ_BEGIN"
  | "T_OBJ_END"
  | "T_ARR_BEGIN"
  | "T_ARR_END"
  | "T_STRING"
  | "T_NUMBER"
  | "T_BOOLEAN"
  | "T_NULL"
  | "T_COLON"
  | "T_COMMA"
  | "T_END"
  | "T_ERROR";

interface Token {
  type: TokenType;
  /** Where the token (or the error) is, 0-based. */
  index: number;
  value?: string | number | boolean;
}

const SINGLE: Record<string, TokenType> = {
  "{": "T_OBJ_BEGIN",
  "}": "T_OBJ_END",
  "[": "T_ARR_BEGIN",
  "]": "T_ARR_END",
  ",": "T_COMMA",
  ":": "T_COLON",
};
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** The longest prefix of s from p that C's strtod reads as a number, with its value. */
function strtodPrefix(s: string, p: number): [number, number] | null {
  const m =
    /^[+-]?(?:(?:inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/i
      .exec(s.slice(p, p + 400));
  if (m === null) return null;
  const text = m[0];
  const negative = text[0] === "-";
  const body = text.replace(/^[+-]/, "").toLowerCase();
  let value: number;
  if (body.startsWith("inf")) value = Infinity;
  else if (body.startsWith("nan")) value = NaN;
  else if (body.startsWith("0x")) {
    const hm = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?[0-9]+))?$/.exec(body) as RegExpExecArray;
    const digits = hm[1] + hm[2];
    value = Number(BigInt("0x" + (digits || "0"))) * 2 ** (Number(hm[3] ?? 0) - 4 * hm[2].length);
  } else value = Number(body.endsWith(".") ? body.slice(0, -1) : body);
  return [p + text.length, negative ? -value : value];
}

class Decoder {
  p = 0;
  depth = 0;
  /** The text up to its first NUL byte (lua-cjson reads a C string). */
  readonly s: string;

  constructor(readonly L: LuaState, readonly cfg: Config, text: string) {
    const nul = text.indexOf("\0");
    this.s = nul >= 0 ? text.slice(0, nul) : text;
  }

  fail(expected: string, token: Token): never {
    const found = token.type === "T_ERROR" ? token.value as string : token.type;
    return raiseError(
      this.L,
      `Expected ${expected} but found ${found} at character ${token.index + 1}`,
    );
  }

  error(message: string): Token {
    return { type: "T_ERROR", index: this.p, value: message };
  }

  /** A number (strtod) from here, or the invalid-number error. */
  number(): Token {
    const index = this.p;
    const read = strtodPrefix(this.s, this.p);
    if (read === null) return this.error("invalid number");
    this.p = read[0];
    return { type: "T_NUMBER", index, value: read[1] };
  }

  /** json_is_invalid_number: a number JSON forbids (+, hex, leading zero, inf, nan). */
  invalidNumber(): boolean {
    const s = this.s;
    let p = this.p;
    if (s[p] === "+") return true;
    if (s[p] === "-") p++;
    if (s[p] === "0") {
      const c = s[p + 1] ?? "";
      return c === "x" || c === "X" || (c >= "0" && c <= "9");
    }
    if (p >= s.length || s[p] <= "9") return false;
    const word = s.slice(p, p + 3).toLowerCase();
    return word === "inf" || word === "nan";
  }

  next(): Token {
    const s = this.s;
    while (this.p < s.length && " \t\n\r".includes(s[this.p])) this.p++;
    const index = this.p;
    if (index >= s.length) return { type: "T_END", index };
    const c = s[index];
    const single = SINGLE[c];
    if (single !== undefined) {
      this.p++;
      return { type: single, index };
    }
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) {
      if (!this.cfg.decodeInvalid && this.invalidNumber()) return this.error("invalid number");
      return this.number();
    }
    if (!"fiInNt+".includes(c)) return this.error("invalid token");
    for (const [word, type, value] of WORDS) {
      if (s.startsWith(word, index)) {
        this.p += word.length;
        return { type, index, value };
      }
    }
    if (this.cfg.decodeInvalid && this.invalidNumber()) return this.number();
    return this.error("invalid token");
  }

  string(): Token {
    const s = this.s;
    const index = this.p;
    this.p++;
    let out = "";
    for (;;) {
      if (this.p >= s.length) return this.error("unexpected end of string");
      const c = s[this.p];
      if (c === '"') break;
      if (c !== "\\") {
        out += c;
        this.p++;
        continue;
      }
      const e = s[this.p + 1] ?? "";
      if (e === "u") {
        const text = this.unicodeEscape();
        if (text === null) return this.error("invalid unicode escape code");
        out += text;
        continue;
      }
      const ch = ESCAPES[e];
      if (ch === undefined) return this.error("invalid escape code");
      out += ch;
      this.p += 2;
    }
    this.p++;
    return { type: "T_STRING", index, value: out };
  }

  /** A \uXXXX escape (or a surrogate pair of them) as UTF-8 bytes; null when invalid. */
  unicodeEscape(): string | null {
    const hex4 = (at: number): number => {
      const h = this.s.slice(at, at + 4);
      return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : -1;
    };
    let cp = hex4(this.p + 2);
    if (cp < 0) return null;
    let length = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null; // a low surrogate first
      if (this.s[this.p + 6] !== "\\" || this.s[this.p + 7] !== "u") return null;
      const low = hex4(this.p + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      length = 12;
    }
    this.p += length;
    let bytes: number[];
    if (cp < 0x80) bytes = [cp];
    else if (cp < 0x800) bytes = [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
    else if (cp < 0x10000) {
      bytes = [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
    } else {
      bytes = [
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 0x3f),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      ];
    }
    return String.fromCharCode(...bytes);
  }

  descend(): void {
    this.depth++;
    if (this.depth > this.cfg.decodeMaxDepth) {
      raiseError(
        this.L,
        `Found too many nested data structures (${this.depth}) at character ${this.p}`,
      );
    }
    lua.lua_checkstack(this.L, 4);
  }

  /** json_process_value: pushes the value the token starts. */
  value(token: Token): void {
    const L = this.L;
    switch (token.type) {
      case "T_STRING":
        pushBinary(L, token.value as string);
        return;
      case "T_NUMBER":
        lua.lua_pushnumber(L, token.value as number);
        return;
      case "T_BOOLEAN":
        lua.lua_pushboolean(L, token.value as boolean);
        return;
      case "T_NULL":
        lua.lua_pushlightuserdata(L, JSON_NULL);
        return;
      case "T_OBJ_BEGIN":
        return this.object();
      case "T_ARR_BEGIN":
        return this.array();
      default:
        this.fail("value", token);
    }
  }

  object(): void {
    const L = this.L;
    this.descend();
    lua.lua_newtable(L);
    let token = this.next();
    if (token.type === "T_OBJ_END") {
      this.depth--;
      return;
    }
    for (;;) {
      if (token.type !== "T_STRING") this.fail("object key string", token);
      pushBinary(L, token.value as string);
      token = this.next();
      if (token.type !== "T_COLON") this.fail("colon", token);
      this.value(this.next());
      lua.lua_rawset(L, -3);
      token = this.next();
      if (token.type === "T_OBJ_END") {
        this.depth--;
        return;
      }
      if (token.type !== "T_COMMA") this.fail("comma or object end", token);
      token = this.next();
    }
  }

  array(): void {
    const L = this.L;
    this.descend();
    lua.lua_newtable(L);
    let token = this.next();
    if (token.type === "T_ARR_END") {
      this.depth--;
      return;
    }
    for (let i = 1;; i++) {
      this.value(token);
      lua.lua_rawseti(L, -2, i);
      token = this.next();
      if (token.type === "T_ARR_END") {
        this.depth--;
        return;
      }
      if (token.type !== "T_COMMA") this.fail("comma or array end", token);
      token = this.next();
    }
  }
}

const WORDS: [string, TokenType, boolean | undefined][] = [
  ["true", "T_BOOLEAN", true],
  ["false", "T_BOOLEAN", false],
  ["null", "T_NULL", undefined],
];

// ---- The library ---------------------------------------------------------------------------------

/** json_arg_init: at most `count` arguments, padded with nils (the results go after them). */
function argsAtMost(L: LuaState, count: number): void {
  lauxlib.luaL_argcheck(L, lua.lua_gettop(L) <= count, count + 1, "found too many arguments");
  lua.lua_settop(L, count);
}

/** json_integer_option: sets from argument i when given, pushes the setting. */
function integerOption(L: LuaState, i: number, current: number, min: number, max: number) {
  let value = current;
  if (!lua.lua_isnoneornil(L, i)) {
    value = lauxlib.luaL_checkinteger(L, i) as number;
    lauxlib.luaL_argcheck(
      L,
      min <= value && value <= max,
      1,
      `expected integer between ${min} and ${max}`,
    );
  }
  lua.lua_pushnumber(L, value);
  return value;
}

/** json_enum_option: a boolean, or one of `options` by name; pushes the setting. */
function enumOption(L: LuaState, i: number, current: number, options: string[]): number {
  let value = current;
  if (!lua.lua_isnoneornil(L, i)) {
    if (lua.lua_isboolean(L, i)) value = lua.lua_toboolean(L, i) ? 1 : 0;
    else {
      const name = toBinary(L, (lauxlib.luaL_checklstring(L, i), i)) as string;
      value = options.indexOf(name);
      if (value < 0) lauxlib.luaL_argerror(L, i, toLuaString(`invalid option '${name}'`));
    }
  }
  if (value === 0 || value === 1) lua.lua_pushboolean(L, value === 1);
  else pushBinary(L, options[value]);
  return value;
}

const ON_OFF = ["off", "on"];

/** Pushes a `cjson` table with its own settings (the global one, or cjson.new()'s). */
export function pushCjsonLibrary(L: LuaState): void {
  const cfg = defaults();
  const functions: Record<string, JsFunction> = {
    encode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, "expected 1 argument");
      pushBinary(L, encode(L, cfg, 1, 0));
      return 1;
    },
    decode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, "expected 1 argument");
      lauxlib.luaL_checklstring(L, 1);
      const text = toBinary(L, 1) as string;
      if (text.length >= 2 && (text[0] === "\0" || text[1] === "\0")) {
        return raiseError(L, "JSON parser does not support UTF-16 or UTF-32");
      }
      const decoder = new Decoder(L, cfg, text);
      decoder.value(decoder.next());
      const end = decoder.next();
      if (end.type !== "T_END") decoder.fail("the end", end);
      return 1;
    },
    encode_sparse_array: (L) => {
      argsAtMost(L, 3);
      cfg.sparseConvert = enumOption(L, 1, cfg.sparseConvert ? 1 : 0, ON_OFF) === 1;
      cfg.sparseRatio = integerOption(L, 2, cfg.sparseRatio, 0, 2147483647);
      cfg.sparseSafe = integerOption(L, 3, cfg.sparseSafe, 0, 2147483647);
      return 3;
    },
    encode_max_depth: (L) => {
      argsAtMost(L, 1);
      cfg.encodeMaxDepth = integerOption(L, 1, cfg.encodeMaxDepth, 1, 2147483647);
      return 1;
    },
    decode_max_depth: (L) => {
      argsAtMost(L, 1);
      cfg.decodeMaxDepth = integerOption(L, 1, cfg.decodeMaxDepth, 1, 2147483647);
      return 1;
    },
    encode_number_precision: (L) => {
      argsAtMost(L, 1);
      cfg.precision = integerOption(L, 1, cfg.precision, 1, 14);
      return 1;
    },
    encode_keep_buffer: (L) => {
      argsAtMost(L, 1);
      cfg.keepBuffer = enumOption(L, 1, cfg.keepBuffer ? 1 : 0, ON_OFF) === 1;
      return 1;
    },
    encode_invalid_numbers: (L) => {
      argsAtMost(L, 1);
      cfg.encodeInvalid = enumOption(L, 1, cfg.encodeInvalid, ["off", "on", "null"]);
      return 1;
    },
    decode_invalid_numbers: (L) => {
      argsAtMost(L, 1);
      cfg.decodeInvalid = enumOption(L, 1, cfg.decodeInvalid ? 1 : 0, ON_OFF) === 1;
      return 1;
    },
    new: (L) => {
      pushCjsonLibrary(L);
      return 1;
    },
  };
  lua.lua_newtable(L);
  for (const [name, fn] of Object.entries(functions)) setFunction(L, name, fn);
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, toLuaString("null"));
  pushBinary(L, "cjson");
  lua.lua_setfield(L, -2, toLuaString("_NAME"));
  pushBinary(L, "2.1.0");
  lua.lua_setfield(L, -2, toLuaString("_VERSION"));
}
