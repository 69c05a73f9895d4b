/** Command metadata (Redis COMMAND INFO shape) and the built-in command type. */
import type { Keyspace } from "./keyspace.ts";
import type { Reply } from "./reply.ts";

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "fast"
  | "admin"
  | "random"
  | "noscript"
  | "loading"
  | "stale"
  | "blocking"
  | "pubsub"
  | "no-multi"
  | "allow-busy"
  | "no-auth"
  | "skip-monitor"
  | "may-replicate"
  | "asking";

export type CommandGroup =
  | "generic"
  | "string"
  | "hash"
  | "list"
  | "set"
  | "sorted-set"
  | "connection"
  | "server"
  | "pubsub"
  | "transactions"
  | "queue"
  | (string & Record<never, never>);

export interface CommandSpec {
  /** Lower-case command name. */
  readonly name: string;
  /** Redis convention: > 0 exact argc (name included), < 0 at least -arity. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** 1-based argv index of the first key (0 = no keys). */
  readonly firstKey: number;
  /** Last key index; -1 = the last argument, -2 = the one before, ... */
  readonly lastKey: number;
  readonly step: number;
  readonly group: CommandGroup;
}

export type BuiltinHandler = (ks: Keyspace, argv: string[]) => Reply;

export interface BuiltinCommand {
  readonly spec: CommandSpec;
  readonly handler: BuiltinHandler;
}

/** Declares a built-in: flags as a space-separated string, keys as [first, last, step]. */
export function command(
  name: string,
  arity: number,
  flags: string,
  keys: readonly [number, number, number],
  group: CommandGroup,
  handler: BuiltinHandler,
): BuiltinCommand {
  const spec: CommandSpec = Object.freeze({
    name,
    arity,
    flags: Object.freeze(flags.split(" ").filter((f) => f.length > 0) as CommandFlag[]),
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    group,
  });
  return { spec, handler };
}

/** The argv indexes holding keys, per the spec (for WATCH, routing, limits). */
/**
 * Whether running the command can change data, so it must go through the log (AOF, Raft) and
 * its reply wait for durability: writes, and may-replicate commands such as EVAL whose effects
 * depend on the script.
 */
export function mayWrite(spec: { readonly flags: readonly string[] }): boolean {
  return spec.flags.includes("write") || spec.flags.includes("may-replicate");
}

export function keyIndexes(spec: CommandSpec, argc: number): number[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const out: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += spec.step) out.push(i);
  return out;
}
