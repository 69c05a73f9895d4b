/**
 * One sandboxed Lua state (fengari, Lua 5.3) shaped like Redis 7.0's scripting environment: the
 * base, table, string, math and coroutine libraries, `redis`, `cjson`, `bit`, `cmsgpack`,
 * `struct`, Lua 5.1's globals (`unpack`, `loadstring` and `load` for text chunks, `gcinfo`), no
 * loading of files, read-only globals, and Redis's math.random (its rand48, seeded from the
 * command's random source). redis.setresp(3) switches the conversion of redis.call replies to
 * RESP3's for the rest of the run. Each script body is compiled once and kept by its SHA1.
 *
 * A run is a coroutine, so a count hook can pause it: a run started with `pauseAfterMs` gives the
 * event loop back once it has run that long (Redis's busy-reply-threshold) and again every
 * PAUSE_SLICE_MS after each resume, until it ends or is killed (SCRIPT KILL, FUNCTION KILL) —
 * what lets a server answer other clients BUSY meanwhile. A store that must run every command
 * to completion (a Raft replica applying its log) starts runs without it and may bound them by
 * an instruction budget instead.
 */
import { binaryToBytes } from "../store/binary.ts";
import { formatDouble } from "../store/numbers.ts";
import { countedError, error, type Reply } from "../store/reply.ts";
import { pushBitLibrary } from "./lua_bit.ts";
import { isJsonNull, pushCjsonLibrary } from "./lua_cjson.ts";
import { pushCmsgpackLibrary } from "./lua_cmsgpack.ts";
import { pushReply, toReply } from "./lua_convert.ts";
import { pushStructLibrary } from "./lua_struct.ts";
import { formatNumber, installNumberLibrary, toInt } from "./lua_number.ts";
import { installPairs } from "./lua_pairs.ts";
import {
  IGNORE_STATS_FIELD,
  type JsFunction,
  lauxlib,
  lua,
  lualib,
  type LuaState,
  pushBinary,
  pushErrorTable,
  raiseError,
  raiseErrorTable,
  setFunction,
  toBinary,
  toLuaString,
} from "./lua.ts";
import { Rand48, RAND48_MAX } from "./rand48.ts";
import { sha1hex } from "./sha1.ts";

/** Runs the commands a script calls; errors come back as error replies. */
export interface ScriptHost {
  call(argv: string[]): Reply;
  /**
   * redis.acl_check_cmd: whether the user running the script may run `argv` (its ACL only; the
   * command does not run), or null when no such command or subcommand exists.
   */
  aclCheck(argv: string[]): boolean | null;
}

/** The hook runs every this many instructions; the budget and the clock are checked there. */
const HOOK_EVERY = 10_000;

/** How long a library's code may run while FUNCTION LOAD registers it (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

/** Once paused, how long a run goes on at each resume before it gives the event loop back. */
const PAUSE_SLICE_MS = 20;

/** What a run answers when it paused: call `resumeRun()` (or `killRun()` first) to go on. */
export const PAUSED = Symbol("paused");
export type RunOutcome = Reply | typeof PAUSED;

/** Redis's text for a script stopped by SCRIPT KILL or FUNCTION KILL (the same for both). */
const KILLED = "ERR Script killed by user with SCRIPT KILL...";

/** The run in progress: its coroutine, and what pausing and killing it need. */
interface Run {
  /** The coroutine running the script (anchored on the main state's stack at `base`). */
  co: LuaState;
  /** The main state's stack top before the run. */
  base: number;
  /** The script's SHA1 or the function's name, for error texts. */
  label: string;
  /** performance.now() at which the hook next pauses the run (Infinity: never). */
  pauseAtMs: number;
  killed: boolean;
}

/**
 * Turns hooks back on for the calling thread, after a pcall or xpcall caught an error. fengari
 * 0.1.5 loses them there inside a coroutine (where every run is): its lua_pcallk never records
 * that hooks were allowed (`callstatus &= ~CIST_OAH | allowhook` where Lua sets the bit), so the
 * recovery restores "not allowed", and the count hook — the budget, the pause, SCRIPT KILL —
 * never ran again: `while true do pcall(f) end` could not be stopped. BOOTSTRAP's pcall and
 * xpcall call it when the call failed; no hook is running then, so allowing them is right.
 */
const REHOOK = (L: LuaState): number => {
  (L as unknown as { allowhook: number }).allowhook = 1;
  return 0;
};

/** The globals every run sets, as Lua strings converted once (fengari copies a key's bytes). */
const KEYS = toLuaString("KEYS");
const ARGV = toLuaString("ARGV");

/**
 * Runs once per state with the real globals: hides what Redis's sandbox lacks, then turns the
 * globals and library tables read-only (Redis 7.0 does the same with its patched Lua). Scripts get
 * `env` as their _ENV; it reads through to `G` and refuses new or unknown globals.
 */
const BOOTSTRAP = `
local G = _G
local setmetatable, rawget, error, tostring = setmetatable, rawget, error, tostring
G.loadfile, G.dofile, G.require = nil, nil, nil
G.print = nil -- Redis 7.0's sandbox has no print either
-- Redis 7.0's pcall: an error table with an "err" string (or number) comes back as that value,
-- so pcall(redis.call, ...) yields the error text, as in Redis.
local pcall, xpcall, type, select = pcall, xpcall, type, select
local rehook = G.__rehook -- see REHOOK
G.__rehook = nil
local function unwrap(ok, ...)
  if ok then return ok, ... end
  rehook()
  local e = ...
  if type(e) == "table" then
    local text = e.err
    local kind = type(text)
    if kind == "string" or kind == "number" then e = text end
  end
  return false, e
end
G.pcall = function(...)
  if select("#", ...) == 0 then return false end -- Redis's pcall() answers false, not an error
  return unwrap(pcall(...))
end
local function rehooked(ok, ...)
  if not ok then rehook() end
  return ok, ...
end
G.xpcall = function(...) return rehooked(xpcall(...)) end
-- Redis 7.0's patched Lua marks tables read-only: no assignment, rawset or setmetatable changes
-- them. Here a read-only table is a proxy in ro, mapped to what getmetatable shows of it (false:
-- nil, as for Redis's library tables; _G shows a read-only view of its metatable, as Redis's).
local rawset, getmetatable = rawset, getmetatable
local READONLY = "Attempt to modify a readonly table"
local ro = {} -- a few tables, made once per state
local function refuse() error(READONLY, 2) end
local function mark(t, shown)
  if shown == nil then shown = false end
  ro[t] = shown
  return t
end
local function view(t) -- a read-only view of t: reads go through, writes raise
  return mark(setmetatable({}, { __index = t, __newindex = refuse, __metatable = false }))
end
G.rawset = function(t, k, v)
  if ro[t] ~= nil then error(READONLY, 0) end
  return rawset(t, k, v)
end
G.setmetatable = function(t, mt)
  if ro[t] ~= nil then error(READONLY, 0) end
  return setmetatable(t, mt)
end
local stringMeta = getmetatable("")
local stringMetaView
G.getmetatable = function(x)
  local shown = ro[x]
  if shown ~= nil then return shown or nil end
  local m = getmetatable(x)
  if m == stringMeta then return stringMetaView end
  return m
end
local libraries = {
  "redis", "cjson", "bit", "cmsgpack", "struct", "string", "table", "math", "coroutine",
}
for _, name in ipairs(libraries) do
  G[name] = view(G[name])
end
stringMeta.__index = G.string -- ("x"):rep(2) reads the same table as string.rep
stringMetaView = view(stringMeta)
-- Reads of globals go env -> G as a table chain, which the VM follows without calling Lua code
-- (a global read per loop turn costs little); only a name G lacks reaches G's own __index, whose
-- function raises Redis's error.
setmetatable(G, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
})
local envMeta = { __index = G, __newindex = refuse, __metatable = false }
local env = mark(setmetatable({}, envMeta), view(envMeta))
G._G = env
return env, G, mark
`;

/**
 * The _ENV of library code (FUNCTION LOAD). While a library loads it sees only `api` (the
 * loading API, as Redis's library globals); afterwards its functions see the usual globals.
 * Either way unknown names and assignments raise Redis's errors.
 */
const FUNCTION_BOOTSTRAP = `
local G, api, mark = ...
local setmetatable, rawget, error, tostring = setmetatable, rawget, error, tostring
local function missing(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
local function readonly() error("Attempt to modify a readonly table", 2) end
local loadGlobals = {
  redis = mark(setmetatable({}, {
    __index = function(_, k)
      local v = rawget(api, k)
      if v == nil then missing(k) end
      return v
    end,
    __newindex = readonly,
    __metatable = false,
  })),
}
local current = G
local env = mark(setmetatable({}, {
  __index = function(_, k)
    local v = rawget(current, k)
    if v == nil then missing(k) end
    return v
  end,
  __newindex = readonly,
  __metatable = false,
}))
return env, function(on) current = on and loadGlobals or G end
`;

/** The flags a function may declare, in the order Redis lists them. */
export const FUNCTION_FLAGS = [
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
] as const;

/** A function a library registered: its callback is kept in the Lua registry under `ref`. */
export interface RegisteredFunction {
  name: string;
  ref: number;
  description: string | null;
  flags: string[];
}

const REDIS_VERSION = "7.0.15";
const REDIS_VERSION_NUM = 0x07000f;
const LOG_LEVELS: [string, number][] = [
  ["LOG_DEBUG", 0],
  ["LOG_VERBOSE", 1],
  ["LOG_NOTICE", 2],
  ["LOG_WARNING", 3],
];

interface ScriptError {
  message: string;
  source: string | null;
  line: number;
  /** The error of a command the script ran: counted in INFO errorstats already. */
  counted: boolean;
}

export class LuaVm {
  readonly #L: LuaState;
  readonly #functions = new Map<string, number>();
  readonly #rand = new Rand48();
  readonly #envRef: number;
  readonly #globalsRef: number;
  /** BOOTSTRAP's mark(t): makes a table read-only as Redis's (the function env uses it too). */
  readonly #markReadonlyRef: number;
  readonly #instructionsMax: number;
  #host: ScriptHost | null = null;
  /** The protocol redis.call replies reach the script in (redis.setresp), 2 at each run's start. */
  #resp: 2 | 3 = 2;
  #steps = 0;
  #loadStartedMs = 0;
  #run: Run | null = null;
  #fenv: { envRef: number; setLoading: (on: boolean) => void } | null = null;
  #registering: RegisteredFunction[] | null = null;

  constructor(instructionsMax: number) {
    this.#instructionsMax = instructionsMax;
    const L = lauxlib.luaL_newstate();
    this.#L = L;
    const libs: [string, JsFunction][] = [
      ["_G", lualib.luaopen_base],
      ["table", lualib.luaopen_table],
      ["string", lualib.luaopen_string],
      ["math", lualib.luaopen_math],
      ["coroutine", lualib.luaopen_coroutine],
    ];
    for (const [name, open] of libs) {
      lauxlib.luaL_requiref(L, toLuaString(name), open, 1);
      lua.lua_pop(L, 1);
    }
    installNumberLibrary(L); // Lua 5.1's numbers: doubles, "%.14g" (see lua_number.ts)
    installPairs(L); // Lua 5.1's pairs (its traversal order: lua_pairs.ts)
    this.#installMainThreadView(L);
    lua.lua_getglobal(L, "tostring");
    const tostring = lua.lua_tocfunction(L, -1) as JsFunction;
    lua.lua_pop(L, 1);
    lua.lua_pushcfunction(L, (L: LuaState) => {
      if (!isJsonNull(L, 1)) return tostring(L);
      pushBinary(L, "userdata: (nil)"); // cjson.null is Redis's NULL light userdata
      return 1;
    });
    lua.lua_setglobal(L, "tostring");
    lua.lua_pushcfunction(L, (L: LuaState) => this.#loadString(L));
    lua.lua_setglobal(L, "loadstring");
    lua.lua_pushcfunction(L, (L: LuaState) => this.#load(L));
    lua.lua_setglobal(L, "load");
    lua.lua_getglobal(L, "math");
    setFunction(L, "random", (L) => this.#mathRandom(L));
    setFunction(L, "randomseed", (L) => {
      this.#rand.seed(toInt(lauxlib.luaL_checknumber(L, 1) as number)); // luaL_checkint
      return 0;
    });
    lua.lua_pop(L, 1);
    this.#pushRedisLibrary(L);
    lua.lua_setglobal(L, "redis");
    pushCjsonLibrary(L);
    lua.lua_setglobal(L, "cjson");
    pushBitLibrary(L);
    lua.lua_setglobal(L, "bit");
    pushCmsgpackLibrary(L);
    lua.lua_setglobal(L, "cmsgpack");
    pushStructLibrary(L);
    lua.lua_setglobal(L, "struct");
    lua.lua_pushcfunction(L, REHOOK);
    lua.lua_setglobal(L, "__rehook"); // BOOTSTRAP takes it and removes the global
    if (lauxlib.luaL_loadbufferx(L, toLuaString(BOOTSTRAP), null, "=bootstrap", "t") !== 0) {
      throw new Error(`scripting bootstrap: ${toBinary(L, -1)}`);
    }
    lua.lua_call(L, 0, 3);
    this.#markReadonlyRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.#globalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.#envRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /**
   * Redis runs a script on Lua's main thread; here a run is a coroutine (so that it can pause).
   * To the script it is still the main thread: coroutine.running() answers nil (5.1's answer
   * there), and coroutine.yield() raises 5.1's error instead of yielding to the VM.
   */
  #installMainThreadView(L: LuaState): void {
    lua.lua_getglobal(L, toLuaString("coroutine"));
    lua.lua_getfield(L, -1, toLuaString("running"));
    const running = lua.lua_tocfunction(L, -1) as JsFunction;
    lua.lua_getfield(L, -2, toLuaString("yield"));
    const yieldFn = lua.lua_tocfunction(L, -1) as JsFunction;
    lua.lua_pop(L, 2);
    setFunction(L, "running", (L) => {
      if (L !== this.#run?.co) return running(L);
      lua.lua_pushnil(L);
      return 1;
    });
    setFunction(L, "yield", (L) => {
      if (L !== this.#run?.co) return yieldFn(L);
      // lua_yield's own error: no position in front (luaL_error would add one).
      pushBinary(L, "attempt to yield across metamethod/C-call boundary");
      return lua.lua_error(L);
    });
    lua.lua_pop(L, 1);
  }

  has(sha: string): boolean {
    return this.#functions.has(sha);
  }

  /** Compiles body as the function for sha; returns Redis's error text, or null. */
  compile(sha: string, body: string): string | null {
    if (this.#functions.has(sha)) return null;
    const L = this.#L;
    // Text only ("t"): precompiled bytecode could break out of the sandbox.
    const status = lauxlib.luaL_loadbufferx(L, binaryToBytes(body), null, "@user_script", "t");
    if (status !== lua.LUA_OK) {
      const message = toBinary(L, -1) ?? "";
      lua.lua_pop(L, 1);
      return `ERR Error compiling script (new function): ${message}`;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envRef);
    lua.lua_setupvalue(L, -2, 1); // a main chunk's only upvalue is _ENV
    this.#functions.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    return null;
  }

  /**
   * Runs a compiled script and converts its result; PAUSED when it ran `pauseAfterMs` (null:
   * never pause) and gave the event loop back (see resumeRun).
   */
  run(
    sha: string,
    keys: readonly string[],
    args: readonly string[],
    host: ScriptHost,
    seed: number,
    pauseAfterMs: number | null = null,
  ): RunOutcome {
    const L = this.#L;
    const ref = this.#functions.get(sha);
    if (ref === undefined) throw new Error(`script ${sha} is not compiled`);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    pushList(L, keys);
    lua.lua_setfield(L, -2, KEYS);
    pushList(L, args);
    lua.lua_setfield(L, -2, ARGV);
    lua.lua_pop(L, 1);
    return this.#invoke(ref, sha, null, host, seed, pauseAfterMs);
  }

  /**
   * Runs a library's code so it registers its functions (FUNCTION LOAD): the code sees only the
   * loading API (`redis.register_function`, `redis.log`, the version and log constants), as in
   * Redis. Returns the registered functions, or Redis's error text (without the "ERR " prefix of
   * the reply, e.g. "Error compiling function: ...").
   */
  loadLibrary(code: string): RegisteredFunction[] | string {
    const L = this.#L;
    const fenv = this.#functionEnv();
    const status = lauxlib.luaL_loadbufferx(L, binaryToBytes(code), null, "@user_function", "t");
    if (status !== lua.LUA_OK) {
      const message = toBinary(L, -1) ?? "";
      lua.lua_pop(L, 1);
      return `Error compiling function: ${message}`;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, fenv.envRef);
    lua.lua_setupvalue(L, -2, 1);
    const registered: RegisteredFunction[] = [];
    this.#registering = registered;
    this.#steps = 0;
    this.#loadStartedMs = performance.now();
    fenv.setLoading(true);
    lua.lua_sethook(L, this.#loadHook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    let status2: number;
    try {
      status2 = lua.lua_pcall(L, 0, 0, 0);
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      fenv.setLoading(false);
      this.#registering = null;
    }
    if (status2 === lua.LUA_OK) return registered;
    let message: string;
    if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      lua.lua_getfield(L, -1, "err");
      message = toBinary(L, -1) ?? "";
      lua.lua_pop(L, 1);
    } else {
      message = `ERR ${toBinary(L, -1) ?? ""}`;
    }
    lua.lua_pop(L, 1);
    for (const f of registered) this.release(f.ref);
    return oneLine(`Error registering functions: ${message}`);
  }

  /** Frees a registered function (its library was deleted or replaced). */
  release(ref: number): void {
    lauxlib.luaL_unref(this.#L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** Calls a registered function with KEYS and ARGV as its two arguments (FCALL); see run. */
  callFunction(
    ref: number,
    name: string,
    keys: readonly string[],
    args: readonly string[],
    host: ScriptHost,
    seed: number,
    pauseAfterMs: number | null = null,
  ): RunOutcome {
    return this.#invoke(ref, name, [keys, args], host, seed, pauseAfterMs);
  }

  /** Runs the paused run on for another slice (PAUSE_SLICE_MS): its reply, or PAUSED again. */
  resumeRun(): RunOutcome {
    const run = this.#run;
    if (run === null) throw new Error("no paused script to resume");
    run.pauseAtMs = performance.now() + PAUSE_SLICE_MS;
    return this.#resume(run, 0);
  }

  /**
   * Makes the paused run end with Redis's "Script killed by user" error at its next instruction
   * (run it with resumeRun): raised at every instruction from then on, so pcall cannot keep it.
   */
  killRun(): void {
    if (this.#run !== null) this.#run.killed = true;
  }

  #invoke(
    ref: number,
    label: string,
    lists: readonly (readonly string[])[] | null,
    host: ScriptHost,
    seed: number,
    pauseAfterMs: number | null,
  ): RunOutcome {
    if (this.#run !== null) throw new Error("a script is paused on this VM");
    const L = this.#L;
    this.#host = host;
    this.#resp = 2;
    this.#steps = 0;
    // Redis 7 keeps one PRNG across runs; a seed from the command's context instead keeps each
    // run different yet reproducible on replay.
    this.#rand.seed(seed);
    const base = lua.lua_gettop(L);
    const co = lua.lua_newthread(L); // anchored on L's stack until the run ends
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, ref);
    for (const list of lists ?? []) pushList(co, list);
    lua.lua_sethook(co, this.#hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    const pauseAtMs = pauseAfterMs === null ? Infinity : performance.now() + pauseAfterMs;
    const run: Run = { co, base, label, pauseAtMs, killed: false };
    this.#run = run;
    return this.#resume(run, lists === null ? 0 : lists.length);
  }

  #resume(run: Run, nargs: number): RunOutcome {
    const co = run.co;
    let status: number;
    try {
      status = lua.lua_resume(co, this.#L, nargs);
    } catch (cause) {
      this.#end(run);
      throw cause;
    }
    if (status === lua.LUA_YIELD) return PAUSED;
    let reply: Reply;
    if (status === lua.LUA_OK) {
      // The script's first result (a run returning nothing answers nil, as lua_pcall's 1 result).
      if (lua.lua_gettop(co) === 0) lua.lua_pushnil(co);
      reply = toReply(co, 1, 0, this.#resp);
    } else {
      const e = this.#scriptError(co);
      const where = e.source !== null && e.line > 0
        ? ` script: ${run.label}, on ${e.source}:${e.line}.`
        : "";
      const text = oneLine(e.message + where);
      reply = e.counted ? countedError(text) : error(text);
    }
    this.#end(run);
    return reply;
  }

  #end(run: Run): void {
    lua.lua_settop(this.#L, run.base); // drops the coroutine
    this.#host = null;
    this.#run = null;
  }

  /**
   * The hook of FUNCTION LOAD, with Redis's load-timeout text: the instruction budget when there
   * is one, else Redis's 500 ms.
   */
  #loadHook = (L: LuaState): void => {
    this.#steps += HOOK_EVERY;
    if (
      this.#instructionsMax > 0
        ? this.#steps > this.#instructionsMax
        : performance.now() - this.#loadStartedMs > LOAD_TIMEOUT_MS
    ) {
      lua.lua_sethook(L, this.#loadHook, lua.LUA_MASKCOUNT, 1);
      raiseErrorTable(L, "ERR FUNCTION LOAD timeout");
    }
  };

  /** The _ENV of library code, created on first use (only the functions' VM needs it). */
  #functionEnv(): { envRef: number; setLoading: (on: boolean) => void } {
    if (this.#fenv !== null) return this.#fenv;
    const L = this.#L;
    if (lauxlib.luaL_loadbufferx(L, toLuaString(FUNCTION_BOOTSTRAP), null, "=bootstrap", "t")) {
      throw new Error(`functions bootstrap: ${toBinary(L, -1)}`);
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    this.#pushLoadApi(L);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#markReadonlyRef);
    lua.lua_call(L, 3, 2);
    const setterRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    const envRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    const setLoading = (on: boolean) => {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, setterRef);
      lua.lua_pushboolean(L, on);
      lua.lua_call(L, 1, 0);
    };
    this.#fenv = { envRef, setLoading };
    return this.#fenv;
  }

  /** The `redis` table library code sees while it loads. */
  #pushLoadApi(L: LuaState): void {
    lua.lua_createtable(L, 0, 12);
    setFunction(L, "register_function", (L) => this.#registerFunction(L));
    setFunction(L, "log", redisLog);
    for (const [name, value] of LOG_LEVELS) {
      lua.lua_pushnumber(L, value);
      lua.lua_setfield(L, -2, name);
    }
    pushBinary(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, "REDIS_VERSION");
    lua.lua_pushnumber(L, REDIS_VERSION_NUM);
    lua.lua_setfield(L, -2, "REDIS_VERSION_NUM");
  }

  /** redis.register_function(name, fn) or redis.register_function{function_name=..., ...}. */
  #registerFunction(L: LuaState): number {
    const registered = this.#registering;
    if (registered === null) {
      return raiseErrorTable(
        L,
        "ERR redis.register_function can only be called on FUNCTION LOAD command",
      );
    }
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) {
      return raiseErrorTable(L, "ERR wrong number of arguments to redis.register_function");
    }
    const parsed = argc === 1 ? readNamedArgs(L) : readPositionalArgs(L);
    if (typeof parsed === "string") return raiseErrorTable(L, `ERR ${parsed}`);
    let failure: string | null = null;
    if (!/^[A-Za-z0-9_]+$/.test(parsed.name)) {
      failure = "Library names can only contain letters, numbers, or underscores(_) and must be " +
        "at least one character long";
    } else if (registered.some((f) => f.name === parsed.name)) {
      failure = "Function already exists in the library";
    }
    if (failure !== null) {
      this.release(parsed.ref);
      return raiseErrorTable(L, `ERR ${failure}`);
    }
    registered.push(parsed);
    return 0;
  }

  #hook = (L: LuaState): void => {
    this.#steps += HOOK_EVERY;
    const run = this.#run as Run;
    if (run.killed) {
      // From now on the hook runs at every instruction and raises again, so the error also hits
      // the frame right after each pcall that caught it: a script cannot swallow it and go on.
      lua.lua_sethook(L, this.#hook, lua.LUA_MASKCOUNT, 1);
      raiseErrorTable(L, KILLED);
    }
    if (this.#instructionsMax > 0 && this.#steps > this.#instructionsMax) {
      lua.lua_sethook(L, this.#hook, lua.LUA_MASKCOUNT, 1); // as above
      raiseErrorTable(
        L,
        `ERR Script killed: it ran more than ${this.#instructionsMax} Lua instructions ` +
          "(the scripting budget)",
      );
    }
    // Only the run's own coroutine pauses (a coroutine the script made would yield to the
    // script), and only where Lua can yield (not inside a comparator table.sort calls...).
    if (L === run.co && performance.now() >= run.pauseAtMs && lua.lua_isyieldable(L)) {
      lua.lua_yield(L, 0);
    }
  };

  /**
   * What Redis's __redis__err__handler reports for a run that failed: the error (an error table
   * {err}, a number, or any value) and where the script raised it. lua_resume leaves the failed
   * coroutine's stack as it was, so its frames are still there to walk.
   */
  #scriptError(co: LuaState): ScriptError {
    let message: string;
    let counted = false;
    const top = lua.lua_gettop(co);
    lua.lua_checkstack(co, 4); // a failed coroutine's frame ends at its error value
    if (lua.lua_type(co, top) === lua.LUA_TTABLE) {
      lua.lua_getfield(co, top, "err");
      message = toBinary(co, -1) ?? "";
      lua.lua_pop(co, 1);
      lua.lua_getfield(co, top, IGNORE_STATS_FIELD);
      counted = lua.lua_toboolean(co, -1);
      lua.lua_pop(co, 1);
    } else if (lua.lua_type(co, top) === lua.LUA_TNUMBER) {
      message = `ERR ${formatNumber(lua.lua_tonumber(co, top) as number)}`; // error(n, 0)
    } else {
      lauxlib.luaL_tolstring(co, top);
      message = `ERR ${toBinary(co, -1) ?? ""}`;
      lua.lua_pop(co, 1);
    }
    let source: string | null = null;
    let line = 0;
    // The script's frame: skip JS functions (redis.call) and the sandbox's metamethods, whose
    // errors Redis reports at the script line that triggered them.
    const ar = new lua.lua_Debug();
    for (let level = 0; lua.lua_getstack(co, level, ar); level++) {
      lua.lua_getinfo(co, "Sl", ar);
      const what = String.fromCharCode(...(ar.what as Uint8Array));
      const src = String.fromCharCode(...(ar.source as Uint8Array));
      if (what === "J" || what === "C" || src === "=bootstrap") continue;
      source = src;
      line = ar.currentline as number;
      break;
    }
    return { message, source, line, counted };
  }

  /** Lua 5.1's loadstring(s [, chunkname]): text only, with the scripts' globals. */
  #loadString(L: LuaState): number {
    const code = lauxlib.luaL_checklstring(L, 1) as Uint8Array;
    const name = lauxlib.luaL_optlstring(L, 2, code) as Uint8Array;
    return this.#loadChunk(L, code, name);
  }

  /** Lua 5.1's load(reader [, chunkname]): the pieces reader returns, up to nil or "". */
  #load(L: LuaState): number {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TFUNCTION);
    const name = lauxlib.luaL_optlstring(L, 2, toLuaString("=(load)")) as Uint8Array;
    let code = "";
    for (;;) {
      lua.lua_pushvalue(L, 1);
      lua.lua_call(L, 0, 1);
      if (lua.lua_isnil(L, -1)) break;
      if (!lua.lua_isstring(L, -1)) {
        // A reader error fails the load: nil and the message, as lua_load reports it.
        lua.lua_pushnil(L);
        lauxlib.luaL_where(L, 1);
        pushBinary(L, "reader function must return a string");
        lua.lua_concat(L, 2);
        return 2;
      }
      const piece = toBinary(L, -1) as string;
      lua.lua_pop(L, 1);
      if (piece === "") break;
      code += piece;
    }
    return this.#loadChunk(L, binaryToBytes(code), name);
  }

  #loadChunk(L: LuaState, code: Uint8Array, name: Uint8Array): number {
    if (lauxlib.luaL_loadbufferx(L, code, null, name, "t") !== lua.LUA_OK) {
      lua.lua_pushnil(L);
      lua.lua_insert(L, -2);
      return 2;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envRef);
    lua.lua_setupvalue(L, -2, 1);
    return 1;
  }

  /** Redis's math.random over redisLrand48 (Lua 5.1's argument rules: luaL_checkint). */
  #mathRandom(L: LuaState): number {
    const r = (this.#rand.next() % RAND48_MAX) / RAND48_MAX;
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      lua.lua_pushnumber(L, r);
      return 1;
    }
    if (argc > 2) return raiseError(L, "wrong number of arguments");
    const low = argc === 1 ? 1 : toInt(lauxlib.luaL_checknumber(L, 1) as number);
    const up = toInt(lauxlib.luaL_checknumber(L, argc) as number);
    lauxlib.luaL_argcheck(L, low <= up, argc, "interval is empty");
    lua.lua_pushnumber(L, Math.floor(r * (up - low + 1)) + low);
    return 1;
  }

  #pushRedisLibrary(L: LuaState): void {
    lua.lua_createtable(L, 0, 16);
    setFunction(L, "call", (L) => this.#redisCall(L, true));
    setFunction(L, "pcall", (L) => this.#redisCall(L, false));
    setFunction(L, "acl_check_cmd", (L) => this.#aclCheckCmd(L));
    setFunction(L, "sha1hex", (L) => {
      if (lua.lua_gettop(L) !== 1) return raiseErrorTable(L, "ERR wrong number of arguments");
      pushBinary(L, sha1hex(toBinary(L, 1) ?? ""));
      return 1;
    });
    setFunction(L, "error_reply", (L) => replyTable(L, "err"));
    setFunction(L, "status_reply", (L) => replyTable(L, "ok"));
    setFunction(L, "log", redisLog); // checked as Redis does, then not logged (a pure store)
    setFunction(L, "setresp", (L) => {
      if (lua.lua_gettop(L) !== 1) {
        return raiseErrorTable(L, "ERR redis.setresp() requires one argument.");
      }
      const version = Math.trunc(lua.lua_tonumber(L, 1) as number); // C's (int) lua_tonumber
      if (version !== 2 && version !== 3) {
        return raiseErrorTable(L, "ERR RESP version must be 2 or 3.");
      }
      this.#resp = version;
      return 0;
    });
    setFunction(L, "replicate_commands", (L) => {
      lua.lua_pushboolean(L, true); // effects replication is the only mode, as in Redis 7
      return 1;
    });
    setFunction(L, "set_repl", (L) => {
      // Redis's texts (the arity one says "two" though it wants one); the flags do nothing here.
      if (lua.lua_gettop(L) !== 1) {
        return raiseErrorTable(L, "ERR redis.set_repl() requires two arguments.");
      }
      const flags = Math.trunc(lua.lua_tonumber(L, 1) as number);
      if ((flags & ~3) !== 0) {
        return raiseErrorTable(
          L,
          "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
      }
      return 0;
    });
    setFunction(L, "breakpoint", (L) => {
      lua.lua_pushboolean(L, false);
      return 1;
    });
    setFunction(L, "debug", () => 0);
    const constants: [string, number][] = [
      ["LOG_DEBUG", 0],
      ["LOG_VERBOSE", 1],
      ["LOG_NOTICE", 2],
      ["LOG_WARNING", 3],
      ["REPL_NONE", 0],
      ["REPL_AOF", 1],
      ["REPL_SLAVE", 2],
      ["REPL_REPLICA", 2],
      ["REPL_ALL", 3],
    ];
    for (const [name, value] of constants) {
      lua.lua_pushnumber(L, value);
      lua.lua_setfield(L, -2, name);
    }
    pushBinary(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, "REDIS_VERSION");
    lua.lua_pushnumber(L, REDIS_VERSION_NUM);
    lua.lua_setfield(L, -2, "REDIS_VERSION_NUM");
  }

  /** redis.call / redis.pcall: arguments must be strings or numbers (Redis's texts). */
  #redisCall(L: LuaState, raise: boolean): number {
    const argv = commandArgs(L);
    if (typeof argv === "string") {
      // Not a command's error: counted once, by the reply of the script that carries it on.
      if (raise) raiseErrorTable(L, argv);
      pushErrorTable(L, argv, false);
      return 1;
    }
    const reply = (this.#host as ScriptHost).call(argv);
    if (reply.kind === "error" && raise) raiseErrorTable(L, reply.value, true);
    pushReply(L, reply, this.#resp);
    return 1;
  }

  /**
   * redis.acl_check_cmd(cmd, ...): true when the user running the script may run the command
   * with these arguments (its command, key and channel rules, as the call itself would be
   * checked), false when not. Errors are raised, as Redis 7.0 raises them.
   */
  #aclCheckCmd(L: LuaState): number {
    if (this.#host === null) {
      return raiseErrorTable(
        L,
        "ERR redis.acl_check_cmd can only be called inside a script invocation",
      );
    }
    const argv = commandArgs(L);
    if (typeof argv === "string") return raiseErrorTable(L, argv);
    const allowed = this.#host.aclCheck(argv);
    if (allowed === null) {
      return raiseErrorTable(L, "ERR Invalid command passed to redis.acl_check_cmd()");
    }
    lua.lua_pushboolean(L, allowed);
    return 1;
  }
}

/**
 * The arguments of redis.call / pcall / acl_check_cmd as Redis converts them (numbers as
 * "%.17g"), or the error text when there are none or one is neither a string nor a number.
 */
function commandArgs(L: LuaState): string[] | string {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return "ERR Please specify at least one argument for this redis lib call";
  const argv: string[] = [];
  for (let i = 1; i <= argc; i++) {
    const type = lua.lua_type(L, i);
    if (type === lua.LUA_TNUMBER) argv.push(numberArg(L, i));
    else if (type === lua.LUA_TSTRING) argv.push(toBinary(L, i) as string);
    else return "ERR Lua redis lib command arguments must be strings or integers";
  }
  return argv;
}

/**
 * A number argument as Redis 7.0 sends it: C's "%.17g" of the double (0.1 is
 * "0.10000000000000001", 1e17 "1e+17"); Lua 5.1 has no integers, so they format the same way.
 */
function numberArg(L: LuaState, idx: number): string {
  return formatDouble(Number(lua.lua_tonumber(L, idx)));
}

function pushList(L: LuaState, items: readonly string[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushBinary(L, items[i]);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/**
 * redis.error_reply / status_reply: {err=text} / {ok=text}. Wrong arguments are not raised: the
 * reply is the error table {err="ERR wrong number or type of arguments"}, as in Redis.
 */
function replyTable(L: LuaState, field: "err" | "ok"): number {
  let text: string;
  if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) {
    field = "err";
    text = "ERR wrong number or type of arguments";
  } else {
    text = toBinary(L, 1) as string;
    if (field === "err") text = errorCodeAndMessage(text.startsWith("-") ? text : `-${text}`);
  }
  lua.lua_createtable(L, 0, 1);
  pushBinary(L, text);
  lua.lua_setfield(L, -2, field);
  return 1;
}

/**
 * Redis's luaPushErrorBuff on "-text": the first word is the error code ("ERR" when the text is
 * one word, so error_reply('x') is "ERR x"), the message loses its leading and trailing CR/LF.
 */
function errorCodeAndMessage(text: string): string {
  const space = text.indexOf(" ");
  const code = space === -1 ? "ERR" : text.slice(1, space);
  const message = space === -1 ? text.slice(1) : text.slice(space + 1);
  return `${code} ${message.replace(/^[\r\n]+|[\r\n]+$/g, "")}`;
}

/** redis.log(level, message...): Redis's argument checks; nothing is logged from the store. */
function redisLog(L: LuaState): number {
  const argc = lua.lua_gettop(L);
  if (argc < 2) return raiseErrorTable(L, "ERR redis.log() requires two arguments or more.");
  if (!lua.lua_isnumber(L, 1)) {
    return raiseErrorTable(L, "ERR First argument must be a number (log level).");
  }
  const level = Math.trunc(lua.lua_tonumber(L, 1) as number);
  if (!(level >= 0 && level <= 3)) return raiseErrorTable(L, "ERR Invalid debug level.");
  return 0;
}

/** An error reply is one line: Redis's replies never carry CR/LF inside an error. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

/** redis.register_function{...}: Redis's texts for each wrong named argument. */
function readNamedArgs(L: LuaState): RegisteredFunction | string {
  if (!lua.lua_istable(L, 1)) {
    return "calling redis.register_function with a single argument is only applicable to Lua " +
      "table (representing named arguments).";
  }
  let name: string | null = null;
  let description: string | null = null;
  let ref: number | null = null;
  let flags: string[] = [];
  const fail = (text: string): string => {
    if (ref !== null) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
    return text;
  };
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    if (!lua.lua_isstring(L, -2)) {
      return fail("named argument key given to redis.register_function is not a string");
    }
    lua.lua_pushvalue(L, -2); // a copy: converting the key itself would confuse lua_next
    const key = (toBinary(L, -1) ?? "").toLowerCase();
    lua.lua_pop(L, 1);
    if (key === "function_name" || key === "description") {
      if (!lua.lua_isstring(L, -1)) {
        return fail(`${key} argument given to redis.register_function must be a string`);
      }
      if (key === "function_name") name = toBinary(L, -1);
      else description = toBinary(L, -1);
    } else if (key === "callback") {
      if (!lua.lua_isfunction(L, -1)) {
        return fail("callback argument given to redis.register_function must be a function");
      }
      if (ref !== null) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
      lua.lua_pushvalue(L, -1);
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number;
    } else if (key === "flags") {
      if (!lua.lua_istable(L, -1)) {
        return fail(
          "flags argument to redis.register_function must be a table representing function flags",
        );
      }
      const read = readFlags(L);
      if (read === null) return fail("unknown flag given");
      flags = read;
    } else {
      return fail("unknown argument given to redis.register_function");
    }
    lua.lua_pop(L, 1);
  }
  if (name === null) return fail("redis.register_function must get a function name argument");
  if (ref === null) return fail("redis.register_function must get a callback argument");
  return { name, ref, description, flags };
}

/** The flags table at the top of the stack, in Redis's order; null on an unknown flag. */
function readFlags(L: LuaState): string[] | null {
  const found = new Set<string>();
  for (let j = 1;; j++) {
    const type = lua.lua_geti(L, -1, j);
    if (type === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    const text = lua.lua_isstring(L, -1) ? (toBinary(L, -1) ?? "").toLowerCase() : null;
    lua.lua_pop(L, 1);
    if (text === null || !(FUNCTION_FLAGS as readonly string[]).includes(text)) return null;
    found.add(text);
  }
  return FUNCTION_FLAGS.filter((f) => found.has(f));
}

/** redis.register_function(name, callback). */
function readPositionalArgs(L: LuaState): RegisteredFunction | string {
  if (!lua.lua_isstring(L, 1)) return "first argument to redis.register_function must be a string";
  if (!lua.lua_isfunction(L, 2)) {
    return "second argument to redis.register_function must be a function";
  }
  const name = toBinary(L, 1) ?? "";
  lua.lua_pushvalue(L, 2);
  const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number;
  return { name, ref, description: null, flags: [] };
}
