/**
 * INFO fields redis-server 7.0 prints that atlasd leaves out on purpose, shared by the tests that
 * compare INFO with Redis's (tests/atlasd_info_diff_test.ts, tests/atlasd_client_parity_test.ts).
 */

/**
 * Memory section: the Lua VM and the script / function caches live inside the store's JavaScript
 * heap (counted in used_memory); the server layer has no separate measure of them.
 */
export const LUA_MEMORY_FIELDS: readonly string[] = [
  "used_memory_lua",
  "used_memory_vm_eval",
  "used_memory_lua_human",
  "used_memory_scripts_eval",
  "number_of_cached_scripts",
  "number_of_functions",
  "number_of_libraries",
  "used_memory_vm_functions",
  "used_memory_vm_total",
  "used_memory_vm_total_human",
  "used_memory_functions",
  "used_memory_scripts",
  "used_memory_scripts_human",
];
