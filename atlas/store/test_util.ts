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
    case "integer":
    case "double":
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
