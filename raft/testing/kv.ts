/** The replicated key-value state machine the simulator's clients use (registers of integers). */
export type KvOp =
  | { kind: "get"; key: string }
  | { kind: "set"; key: string; value: number }
  | { kind: "incr"; key: string }
  | { kind: "cas"; key: string; expect: number | null; value: number };

/** get -> value or null; set -> null; incr -> new value; cas -> 1 if swapped, 0 if not. */
export type KvResult = number | null;

export interface KvCommand {
  id: string;
  op: KvOp;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

// Entry payloads are shared between simulated nodes: decode each once.
const decoded = new WeakMap<Uint8Array, KvCommand>();

export function decodeCommand(data: Uint8Array): KvCommand {
  let c = decoded.get(data);
  if (!c) {
    c = JSON.parse(decoder.decode(data)) as KvCommand;
    decoded.set(data, c);
  }
  return c;
}

/** Applies `op` to `value` (the key's current value): the next value and the result. */
export function applyOp(
  value: number | null,
  op: KvOp,
): { value: number | null; result: KvResult } {
  switch (op.kind) {
    case "get":
      return { value, result: value };
    case "set":
      return { value: op.value, result: null };
    case "incr":
      return { value: (value ?? 0) + 1, result: (value ?? 0) + 1 };
    case "cas":
      return value === op.expect ? { value: op.value, result: 1 } : { value, result: 0 };
  }
}

export class KvStore {
  #data = new Map<string, number>();
  appliedIndex = 0;

  apply(index: number, op: KvOp): KvResult {
    this.appliedIndex = index;
    const cur = this.#data.get(op.key) ?? null;
    const { value, result } = applyOp(cur, op);
    if (value === null) this.#data.delete(op.key);
    else this.#data.set(op.key, value);
    return result;
  }

  get(key: string): number | null {
    return this.#data.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.#data]));
  }

  static restore(data: Uint8Array, index: number): KvStore {
    const kv = new KvStore();
    if (data.length > 0) kv.#data = new Map(JSON.parse(decoder.decode(data)));
    kv.appliedIndex = index;
    return kv;
  }
}
