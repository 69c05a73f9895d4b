/** COMMAND DOCS: the scripting commands (see types.ts). */
import { type CommandDoc, doc, int, key, oneof, pure, str } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  eval: doc(
    "Run a Lua script on the given keys and arguments, caching it under its SHA1",
    "2.6.0",
    "scripting",
    "Depends on the commands the script runs",
    [
      str("script"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  eval_ro: doc(
    "Run a Lua script on the given keys and arguments, refusing any write it attempts",
    "7.0.0",
    "scripting",
    "Depends on the commands the script runs",
    [
      str("script"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  evalsha: doc(
    "Run a cached Lua script, named by its SHA1, on the given keys and arguments",
    "2.6.0",
    "scripting",
    "Depends on the commands the script runs",
    [
      str("sha1"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  evalsha_ro: doc(
    "Run a cached Lua script, named by its SHA1, refusing any write it attempts",
    "7.0.0",
    "scripting",
    "Depends on the commands the script runs",
    [
      str("sha1"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  fcall: doc(
    "Call a function of a loaded library on the given keys and arguments",
    "7.0.0",
    "scripting",
    "Depends on the commands the function runs",
    [
      str("function"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  fcall_ro: doc(
    "Call a library function flagged no-writes, from a read-only context",
    "7.0.0",
    "scripting",
    "Depends on the commands the function runs",
    [
      str("function"),
      int("numkeys"),
      key("key", { optional: true, multiple: true }),
      str("arg", { optional: true, multiple: true }),
    ],
  ),
  function: doc(
    "Groups the FUNCTION subcommands, which manage Lua function libraries",
    "7.0.0",
    "scripting",
    "Depends on the subcommand",
  ),
  "function|dump": doc(
    "Serialize all loaded libraries into a payload that FUNCTION RESTORE accepts",
    "7.0.0",
    "scripting",
    "O(N) where N is the number of libraries",
  ),
  "function|help": doc("Describe the FUNCTION subcommands", "7.0.0", "scripting", "O(1)"),
  "function|restore": doc(
    "Load libraries from a FUNCTION DUMP payload, choosing how name clashes are handled",
    "7.0.0",
    "scripting",
    "O(N) where N is the number of libraries in the payload",
    [
      str("serialized-value"),
      oneof(
        "policy",
        [pure("flush", "FLUSH"), pure("append", "APPEND"), pure("replace", "REPLACE")],
        { optional: true },
      ),
    ],
  ),
  "function|delete": doc(
    "Unload a library together with every function it registered",
    "7.0.0",
    "scripting",
    "O(1)",
    [str("library-name")],
  ),
  "function|kill": doc(
    "Stop the function running past busy-reply-threshold, unless it wrote",
    "7.0.0",
    "scripting",
    "O(1)",
  ),
  "function|load": doc(
    "Load a Lua library and register its functions; REPLACE overwrites a same-named one",
    "7.0.0",
    "scripting",
    "O(N) where N is the length of the library code",
    [
      pure("replace", "REPLACE", { optional: true }),
      str("function-code"),
    ],
  ),
  "function|flush": doc(
    "Unload every library and its functions",
    "7.0.0",
    "scripting",
    "O(N) where N is the number of functions unloaded",
    [
      oneof("async", [pure("async", "ASYNC"), pure("sync", "SYNC")], { optional: true }),
    ],
  ),
  "function|list": doc(
    "Describe the loaded libraries and their functions, optionally with their code",
    "7.0.0",
    "scripting",
    "O(N) where N is the number of functions",
    [
      str("library-name-pattern", { token: "LIBRARYNAME", optional: true }),
      pure("withcode", "WITHCODE", { optional: true }),
    ],
  ),
  "function|stats": doc(
    "Report the function running (never one in atlasd) and the library and function counts",
    "7.0.0",
    "scripting",
    "O(1)",
  ),
  script: doc(
    "Groups the SCRIPT subcommands, which manage the Lua script cache",
    "2.6.0",
    "scripting",
    "Depends on the subcommand",
  ),
  "script|flush": doc(
    "Empty the Lua script cache and start the scripting state afresh",
    "2.6.0",
    "scripting",
    "O(N) where N is the number of cached scripts",
    [
      oneof("async", [pure("async", "ASYNC"), pure("sync", "SYNC")], {
        since: "6.2.0",
        optional: true,
      }),
    ],
  ),
  "script|debug": doc(
    "Choose the Lua debugger mode; atlasd has none: the next EVAL ends the session at once",
    "3.2.0",
    "scripting",
    "O(1)",
    [oneof("mode", [pure("yes", "YES"), pure("sync", "SYNC"), pure("no", "NO")])],
  ),
  "script|exists": doc(
    "Tell for each SHA1 given whether the script cache holds that script",
    "2.6.0",
    "scripting",
    "O(N) where N is the number of digests given",
    [str("sha1", { multiple: true })],
  ),
  "script|help": doc("Describe the SCRIPT subcommands", "5.0.0", "scripting", "O(1)"),
  "script|kill": doc(
    "Stop the script running past busy-reply-threshold, unless it wrote",
    "2.6.0",
    "scripting",
    "O(1)",
  ),
  "script|load": doc(
    "Compile a Lua script into the cache without running it and return its SHA1",
    "2.6.0",
    "scripting",
    "O(N) where N is the length of the script",
    [str("script")],
  ),
};
