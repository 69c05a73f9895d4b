/** Test helpers: a store with a settable clock and seeded randomness, and reply shorthands. */
import { type ExecResult, Store, type StoreOptions } from "./store.ts";
import type { ExecContext } from "./keyspace.ts";
import type { Reply } from "./reply.ts";

export class TestClock implements ExecContext {
  nowMs = 1_700_000_000_000;
  #seed = 42;
  replaying?: boolean;
  random(): number {
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    return this.#seed / 2147483648;
  }
}

/** A store plus helpers: `run("SET", "k", "v")` returns the reply as plain JS for assertions. */
export class Harness {
  readonly store: Store;
  readonly clock = new TestClock();
  readonly logs: string[][] = [];

  constructor(options: Partial<StoreOptions> = {}) {
    this.store = new Store(options);
  }

  exec(...argv: string[]): ExecResult {
    const r = this.store.execute(argv, this.clock);
    if (r.log !== null) this.logs.push(...r.log);
    return r;
  }

  run(...argv: string[]): unknown {
    return plain(this.exec(...argv).reply);
  }

  /** Replays the collected log into a fresh store with a different clock. */
  replay(nowMs: number, options: Partial<StoreOptions> = {}): Harness {
    const h = new Harness(options);
    h.clock.nowMs = nowMs;
    h.clock.replaying = true;
    for (const argv of this.logs) h.exec(...argv);
    h.clock.replaying = false;
    return h;
  }
}

/** Reply → plain JS: bulk → string, integer → number/bigint, nil → null, error → {err}. */
export function plain(reply: Reply): unknown {
  switch (reply.kind) {
    case "simple":
    case "bulk":
      return reply.value;
    case "error":
      return { err: reply.value };
    case "double":
      // A double printed Redis's own way (GEOPOS) reads as that text, as a RESP2 client sees it.
      return reply.text ?? reply.value;
    case "integer":
    case "bool":
      return reply.value;
    case "nil":
    case "nilArray":
      return null;
    case "array":
    case "set":
    case "push":
      return reply.value.map(plain);
    case "map":
      return reply.value.map(([k, v]) => [plain(k), plain(v)]);
  }
}

/** A deterministic dump of the whole keyspace (for replay equality). */
export function stateOf(store: Store): [string, string | null, number | null][] {
  const out: [string, string | null, number | null][] = [];
  const view = store.snapshotView();
  for (const e of view) out.push([e.key, e.payload, e.expireAtMs]);
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return out;
}

/** A seeded generator of random commands over a few keys, every family, relative TTLs included. */
export function randomCommands(seed: number): () => string[] {
  let s = seed;
  const rnd = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rnd() * xs.length)];
  const K = () => pick(["k0", "k1", "k2", "k3", "k4", "k5"]);
  const M = () => pick(["a", "b", "c", "d", "1", "2", "10", ""]);
  const N = () => pick(["0", "1", "-1", "2", "-2", "5", "x", "1.5"]);
  const F = () => pick(["0", "1", "-1.5", "0.1", "3", "inf", "(1"]);
  const T = () => pick(["1", "2", "3", "-1", "0"]);
  const gens: (() => string[])[] = [
    () => [
      "SET",
      K(),
      M(),
      ...pick([[], ["EX", T()], ["PX", "1500"], ["KEEPTTL"], ["NX"], ["XX", "GET"]]),
    ],
    () => ["SETEX", K(), T(), M()],
    () => ["PSETEX", K(), "2500", M()],
    () => ["GETEX", K(), ...pick([["EX", T()], ["PERSIST"], ["PXAT", "1"]])],
    () => ["EXPIRE", K(), T(), ...pick([[], ["NX"], ["XX"], ["GT"], ["LT"]])],
    () => ["PEXPIRE", K(), "1200"],
    () => ["PERSIST", K()],
    () => ["GET", K()],
    () => ["INCR", K()],
    () => ["INCRBYFLOAT", K(), F()],
    () => ["APPEND", K(), M()],
    () => ["SETRANGE", K(), "2", M()],
    () => ["GETDEL", K()],
    () => ["GETSET", K(), M()],
    () => ["MSET", K(), M(), K(), M()],
    () => ["DEL", K(), K()],
    () => ["RENAME", K(), K()],
    () => ["RENAMENX", K(), K()],
    () => ["HSET", K(), M(), M(), M(), N()],
    () => ["HDEL", K(), M()],
    () => ["HINCRBY", K(), M(), N()],
    () => ["HINCRBYFLOAT", K(), M(), F()],
    () => ["LPUSH", K(), M(), M()],
    () => ["RPUSH", K(), M()],
    () => ["LPOP", K(), ...pick([[], ["2"]])],
    () => ["LREM", K(), N(), M()],
    () => ["LTRIM", K(), N(), N()],
    () => ["LINSERT", K(), "BEFORE", M(), M()],
    () => ["LSET", K(), N(), M()],
    () => ["LMOVE", K(), K(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])],
    () => ["SADD", K(), M(), M(), M()],
    () => ["SREM", K(), M()],
    () => ["SPOP", K(), ...pick([[], ["2"], ["10"]])],
    () => ["SMOVE", K(), K(), M()],
    () => ["SINTERSTORE", K(), K(), K()],
    () => ["SUNIONSTORE", K(), K(), K()],
    () => ["ZADD", K(), ...pick([[], ["GT", "CH"], ["INCR"], ["NX"]]), F(), M()],
    () => ["ZINCRBY", K(), F(), M()],
    () => ["ZREM", K(), M()],
    () => ["ZPOPMIN", K(), ...pick([[], ["2"]])],
    () => ["ZREMRANGEBYSCORE", K(), "-inf", F()],
    () => ["ZREMRANGEBYRANK", K(), "0", "0"],
    () => ["BITOP", pick(["AND", "OR", "XOR"]), K(), K(), K()],
    () => ["BITOP", "NOT", K(), K()],
    () => [
      "BITFIELD",
      K(),
      ...pick([[], ["OVERFLOW", "SAT"], ["OVERFLOW", "FAIL"]]),
      ...pick([["SET", "i8", "#1", N()], ["INCRBY", "u5", "3", N()], ["SET", "i64", "9", "-1"]]),
      ...pick([[], ["GET", "u4", "0"], ["INCRBY", "i16", "#2", "-300"]]),
    ],
  ];
  return () => pick(gens)();
}
