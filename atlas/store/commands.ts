/** Every built-in data command, by family. */
import type { BuiltinCommand } from "./command_table.ts";
import { KEY_COMMANDS } from "./keys_commands.ts";
import { STRING_COMMANDS } from "./string_commands.ts";

export const BUILTIN_COMMANDS: readonly BuiltinCommand[] = [
  ...KEY_COMMANDS,
  ...STRING_COMMANDS,
];
