/**
 * COMMAND DOCS data: what Redis 7 clients read to describe a command. redis-cli builds its `help`
 * text and the argument hints it shows while typing from it, so a command's arguments here are its
 * syntax as Redis 7.0 documents it (names, types, tokens, flags, nesting: clients depend on
 * them). Summaries and complexities are written for ATLAS. The group files hold one record per
 * command; a container's subcommands are keyed `container|sub` (`client|list`).
 */

/** Argument types, as COMMAND DOCS names them. */
export type ArgType =
  | "key"
  | "string"
  | "integer"
  | "double"
  | "pattern"
  | "unix-time"
  | "pure-token"
  | "oneof"
  | "block";

export interface ArgDoc {
  readonly name: string;
  readonly type: ArgType;
  /** The literal word that introduces the argument (`EX` in `EX seconds`). */
  readonly token?: string;
  readonly since?: string;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  /** With `multiple`: the token repeats before each value (`GET pattern [GET pattern ...]`). */
  readonly multipleToken?: boolean;
  readonly deprecatedSince?: string;
  /** The alternatives of a `oneof`, the parts of a `block`. */
  readonly args?: readonly ArgDoc[];
}

export interface CommandDoc {
  readonly summary: string;
  readonly since: string;
  readonly group: string;
  /** Empty where Redis documents none. */
  readonly complexity: string;
  /** `deprecated`, `syscmd` (COMMAND DOCS doc_flags). */
  readonly docFlags?: readonly ("deprecated" | "syscmd")[];
  readonly deprecatedSince?: string;
  /** What to use instead, for deprecated commands. */
  readonly replacedBy?: string;
  readonly args?: readonly ArgDoc[];
}

/** Options of one argument (everything but its name and type). */
export type ArgOptions = Omit<ArgDoc, "name" | "type" | "args">;

function arg(type: ArgType, name: string, options: ArgOptions = {}): ArgDoc {
  return { name, type, ...options };
}

export const key = (name: string, o?: ArgOptions): ArgDoc => arg("key", name, o);
export const str = (name: string, o?: ArgOptions): ArgDoc => arg("string", name, o);
export const int = (name: string, o?: ArgOptions): ArgDoc => arg("integer", name, o);
export const dbl = (name: string, o?: ArgOptions): ArgDoc => arg("double", name, o);
export const pattern = (name: string, o?: ArgOptions): ArgDoc => arg("pattern", name, o);
export const unixTime = (name: string, o?: ArgOptions): ArgDoc => arg("unix-time", name, o);
/** A bare word: `pure("nx", "NX")`. */
export const pure = (name: string, token: string, o?: ArgOptions): ArgDoc =>
  arg("pure-token", name, { ...o, token });
/** Exactly one of `args`. */
export const oneof = (name: string, args: readonly ArgDoc[], o?: ArgOptions): ArgDoc => ({
  ...arg("oneof", name, o),
  args,
});
/** `args` together, in order. */
export const block = (name: string, args: readonly ArgDoc[], o?: ArgOptions): ArgDoc => ({
  ...arg("block", name, o),
  args,
});

/** One command's record. */
export function doc(
  summary: string,
  since: string,
  group: string,
  complexity: string,
  args?: readonly ArgDoc[],
  extra: Pick<CommandDoc, "docFlags" | "deprecatedSince" | "replacedBy"> = {},
): CommandDoc {
  return { summary, since, group, complexity, ...extra, ...(args ? { args } : {}) };
}
