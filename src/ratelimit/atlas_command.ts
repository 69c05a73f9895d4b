/**
 * RL.TAKE: one token-bucket decision as ONE atomic ATLAS command, so N gateways sharing a store
 * never admit N× the limit. Time is stamped by the caller (`now_ms`), which keeps the command
 * deterministic for the AOF and Raft replay; a denial changes nothing and logs nothing.
 *
 *   RL.TAKE key capacity rate_num rate_den now_ms cost
 *     -> [allowed (1|0), remaining, retry_after_ms, reset_ms]
 *
 * Every process that executes commands (helios serve's engine, helios atlasd) must call
 * `register(store)` once at startup.
 */
import { parseInt64 } from "../../atlas/mod.ts";
import { checkPolicy, decodeState, encodeState, take } from "./token_bucket.ts";

type Reply =
  | { readonly kind: "integer"; readonly value: number | bigint }
  | { readonly kind: "error"; readonly value: string }
  | { readonly kind: "array"; readonly value: readonly Reply[] }
  | { readonly kind: string; readonly value?: unknown };

interface ExecResult {
  reply: Reply;
  log: string[][] | null;
}

export interface ModuleStore<C> {
  execute(argv: string[], ctx: C): ExecResult;
}

export interface CommandRegistry<C, S extends ModuleStore<C>> {
  /** Registered command names (Store.commands); lets register() run twice harmlessly. */
  readonly commands?: ReadonlyMap<string, unknown>;
  registerCommand(
    spec: {
      readonly name: string;
      readonly arity: number;
      readonly flags: readonly string[];
      readonly firstKey: number;
      readonly lastKey: number;
      readonly step: number;
      readonly group: string;
    },
    handler: (store: S, argv: string[], ctx: C) => ExecResult,
  ): void;
}

const int = (value: number): Reply => ({ kind: "integer", value });
const fail = (text: string): ExecResult => ({ reply: { kind: "error", value: text }, log: null });

/** Strict integers (Redis string2ll: no "0x10", "1e3", " 1"), safe ones; NaN otherwise. */
function strictInt(text: string): number {
  const value = parseInt64(text);
  return typeof value === "number" ? value : NaN;
}

function parseArgs(argv: string[]) {
  const [capacity, rateNum, rateDen, nowMs, cost] = argv.slice(2).map(strictInt);
  const policy = { name: "rl", capacity, rateNum, rateDen };
  try {
    checkPolicy(policy);
  } catch {
    return null;
  }
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) return null;
  if (!Number.isSafeInteger(cost) || cost < 1 || cost > capacity) return null;
  return { policy, nowMs, cost };
}

export function register<C, S extends ModuleStore<C>>(store: CommandRegistry<C, S>): void {
  if (store.commands?.has("rl.take")) return;
  const spec = {
    name: "rl.take",
    arity: 7,
    flags: ["write", "denyoom", "fast"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "string",
  };
  store.registerCommand(spec, (s, argv, ctx) => {
    const args = parseArgs(argv);
    if (args === null) return fail("ERR RL.TAKE needs valid capacity, rate, now_ms and cost");
    const key = argv[1];
    const current = s.execute(["GET", key], ctx).reply;
    if (current.kind === "error") return { reply: current, log: null };
    const state = current.kind === "bulk" ? decodeState(current.value as string) : null;
    const decision = take(state, args.policy, args.nowMs, args.cost);
    const reply: Reply = {
      kind: "array",
      value: [
        int(decision.allowed ? 1 : 0),
        int(decision.remaining),
        int(decision.retryAfterMs),
        int(decision.resetMs),
      ],
    };
    if (!decision.allowed) return { reply, log: null };
    // Once full again the bucket is the same as no bucket: let it expire.
    const ttlMs = String(decision.resetMs + 1000);
    const written = s.execute(["SET", key, encodeState(decision.state), "PX", ttlMs], ctx);
    if (written.reply.kind === "error") return { reply: written.reply, log: null };
    return { reply, log: written.log };
  });
}
