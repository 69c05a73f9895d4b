/**
 * A command's COMMAND INFO entry as Redis 7.0 shows it: name, arity, flags (Redis's names and
 * order), legacy key positions, ACL categories (derived from the flags and the group, with the
 * few exceptions Redis's table has), and for a container its subcommands' entries
 * (subcommand_info.ts), key specs (key_specs.ts) and tips (command_tips.ts).
 * tests/atlasd_command_info_diff_test.ts compares every command both servers have.
 */
import { keySpecsReply } from "./key_specs.ts";
import { array, bulk, integer, type Reply } from "../store/reply.ts";
import { commandTips } from "./command_tips.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import { SUBCOMMAND_INFO } from "./subcommand_info.ts";
import type { CommandEntry } from "./types.ts";

function status(text: string): Reply {
  return { kind: "simple", value: text };
}

/** Key specs are a set in RESP3, and so are a command's subcommands when it has none (else an array). */
const NO_KEY_SPECS: Reply = { kind: "set", value: [] };
const NO_SUBCOMMANDS: Reply = { kind: "set", value: [] };

/** One command's COMMAND INFO entry. */
export function commandInfo(e: CommandEntry): Reply {
  // A container (CONFIG, OBJECT...) has no key positions and (but COMMAND) no flags of its own
  // in Redis 7: its subcommands carry them.
  const container = CONTAINER_COMMANDS.has(e.name);
  return array([
    bulk(e.name),
    integer(e.arity),
    { kind: "set", value: container ? (CONTAINER_FLAGS[e.name] ?? []).map(status) : replyFlags(e) },
    integer(container ? 0 : e.firstKey),
    integer(container ? 0 : e.lastKey),
    integer(container ? 0 : e.step),
    { kind: "set", value: aclCategories(e).map(status) },
    { kind: "set", value: commandTips(e.name).map(bulk) },
    container ? NO_KEY_SPECS : keySpecsReply(e.name),
    container ? array(subcommandsOf(e.name).map((name) => subcommandInfo(name)!)) : NO_SUBCOMMANDS,
  ]);
}

/** Subcommand names (`client|list`) per container, in subcommand_info.ts's order. */
const SUBCOMMANDS_OF: ReadonlyMap<string, readonly string[]> = (() => {
  const out = new Map<string, string[]>();
  for (const name of Object.keys(SUBCOMMAND_INFO)) {
    const container = name.slice(0, name.indexOf("|"));
    out.set(container, [...(out.get(container) ?? []), name]);
  }
  return out;
})();

/** The subcommands atlasd implements of `container` (full names; none for a plain command). */
export function subcommandsOf(container: string): readonly string[] {
  return SUBCOMMANDS_OF.get(container) ?? [];
}

/** A subcommand's ACL categories (`client|kill`: @admin @slow @dangerous @connection). */
export function subcommandCategories(name: string): readonly string[] {
  return SUBCOMMAND_INFO[name]?.categories ?? [];
}

/** A subcommand's own COMMAND INFO entry (`COMMAND INFO client|list`), or null for no such. */
export function subcommandInfo(name: string): Reply | null {
  const info = Object.hasOwn(SUBCOMMAND_INFO, name) ? SUBCOMMAND_INFO[name] : undefined;
  if (info === undefined) return null;
  return array([
    bulk(name),
    integer(info.arity),
    { kind: "set", value: info.flags.map(status) },
    integer(info.keys[0]),
    integer(info.keys[1]),
    integer(info.keys[2]),
    { kind: "set", value: info.categories.map(status) },
    { kind: "set", value: commandTips(name).map(bulk) },
    keySpecsReply(name),
    NO_SUBCOMMANDS,
  ]);
}

/**
 * COMMAND's flags as Redis 7.0 shows them: in its order, with its names (the table writes
 * `no-auth`, Redis shows `no_auth`). `random` and `may-replicate` stay internal: Redis 7.0 shows
 * neither (it moved "random" to command tips; atlasd uses may-replicate to route writes).
 */
const FLAG_ORDER = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip-monitor",
  "skip-slowlog",
  "asking",
  "fast",
  "no-auth",
  "may-replicate",
  "sentinel",
  "only-sentinel",
  "no-mandatory-keys",
  "protected",
  "no-async-loading",
  "no-multi",
  "movablekeys",
  "allow-busy",
];
const HIDDEN_FLAGS = new Set(["random", "may-replicate"]);
/**
 * A container's own flags in Redis 7.0 (its subcommands have theirs); atlasd's entry for a
 * container carries its subcommands' flags, which COMMAND does not show on the container.
 */
const CONTAINER_FLAGS: Readonly<Record<string, string[]>> = { command: ["loading", "stale"] };

function replyFlags(e: CommandEntry): Reply[] {
  const shown = FLAG_ORDER.filter((flag) => e.flags.includes(flag) && !HIDDEN_FLAGS.has(flag));
  return shown.map((flag) => status(flag.replaceAll("-", "_")));
}

/** Redis's ACL categories, in the order Redis lists them. */
export const CATEGORY_ORDER: readonly string[] = [
  "@keyspace",
  "@read",
  "@write",
  "@set",
  "@sortedset",
  "@list",
  "@hash",
  "@string",
  "@bitmap",
  "@hyperloglog",
  "@geo",
  "@stream",
  "@pubsub",
  "@admin",
  "@fast",
  "@slow",
  "@blocking",
  "@dangerous",
  "@connection",
  "@transaction",
  "@scripting",
];

/** The category of a command group (COMMAND DOCS's `group`); server and cluster have none. */
const GROUP_CATEGORY: Readonly<Record<string, string>> = {
  generic: "@keyspace",
  string: "@string",
  list: "@list",
  set: "@set",
  "sorted-set": "@sortedset",
  hash: "@hash",
  bitmap: "@bitmap",
  hyperloglog: "@hyperloglog",
  geo: "@geo",
  stream: "@stream",
  pubsub: "@pubsub",
  scripting: "@scripting",
  transactions: "@transaction",
  connection: "@connection",
};

/**
 * Where Redis 7.0's command table departs from the rule in aclCategories (found by comparing
 * COMMAND INFO with redis-server's: tests/atlasd_command_info_diff_test.ts).
 */
const CATEGORY_EXCEPTIONS: Readonly<Record<string, { add?: string[]; remove?: string[] }>> = {
  asking: { add: ["@connection"] },
  command: { add: ["@connection"] },
  readonly: { add: ["@connection"] },
  readwrite: { add: ["@connection"] },
  wait: { add: ["@connection"], remove: ["@keyspace"] },
  dbsize: { add: ["@keyspace"] },
  flushall: { add: ["@keyspace", "@dangerous"] },
  flushdb: { add: ["@keyspace", "@dangerous"] },
  swapdb: { add: ["@keyspace", "@dangerous"] },
  info: { add: ["@dangerous"] },
  keys: { add: ["@dangerous"] },
  restore: { add: ["@dangerous"] },
  migrate: { add: ["@dangerous"] },
  "restore-asking": { add: ["@dangerous"] },
  lastsave: { add: ["@admin", "@dangerous"] },
  role: { add: ["@admin", "@dangerous"] },
  sort: { add: ["@set", "@sortedset", "@list", "@dangerous"], remove: ["@keyspace"] },
  sort_ro: { add: ["@set", "@sortedset", "@list", "@dangerous"], remove: ["@keyspace"] },
  eval_ro: { remove: ["@read"] },
  evalsha_ro: { remove: ["@read"] },
  fcall_ro: { remove: ["@read"] },
};

/**
 * A command's ACL categories: @read / @write from its flags, @fast or else @slow, @admin and
 * @dangerous for admin commands, @blocking, and its group's category; a container (CONFIG,
 * CLIENT...) only @slow, its subcommands carrying the rest in Redis. Then the exceptions above.
 */
export function aclCategories(e: CommandEntry): string[] {
  const categories = new Set<string>();
  if (CONTAINER_COMMANDS.has(e.name)) {
    categories.add("@slow");
  } else {
    if (e.flags.includes("readonly")) categories.add("@read");
    if (e.flags.includes("write")) categories.add("@write");
    categories.add(e.flags.includes("fast") ? "@fast" : "@slow");
    if (e.flags.includes("admin")) {
      categories.add("@admin");
      categories.add("@dangerous");
    }
    if (e.flags.includes("blocking")) categories.add("@blocking");
    const group = GROUP_CATEGORY[e.group ?? "generic"];
    if (group !== undefined) categories.add(group);
  }
  const exception = CATEGORY_EXCEPTIONS[e.name];
  for (const category of exception?.add ?? []) categories.add(category);
  for (const category of exception?.remove ?? []) categories.delete(category);
  return CATEGORY_ORDER.filter((category) => categories.has(category));
}
