/**
 * The KV module commands: compare-and-set and compare-and-delete on a value's ETag, each ONE
 * atomic command. Conditional writes stay atomic in every mode — embedded, remote atlasd, and a
 * Raft cluster (the command is deterministic, and what it logs is the plain SET/DEL it ran) —
 * with no WATCH state to lose on a failover.
 *
 *   KV.CAS key etag value ttl_ms   -> 1 set, 0 tag mismatch, -1 no such key   (ttl_ms 0 = none)
 *   KV.CAD key etag                -> 1 deleted, 0 tag mismatch, -1 no such key
 *
 * ttl_ms is parsed strictly, like a Redis integer (no "", "0x10", "1e3", " 1"): no TTL is "0",
 * which is what KvService sends.
 *
 * Every process that executes commands (helios serve's engine, helios atlasd) must call
 * `register(store)` once at startup.
 */
import { parseInt64 } from "../../atlas/mod.ts";
import { etagOfBinary } from "./etag.ts";

/** The slice of atlas/store's Reply this module produces and reads. */
type Reply =
  | { readonly kind: "integer"; readonly value: number | bigint }
  | { readonly kind: "error"; readonly value: string }
  | { readonly kind: "bulk"; readonly value: string }
  | { readonly kind: string; readonly value?: unknown };

interface ExecResult {
  reply: Reply;
  log: string[][] | null;
}

/** The part of atlas/store's Store a module command uses (structural, so src/ need not import it). */
export interface ModuleStore<C> {
  execute(argv: string[], ctx: C): ExecResult;
}

export interface ModuleCommandSpec {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly group: string;
}

export interface CommandRegistry<C, S extends ModuleStore<C>> {
  /** Registered command names (Store.commands); lets register() run twice harmlessly. */
  readonly commands?: ReadonlyMap<string, unknown>;
  registerCommand(
    spec: ModuleCommandSpec,
    handler: (store: S, argv: string[], ctx: C) => ExecResult,
  ): void;
}

const int = (value: number): Reply => ({ kind: "integer", value });

function spec(name: string, arity: number, flags: string[]): ModuleCommandSpec {
  return { name, arity, flags, firstKey: 1, lastKey: 1, step: 1, group: "string" };
}

/** Reads the key and checks its tag; a Reply to return early, or null to go ahead. */
function check<C>(store: ModuleStore<C>, key: string, etag: string, ctx: C): Reply | null {
  const current = store.execute(["GET", key], ctx).reply;
  if (current.kind === "error") return current;
  if (current.kind !== "bulk") return int(-1);
  return etagOfBinary(current.value as string) === etag ? null : int(0);
}

export function register<C, S extends ModuleStore<C>>(store: CommandRegistry<C, S>): void {
  if (store.commands?.has("kv.cas")) return;
  store.registerCommand(spec("kv.cas", 5, ["write", "denyoom"]), (s, argv, ctx) => {
    const [, key, etag, value, ttlText] = argv;
    const ttlMs = parseInt64(ttlText);
    if (typeof ttlMs !== "number" || ttlMs < 0) {
      return {
        reply: { kind: "error", value: "ERR ttl_ms must be a non-negative integer" },
        log: null,
      };
    }
    const early = check(s, key, etag, ctx);
    if (early) return { reply: early, log: null };
    const argvSet = ttlMs > 0 ? ["SET", key, value, "PX", String(ttlMs)] : ["SET", key, value];
    const result = s.execute(argvSet, ctx);
    return { reply: result.reply.kind === "error" ? result.reply : int(1), log: result.log };
  });
  store.registerCommand(spec("kv.cad", 3, ["write"]), (s, argv, ctx) => {
    const [, key, etag] = argv;
    const early = check(s, key, etag, ctx);
    if (early) return { reply: early, log: null };
    const result = s.execute(["DEL", key], ctx);
    return { reply: result.reply.kind === "error" ? result.reply : int(1), log: result.log };
  });
}
