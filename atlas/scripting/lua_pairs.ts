/**
 * Lua 5.1's table traversal order on fengari. Redis runs Lua 5.1, where `next` (and so `pairs`,
 * cjson.encode's objects, cmsgpack.pack's maps) walks a table's array part, 1..n, then its hash
 * nodes in slot order; which slot a key lands in follows from 5.1's hash functions, its collision
 * rule (Brent's variation: the free slot is taken from the end) and the sizes every rehash picks.
 * fengari keeps a table's keys in one insertion-ordered Map instead, so {x=1, y=2, z=3} came out
 * x, y, z where Redis gives y, x, z.
 *
 * A fengari table can get a shadow of Lua 5.1's layout: the array part's size and which slots
 * hold a value, and the hash part's nodes (key, whether the value is non-nil, chain link), kept
 * up to date by patches of fengari's table writes (luaH_setfrom, luaH_setint), with the sizes a
 * constructor declares (OP_NEWTABLE) and OP_SETLIST's growth of the array part. Values stay in
 * fengari's table; the shadow only decides the order, in luaH_next (`next`, lua_next) and the
 * border `#t` finds (luaH_getn, Lua 5.1's algorithm over the same layout). Keys that Redis hashes
 * by address (tables, functions) get a per-object counter instead: their order is arbitrary in
 * Redis too. A key whose value was set to nil keeps its node, as in 5.1 until the collector
 * runs (Redis's timing of that is not reproduced).
 *
 * Most tables are never traversed, so a table's shadow is built only when first needed (next, or
 * `#t` as below). Until a table sees a store of nil (which 5.1 remembers as a node) or an
 * OP_SETLIST that may resize it, every change to its layout was the insertion of a new key, and
 * fengari's insertion-ordered entries are that history: replaying them into a fresh shadow gives
 * the very layout an eager one would have (a store of nil, or such an OP_SETLIST, builds the
 * shadow first and keeps it up to date from then on). Until then a table only counts its positive
 * integer keys and keeps the largest: when they are exactly 1..n, n is the only border, so `#t`
 * needs no layout.
 */
import { lauxlib, lua, type LuaState, toLuaString } from "./lua.ts";
import ldebug from "fengari/src/ldebug.js";
import lobject from "fengari/src/lobject.js";
import lstate from "fengari/src/lstate.js";
import lstring from "fengari/src/lstring.js";
import ltable from "fengari/src/ltable.js";

/** fengari's TValue, as far as the shadow uses it. */
interface TValue {
  type: number;
  value: unknown;
  ttisnil(): boolean;
}

/** One key of a fengari table, in insertion order (ltable.js's entries). */
interface Entry {
  key: TValue;
  value: TValue & { setfrom(v: TValue): void };
  p: Entry | undefined;
  n: Entry | undefined;
}

/** fengari's Table, with what this module attaches (set for every table by luaH_new). */
interface Table {
  strong: Map<unknown, Entry>;
  /** The first and last entries (fengari's insertion order). */
  f: Entry | undefined;
  l: Entry | undefined;
  /** Lua 5.1's layout, or null until it is needed (see materialize). */
  lua51: Shadow | null;
  /** The sizes OP_NEWTABLE declared (the array part's, the hash part's). */
  lua51a: number;
  lua51h: number;
  /** While lazy: how many keys are positive integers, and the largest of them. */
  lua51i: number;
  lua51m: number;
}

const LUA_TNIL = 0;
const LUA_TBOOLEAN = 1;
const LUA_TNUMFLT = 3;
const LUA_TNUMINT = 3 | (1 << 4);
const LUA_TSHRSTR = 4;
const LUA_TLNGSTR = 4 | (1 << 4);
const OP_NEWTABLE = 11;
const CIST_LUA = lstate.CIST_LUA as number;
/** Lua 5.1's MAXBITS and MAXASIZE (ltable.c, 32-bit int). */
const MAXBITS = 30;
const MAXASIZE = 1 << MAXBITS;
const INT_MAX = 2147483647;

/** Lua 5.1's layout of one table. */
class Shadow {
  /** Array part: size, and whether each slot holds a non-nil value. */
  asize = 0;
  arr: boolean[] = [];
  /** Hash part: 2^lsize nodes, or none (5.1's shared dummy node). */
  dummy = true;
  lsize = 0;
  /** Per node: the key (type and value; type nil while the node was never used). */
  ktype: number[] = [];
  kvalue: unknown[] = [];
  /** Per node: the key's identity (see keyId), whether its value is non-nil, the chain link. */
  kid: unknown[] = [];
  present: boolean[] = [];
  next: number[] = [];
  lastfree = 0;
  /** Key identity → node, for the keys the nodes hold. */
  index = new Map<unknown, number>();

  constructor(narray: number, nhash: number) {
    this.setArraySize(narray);
    this.setNodeVector(nhash);
  }

  get nodeCount(): number {
    return this.dummy ? 0 : 1 << this.lsize;
  }

  setArraySize(size: number): void {
    for (let i = this.asize; i < size; i++) this.arr.push(false);
    this.asize = size;
  }

  setNodeVector(size: number): void {
    this.ktype = [];
    this.kvalue = [];
    this.kid = [];
    this.present = [];
    this.next = [];
    this.index = new Map();
    if (size === 0) {
      this.dummy = true;
      this.lsize = 0;
      this.lastfree = 0;
      return;
    }
    this.dummy = false;
    this.lsize = ceilLog2(size);
    const n = 1 << this.lsize;
    for (let i = 0; i < n; i++) {
      this.ktype.push(LUA_TNIL);
      this.kvalue.push(null);
      this.kid.push(null);
      this.present.push(false);
      this.next.push(-1);
    }
    this.lastfree = n;
  }

  /** luaH_set + the store of a value (nil or not) under key. */
  set(type: number, value: unknown, present: boolean): void {
    for (;;) {
      const k = arrayIndex(type, value);
      if (k > 0 && k <= this.asize) {
        this.arr[k - 1] = present;
        return;
      }
      const id = keyId(type, value);
      let n = this.index.get(id);
      if (n === undefined) n = this.newKey(type, value, id);
      if (n >= 0) {
        this.present[n] = present;
        return;
      }
      // The table was rehashed: insert again into the new layout.
    }
  }

  /** Whether t[k] is non-nil for a positive integral k (luaH_getnum). */
  hasInt(k: number): boolean {
    if (k >= 1 && k <= this.asize) return this.arr[k - 1];
    const n = this.index.get(k);
    return n !== undefined && this.present[n];
  }

  #mainPosition(type: number, value: unknown): number {
    const size = 1 << this.lsize;
    switch (type) {
      case LUA_TNUMFLT:
      case LUA_TNUMINT: {
        const x = value as number;
        if (x === 0) return 0;
        f64[0] = x;
        return ((u32[0] + u32[1]) >>> 0) % ((size - 1) | 1);
      }
      case LUA_TSHRSTR:
      case LUA_TLNGSTR:
        return stringHash(value as TString) & (size - 1);
      case LUA_TBOOLEAN:
        return (value ? 1 : 0) & (size - 1);
      default:
        return pointerHash(value) % ((size - 1) | 1);
    }
  }

  #getFreePos(): number {
    while (this.lastfree > 0) {
      this.lastfree--;
      if (this.ktype[this.lastfree] === LUA_TNIL) return this.lastfree;
    }
    return -1;
  }

  /** newkey: the node for a key not in the table, or -1 after a rehash. */
  newKey(type: number, value: unknown, id: unknown): number {
    let mp = this.dummy ? 0 : this.#mainPosition(type, value);
    if (this.dummy || this.present[mp]) {
      const free = this.dummy ? -1 : this.#getFreePos();
      if (free < 0) {
        this.#rehash(type, value);
        return -1;
      }
      let other = this.#mainPosition(this.ktype[mp], this.kvalue[mp]);
      if (other !== mp) {
        // The colliding node is out of its main position: move it to the free node.
        while (this.next[other] !== mp) other = this.next[other];
        this.next[other] = free;
        this.ktype[free] = this.ktype[mp];
        this.kvalue[free] = this.kvalue[mp];
        this.kid[free] = this.kid[mp];
        this.present[free] = this.present[mp];
        this.next[free] = this.next[mp];
        this.index.set(this.kid[free], free);
        this.next[mp] = -1;
        this.present[mp] = false;
      } else {
        // The colliding node is in its main position: the new key takes the free node.
        this.next[free] = this.next[mp];
        this.next[mp] = free;
        mp = free;
      }
    }
    // A node whose value is nil may still hold an old key: it is overwritten.
    if (this.ktype[mp] !== LUA_TNIL && this.index.get(this.kid[mp]) === mp) {
      this.index.delete(this.kid[mp]);
    }
    this.ktype[mp] = type;
    this.kvalue[mp] = value;
    this.kid[mp] = id;
    this.index.set(id, mp);
    return mp;
  }

  #rehash(type: number, value: unknown): void {
    const nums = new Array<number>(MAXBITS + 1).fill(0);
    let nasize = this.#numUseArray(nums);
    let total = nasize;
    for (let i = this.nodeCount - 1; i >= 0; i--) {
      if (!this.present[i]) continue;
      nasize += countInt(this.ktype[i], this.kvalue[i], nums);
      total++;
    }
    nasize += countInt(type, value, nums);
    total++;
    const [na, size] = computeSizes(nums, nasize);
    this.resize(size, total - na);
  }

  #numUseArray(nums: number[]): number {
    let ause = 0;
    let i = 1;
    for (let lg = 0, ttlg = 1; lg <= MAXBITS; lg++, ttlg *= 2) {
      let lc = 0;
      let lim = ttlg;
      if (lim > this.asize) {
        lim = this.asize;
        if (i > lim) break;
      }
      for (; i <= lim; i++) if (this.arr[i - 1]) lc++;
      nums[lg] += lc;
      ause += lc;
    }
    return ause;
  }

  resize(nasize: number, nhsize: number): void {
    const oldAsize = this.asize;
    const oldCount = this.nodeCount;
    const { ktype, kvalue, present } = this;
    if (nasize > oldAsize) this.setArraySize(nasize);
    this.setNodeVector(nhsize);
    if (nasize < oldAsize) {
      this.asize = nasize;
      const vanishing = this.arr.slice(nasize, oldAsize);
      this.arr.length = nasize;
      vanishing.forEach((p, i) => {
        if (p) this.set(LUA_TNUMFLT, nasize + i + 1, true);
      });
    }
    for (let i = oldCount - 1; i >= 0; i--) {
      if (present[i]) this.set(ktype[i], kvalue[i], true);
    }
  }

  /** luaH_getn: Lua 5.1's border of the table. */
  border(): number {
    let j = this.asize;
    if (j > 0 && !this.arr[j - 1]) {
      let i = 0;
      while (j - i > 1) {
        const m = Math.floor((i + j) / 2);
        if (!this.arr[m - 1]) j = m;
        else i = m;
      }
      return i;
    }
    if (this.dummy) return j;
    let i = j;
    j++;
    while (this.hasInt(j)) {
      i = j;
      j *= 2;
      if (j > INT_MAX) {
        i = 1;
        while (this.hasInt(i)) i++;
        return i - 1;
      }
    }
    while (j - i > 1) {
      const m = Math.floor((i + j) / 2);
      if (!this.hasInt(m)) j = m;
      else i = m;
    }
    return i;
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** fengari's TString. */
interface TString {
  getstr(): Uint8Array;
}

/** Lua 5.1's string hash (lstring.c): seeded with the length, at most 32 bytes sampled. */
function stringHash(ts: TString): number {
  const s = ts.getstr();
  const len = s.length;
  let h = len >>> 0;
  const step = (len >> 5) + 1;
  for (let l1 = len; l1 >= step; l1 -= step) {
    h = (h ^ ((((h << 5) >>> 0) + (h >>> 2) + s[l1 - 1]) >>> 0)) >>> 0;
  }
  return h;
}

const pointers = new WeakMap<object, number>();
let pointerCount = 0;

/** A stand-in for the address Redis hashes tables, functions and userdata by. */
function pointerHash(value: unknown): number {
  if (typeof value !== "object" && typeof value !== "function" || value === null) return 0;
  let p = pointers.get(value as object);
  if (p === undefined) {
    p = (++pointerCount * 40) >>> 0;
    pointers.set(value as object, p);
  }
  return p;
}

/** A key's identity, as fengari's table tells keys apart (numbers by value, strings by bytes). */
function keyId(type: number, value: unknown): unknown {
  if (type === LUA_TSHRSTR || type === LUA_TLNGSTR) return lstring.luaS_hashlongstr(value);
  if (type === LUA_TNUMINT || type === LUA_TNUMFLT) return (value as number) + 0; // -0 is 0
  return value;
}

/** The key as an array index (a number that is a C int, integral), or -1. */
function arrayIndex(type: number, value: unknown): number {
  if (type !== LUA_TNUMFLT && type !== LUA_TNUMINT) return -1;
  const k = value as number;
  return Number.isInteger(k) && k >= -2147483648 && k <= INT_MAX ? k : -1;
}

function ceilLog2(x: number): number {
  return x <= 1 ? 0 : 32 - Math.clz32(x - 1);
}

function countInt(type: number, value: unknown, nums: number[]): number {
  const k = arrayIndex(type, value);
  if (k > 0 && k <= MAXASIZE) {
    nums[ceilLog2(k)]++;
    return 1;
  }
  return 0;
}

/** computesizes: [keys going to the array part, the array part's size]. */
function computeSizes(nums: number[], narray: number): [number, number] {
  let a = 0;
  let na = 0;
  let n = 0;
  for (let i = 0, twotoi = 1; Math.floor(twotoi / 2) < narray; i++, twotoi *= 2) {
    if (nums[i] > 0) {
      a += nums[i];
      if (a > Math.floor(twotoi / 2)) {
        n = twotoi;
        na = a;
      }
    }
    if (a === narray) break;
  }
  return [na, n];
}

/** luaO_fb2int: a constructor's size hint as OP_NEWTABLE encodes it. */
function fb2int(x: number): number {
  const e = (x >> 3) & 31;
  return e === 0 ? x : ((x & 7) + 8) << (e - 1);
}

/** How many nodes a hash part declared for n keys has (setnodevector). */
function nodesFor(n: number): number {
  return n === 0 ? 0 : 1 << ceilLog2(n);
}

/**
 * Builds t's shadow from its history. Only called while no nil was stored in t and no OP_SETLIST
 * could have resized it: every change of its layout so far was a new key, in fengari's order.
 */
function materialize(t: Table): Shadow {
  const s = new Shadow(t.lua51a, t.lua51h);
  for (let e = t.f; e !== undefined; e = e.n) s.set(e.key.type, e.key.value, true);
  t.lua51 = s;
  return s;
}

const TValueClass = lobject.TValue as new (type: number, value: unknown) => TValue;

/**
 * ltable.js's add() (fengari 0.1.5): a new key, last in t's order. A lazy table never lost a key,
 * so it has no dead entries for add() to forget.
 */
function addEntry(t: Table, k: number, key: TValue, value: TValue): void {
  const prev = t.l;
  const entry: Entry = { key, value: value as Entry["value"], p: prev, n: undefined };
  if (prev === undefined) t.f = entry;
  else prev.n = entry;
  t.strong.set(k, entry);
  t.l = entry;
}

/**
 * Whether OP_SETLIST's store of key into the lazy table t needs no shadow: the key lands in the
 * array part as declared, which no rehash changed (every key that is not an integer of the array
 * part fits the declared nodes, and a store of nil would have built the shadow already). An empty
 * table's array part just grows to the key (luaH_resizearray before any key).
 */
function setListIsPlain(t: Table, key: number): boolean {
  const a = t.lua51a;
  if (t.f === undefined) {
    if (key > a) t.lua51a = key;
    return true;
  }
  return key <= a && t.lua51m <= a && t.strong.size - t.lua51i <= nodesFor(t.lua51h);
}

let patched = false;
/** Set while our own code runs lua_rawseti: fengari's other luaH_setint caller is OP_SETLIST. */
let plainSetInt = false;

/** Patches fengari's table functions (once per process: every Lua state shares them). */
function patchTables(): void {
  if (patched) return;
  patched = true;
  // fengari's Table with this module's fields declared in its constructor, so that they live in
  // the object itself (added afterwards, they would cost every table a second allocation).
  const FengariTable = ltable.Table as new (L: LuaState) => object;
  class Table51 extends FengariTable {
    lua51: Shadow | null = null;
    lua51a: number;
    lua51h: number;
    lua51i = 0;
    lua51m = 0;
    constructor(L: LuaState, narray: number, nhash: number) {
      super(L);
      this.lua51a = narray;
      this.lua51h = nhash;
    }
  }
  ltable.luaH_new = (L: LuaState): Table => {
    const ci = L.ci;
    if (ci !== undefined && (ci.callstatus & CIST_LUA) !== 0) {
      const ins = ci.l_code[ci.l_savedpc - 1];
      if (ins !== undefined && ins.opcode === OP_NEWTABLE) {
        return new Table51(L, fb2int(ins.B), fb2int(ins.C)) as unknown as Table;
      }
    }
    return new Table51(L, 0, 0) as unknown as Table;
  };
  const setFrom = ltable.luaH_setfrom as (L: LuaState, t: Table, k: TValue, v: TValue) => void;
  ltable.luaH_setfrom = (L: LuaState, t: Table, key: TValue, value: TValue): void => {
    let s = t.lua51;
    if (s === null) {
      if (value.type !== LUA_TNIL) {
        // Lazy: fengari's luaH_setfrom (ltable.js) for a number key, done here to learn whether
        // the key is new (counted when it is a positive integer); other keys are fengari's.
        const type = key.type;
        if (type === LUA_TNUMFLT || type === LUA_TNUMINT) {
          const k = key.value as number;
          if (k === k) { // NaN: fengari raises "table index is NaN"
            const e = t.strong.get(k);
            if (e !== undefined) e.value.setfrom(value);
            else {
              const stored = type === LUA_TNUMFLT && (k | 0) === k
                ? new TValueClass(LUA_TNUMINT, k)
                : new TValueClass(type, k);
              addEntry(t, k, stored, new TValueClass(value.type, value.value));
              if (k >= 1 && Number.isInteger(k)) {
                t.lua51i++;
                if (k > t.lua51m) t.lua51m = k;
              }
            }
            return;
          }
        }
        setFrom(L, t, key, value);
        return;
      }
      s = materialize(t);
    }
    setFrom(L, t, key, value);
    s.set(key.type, key.value, value.type !== LUA_TNIL);
  };
  const setInt = ltable.luaH_setint as (t: Table, key: number, value: TValue) => void;
  ltable.luaH_setint = (t: Table, key: number, value: TValue): void => {
    let s = t.lua51;
    if (s === null) {
      if (value.type !== LUA_TNIL && (plainSetInt || setListIsPlain(t, key))) {
        // Lazy: fengari's luaH_setint, done here to learn whether the key is new (and count it).
        const e = t.strong.get(key);
        if (e !== undefined) e.value.setfrom(value);
        else {
          addEntry(
            t,
            key,
            new TValueClass(LUA_TNUMINT, key),
            new TValueClass(value.type, value.value),
          );
          if (key >= 1) {
            t.lua51i++;
            if (key > t.lua51m) t.lua51m = key;
          }
        }
        return;
      }
      s = materialize(t);
    }
    // OP_SETLIST stores a constructor's items from the last down, after growing the array
    // part to hold them all (luaH_resizearray).
    if (!plainSetInt && key > s.asize) s.resize(key, s.nodeCount);
    setInt(t, key, value);
    s.set(LUA_TNUMFLT, key, value.type !== LUA_TNIL);
  };
  const rawseti = lua.lua_rawseti as (L: LuaState, idx: number, n: number) => void;
  lua.lua_rawseti = (L: LuaState, idx: number, n: number): void => {
    plainSetInt = true;
    try {
      rawseti(L, idx, n);
    } finally {
      plainSetInt = false;
    }
  };
  ltable.luaH_getn = (t: Table): number => {
    const s = t.lua51;
    if (s !== null) return s.border();
    // Positive integer keys exactly 1..n: n is the only border, whatever the layout.
    if (t.lua51i === t.lua51m) return t.lua51m;
    return materialize(t).border();
  };
  const get = ltable.luaH_get as (L: LuaState, t: Table, key: TValue) => TValue;
  ltable.luaH_next = (L: LuaState, t: Table, keyIndex: number): boolean => {
    const key = L.stack[keyIndex] as TValue;
    let s = t.lua51;
    if (s === null) {
      if (t.f === undefined && key.ttisnil()) return false; // empty: nothing to build
      s = materialize(t);
    }
    let i = -1;
    if (!key.ttisnil()) {
      const k = arrayIndex(key.type, key.value);
      if (k > 0 && k <= s.asize) i = k - 1;
      else {
        const n = s.index.get(keyId(key.type, key.value));
        if (n === undefined) ldebug.luaG_runerror(L, toLuaString("invalid key to 'next'"));
        i = (n as number) + s.asize;
      }
    }
    for (i++; i < s.asize; i++) {
      if (!s.arr[i]) continue;
      const k = new TValueClass(LUA_TNUMFLT, i + 1);
      const v = get(L, t, k);
      if (v.ttisnil()) continue;
      lobject.setobj2s(L, keyIndex, k);
      lobject.setobj2s(L, keyIndex + 1, v);
      return true;
    }
    const count = s.nodeCount;
    for (i -= s.asize; i < count; i++) {
      if (!s.present[i]) continue;
      const k = new TValueClass(s.ktype[i], s.kvalue[i]);
      const v = get(L, t, k);
      if (v.ttisnil()) continue;
      lobject.setobj2s(L, keyIndex, k);
      lobject.setobj2s(L, keyIndex + 1, v);
      return true;
    }
    return false;
  };
}

patchTables();

/**
 * Replaces the globals `pairs` and `ipairs` of a fresh state (before the sandbox makes globals
 * read-only) with Lua 5.1's.
 */
export function installPairs(L: LuaState): void {
  lua.lua_getglobal(L, toLuaString("next"));
  lua.lua_pushcclosure(L, pairs, 1);
  lua.lua_setglobal(L, toLuaString("pairs"));
  lua.lua_pushcfunction(L, ipairsStep);
  lua.lua_pushcclosure(L, ipairs, 1);
  lua.lua_setglobal(L, toLuaString("ipairs"));
}

/** Lua 5.1's ipairs(t): a table only (5.3 takes any value), raw reads from 1 to the first nil. */
function ipairs(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnumber(L, 0);
  return 3;
}

function ipairsStep(L: LuaState): number {
  const i = ((lauxlib.luaL_checknumber(L, 2) as number) | 0) + 1;
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushnumber(L, i);
  lua.lua_rawgeti(L, 1, i);
  return lua.lua_isnil(L, -1) ? 0 : 2;
}

/**
 * Lua 5.1's pairs(t): next, t, nil, ignoring any __pairs; a non-table is refused at once ("bad
 * argument #1 to 'pairs' (table expected, got nil)").
 */
function pairs(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnil(L);
  return 3;
}
