/**
 * MIGRATE's option grammar, in one place for the three readers Redis has too: the command itself
 * (migrate_command.ts), COMMAND GETKEYS and the ACL key checks (command_keys.ts, Redis's
 * migrateGetKeys), and MONITOR / SLOWLOG redaction of its secrets (monitor.ts).
 *
 *   MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key ...]
 */

/** How many arguments each option takes; any other word is a syntax error. */
const OPTION_ARGS: Readonly<Record<string, number>> = { copy: 0, replace: 0, auth: 1, auth2: 2 };

/** One option word before KEYS: its index, name (lower case) and argument count (-1: unknown). */
export interface MigrateOption {
  at: number;
  name: string;
  args: number;
}

export interface MigrateOptions {
  /** The options before KEYS, in order; one whose arguments run past the line is still listed. */
  options: MigrateOption[];
  /** The index of KEYS (the keys follow it), or -1. */
  keysAt: number;
}

/** A word as strcasecmp compares it: up to the first NUL byte, any case. */
function word(text: string): string {
  const nul = text.indexOf("\0");
  return (nul < 0 ? text : text.slice(0, nul)).toLowerCase();
}

/**
 * Walks the options from argument 6, skipping each option's arguments, up to KEYS. An unknown word
 * is listed (args -1) and skipped as a word alone, as migrateGetKeys does; the command refuses it.
 */
export function migrateOptions(argv: readonly string[]): MigrateOptions {
  const options: MigrateOption[] = [];
  for (let i = 6; i < argv.length; i++) {
    const name = word(argv[i]);
    if (name === "keys") return { options, keysAt: i };
    const args = Object.hasOwn(OPTION_ARGS, name) ? OPTION_ARGS[name] : -1;
    options.push({ at: i, name, args });
    if (args > 0) i += args;
  }
  return { options, keysAt: -1 };
}

/** Whether `option`'s arguments are all on the line. */
export function complete(option: MigrateOption, argc: number): boolean {
  return option.at + Math.max(0, option.args) < argc;
}
