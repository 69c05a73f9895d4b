/** Lua scripting (EVAL, EVALSHA, SCRIPT) for an ATLAS store. See docs/atlas_store.md. */
export {
  DEFAULT_SCRIPT_INSTRUCTIONS_MAX,
  registerScriptingCommands,
  type ScriptingOptions,
} from "./script_commands.ts";
