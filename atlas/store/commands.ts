/** Every built-in data command, by family. */
import { BIT_COMMANDS } from "./bit_commands.ts";
import { BITFIELD_COMMANDS } from "./bitfield_commands.ts";
import { BITOP_COMMANDS } from "./bitop_commands.ts";
import type { BuiltinCommand } from "./command_table.ts";
import { DB_COMMANDS } from "./db_commands.ts";
import { DUMP_COMMANDS } from "./dump_commands.ts";
import { GEO_COMMANDS } from "./geo_commands.ts";
import { HASH_COMMANDS } from "./hash_commands.ts";
import { HLL_COMMANDS } from "./hll_commands.ts";
import { KEY_COMMANDS } from "./keys_commands.ts";
import { LIST_COMMANDS } from "./list_commands.ts";
import { MEMORY_COMMANDS } from "./memory_commands.ts";
import { SET_COMMANDS } from "./set_commands.ts";
import { SORT_COMMANDS } from "./sort_command.ts";
import { STREAM_COMMANDS } from "./stream_commands.ts";
import { STRING_COMMANDS } from "./string_commands.ts";
import { ZSET_ALGEBRA_COMMANDS } from "./zset_algebra_commands.ts";
import { ZSET_COMMANDS } from "./zset_commands.ts";

export const BUILTIN_COMMANDS: readonly BuiltinCommand[] = [
  ...KEY_COMMANDS,
  ...DB_COMMANDS,
  ...STRING_COMMANDS,
  ...BIT_COMMANDS,
  ...BITOP_COMMANDS,
  ...BITFIELD_COMMANDS,
  ...HASH_COMMANDS,
  ...LIST_COMMANDS,
  ...SET_COMMANDS,
  ...ZSET_COMMANDS,
  ...ZSET_ALGEBRA_COMMANDS,
  ...SORT_COMMANDS,
  ...MEMORY_COMMANDS,
  ...HLL_COMMANDS,
  ...GEO_COMMANDS,
  ...STREAM_COMMANDS,
  ...DUMP_COMMANDS,
];
