/** COMMAND, COMMAND COUNT / INFO / DOCS / LIST / GETKEYS from the merged table. */
import { commandKeyFlags, flagsReply } from "./key_specs.ts";
import { array, bulk, error, integer, NIL, type Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { globMatch } from "../store/glob.ts";
import {
  aclCategories,
  commandInfo,
  subcommandCategories,
  subcommandInfo,
  subcommandsOf,
} from "./command_info.ts";
import { commandDocsReply } from "./command_docs/mod.ts";
import { commandKeys } from "./command_keys.ts";
import { helpReply } from "./subcommands.ts";
import { type ServerCommand, statsOf } from "./table.ts";
import type { CommandEntry } from "./types.ts";

/** COMMAND DOCS of one entry: its record (command_docs/), else a placeholder from the entry. */
function docsOf(e: CommandEntry): Reply {
  const documented = commandDocsReply(e.name);
  if (documented !== null) return documented;
  return {
    kind: "map",
    value: [
      [bulk("summary"), bulk(`The ${e.name.toUpperCase()} command`)],
      [bulk("since"), bulk(e.since ?? "1.0.0")],
      [bulk("group"), bulk(e.group ?? "generic")],
    ],
  };
}

function command(ctx: ServerContext, _client: Client, argv: string[]): Reply {
  const all = [...ctx.table.entries()];
  if (argv.length === 1) return array(all.map(commandInfo));
  const sub = argv[1].toLowerCase();
  switch (sub) {
    case "count":
      return argv.length === 2 ? integer(all.length) : arityError(sub);
    case "list":
      return commandList(all, argv);
    case "info": {
      const names = argv.slice(2);
      if (names.length === 0) return array(all.map(commandInfo));
      return array(names.map((n) => {
        const e = ctx.table.get(n);
        if (e !== undefined) return commandInfo(e);
        return subcommandInfo(n.toLowerCase()) ?? NIL; // `client|list`
      }));
    }
    case "docs": {
      if (argv.length === 2) {
        return { kind: "map", value: all.map((e) => [bulk(e.name), docsOf(e)] as const) };
      }
      // Named commands in the order asked; `container|sub` names a subcommand's record.
      const value: (readonly [Reply, Reply])[] = [];
      for (const asked of argv.slice(2)) {
        const name = asked.toLowerCase();
        const e = ctx.table.get(name);
        if (e !== undefined) value.push([bulk(e.name), docsOf(e)]);
        else if (name.includes("|") && ctx.table.get(name.slice(0, name.indexOf("|")))) {
          const sub = commandDocsReply(name);
          if (sub !== null) value.push([bulk(name), sub]);
        }
      }
      return { kind: "map", value };
    }
    case "getkeys": {
      // Redis 7's arity for COMMAND GETKEYS is -4: a command and at least one argument.
      if (argv.length < 4) return arityError(sub);
      const e = ctx.table.get(argv[2]);
      if (e === undefined) return error("ERR Invalid command specified");
      const found = commandKeys(e, argv.slice(2));
      return "error" in found ? error(found.error) : array(found.keys.map((key) => bulk(key)));
    }
    case "getkeysandflags": {
      if (argv.length < 4) return arityError(sub);
      const e = ctx.table.get(argv[2]);
      if (e === undefined) return error("ERR Invalid command specified");
      const line = argv.slice(2);
      const keys = commandKeyFlags(e, statsOf(e, line).name, line);
      if (typeof keys === "string") return error(keys);
      return array(keys.map(({ key, flags }) => array([bulk(key), flagsReply(flags)])));
    }
    case "help":
      return argv.length === 2 ? helpReply(COMMAND_HELP) : arityError(sub);
    default:
      return error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try COMMAND HELP.`);
  }
}

/**
 * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and, after
 * a container, its subcommands (`config|get`), as Redis lists them; names and categories compared
 * without case, as Redis does; no modules, so MODULE filters out everything.
 */
function commandList(all: CommandEntry[], argv: string[]): Reply {
  const listed: { name: string; categories: () => readonly string[] }[] = [];
  for (const e of all) {
    listed.push({ name: e.name, categories: () => aclCategories(e) });
    for (const sub of subcommandsOf(e.name)) {
      listed.push({ name: sub, categories: () => subcommandCategories(sub) });
    }
  }
  if (argv.length === 2) return array(listed.map((c) => bulk(c.name)));
  if (argv.length !== 5 || argv[2].toLowerCase() !== "filterby") return SYNTAX_ERROR;
  const value = argv[4];
  let keep: (c: (typeof listed)[number]) => boolean;
  switch (argv[3].toLowerCase()) {
    case "module":
      keep = () => false;
      break;
    case "aclcat": {
      const category = `@${value.toLowerCase()}`;
      keep = (c) => c.categories().includes(category);
      break;
    }
    case "pattern": {
      const pattern = value.toLowerCase();
      keep = (c) => globMatch(pattern, c.name);
      break;
    }
    default:
      return SYNTAX_ERROR;
  }
  return array(listed.filter(keep).map((c) => bulk(c.name)));
}

const SYNTAX_ERROR = error("ERR syntax error");

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Every command's details: name, arity, flags, key positions, ACL categories.",
  "COUNT",
  "    The number of commands.",
  "INFO [<command-name> ...]",
  "    The details of the named commands (all when none is named).",
  "DOCS [<command-name> ...]",
  "    Each named command's documentation (all when none is named): summary, version,",
  "    group, complexity, arguments; a container's subcommands too (name one as x|y).",
  "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
  "    The command names, or those of a module, an ACL category or matching a pattern.",
  "GETKEYS <full-command>",
  "    The key names in a full command line.",
  "GETKEYSANDFLAGS <full-command>",
  "    The key names in a full command line, each with what the command does to it.",
  "HELP",
  "    Prints this help.",
];

function arityError(sub: string): Reply {
  return error(`ERR wrong number of arguments for 'command|${sub}' command`);
}

export const COMMAND_COMMANDS: ServerCommand[] = [{
  name: "command",
  arity: -1,
  flags: ["loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  handler: command,
}];
