/**
 * Key specifications (Redis 7): where a command's keys are and what it does to each, from
 * key_specs_data.ts. COMMAND INFO shows them; `keysWithFlags` finds a command line's keys with
 * their flags the way Redis's getKeysUsingKeySpecs does, for the ACL's per-key read / write
 * checks (acl_check.ts) and COMMAND GETKEYSANDFLAGS.
 */
import { bulk, integer, type Reply, simple } from "../store/reply.ts";
import { commandKeys } from "./command_keys.ts";
import { KEY_SPECS } from "./key_specs_data.ts";
import type { CommandEntry } from "./types.ts";

export interface KeySpec {
  /** Redis's flag names, space separated (`RW ACCESS UPDATE`). */
  readonly flags: string;
  /** Where the search starts: an argument index, after a keyword, or unknown. */
  readonly begin:
    | readonly ["index", number]
    | readonly ["keyword", string, number]
    | readonly ["unknown"];
  /** From there: a range (lastkey, step, limit), a count argument (keynumidx, firstkey, step). */
  readonly find:
    | readonly ["range", number, number, number]
    | readonly ["keynum", number, number, number]
    | readonly ["unknown"];
  readonly notes?: string;
}

const NONE: readonly KeySpec[] = [];

/** The key specs of a command or subcommand by its full name (`set`, `object|encoding`). */
export function keySpecsOf(fullName: string): readonly KeySpec[] {
  return Object.hasOwn(KEY_SPECS, fullName) ? KEY_SPECS[fullName] : NONE;
}

/** COMMAND INFO's order and spelling of the flags (Redis's addReplyFlagsForKeyArgs). */
const FLAG_NAMES: readonly [string, string][] = [
  ["RO", "RO"],
  ["RW", "RW"],
  ["OW", "OW"],
  ["RM", "RM"],
  ["ACCESS", "access"],
  ["UPDATE", "update"],
  ["INSERT", "insert"],
  ["DELETE", "delete"],
  ["NOT_KEY", "not_key"],
  ["INCOMPLETE", "incomplete"],
  ["VARIABLE_FLAGS", "variable_flags"],
];

/** A spec's flags as COMMAND INFO / GETKEYSANDFLAGS show them (a set of status replies). */
export function flagsReply(flags: string): Reply {
  const words = flags.split(" ");
  return {
    kind: "set",
    value: FLAG_NAMES.filter(([name]) => words.includes(name)).map(([, shown]) => simple(shown)),
  };
}

function map(pairs: [string, Reply][]): Reply {
  return { kind: "map", value: pairs.map(([key, value]) => [bulk(key), value]) };
}

/** COMMAND INFO's key specs field (Redis's addReplyCommandKeySpecs). */
export function keySpecsReply(fullName: string): Reply {
  return {
    kind: "set",
    value: keySpecsOf(fullName).map((spec) => {
      const begin = spec.begin;
      const find = spec.find;
      const fields: [string, Reply][] = [];
      if (spec.notes !== undefined) fields.push(["notes", bulk(spec.notes)]);
      fields.push(["flags", flagsReply(spec.flags)]);
      fields.push([
        "begin_search",
        begin[0] === "index"
          ? map([["type", bulk("index")], ["spec", map([["index", integer(begin[1])]])]])
          : begin[0] === "keyword"
          ? map([
            ["type", bulk("keyword")],
            ["spec", map([["keyword", bulk(begin[1])], ["startfrom", integer(begin[2])]])],
          ])
          : map([["type", bulk("unknown")], ["spec", map([])]]),
      ]);
      fields.push([
        "find_keys",
        find[0] === "range"
          ? map([
            ["type", bulk("range")],
            [
              "spec",
              map([
                ["lastkey", integer(find[1])],
                ["keystep", integer(find[2])],
                ["limit", integer(find[3])],
              ]),
            ],
          ])
          : find[0] === "keynum"
          ? map([
            ["type", bulk("keynum")],
            [
              "spec",
              map([
                ["keynumidx", integer(find[1])],
                ["firstkey", integer(find[2])],
                ["keystep", integer(find[3])],
              ]),
            ],
          ])
          : map([["type", bulk("unknown")], ["spec", map([])]]),
      ]);
      return map(fields);
    }),
  };
}

/** A key of a command line: its argument index and its spec's flags. */
export interface FlaggedKey {
  readonly index: number;
  readonly flags: string;
}

/** A command line's key with what the command does to it (`RW ACCESS UPDATE`...). */
export interface KeyWithFlags {
  readonly key: string;
  readonly flags: string;
  /** Its argument index (its place among the keys where the specs cannot tell). */
  readonly at: number;
}

/**
 * The keys of a command line and their flags, as COMMAND GETKEYSANDFLAGS and the ACL see them:
 * from the key specs; SET's and BITFIELD's flags by their arguments (GET; SET / INCRBY) and SORT's
 * sorted key read and STORE destination written, as Redis's own key finders for them decide;
 * otherwise the keys COMMAND GETKEYS finds, read by a command that does not write, read and
 * updated by one that does. An error text when the line has no keys to find.
 */
export function commandKeyFlags(
  entry: CommandEntry,
  fullName: string,
  argv: readonly string[],
): KeyWithFlags[] | string {
  const variable = variableFlags(fullName, argv);
  if (variable !== null && argv.length > 1) return [{ key: argv[1], flags: variable, at: 1 }];
  const flagged = keysWithFlags(fullName, argv);
  if (flagged !== null && flagged.length > 0) {
    return flagged.map(({ index, flags }) => ({ key: argv[index], flags, at: index }));
  }
  const found = commandKeys(entry, argv);
  if (!("keys" in found)) return found.error;
  if (fullName === "sort") {
    return found.keys.map((key, k) => ({
      key,
      flags: k === 0 ? "RO ACCESS" : "OW UPDATE",
      at: k + 1,
    }));
  }
  const flags = entry.flags.includes("write") ? "RW ACCESS UPDATE" : "RO ACCESS";
  return found.keys.map((key, k) => ({ key, flags, at: k + 1 }));
}

/** SET's and BITFIELD's key flags, which depend on their arguments (Redis's setGetKeys...). */
function variableFlags(fullName: string, argv: readonly string[]): string | null {
  if (fullName === "set") {
    const get = argv.slice(3).some((arg) => arg.toLowerCase() === "get");
    return get ? "RW ACCESS UPDATE" : "OW UPDATE";
  }
  if (fullName === "bitfield") {
    const writes = argv.slice(2).some((arg) => {
      const word = arg.toLowerCase();
      return word === "set" || word === "incrby";
    });
    return writes ? "RW ACCESS UPDATE" : "RO ACCESS";
  }
  return null;
}

/**
 * The keys of `argv` with their flags, as Redis's getKeysUsingKeySpecs finds them (shard
 * channels, flagged NOT_KEY, left out); null when a spec cannot tell (unknown or incomplete:
 * SORT's BY / GET / STORE, MIGRATE) or a command's flags depend on its arguments (SET, BITFIELD,
 * whose own rules the caller applies), or a count or position is out of range.
 */
export function keysWithFlags(fullName: string, argv: readonly string[]): FlaggedKey[] | null {
  const specs = keySpecsOf(fullName);
  const out: FlaggedKey[] = [];
  const argc = argv.length;
  for (const spec of specs) {
    if (spec.flags.includes("NOT_KEY")) continue;
    if (spec.flags.includes("INCOMPLETE") || spec.flags.includes("VARIABLE_FLAGS")) return null;
    const begin = spec.begin;
    let first = 0;
    if (begin[0] === "index") first = begin[1];
    else if (begin[0] === "keyword") {
      const [, word, startFrom] = begin;
      const start = startFrom > 0 ? startFrom : argc + startFrom;
      const end = startFrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv[i].toLowerCase() === word.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // the keyword is not there: no keys from this spec
    } else return null;
    const find = spec.find;
    let last: number;
    let step: number;
    if (find[0] === "range") {
      const [, lastKey, keyStep, limit] = find;
      step = keyStep;
      if (lastKey >= 0) last = first + lastKey;
      else if (limit === 0) last = argc + lastKey;
      else last = first + (Math.floor((argc - first) / limit) + lastKey);
    } else if (find[0] === "keynum") {
      const [, keynumIdx, firstKey, keyStep] = find;
      step = keyStep;
      if (keynumIdx >= argc - first) return null;
      const text = argv[first + keynumIdx];
      if (!/^(0|[1-9]\d{0,17})$/.test(text)) return null;
      first += firstKey;
      last = first + Number(text) - 1;
    } else return null;
    if (last >= argc || last < first || first >= argc) {
      if (find[0] === "keynum" && last === first - 1) continue; // a count of 0: no keys
      return null;
    }
    for (let i = first; i <= last; i += step) out.push({ index: i, flags: spec.flags });
  }
  return out;
}
