/**
 * MODULE and LOLWUT. atlasd loads no modules: MODULE LIST is empty, and MODULE LOAD / LOADEX /
 * UNLOAD are refused as a redis-server 7.0.15 refuses them with its default
 * `enable-module-command no`, before authentication (moduleRejection, called by dispatch). LOLWUT
 * answers Redis 7.0.15's version line; its VERSION 5 and 6 art is not drawn (the same line).
 */
import { parseInt64 } from "../store/numbers.ts";
import { error, type Reply, verbatimText } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { REDIS_COMPAT_VERSION } from "./connection_commands.ts";
import type { ServerContext } from "./context.ts";
import { helpReply, subcommandRejection } from "./subcommands.ts";
import { keylessCommands, type ServerCommand } from "./table.ts";

const MODULE_NOT_ALLOWED = Object.freeze(error(
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
));
const PROTECTED = new Set(["load", "loadex", "unload"]);

/**
 * Redis's refusal of a protected command (MODULE LOAD / LOADEX / UNLOAD), which it answers after
 * the arity and subcommand checks and before authentication; null for any other command.
 */
export function moduleRejection(name: string, argv: readonly string[]): Reply | null {
  return name === "module" && argv.length >= 2 && PROTECTED.has(argv[1].toLowerCase())
    ? MODULE_NOT_ALLOWED
    : null;
}

const MODULE_HELP = [
  "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LIST",
  "    The modules loaded: none, atlasd loads no modules.",
  "LOAD <path> [<arg> ...]",
  "    Refused: atlasd loads no modules.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Refused: atlasd loads no modules.",
  "UNLOAD <name>",
  "    Refused: there is no module to unload.",
  "HELP",
  "    Prints this help.",
];

function moduleCommand(_ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const rejection = subcommandRejection("module", argv) ?? moduleRejection("module", argv);
  if (rejection !== null) return rejection;
  return argv[1].toLowerCase() === "list" ? { kind: "array", value: [] } : helpReply(MODULE_HELP);
}

const VERSION_LINE = `Redis ver. ${REDIS_COMPAT_VERSION}\n`;

/**
 * LOLWUT [VERSION v [args]]: Redis's version line (a verbatim string in RESP3). VERSION must come
 * first and be an integer; 5 and 6 (taken as C's unsigned int) select Redis's drawings, whose
 * optional integer arguments (5: three, 6: two) are read as Redis reads them.
 */
function lolwut(_ctx: ServerContext, _client: Client, argv: string[]): Reply {
  if (argv.length >= 3 && argv[1].toLowerCase() === "version") {
    const v = parseInt64(argv[2]);
    if (v === null) return error("ERR value is not an integer or out of range");
    const version = BigInt.asUintN(32, BigInt(v));
    const read = version === 5n ? 3 : version === 6n ? 2 : 0;
    for (const arg of argv.slice(3, 3 + read)) {
      if (parseInt64(arg) === null) return error("ERR value is not an integer or out of range");
    }
  }
  return verbatimText(VERSION_LINE);
}

const srv = keylessCommands("server");

export const MODULE_COMMANDS: ServerCommand[] = [
  srv("module", -2, ["admin", "noscript"], moduleCommand),
  srv("lolwut", -1, ["readonly", "fast"], lolwut),
];
