/**
 * The key arguments of a command line (COMMAND GETKEYS), as Redis finds them: the fixed
 * first/last/step positions of the command table, plus the movable keys some commands name by a
 * count ("numkeys": ZUNIONSTORE, LMPOP, BLMPOP...) or after a keyword (SORT ... STORE dst,
 * GEORADIUS ... STORE/STOREDIST dst, XREAD ... STREAMS k1 k2 id1 id2, MIGRATE ... KEYS k1 k2).
 */
import { migrateOptions } from "./migrate_options.ts";
import { CHANNEL_KEY_COMMANDS } from "./shard_pubsub_commands.ts";
import type { CommandEntry } from "./types.ts";

/** Index (in the full argv, command name at 0) of the numkeys argument; keys follow it. */
const NUMKEYS_AT: Readonly<Record<string, number>> = {
  zunionstore: 2,
  zinterstore: 2,
  zdiffstore: 2,
  zunion: 1,
  zinter: 1,
  zdiff: 1,
  sintercard: 1,
  zintercard: 1,
  lmpop: 1,
  zmpop: 1,
  blmpop: 2,
  bzmpop: 2,
  eval: 2,
  evalsha: 2,
  eval_ro: 2,
  evalsha_ro: 2,
  fcall: 2,
  fcall_ro: 2,
};

/** Scripts may declare no keys, and a bad count finds none (an empty list, not an error). */
const SCRIPT_NUMKEYS = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);

/** Commands whose destination key follows one of these keywords (the last one counts). */
const STORE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  sort: ["store"],
};

/**
 * GEORADIUS / GEORADIUSBYMEMBER answer from Redis's key specs: the argument after the first STORE,
 * then the one after the first STOREDIST, each searched from the first option (argument 6 / 5)
 * up to the next-to-last argument. (The command itself obeys the last STORE/STOREDIST.)
 */
const GEO_STORE_FROM: Readonly<Record<string, number>> = { georadius: 6, georadiusbymember: 5 };

/** A keyword as strcasecmp compares it: up to the first NUL byte, any case. */
function keyword(text: string): string {
  const nul = text.indexOf("\0");
  return (nul < 0 ? text : text.slice(0, nul)).toLowerCase();
}

/** SORT's options and how many arguments each takes (skipped while looking for STORE). */
const SORT_OPTION_ARGS: Readonly<Record<string, number>> = { limit: 2, by: 1, get: 1 };

export type KeysResult = { keys: string[] } | { error: string };

export function commandKeys(entry: CommandEntry, argv: readonly string[]): KeysResult {
  // Checked before the arity, as Redis does: shard channels are declared keys, flagged not_key.
  if (CHANNEL_KEY_COMMANDS.has(entry.name)) {
    return { error: "ERR The command has no key arguments" };
  }
  if (entry.arity > 0 ? argv.length !== entry.arity : argv.length < -entry.arity) {
    return { error: "ERR Invalid number of arguments specified for command" };
  }
  const keys: string[] = [];
  if (entry.firstKey > 0) {
    const last = entry.lastKey < 0 ? argv.length + entry.lastKey : entry.lastKey;
    for (let i = entry.firstKey; i <= last && i < argv.length; i += Math.max(1, entry.step)) {
      keys.push(argv[i]);
    }
  }
  const numkeysAt = NUMKEYS_AT[entry.name];
  if (numkeysAt !== undefined) {
    const text = argv[numkeysAt];
    const count = /^\d{1,9}$/.test(text) ? Number(text) : 0;
    const script = SCRIPT_NUMKEYS.has(entry.name);
    if (!/^\d{1,9}$/.test(text) || count < (script ? 0 : 1) || numkeysAt + count >= argv.length) {
      if (script) return { keys: [] }; // Redis's evalGetKeys finds no keys rather than failing
      return { error: "ERR Invalid arguments specified for command" };
    }
    keys.push(...argv.slice(numkeysAt + 1, numkeysAt + 1 + count));
  }
  const keywords = STORE_KEYWORDS[entry.name];
  if (keywords !== undefined) {
    let destination: string | null = null;
    for (let i = entry.firstKey + 1; i < argv.length; i++) {
      const word = keyword(argv[i]);
      if (keywords.includes(word) && i + 1 < argv.length) destination = argv[++i];
      else if (entry.name === "sort") i += SORT_OPTION_ARGS[word] ?? 0;
    }
    if (destination !== null) keys.push(destination);
  }
  const geoFrom = GEO_STORE_FROM[entry.name];
  if (geoFrom !== undefined) {
    for (const word of ["store", "storedist"]) {
      for (let i = geoFrom; i < argv.length - 1; i++) {
        if (keyword(argv[i]) === word) {
          keys.push(argv[i + 1]);
          break;
        }
      }
    }
  }
  if (entry.name === "migrate") {
    const at = migrateOptions(argv).keysAt;
    // With KEYS the keys are the arguments after it (none when the key argument is not ""; the
    // command then refuses the line).
    if (at >= 0) keys.splice(0, keys.length, ...(argv[3] === "" ? argv.slice(at + 1) : []));
  }
  if ((entry.name === "xread" || entry.name === "xreadgroup") && entry.firstKey <= 0) {
    const at = argv.findIndex((arg, i) => i > 0 && arg.toLowerCase() === "streams");
    if (at > 0) keys.push(...argv.slice(at + 1, at + 1 + Math.floor((argv.length - at - 1) / 2)));
  }
  if (keys.length === 0 && !SCRIPT_NUMKEYS.has(entry.name)) {
    return { error: "ERR The command has no key arguments" };
  }
  return { keys };
}
