/** Small helpers shared by the command families. */
import { ERR_NOT_INTEGER, WRONGTYPE } from "./errors.ts";
import { HashValue } from "./hash_value.ts";
import type { Keyspace, Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { type Int64, parseInt64 } from "./numbers.ts";
import { error, type Reply } from "./reply.ts";
import { SetValue } from "./set_value.ts";
import { ZSetValue } from "./zset_value.ts";

/** Lower-cases an ASCII option word (binary-safe: only A–Z change). */
export function lower(text: string): string {
  return text.length < 32 ? text.toLowerCase() : text.slice(0, 32).toLowerCase() + "\0";
}

/** A number from an int64 argument, or null. Values beyond ±2^53 are clamped to ±Infinity. */
export function parseIntArg(text: string): number | null {
  const v = parseInt64(text);
  if (v === null) return null;
  return typeof v === "number" ? v : v > 0n ? Infinity : -Infinity;
}

export function parseInt64Arg(text: string): Int64 | null {
  return parseInt64(text);
}

export const ERR_INT = ERR_NOT_INTEGER;

/** "ERR invalid expire time in 'set' command". */
export function invalidExpire(name: string): Reply {
  return error(`ERR invalid expire time in '${name}' command`);
}

type Collection = typeof HashValue | typeof ListValue | typeof SetValue | typeof ZSetValue;

/**
 * Looks a key up expecting a type: the value, undefined when absent, or WRONGTYPE's reply when the
 * key holds another type (compare with `=== WRONGTYPE`).
 */
export function lookupAs<C extends Collection>(
  ks: Keyspace,
  key: string,
  type: C,
): InstanceType<C> | undefined | typeof WRONGTYPE {
  const v: Value | undefined = ks.lookup(key);
  if (v === undefined) return undefined;
  if (v instanceof type) return v as InstanceType<C>;
  return WRONGTYPE;
}

/** Redis's index normalisation for LRANGE/ZRANGE/GETRANGE-style [start, stop]; null = empty. */
export function clampRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (stop < 0) stop = length + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}
