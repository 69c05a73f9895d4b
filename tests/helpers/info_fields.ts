/**
 * INFO fields redis-server 7.0 prints that atlasd leaves out on purpose, shared by the tests that
 * compare INFO with Redis's (tests/atlasd_info_diff_test.ts, tests/atlasd_client_parity_test.ts).
 */

/**
 * Memory section: the Lua VMs' own memory. Their states are JavaScript objects inside V8's heap
 * (counted in allocator_allocated); nothing measures them apart. The script and function caches' fields
 * (number_of_cached_scripts, used_memory_scripts...) are printed.
 */
export const LUA_MEMORY_FIELDS: readonly string[] = [
  "used_memory_lua",
  "used_memory_vm_eval",
  "used_memory_lua_human",
  "used_memory_vm_functions",
  "used_memory_vm_total",
  "used_memory_vm_total_human",
];
