/**
 * Imported (by lua.ts) before fengari is first evaluated: fengari's luaconf.js reads
 * FENGARICONF from the environment once, when it loads. LUA_COMPAT_FLOATSTRING makes fengari
 * print integral floats without Lua 5.3's ".0" (3.0 as "3", as Lua 5.1's "%.14g" does) in the
 * paths lua_number.ts does not take over (luaL_tolstring's "%f", e.g. in error messages).
 * Without permission to write the environment fengari keeps its defaults; lua_number.ts still
 * formats tostring, "..", string.format and the C API's conversions.
 */
try {
  const current = Deno.env.get("FENGARICONF");
  const conf = current ? JSON.parse(current) : {};
  if (conf.LUA_COMPAT_FLOATSTRING !== true) {
    conf.LUA_COMPAT_FLOATSTRING = true;
    Deno.env.set("FENGARICONF", JSON.stringify(conf));
  }
} catch {
  // No --allow-env (or a malformed FENGARICONF, which fengari itself rejects): nothing to set.
}
