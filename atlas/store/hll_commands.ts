/**
 * HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST on Redis-format HLL strings (see
 * hyperloglog.ts).
 *
 * PFCOUNT of one key answers from the header cache when it is valid; otherwise it counts the
 * registers and, as Redis does, writes the count back into the cache, signals the key as modified
 * (WATCH, tracking) and logs itself — unless the read is served outside the log (a Raft replica's
 * read, ExecContext.readsOutsideLog), where it leaves the value as it is. PFADD, PFMERGE and a
 * PFDEBUG that converts to dense log themselves: their effect is a pure function of the state and
 * arguments.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { WRONGTYPE } from "./errors.ts";
import {
  Hll,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HLL_SPARSE_MAX_BYTES,
  hllCachedCardinality,
  hllEncoding,
  hllEstimate,
  hllHistogram,
  hllMergeInto,
  hllSelfTest,
  hllSparseDecode,
  hllWithCachedCardinality,
  isHllString,
  registersHistogram,
} from "./hyperloglog.ts";
import type { Keyspace, Value } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { array, bulk, error, integer, OK, type Reply, simple } from "./reply.ts";

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

/** hll-sparse-max-bytes: as CONFIG SET it, else Redis's default. */
function sparseMaxBytes(ks: Keyspace): number {
  return ks.encoding.hllSparseMaxBytes ?? HLL_SPARSE_MAX_BYTES;
}

/** PFADD key [element ...]: 1 when the key was created or a register changed. */
function pfadd(ks: Keyspace, argv: string[]): Reply {
  const key = argv[1];
  const old = ks.lookup(key);
  let hll: Hll;
  let updated = false;
  if (old === undefined) {
    hll = Hll.create(sparseMaxBytes(ks));
    updated = true;
  } else {
    const value = asHll(old);
    if (typeof value !== "string") return value;
    hll = Hll.from(value, sparseMaxBytes(ks));
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
  ks.markRaw(argv[1]); // Redis unshares the value (to write the cache) whatever happens next
  const cached = hllCachedCardinality(value);
  if (cached !== null) {
    return integer(cached <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cached) : cached);
  }
  const histo = hllHistogram(value);
  if (histo === null) return ERR_CORRUPTED_HLL;
  const card = hllEstimate(histo);
  if (ks.ctx.readsOutsideLog !== true) {
    ks.setValue(argv[1], hllWithCachedCardinality(value, card), true);
    ks.markRaw(argv[1]);
    ks.emit(argv);
  }
  return integer(card);
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
  const limit = sparseMaxBytes(ks);
  const hll = old === undefined ? Hll.create(limit) : Hll.from(old as string, limit);
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

/**
 * PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. Like Redis: the key must exist and be an HLL before
 * the subcommand is looked at, and the value is unshared (`raw`) whatever follows. GETREG and
 * TODENSE convert a sparse HLL to dense in place without signalling the key (no WATCH, tracking
 * or keyspace event sees it), logging the command so a replay converts too.
 */
function pfdebug(ks: Keyspace, argv: string[]): Reply {
  const sub = argv[1];
  const key = argv[2];
  const old = ks.lookup(key);
  if (old === undefined) return error("ERR The specified key does not exist");
  const value = asHll(old);
  if (typeof value !== "string") return value;
  ks.markRaw(key);
  const name = sub.toLowerCase();
  if (name === "getreg" || name === "todense") {
    const hll = Hll.from(value);
    const converted = hll.encoding !== HLL_DENSE;
    if (converted) {
      if (!hll.toDense()) return ERR_CORRUPTED_HLL;
      const mark = ks.touched.length;
      ks.setValue(key, hll.toBinary(), true);
      ks.untouch(mark); // Redis changes the encoding without signalModifiedKey
      ks.markRaw(key);
      ks.emit(argv);
    }
    if (name === "todense") return integer(converted ? 1 : 0);
    const registers: Reply[] = new Array(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) registers[i] = integer(hll.denseRegister(i));
    return array(registers);
  }
  if (name === "decode") {
    if (hllEncoding(value) !== HLL_SPARSE) return error("ERR HLL encoding is not sparse");
    return bulk(hllSparseDecode(value));
  }
  if (name === "encoding") return simple(hllEncoding(value) === HLL_DENSE ? "dense" : "sparse");
  return error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
}

/** PFSELFTEST: checks the register layout and the estimator (see hllSelfTest). */
function pfselftest(ks: Keyspace): Reply {
  const failure = hllSelfTest(() => ks.ctx.random(), sparseMaxBytes(ks));
  return failure === null ? OK : error(`ERR ${failure}`);
}

export const HLL_COMMANDS: readonly BuiltinCommand[] = [
  command("pfadd", -2, "write denyoom fast", [1, 1, 1], G, pfadd),
  command("pfcount", -2, "readonly", [1, -1, 1], G, pfcount),
  command("pfmerge", -2, "write denyoom", [1, -1, 1], G, pfmerge),
  command("pfdebug", 3, "write denyoom admin", [2, 2, 1], G, pfdebug),
  command("pfselftest", 1, "admin", [0, 0, 0], G, pfselftest),
];
