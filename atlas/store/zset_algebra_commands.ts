/**
 * Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD. Inputs may be sorted
 * sets or plain sets (members score 1), with WEIGHTS and AGGREGATE SUM|MIN|MAX like Redis 7.0.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { array, bulk, error, integer, pairsArray, type Reply } from "./reply.ts";
import { SetValue } from "./set_value.ts";
import { cWord, exceedsLength, parseIntArg } from "./util.ts";
import { normalizeListpackZeros, parseScoreArg } from "./zset_commands.ts";
import { ZSetValue } from "./zset_value.ts";

type Op = "union" | "inter" | "diff";

const STORE_EVENTS = { union: "zunionstore", inter: "zinterstore", diff: "zdiffstore" } as const;
type Aggregate = "sum" | "min" | "max";

interface Source {
  size: number;
  weight: number;
  entries: () => Iterable<[string, number]>;
  score: (member: string) => number | undefined;
}

interface Request {
  sources: Source[];
  aggregate: Aggregate;
  withScores: boolean;
}

function setEntries(s: SetValue): Iterable<[string, number]> {
  return (function* () {
    for (const m of s.set) yield [m, 1] as [string, number];
  })();
}

/** Reads numkeys, the keys (WRONGTYPE first, as Redis), then WEIGHTS/AGGREGATE/WITHSCORES. */
function parseRequest(
  ks: Keyspace,
  argv: string[],
  at: number,
  op: Op,
  allowWithScores: boolean,
): Request | Reply {
  const numkeys = parseIntArg(argv[at]);
  if (numkeys === null) return ERR_NOT_INTEGER;
  if (numkeys < 1) {
    return error(`ERR at least 1 input key is needed for '${argv[0].toLowerCase()}' command`);
  }
  if (numkeys > argv.length - at - 1) return ERR_SYNTAX;
  const sources: Source[] = [];
  for (let i = at + 1; i <= at + numkeys; i++) {
    const v = ks.lookupRead(argv[i]); // sources: read lookups (hits / misses), as Redis
    if (v === undefined) {
      sources.push({
        size: 0,
        weight: 1,
        entries: () => [],
        score: () => undefined,
      });
    } else if (v instanceof ZSetValue) {
      sources.push({
        size: v.size,
        weight: 1,
        entries: () => v.entries(),
        score: (m) => v.score(m),
      });
    } else if (v instanceof SetValue) {
      const score = (m: string) => (v.set.has(m) ? 1 : undefined);
      sources.push({ size: v.size, weight: 1, entries: () => setEntries(v), score });
    } else return WRONGTYPE;
  }
  const req: Request = { sources, aggregate: "sum", withScores: false };
  for (let i = at + 1 + numkeys; i < argv.length; i++) {
    const opt = cWord(argv[i]); // strcasecmp: up to a NUL
    if (opt === "weights" && op !== "diff" && i + numkeys < argv.length) {
      for (const source of sources) {
        const w = parseScoreArg(argv[++i]);
        if (w === null) return error("ERR weight value is not a float");
        source.weight = w;
      }
    } else if (opt === "aggregate" && op !== "diff" && i + 1 < argv.length) {
      const a = cWord(argv[++i]);
      if (a !== "sum" && a !== "min" && a !== "max") return ERR_SYNTAX;
      req.aggregate = a;
    } else if (opt === "withscores" && allowWithScores) req.withScores = true;
    else return ERR_SYNTAX;
  }
  return req;
}

/**
 * zunionInterAggregate(target, val): MIN and MAX keep the target unless val is strictly
 * smaller / larger (so a NaN val, or 0 against -0, changes nothing); a NaN sum is 0.
 */
function combine(target: number, val: number, aggregate: Aggregate): number {
  if (aggregate === "min") return val < target ? val : target;
  if (aggregate === "max") return val > target ? val : target;
  const sum = target + val;
  return Number.isNaN(sum) ? 0 : sum; // inf + -inf: Redis uses 0
}

function weighted(score: number, weight: number): number {
  const v = score * weight;
  return Number.isNaN(v) ? 0 : v; // inf * 0
}

/** Computes the result as member → score. */
function compute(req: Request, op: Op): Map<string, number> {
  const out = new Map<string, number>();
  const sources = op === "diff" ? req.sources : req.sources.slice().sort((a, b) => a.size - b.size);
  if (op === "union") {
    for (const s of sources) {
      for (const [m, score] of s.entries()) {
        const v = weighted(score, s.weight);
        const old = out.get(m);
        out.set(m, old === undefined ? v : combine(old, v, req.aggregate));
      }
    }
  } else if (op === "inter") {
    if (sources[0].size === 0) return out;
    outer: for (const [m, score] of sources[0].entries()) {
      let acc = weighted(score, sources[0].weight);
      for (let i = 1; i < sources.length; i++) {
        const other = sources[i].score(m);
        if (other === undefined) continue outer;
        // Only the first source's product is cleaned of NaN (inf * 0); Redis aggregates the
        // others' as they are (a NaN sum is then 0, MIN/MAX ignore it).
        acc = combine(acc, other * sources[i].weight, req.aggregate);
      }
      out.set(m, acc);
    }
  } else {
    outer: for (const [m, score] of sources[0].entries()) {
      for (let i = 1; i < sources.length; i++) {
        if (sources[i].score(m) !== undefined) continue outer;
      }
      out.set(m, score);
    }
  }
  return out;
}

function toZSet(result: Map<string, number>): ZSetValue {
  const z = new ZSetValue();
  for (const [m, s] of result) z.add(m, s);
  return z;
}

function algebra(ks: Keyspace, argv: string[], op: Op): Reply {
  const req = parseRequest(ks, argv, 1, op, true);
  if (!("sources" in req)) return req;
  const z = toZSet(compute(req, op));
  const out: Reply[] = [];
  for (let n = z.first(); n !== null; n = n.next) {
    out.push(bulk(n.member));
    if (req.withScores) out.push({ kind: "double", value: n.score });
  }
  return req.withScores ? pairsArray(out) : array(out);
}

function algebraStore(ks: Keyspace, argv: string[], op: Op): Reply {
  const dst = argv[1];
  const req = parseRequest(ks, argv, 2, op, false);
  if (!("sources" in req)) return req;
  const result = compute(req, op);
  const tooLong = exceedsLength(ks, 0, result.size);
  if (tooLong !== null) return tooLong;
  if (result.size === 0) {
    if (ks.deleteKey(dst)) {
      ks.notify(EventClass.Generic, "del", dst);
      ks.emit(["DEL", dst]);
    }
    return integer(0);
  }
  const z = toZSet(result);
  normalizeListpackZeros(ks, z);
  ks.setValue(dst, z);
  ks.notify(EventClass.ZSet, STORE_EVENTS[op], dst);
  ks.emit(argv);
  return integer(result.size);
}

/** ZINTERCARD numkeys key [key ...] [LIMIT limit]. */
function zintercard(ks: Keyspace, argv: string[]): Reply {
  const numkeys = parseIntArg(argv[1]);
  if (numkeys === null) return ERR_NOT_INTEGER;
  if (numkeys < 1) return error("ERR at least 1 input key is needed for 'zintercard' command");
  if (numkeys > argv.length - 2) return ERR_SYNTAX;
  const req = parseRequest(ks, ["ZINTER", ...argv.slice(1, 2 + numkeys)], 1, "inter", false);
  if (!("sources" in req)) return req;
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (cWord(argv[i]) === "limit" && i + 1 < argv.length) {
      const n = parseIntArg(argv[++i]);
      if (n === null || n < 0) return error("ERR LIMIT can't be negative");
      limit = n;
    } else return ERR_SYNTAX;
  }
  const size = compute(req, "inter").size;
  return integer(limit > 0 ? Math.min(limit, size) : size);
}

const Z = "sorted-set";
// Movable keys: the sources follow numkeys (COMMAND GETKEYS finds them, command_keys.ts).
const STORE = "write denyoom movablekeys";

export const ZSET_ALGEBRA_COMMANDS: readonly BuiltinCommand[] = [
  command("zunion", -3, "readonly movablekeys", [0, 0, 0], Z, (ks, a) => algebra(ks, a, "union")),
  command("zinter", -3, "readonly movablekeys", [0, 0, 0], Z, (ks, a) => algebra(ks, a, "inter")),
  command("zdiff", -3, "readonly movablekeys", [0, 0, 0], Z, (ks, a) => algebra(ks, a, "diff")),
  command("zunionstore", -4, STORE, [1, 1, 1], Z, (ks, a) => algebraStore(ks, a, "union")),
  command("zinterstore", -4, STORE, [1, 1, 1], Z, (ks, a) => algebraStore(ks, a, "inter")),
  command("zdiffstore", -4, STORE, [1, 1, 1], Z, (ks, a) => algebraStore(ks, a, "diff")),
  command("zintercard", -3, "readonly movablekeys", [0, 0, 0], Z, zintercard),
];
