/**
 * HyperLogLog commands: PFADD PFCOUNT PFMERGE on Redis-format HLL strings (see hyperloglog.ts).
 *
 * PFCOUNT never changes the value: Redis writes the computed cardinality into the header cache
 * (and propagates the key as modified), but a read must not produce a log entry here, so the cache
 * is only read (when valid, e.g. an HLL copied from Redis) and otherwise recomputed each time.
 * PFADD and PFMERGE log themselves: their effect is a pure function of the state and arguments.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { WRONGTYPE } from "./errors.ts";
import {
  Hll,
  HLL_DENSE,
  HLL_REGISTERS,
  hllCachedCardinality,
  hllEncoding,
  hllEstimate,
  hllHistogram,
  hllMergeInto,
  isHllString,
  registersHistogram,
} from "./hyperloglog.ts";
import type { Keyspace, Value } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { error, integer, OK, type Reply } from "./reply.ts";

const G = "hyperloglog";
export const ERR_NOT_HLL: Reply = Object.freeze(
  error("WRONGTYPE Key is not a valid HyperLogLog string value."),
);
export const ERR_CORRUPTED_HLL: Reply = Object.freeze(
  error("INVALIDOBJ Corrupted HLL object detected"),
);

/** The HLL string held by `value`, or the error reply Redis gives for it. */
function asHll(value: Value): string | Reply {
  if (typeof value !== "string") return WRONGTYPE;
  return isHllString(value) ? value : ERR_NOT_HLL;
}

/** PFADD key [element ...]: 1 when the key was created or a register changed. */
function pfadd(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const old = ks.lookup(key);
  let hll: Hll;
  let updated = false;
  if (old === undefined) {
    hll = Hll.create();
    updated = true;
  } else {
    const value = asHll(old);
    if (typeof value !== "string") return value;
    hll = Hll.from(value);
  }
  for (let j = 2; j < argv.length; j++) {
    const r = hll.add(argv[j]);
    if (r === 1) updated = true;
    else if (r === -1) {
      // Redis edits in place, so the registers set before the corruption was found stay set.
      if (updated) {
        ks.setValue(key, hll.toBinary(), true);
        ks.emit(argv);
      }
      return ERR_CORRUPTED_HLL;
    }
  }
  if (!updated) {
    ks.markRaw(key); // Redis unshares (copies as raw) the value even when nothing changed
    return integer(0);
  }
  hll.invalidateCache();
  ks.setValue(key, hll.toBinary(), true);
  ks.markRaw(key);
  ks.notify(EventClass.String, "pfadd", key);
  ks.emit(argv);
  return integer(1);
}

/** PFCOUNT key [key ...]: one key from its cache or registers; several keys from their union. */
function pfcount(ks: Keyspace, argv: string[]): Reply {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const v = ks.lookupRead(argv[j]);
      if (v === undefined) continue;
      const value = asHll(v);
      if (typeof value !== "string") return value;
      if (!hllMergeInto(max, value)) return ERR_CORRUPTED_HLL;
    }
    return integer(hllEstimate(registersHistogram(max)));
  }
  const v = ks.lookupRead(argv[1]);
  if (v === undefined) return integer(0);
  const value = asHll(v);
  if (typeof value !== "string") return value;
  const cached = hllCachedCardinality(value);
  if (cached !== null) {
    return integer(cached <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cached) : cached);
  }
  const histo = hllHistogram(value);
  if (histo === null) return ERR_CORRUPTED_HLL;
  return integer(hllEstimate(histo));
}

/** PFMERGE destkey [sourcekey ...]: destkey (a source too) becomes the union; dense if any is. */
function pfmerge(ks: Keyspace, argv: string[]): Reply {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = ks.lookupRead(argv[j]); // read lookups (hits / misses), as Redis
    if (v === undefined) continue;
    const value = asHll(v);
    if (typeof value !== "string") return value;
    if (hllEncoding(value) === HLL_DENSE) useDense = true;
    if (!hllMergeInto(max, value)) return ERR_CORRUPTED_HLL;
  }
  const key = argv[1];
  const old = ks.lookup(key);
  const hll = old === undefined ? Hll.create() : Hll.from(old as string);
  if (useDense && !hll.toDense()) return ERR_CORRUPTED_HLL;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (max[i] !== 0) hll.set(i, max[i]);
  }
  hll.invalidateCache();
  ks.setValue(key, hll.toBinary(), true);
  ks.markRaw(key);
  ks.notify(EventClass.String, "pfadd", key);
  ks.emit(argv);
  return OK;
}

export const HLL_COMMANDS: readonly BuiltinCommand[] = [
  command("pfadd", -2, "write denyoom fast", [1, 1, 1], G, pfadd),
  command("pfcount", -2, "readonly", [1, -1, 1], G, pfcount),
  command("pfmerge", -2, "write denyoom", [1, -1, 1], G, pfmerge),
];
