/**
 * BITOP AND|OR|XOR|NOT destkey srckey [srckey ...], as Redis 7.0: missing keys are empty strings,
 * shorter sources are zero-padded to the longest, the reply is the result's length, and an empty
 * result deletes the destination (whatever its type) instead of storing "". A non-string source
 * answers WRONGTYPE; the operation name and NOT's single source are checked before any key.
 *
 * Logged as given (deterministic from the sources), or as `DEL destkey` when the result was empty
 * and the destination existed.
 */
import { bytesToBinary } from "./binary.ts";
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { error, integer, type Reply } from "./reply.ts";
import { cWord } from "./util.ts";

type BitOp = "and" | "or" | "xor" | "not";

const ERR_NOT_ARITY = error("ERR BITOP NOT must be called with a single source key.");

/** Combines the sources byte by byte; bytes past a source's end count as 0. */
function combine(op: BitOp, sources: readonly string[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  const first = sources[0];
  const firstEnd = Math.min(first.length, length);
  for (let i = 0; i < firstEnd; i++) out[i] = first.charCodeAt(i);
  if (op === "not") {
    for (let i = 0; i < length; i++) out[i] = ~out[i] & 0xff;
    return out;
  }
  for (let s = 1; s < sources.length; s++) {
    const src = sources[s];
    const end = Math.min(src.length, length);
    if (op === "and") {
      for (let i = 0; i < end; i++) out[i] &= src.charCodeAt(i);
      out.fill(0, end); // AND with the zero padding
    } else if (op === "or") {
      for (let i = 0; i < end; i++) out[i] |= src.charCodeAt(i);
    } else {
      for (let i = 0; i < end; i++) out[i] ^= src.charCodeAt(i);
    }
  }
  return out;
}

function bitop(ks: Keyspace, argv: string[]): Reply {
  const op = cWord(argv[1]);
  if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") return ERR_SYNTAX;
  if (op === "not" && argv.length !== 4) return ERR_NOT_ARITY;
  const dest = argv[2];
  const sources: string[] = [];
  let length = 0;
  for (let i = 3; i < argv.length; i++) {
    const value = ks.lookupRead(argv[i]); // sources: read lookups (hits / misses), as Redis
    if (value !== undefined && typeof value !== "string") return WRONGTYPE;
    const text = value ?? "";
    sources.push(text);
    if (text.length > length) length = text.length;
  }
  if (length === 0) {
    if (ks.lookup(dest) !== undefined && ks.deleteKey(dest)) {
      ks.notify(EventClass.Generic, "del", dest);
      ks.emit(["DEL", dest]);
    }
    return integer(0);
  }
  ks.setValue(dest, bytesToBinary(combine(op, sources, length)));
  ks.markRaw(dest);
  ks.notify(EventClass.String, "set", dest);
  ks.emit(argv);
  return integer(length);
}

export const BITOP_COMMANDS: readonly BuiltinCommand[] = [
  command("bitop", -4, "write denyoom", [2, -1, 1], "bitmap", bitop),
];
